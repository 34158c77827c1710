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
    xml = False
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
            headers={"Accept": "application/json"},
        )

    def session(self, user: str) -> str:
        if user not in self.sessions:
            response = self.login(user)
            assert response.status_code == 204, response.get_data(as_text=True)
            self.sessions[user] = response.headers["X-egain-session"]
        return self.sessions[user]

    def headers(self, user: str | None, **extra) -> dict:
        # v12 answers XML to a request without Accept: this client reads JSON.
        headers = {"Accept": "application/json"}
        if user:
            headers["X-egain-session"] = self.session(user)
        headers.update(extra)
        return headers

    def read(self, case_ids, user: str = "frank", attributes: str | None = None, **headers):
        """GET the cases; ``attributes`` is the $attribute to send (None: the summary)."""
        ids = ",".join(str(i) for i in ([case_ids] if isinstance(case_ids, int) else case_ids))
        query = f"?$attribute={attributes}" if attributes is not None else ""
        return self.client.get(f"{self.case_url}/{ids}{query}", headers=self.headers(user, **headers))

    def read_case(self, case_id: int, user: str = "frank", attributes: str | None = "all") -> dict:
        """The case with every attribute (the tests look at all of them)."""
        response = self.read(case_id, user, attributes)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["case"][0]

    def search(self, query: str, user: str = "frank", **headers):
        return self.client.get(f"{self.case_url}?{query}", headers=self.headers(user, **headers))

    def last_modified(self, case_id: int) -> str:
        return self.read_case(case_id)["lastModified"]["date"]

    def last_modified_element(self, value: str) -> Any:
        return {"date": value}

    def href(self, case_id: int) -> str:
        return f"{self.href_prefix}{case_id}"

    def edit_body(self, case_id: int, changes: dict, last_modified: str | None = "current") -> dict[str, Any]:
        """id, lastModified (``"current"`` reads it first, None leaves it out) and the changes."""
        body: dict[str, Any] = {"id": str(case_id)}
        if last_modified == "current":
            last_modified = self.last_modified(case_id)
        if last_modified is not None:
            body["lastModified"] = self.last_modified_element(last_modified)
        body.update(changes)
        return body

    def edit(self, case_id: int, changes: dict, user: str = "frank", last_modified: str | None = "current",
             query: str = "", **headers):
        """PUT an edit; ``last_modified="current"`` reads it first, None leaves it out."""
        body = self.edit_body(case_id, changes, last_modified)
        return self.client.put(f"{self.case_url}{query}", json=body, headers=self.headers(user, **headers))

    def encode(self, body: dict) -> bytes:
        import json

        return json.dumps(body).encode()

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


class EgainV3Client(EgainV12Client):
    """eGain Case Manager v3: bearer tokens (password grant through the crm
    client), Accept-Language required, lastModified a plain string, PATCH."""

    name = "v3"
    case_url = "/core/casemgr/v3/case"
    href_prefix = "/core/casemgr/v3/case/"
    client_id, client_secret = "crm", "crm-secret"

    def token(self, user: str | None = None, password: str | None = None, **form):
        data = {"grant_type": "password", "username": user, "password": password or PASSWORDS.get(user, "")}
        if user is None:
            data = {"grant_type": "client_credentials"}
        data.update(form)
        data.setdefault("client_id", self.client_id)
        data.setdefault("client_secret", self.client_secret)
        return self.client.post("/oauth2/token", data=data)

    def session(self, user: str) -> str:
        if user not in self.sessions:
            response = self.token(None if user == "client" else user)
            assert response.status_code == 200, response.get_data(as_text=True)
            self.sessions[user] = response.get_json()["access_token"]
        return self.sessions[user]

    def headers(self, user: str | None, **extra) -> dict:
        headers = {"Accept": "application/json", "Accept-Language": "en-US"}
        if user:
            headers["Authorization"] = f"Bearer {self.session(user)}"
        headers.update(extra)
        return headers

    def last_modified(self, case_id: int) -> str:
        return self.read_case(case_id)["lastModified"]

    def last_modified_element(self, value: str) -> Any:
        return value

    def edit(self, case_id: int, changes: dict, user: str = "frank", last_modified: str | None = "current",
             query: str = "", path: str = "", **headers):
        body = self.edit_body(case_id, changes, last_modified)
        return self.client.patch(f"{self.case_url}{path}{query}", json=body, headers=self.headers(user, **headers))

    def edit_raw(self, data, user: str | None = "frank", content_type: str = "application/json", query: str = "",
                 **headers):
        return self.client.patch(f"{self.case_url}{query}", data=data, content_type=content_type,
                                 headers=self.headers(user, **headers))


def egain_body(response) -> dict | None:
    """An eGain answer's body, JSON or XML (as the JSON twin would read):
    for requests that leave the media type to the API."""
    if response.mimetype == "application/xml":
        from casemgr.api.egain.xml import parse_xml

        data = parse_xml(response.get_data())
        if "details" in data:
            data["details"] = data["details"]["detail"]
        return data
    return response.get_json()


class XmlAnswer:
    """A response whose XML body reads, through get_json(), as the JSON twin
    would: so one assertion checks both media types."""

    def __init__(self, response):
        self.response = response

    def __getattr__(self, name):
        return getattr(self.response, name)

    def get_json(self):
        body = self.response.get_data()
        if not body:
            return None
        if self.response.mimetype == "application/json":
            # only when the client's own Accept refused XML (406)
            assert self.response.status_code == 406, self.response.get_data(as_text=True)
            return self.response.get_json()
        assert self.response.mimetype == "application/xml", self.response.get_data(as_text=True)
        return egain_body(self.response)


class EgainV12XmlClient(EgainV12Client):
    """v12 with XML bodies and XML answers."""

    name = "v12-xml"
    xml = True

    def headers(self, user, **extra):
        return super().headers(user, **{"Accept": "application/xml", **extra})

    def encode(self, body: dict) -> bytes:
        from casemgr.api.egain.xml import to_xml

        return to_xml("case", body)

    def read(self, case_ids, user: str = "frank", attributes: str | None = None, **headers):
        return XmlAnswer(super().read(case_ids, user, attributes, **headers))

    def search(self, query: str, user: str = "frank", **headers):
        return XmlAnswer(super().search(query, user, **headers))

    def edit(self, case_id: int, changes: dict, user: str = "frank", last_modified: str | None = "current",
             query: str = "", **headers):
        body = self.edit_body(case_id, changes, last_modified)
        return self.edit_raw(self.encode(body), user=user, content_type="application/xml", query=query, **headers)

    def edit_raw(self, data, user: str | None = "frank", content_type: str = "application/xml", query: str = "",
                 **headers):
        return XmlAnswer(super().edit_raw(data, user, content_type, query, **headers))

    def close(self, case_id: int, user: str = "frank"):
        return XmlAnswer(super().close(case_id, user))
