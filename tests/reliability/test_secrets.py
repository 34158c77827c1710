"""Sessions and tokens: only hashes stored, and no password, session id,
bearer token or touchpoint token ever reaches a log line."""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.parse

import pytest

from tests.reliability.figures import record_figure

pytestmark = pytest.mark.slow


def test_no_secret_reaches_the_server_log(module_server, module_db):
    server = module_server
    secrets = {"frank-pass", "crm-secret", "web-token", "john-pass"}

    session = server.login("frank")
    secrets.add(session)
    server.request("GET", "/ws/v12/interaction/case/1013", headers={"X-egain-session": session})
    server.request("GET", f"/ws/v12/interaction/case/1013?X-egain-session={session}")  # refused: 401

    form = urllib.parse.urlencode({"grant_type": "password", "username": "frank", "password": "frank-pass",
                                   "client_id": "crm", "client_secret": "crm-secret"}).encode()
    token = server.request("POST", "/oauth2/token", form,
                           {"Content-Type": "application/x-www-form-urlencoded"}).json()["access_token"]
    secrets.add(token)
    server.request("GET", "/core/casemgr/v3/case/1013",
                   headers={"Authorization": f"Bearer {token}", "Accept-Language": "en-US"})
    server.request("GET", f"/core/casemgr/v3/case/1013?access_token={token}", headers={"Accept-Language": "en-US"})

    basic = base64.b64encode(b"john@example.com:john-pass").decode()
    server.request("GET", "/api/v4/cases/1013?touchpoint=web&token=web-token",
                   headers={"Authorization": f"Basic {basic}"})
    signin = server.request("POST", "/api/v4/signin?touchpoint=web&token=web-token",
                            json.dumps({"principal": "john@example.com", "password": "john-pass"}).encode(),
                            {"Content-Type": "application/json"})
    cookie = signin.headers.get("Set-Cookie", "").split(";")[0].split("=", 1)[-1]
    if cookie:
        secrets.add(cookie)
    secrets.add(basic)

    log = server.log_path.read_text("utf-8", errors="replace")
    lines = log.count("\n")
    leaked = sorted(s for s in secrets if s and s in log)
    record_figure("secrets", f"{len(secrets)} secrets used over v12, v3 and v4; {lines} server log lines; "
                             f"{len(leaked)} found in the log")
    assert lines > 5, "the server logged nothing: the check would prove nothing"
    assert '"path": "/ws/v12/interaction/case/1013"' in log
    assert not leaked


def test_only_hashes_of_sessions_and_tokens_are_stored(module_server, module_db):
    server = module_server
    session = server.login("alice")
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": "crm",
                                   "client_secret": "crm-secret"}).encode()
    token = server.request("POST", "/oauth2/token", form,
                           {"Content-Type": "application/x-www-form-urlencoded"}).json()["access_token"]
    stored = {bytes(r[0]) for r in module_db.execute(
        "SELECT token_hash FROM auth_session UNION ALL SELECT token_hash FROM oauth_token")}
    assert hashlib.sha256(session.encode()).digest() in stored
    assert hashlib.sha256(token.encode()).digest() in stored
    dump = b"".join(stored) + str(module_db.execute("SELECT * FROM auth_session").fetchall()).encode()
    assert session.encode() not in dump and token.encode() not in dump
    passwords = [r[0] for r in module_db.execute("SELECT password_hash FROM app_user")]
    assert all(p.startswith("$argon2") for p in passwords)
