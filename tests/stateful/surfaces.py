"""Every surface the sequences use, on the app through Flask's test client,
for any principal of ``tests.stateful.world``. No answer may be a 5xx: every
response passes through ``checked``.

Flask's test client keeps a cookie jar and the context it last preserved,
so threads do not share one: ``for_thread`` gives each its own client on the
same app (the app, its pool and the service are what is shared, as under a
threaded server). Every credential here travels in a header, none in a
cookie, so a fresh client needs no login."""

from __future__ import annotations

import base64
from urllib.parse import quote

from tests.stateful.counts import COUNTS
from tests.stateful.world import CLIENT_ID, Principal

CASE_URLS = {"v12": "/ws/v12/interaction/case", "v3": "/core/casemgr/v3/case"}
HREF_PREFIXES = {"v12": "/system/ws/v12/interaction/case/", "v3": "/core/casemgr/v3/case/"}
TOUCHPOINT = {"Thalamus-Touchpoint": "web", "Thalamus-Token": "web-token"}
FEED = "/core/casemgr/v3/changes"


def password(login: str) -> str:
    return f"{login.split('@')[0]}-pass"


class ServerError(AssertionError):
    pass


def checked(response, what: str):
    COUNTS.requests += 1
    if response.status_code >= 500:
        raise ServerError(f"{what} answered {response.status_code}: {response.get_data(as_text=True)[:2000]}")
    return response


class Surfaces:
    def __init__(self, app, client=None, auth: dict[str, dict] | None = None):
        self.app = app
        self.client = client or app.test_client()
        self.auth: dict[str, dict] = auth if auth is not None else {}

    def for_thread(self) -> "Surfaces":
        return Surfaces(self.app, self.app.test_client(), self.auth)

    # -- credentials ----------------------------------------------------------------

    def log_in(self, p: Principal) -> None:
        if p.api == "v12":
            response = checked(self.client.post("/ws/v12/authentication/user/login", headers={
                "Accept": "application/json"}, json={"userName": p.login, "password": password(p.login)}), "login")
            assert response.status_code == 204, response.get_data(as_text=True)
            self.auth[p.key] = {"X-egain-session": response.headers["X-egain-session"]}
        elif p.api == "v3":
            form = ({"grant_type": "client_credentials"} if p.kind == "client" else
                    {"grant_type": "password", "username": p.login, "password": password(p.login)})
            response = checked(self.client.post("/oauth2/token", data={
                **form, "client_id": CLIENT_ID, "client_secret": f"{CLIENT_ID}-secret"}), "token")
            assert response.status_code == 200, response.get_data(as_text=True)
            self.auth[p.key] = {"Authorization": f"Bearer {response.get_json()['access_token']}"}
        else:
            pair = f"{p.login}:{password(p.login)}".encode()
            self.auth[p.key] = {**TOUCHPOINT, "Authorization": "Basic " + base64.b64encode(pair).decode()}

    def headers(self, p: Principal, **extra) -> dict:
        headers = {"Accept": "application/json"}
        if p.api == "v3":
            headers["Accept-Language"] = "en-US"
        headers.update(self.auth[p.key])
        headers.update(extra)
        return headers

    def _send(self, method: str, url: str, p: Principal, what: str, **kwargs):
        headers = self.headers(p, **kwargs.pop("headers", {}))
        response = self.client.open(url, method=method, headers=headers, **kwargs)
        return checked(response, f"{p.key}: {method} {url} ({what})")

    # -- writes -----------------------------------------------------------------------

    def egain_edit(self, p: Principal, case_id: int, body: dict, last_modified: str | None = None,
                   if_match: str | None = None, closed: bool = False):
        body = {"id": str(case_id), **body}
        if last_modified is not None:
            body["lastModified"] = {"date": last_modified} if p.api == "v12" else last_modified
        headers = {"If-Match": if_match} if if_match else {}
        if p.api == "v12":
            return self._send("PUT", CASE_URLS["v12"], p, repr(body), json=body, headers=headers)
        url = CASE_URLS["v3"] + ("/closed" if closed else "")
        return self._send("PATCH", url, p, repr(body), json=body, headers=headers)

    def close(self, p: Principal, case_id: int):
        return self._send("PUT", f"{CASE_URLS[p.api]}/{case_id}/close", p, "close")

    def thalamus_update(self, p: Principal, case_id: int, body: dict, if_match: str | None = None):
        headers = {"If-Match": if_match} if if_match else {}
        return self._send("PUT", f"/api/v4/cases/{case_id}", p, repr(body), json=body, headers=headers)

    # -- reads ------------------------------------------------------------------------

    def egain_read(self, p: Principal, case_ids):
        ids = ",".join(str(i) for i in case_ids)
        return self._send("GET", f"{CASE_URLS[p.api]}/{ids}?$attribute=all", p, "read")

    def thalamus_read(self, p: Principal, case_id: int):
        return self._send("GET", f"/api/v4/cases/{case_id}", p, "read")

    def history_page(self, p: Principal, case_id: int, number: int, size: int):
        base = f"/api/v4/cases/{case_id}" if p.api == "v4" else f"{CASE_URLS[p.api]}/{case_id}"
        return self._send("GET", f"{base}/history?$pagenum={number}&$pagesize={size}", p, "history")

    def history(self, p: Principal, case_id: int, size: int = 75):
        """(the first refusal, None) or (None, every entry newest first, the
        count every page gave)."""
        entries, counts, number = [], set(), 1
        while True:
            response = self.history_page(p, case_id, number, size)
            if response.status_code != 200:
                return response, None, None
            body = response.get_json()
            assert body["paginationInfo"]["pagenum"] == number and body["paginationInfo"]["pagesize"] == size
            counts.add(body["paginationInfo"]["count"])
            entries.extend(body["history"])
            if len(body["history"]) < size:
                return None, entries, counts
            number += 1

    def search(self, p: Principal, name: str, value: str):
        query = f"{quote(name, safe='.')}={quote(value, safe='')}&$attribute=all&$pagesize=75"
        return self._send("GET", f"{CASE_URLS['v12']}?{query}", p, "search")

    def feed(self, p: Principal, after: str | None, limit: int):
        query = f"?limit={limit}" + (f"&after={after}" if after else "")
        return self._send("GET", FEED + query, p, "feed")
