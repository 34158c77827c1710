"""What docs/design.md says of round trips, counted: every message the service
sends to Postgres for one request (the pool's connections warmed first, so
the prepared statements and the key are in place)."""

from __future__ import annotations

from contextlib import contextmanager

import psycopg
import pytest

from tests.api.thalamus_v4_client import TOUCHPOINT, ThalamusV4Client, basic


@contextmanager
def counted(monkeypatch):
    """Counts the messages sent on the app's connections: a statement batch,
    or a COMMIT or ROLLBACK psycopg sends (it sends none on a connection
    that is in no transaction, as the pool's are between units of work)."""
    count = {"messages": 0}
    idle = psycopg.pq.TransactionStatus.IDLE
    for cls, name in ((psycopg.ClientCursor, "execute"), (psycopg.Connection, "execute"),
                      (psycopg.Connection, "rollback"), (psycopg.Connection, "commit")):
        original = getattr(cls, name)
        transaction_command = name in ("rollback", "commit")

        def counting(self, *args, _original=original, _command=transaction_command, **kwargs):
            if not _command or self.info.transaction_status != idle:
                count["messages"] += 1
            return _original(self, *args, **kwargs)
        monkeypatch.setattr(cls, name, counting)
    yield count
    monkeypatch.undo()


def warm(call, times: int = 6):
    for _ in range(times):
        call()


@pytest.fixture
def thalamus(client):
    return ThalamusV4Client(client)


def test_every_edit_is_two_round_trips_on_every_api_and_credential(client, v12, v3, thalamus, monkeypatch):
    token = client.post("/oauth2/token", data={
        "grant_type": "password", "username": "frank", "password": "frank-pass", "client_id": "crm",
        "client_secret": "crm-secret"}).get_json()["access_token"]
    signin = thalamus.signin("frank")
    cookie = signin.headers["Set-Cookie"].split(";", 1)[0]
    state = {"etag": client.get("/ws/v12/interaction/case/1013",
                                headers={"X-egain-session": v12.session("frank")}).headers["ETag"], "n": 0}

    def edit_v12():
        state["n"] += 1
        answer = client.put("/ws/v12/interaction/case", json={"id": "1013", "subject": f"v12 {state['n']}"},
                            headers={"X-egain-session": v12.session("frank"), "If-Match": state["etag"]})
        assert answer.status_code == 204, answer.get_data(as_text=True)
        state["etag"] = answer.headers["ETag"]

    def edit_v3():
        state["n"] += 1
        answer = client.patch("/core/casemgr/v3/case", json={"id": "1013", "subject": f"v3 {state['n']}"},
                              headers={"Authorization": f"Bearer {token}", "If-Match": state["etag"],
                                       "Accept-Language": "en-US"})
        assert answer.status_code == 204, answer.get_data(as_text=True)
        state["etag"] = answer.headers["ETag"]

    def edit_v4(credential: dict):
        def put():
            state["n"] += 1
            answer = client.put("/api/v4/cases/1013", json={
                "categoryCode": "Case6534", "typeCode": "Casetype6534",
                "status": "In Progress" if state["n"] % 2 else "Open"},
                headers={**TOUCHPOINT, **credential, "If-Match": state["etag"]})
            assert answer.status_code == 201, answer.get_data(as_text=True)
            state["etag"] = answer.headers["ETag"]
        return put

    kinds = {"v12 edit": edit_v12, "v3 PATCH": edit_v3, "v4 PUT (cookie)": edit_v4({"Cookie": cookie}),
             "v4 PUT (Basic)": edit_v4(basic("frank"))}
    for name, edit in kinds.items():
        warm(edit)
        with counted(monkeypatch) as count:
            edit()
        assert count["messages"] == 2, name


def test_every_read_is_one_round_trip(client, v12, v3, thalamus, monkeypatch):
    token = v3.token(client_id="crm", client_secret="crm-secret").get_json()["access_token"]
    reads = {
        "v12 read": lambda: client.get("/ws/v12/interaction/case/1013",
                                       headers={"X-egain-session": v12.session("frank")}),
        "v3 read": lambda: client.get("/core/casemgr/v3/case/1013",
                                      headers={"Authorization": f"Bearer {token}", "Accept-Language": "en-US"}),
        "v4 read (Basic)": lambda: thalamus.read(1013),
        "v12 read, every attribute": lambda: client.get("/ws/v12/interaction/case/1013?$attribute=all",
                                                        headers={"X-egain-session": v12.session("frank")}),
        "v3 custom attribute list": lambda: client.get("/core/casemgr/v3/case/attributes?$attribute=custom",
                                                       headers={"Authorization": f"Bearer {token}",
                                                                "Accept-Language": "en-US"}),
    }
    for name, read in reads.items():
        warm(read)
        with counted(monkeypatch) as count:
            assert read().status_code == 200
        assert count["messages"] == 1, name


def test_a_search_a_history_page_and_a_feed_page_are_two_round_trips(client, v12, v3, thalamus, monkeypatch):
    """The credential check (with the check of a custom attribute's name),
    then, holding one of the principal's read slots, the read itself: the
    slot is the principal's, so it waits for the check to name it."""
    token = v3.token(client_id="crm", client_secret="crm-secret").get_json()["access_token"]
    v3_headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en-US"}
    reads = {
        "v12 case search": lambda: client.get("/ws/v12/interaction/case?custom.region=north",
                                              headers={"X-egain-session": v12.session("frank")}),
        "v12 history": lambda: client.get("/ws/v12/interaction/case/1013/history",
                                          headers={"X-egain-session": v12.session("frank")}),
        "v4 history (Basic)": lambda: client.get("/api/v4/cases/1013/history", headers=thalamus.headers("frank")),
        "v3 feed page": lambda: client.get("/core/casemgr/v3/changes", headers=v3_headers),
    }
    for name, read in reads.items():
        warm(read)
        with counted(monkeypatch) as count:
            assert read().status_code == 200
        assert count["messages"] == 2, name


def test_an_edit_that_links_a_case_takes_a_third_round_trip_for_the_actors_department(client, v12, monkeypatch):
    session = v12.session("frank")
    warm(lambda: client.get("/ws/v12/interaction/case/1013", headers={"X-egain-session": session}))
    etag = client.get("/ws/v12/interaction/case/1013", headers={"X-egain-session": session}).headers["ETag"]
    with counted(monkeypatch) as count:
        answer = client.put("/ws/v12/interaction/case", headers={"X-egain-session": session, "If-Match": etag}, json={
            "id": "1013", "relatedCases": {"link": [{"rel": "case", "href": "/ws/v12/interaction/case/1001"}]}})
    assert answer.status_code == 204, answer.get_data(as_text=True)
    assert count["messages"] == 3


def test_a_forged_session_is_refused_without_a_message_to_the_database(client, monkeypatch):
    session = "made-up.AAAAAAAAAAAAAAAAAAAAAA"
    client.get("/ws/v12/interaction/case/1013", headers={"X-egain-session": session})  # reads the key once
    with counted(monkeypatch) as count:
        answer = client.get("/ws/v12/interaction/case/1013", headers={"X-egain-session": session})
    assert answer.status_code == 401
    assert count["messages"] == 0
