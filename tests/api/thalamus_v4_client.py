"""A test client that speaks Thalamus v4: touchpoint headers on every call,
and the principal by HTTP Basic unless a test says otherwise."""

from __future__ import annotations

import base64

TOUCHPOINT = {"Thalamus-Touchpoint": "web", "Thalamus-Token": "web-token"}
BASE = "/api/v4"


def password_for(principal: str) -> str:
    """The test world's passwords: frank-pass, john-pass for john@example.com, …"""
    return f"{principal.split('@')[0]}-pass"


def basic(principal: str, password: str | None = None) -> dict:
    pair = f"{principal}:{password if password is not None else password_for(principal)}"
    return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}


class ThalamusV4Client:
    def __init__(self, client):
        self.client = client

    def headers(self, principal: str | None, **extra) -> dict:
        headers = dict(TOUCHPOINT)
        if principal is not None:
            headers.update(basic(principal))
        headers.update(extra)
        return headers

    def update(self, case_id, body: dict, principal: str | None = "frank", **headers):
        return self.client.put(f"{BASE}/cases/{case_id}", json=body, headers=self.headers(principal, **headers))

    def read(self, case_id, principal: str | None = "frank", **headers):
        return self.client.get(f"{BASE}/cases/{case_id}", headers=self.headers(principal, **headers))

    def read_case(self, case_id, principal: str = "frank") -> dict:
        response = self.read(case_id, principal)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()  # the case object itself, as Thalamus answers it

    def create(self, body: dict, principal: str | None = "frank", **headers):
        return self.client.post(f"{BASE}/cases", json=body, headers=self.headers(principal, **headers))

    def signin(self, principal: str, password: str | None = None):
        return self.client.post(f"{BASE}/signin", headers=TOUCHPOINT, json={
            "principal": principal, "password": password if password is not None else password_for(principal)})

    def logout(self):
        return self.client.get(f"{BASE}/logout", headers=TOUCHPOINT)


def errors_of(response, status: int = 400) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def error_body(key: str, code: str, text: str) -> dict:
    """The v4 error map: the code, and its execution companion in English."""
    return {"errors": {key: code, f"execution.{key}": f"execution.{key}: {text}"}}


INVALID_CASE = error_body(
    "case", "invalidId", "The caseInstanceId is invalid, or the case is not visible to this principal."
)
