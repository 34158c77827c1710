"""Test clients that speak each API's wire shape, so one test can state a rule
once and run it through every API."""

from __future__ import annotations

from typing import Any

PASSWORDS = {
    login: f"{login}-pass"
    for login in ("frank", "alice", "bob", "carol", "dora", "eve", "nolic", "viewer", "grace")
}


class EgainV12Client:
    name = "v12"
    case_url = "/ws/v12/interaction/case"
    href_prefix = "/system/ws/v12/interaction/case/"

    def __init__(self, client):
        self.client = client
        self.sessions: dict[str, str] = {}

    def login(self, user: str, password: str | None = None, force: bool = False):
        query = "?forceLogin=yes" if force else ""
        return self.client.post(
            f"/ws/v12/authentication/user/login{query}",
            json={"userName": user, "password": password or PASSWORDS[user]},
        )

    def session(self, user: str) -> str:
        if user not in self.sessions:
            response = self.login(user)
            assert response.status_code == 204, response.get_data(as_text=True)
            self.sessions[user] = response.headers["X-egain-session"]
        return self.sessions[user]

    def headers(self, user: str | None, **extra) -> dict:
        headers = {"X-egain-session": self.session(user)} if user else {}
        headers.update(extra)
        return headers

    def read(self, case_ids, user: str = "frank", **headers):
        ids = ",".join(str(i) for i in ([case_ids] if isinstance(case_ids, int) else case_ids))
        return self.client.get(f"{self.case_url}/{ids}", headers=self.headers(user, **headers))

    def read_case(self, case_id: int, user: str = "frank") -> dict:
        response = self.read(case_id, user)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["case"][0]

    def last_modified(self, case_id: int) -> str:
        return self.read_case(case_id)["lastModified"]["date"]

    def last_modified_element(self, value: str) -> Any:
        return {"date": value}

    def href(self, case_id: int) -> str:
        return f"{self.href_prefix}{case_id}"

    def edit(self, case_id: int, changes: dict, user: str = "frank", last_modified: str | None = "current",
             query: str = "", **headers):
        """PUT an edit; ``last_modified="current"`` reads it first, None leaves it out."""
        body: dict[str, Any] = {"id": str(case_id)}
        if last_modified == "current":
            last_modified = self.last_modified(case_id)
        if last_modified is not None:
            body["lastModified"] = self.last_modified_element(last_modified)
        body.update(changes)
        return self.client.put(f"{self.case_url}{query}", json=body, headers=self.headers(user, **headers))

    def edit_raw(self, data, user: str | None = "frank", content_type: str = "application/json", query: str = "",
                 **headers):
        return self.client.put(f"{self.case_url}{query}", data=data, content_type=content_type,
                               headers=self.headers(user, **headers))

    def close(self, case_id: int, user: str = "frank"):
        return self.client.put(f"{self.case_url}/{case_id}/close", headers=self.headers(user))

    def link(self, *case_ids: int) -> dict:
        return {"relatedCases": {"link": [{"rel": "case", "href": self.href(i)} for i in case_ids]}}

    def unlink(self, *case_ids: int) -> dict:
        return {"relatedCases": {"unlink": [{"rel": "case", "href": self.href(i)} for i in case_ids]}}

    @staticmethod
    def custom(name: str, value: str) -> dict:
        return {"customAttributes": {"customAttribute": [
            {"attribName": name, "attribValues": {"attribValue": [{"value": value}]}}]}}
