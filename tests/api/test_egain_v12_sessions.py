"""v12 sessions: login, logout, expiry, the five-session cap, and 401s."""

from __future__ import annotations

import hashlib
import threading
import time

import psycopg
import pytest

from tests.api.clients import egain_body


def code_of(response) -> str:
    """The error code, whichever media type the request left the API to choose."""
    return egain_body(response)["code"]


def test_login_answers_204_with_a_session_header_that_opens_the_api(v12):
    response = v12.login("frank")
    assert response.status_code == 204
    session = response.headers["X-egain-session"]
    read = v12.client.get("/ws/v12/interaction/case/1013", headers={"X-egain-session": session})
    assert read.status_code == 200
    assert read.headers["X-egain-session"] == session


def test_login_accepts_username_in_lower_case_too(v12):
    response = v12.client.post("/ws/v12/authentication/user/login",
                               json={"username": "frank", "password": "frank-pass"})
    assert response.status_code == 204


@pytest.mark.parametrize("user, password", [("frank", "wrong"), ("nobody", "x"), ("eve", "eve-pass")],
                         ids=["wrong-password", "unknown-user", "disabled-user"])
def test_a_bad_login_is_refused(v12, user, password):
    response = v12.login(user, password)
    assert response.status_code == 401
    assert code_of(response) == "401-9001"
    assert "X-egain-session" not in response.headers


def test_only_a_hash_of_the_session_id_is_stored(v12, db):
    session = v12.session("frank")
    stored = [bytes(row[0]) for row in db.execute("SELECT token_hash FROM auth_session")]
    assert stored == [hashlib.sha256(session.encode()).digest()]
    assert session.encode() not in b"".join(stored)


@pytest.mark.parametrize("headers", [{}, {"X-egain-session": "not-a-session"}], ids=["missing", "unknown"])
def test_a_missing_or_unknown_session_is_401(v12, headers):
    response = v12.client.get("/ws/v12/interaction/case/1013", headers=headers)
    assert response.status_code == 401
    assert code_of(response) == "401-101"
    assert "X-egain-session" not in response.headers


def test_a_logged_out_session_is_401(v12):
    session = v12.session("frank")
    assert v12.client.delete("/ws/v12/authentication/user/logout",
                             headers={"X-egain-session": session}).status_code == 204
    response = v12.client.get("/ws/v12/interaction/case/1013", headers={"X-egain-session": session})
    assert response.status_code == 401


def test_an_idle_session_expires(v12, db):
    v12.session("frank")
    db.execute("UPDATE auth_session SET last_used_at = last_used_at - interval '31 minutes'")
    assert v12.read(1013).status_code == 401


def test_a_session_expires_after_its_lifetime_even_when_used(v12, db):
    v12.session("frank")
    db.execute("UPDATE auth_session SET created_at = created_at - interval '9 hours'")
    assert v12.read(1013).status_code == 401


def test_a_session_id_in_the_query_string_is_not_accepted(v12):
    session = v12.session("frank")
    response = v12.client.get(f"/ws/v12/interaction/case/1013?X-egain-session={session}")
    assert response.status_code == 401


def test_the_sixth_login_fails_unless_forced_and_forcing_ends_the_oldest(v12):
    sessions = []
    for _ in range(5):
        response = v12.login("alice")
        assert response.status_code == 204
        sessions.append(response.headers["X-egain-session"])
    sixth = v12.login("alice")
    assert sixth.status_code == 403
    assert code_of(sixth) == "403-9006"
    forced = v12.login("alice", force=True)
    assert forced.status_code == 204
    oldest, newest = sessions[0], forced.headers["X-egain-session"]
    assert v12.client.get("/ws/v12/interaction/case/1002", headers={"X-egain-session": oldest}).status_code == 401
    assert v12.client.get("/ws/v12/interaction/case/1002", headers={"X-egain-session": newest}).status_code == 200


def test_a_user_disabled_after_login_loses_the_session(v12, db):
    v12.session("alice")
    db.execute("UPDATE app_user SET disabled = true WHERE login = 'alice'")
    assert v12.read(1002, user="alice").status_code == 401


def test_the_system_context_root_serves_the_same_api(v12):
    session = v12.session("frank")
    response = v12.client.get("/system/ws/v12/interaction/case/1013", headers={"X-egain-session": session})
    assert response.status_code == 200
    assert egain_body(response)["case"][0]["id"] == "1013"


# -- the edit checks its session inside its own transaction ----------------

DEAD_SESSION = {"X-egain-session": "not-a-session"}
# A well-formed edit up to its changes: with a live session, its stale
# lastModified would be judged (409) inside the edit's transaction.
EDIT = b'{"id": "1013", "lastModified": {"date": "2015-01-01T00:00:00Z"}, '


@pytest.mark.parametrize("fault", [
    dict(data=EDIT + b'"subject": "x"}'),
    dict(data=b"{"),
    dict(data=b"subject=x", content_type="text/plain"),
    dict(data=EDIT + b'"subject": "x"}', headers={"Accept": "text/html"}),
    dict(data=EDIT + b'"subject": "x"}', headers={"Accept-Language": "xx-XX"}),
    dict(data=EDIT + b'"subject": "x"}', query="?fields=all"),
    dict(data=EDIT.rstrip(b", ") + b"}"),
    dict(data=EDIT + b'"subject": "' + b"x" * 1025 + b'"}'),
    dict(data=EDIT + b'"severity": {"value": "bad"}}'),
], ids=["valid", "malformed", "content-type", "accept", "language", "query", "nothing-to-change", "too-long",
        "bad-severity"])
def test_a_dead_session_is_401_whatever_else_is_wrong_with_the_edit(v12, unchanged, fault):
    response = v12.client.put(
        "/ws/v12/interaction/case" + fault.get("query", ""), data=fault["data"],
        content_type=fault.get("content_type", "application/json"),
        headers={**DEAD_SESSION, **fault.get("headers", {})})
    assert response.status_code == 401, response.get_data(as_text=True)
    assert code_of(response) == "401-101"
    assert "X-egain-session" not in response.headers
    unchanged.check()


def test_an_idle_session_is_401_before_a_malformed_edit(v12, db, unchanged):
    v12.session("frank")
    db.execute("UPDATE auth_session SET last_used_at = last_used_at - interval '31 minutes'")
    response = v12.edit_raw(b"{")
    assert response.status_code == 401
    unchanged.check()


@pytest.mark.parametrize("ending", [
    "UPDATE auth_session SET last_used_at = last_used_at - interval '31 minutes'",
    "UPDATE auth_session SET created_at = created_at - interval '9 hours'",
    "UPDATE app_user SET disabled = true WHERE login = 'frank'",
], ids=["idle", "too-old", "user-disabled"])
def test_a_session_that_ended_cannot_edit(v12, db, unchanged, ending):
    """The edit's own session check (session_actor_locking_cases) ends a
    session exactly as the check of every other call does."""
    last_modified = v12.last_modified(1013)
    db.execute(ending)
    response = v12.edit(1013, {"subject": "x"}, last_modified=last_modified)
    assert response.status_code == 401
    assert code_of(response) == "401-101"
    unchanged.check()


@pytest.mark.parametrize("dead", ["unknown", "user-disabled"])
def test_an_edit_with_a_dead_session_never_waits_for_the_case(v12, db, db_url, dead):
    """The session is checked in the statement that locks the case, and the
    lock is taken only for a session that opens the API: a dead one is a 401
    at once, not a 503 after waiting for a case another transaction holds."""
    headers = DEAD_SESSION
    if dead == "user-disabled":
        headers = v12.headers("frank")
        db.execute("UPDATE app_user SET disabled = true WHERE login = 'frank'")
    with psycopg.connect(db_url) as holder:
        holder.execute("SELECT 1 FROM support_case WHERE id = 1013 FOR UPDATE")
        response = v12.client.put("/ws/v12/interaction/case", data=EDIT + b'"subject": "x"}',
                                  content_type="application/json", headers=headers)
    assert response.status_code == 401
    assert code_of(response) == "401-101"


def test_a_session_is_not_held_by_its_edit_waiting_for_a_case(v12, app, db_url):
    """An edit checks its session inside its own transaction, which may wait
    for a case another transaction holds; the session's other requests (a
    read, another edit) go on meanwhile instead of queueing behind it."""
    headers = v12.headers("frank")
    answers = {}

    def edit(name):
        answers[name] = app.test_client().put(
            "/ws/v12/interaction/case", data=EDIT + b'"subject": "x"}', content_type="application/json",
            headers=headers).status_code

    with psycopg.connect(db_url) as holder:
        holder.execute("SELECT 1 FROM support_case WHERE id = 1013 FOR UPDATE")
        waiting = threading.Thread(target=edit, args=("waiting",))
        waiting.start()
        _wait_for_a_lock_wait(holder)
        read = app.test_client().get("/ws/v12/interaction/case/1002", headers=headers)
        other = v12.client.put("/ws/v12/interaction/case", headers=headers, json={
            "id": "1002", "lastModified": {"date": v12.last_modified(1002)}, "subject": "meanwhile"})
        holder.rollback()
        waiting.join()
    assert read.status_code == 200
    assert other.status_code == 204, other.get_data(as_text=True)
    assert answers["waiting"] == 409  # its stale lastModified, judged once the case was free


def _wait_for_a_lock_wait(conn) -> None:
    for _ in range(200):
        if conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock'").fetchone()[0]:
            return
        time.sleep(0.01)
    raise AssertionError("the edit never waited for the case")


@pytest.mark.parametrize("last_modified, status", [(None, 204), ("2015-01-01T00:00:00Z", 409)],
                         ids=["saved", "refused"])
def test_an_edit_counts_as_a_use_of_its_session_even_when_refused(v12, db, last_modified, status):
    session = v12.session("frank")
    last_modified = last_modified or v12.last_modified(1013)  # a read is a use too: read before aging
    db.execute("UPDATE auth_session SET last_used_at = last_used_at - interval '29 minutes'")
    response = v12.edit(1013, {"subject": "still here"}, last_modified=last_modified)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["X-egain-session"] == session
    db.execute("UPDATE auth_session SET last_used_at = last_used_at - interval '2 minutes'")
    assert v12.read(1013).status_code == 200
