"""One way in for the three APIs: issued credentials carry a keyed tag,
guessing is throttled in Postgres, an unknown principal answers like a wrong
password, HTTP Basic is remembered but never past a change, session caps
hold for users and parties alike."""

from __future__ import annotations

import time

import pytest

from tests.api.thalamus_v4_client import TOUCHPOINT, ThalamusV4Client, basic

V12_LOGIN = "/ws/v12/authentication/user/login"


def v12_login(client, user, password, address="127.0.0.1"):
    return client.post(V12_LOGIN, json={"userName": user, "password": password},
                       headers={"Accept": "application/json"}, environ_base={"REMOTE_ADDR": address})


def token(client, address="127.0.0.1", **form):
    return client.post("/oauth2/token", data=form, environ_base={"REMOTE_ADDR": address})


def thalamus_basic_read(client, principal, password, address="127.0.0.1"):
    return client.get("/api/v4/cases/1013", headers={**TOUCHPOINT, **basic(principal, password)},
                      environ_base={"REMOTE_ADDR": address})


def thalamus_signin(client, principal, password, address="127.0.0.1"):
    return client.post("/api/v4/signin", headers=TOUCHPOINT, json={"principal": principal, "password": password},
                       environ_base={"REMOTE_ADDR": address})


# Every credential path: (name, attempt with a password, what success looks like).
PATHS = {
    "v12 login": (lambda c, pw, **kw: v12_login(c, "frank", pw, **kw), 204),
    "v3 password grant": (lambda c, pw, **kw: token(c, grant_type="password", username="frank", password=pw,
                                                    client_id="crm", client_secret="crm-secret", **kw), 200),
    "v3 client credentials": (lambda c, pw, **kw: token(c, grant_type="client_credentials", client_id="crm",
                                                        client_secret="crm-secret" if pw == "frank-pass" else pw, **kw), 200),
    "v4 signin": (lambda c, pw, **kw: thalamus_signin(c, "frank", pw, **kw), 200),
    "v4 basic": (lambda c, pw, **kw: thalamus_basic_read(c, "frank", pw, **kw), 200),
}


# -- the tag of issued credentials ------------------------------------------

def test_issued_session_ids_and_tokens_carry_a_tag_and_a_forged_one_is_refused(v12, v3, client):
    session = v12.session("frank")
    body, tag = session.split(".")
    assert len(tag) == 22  # 16 bytes, base64url
    forged = f"{body}.{'A' * 22}"
    assert client.get("/ws/v12/interaction/case/1013", headers={"X-egain-session": forged}).status_code == 401
    assert client.get("/ws/v12/interaction/case/1013", headers={"X-egain-session": session}).status_code == 200

    access = v3.token(client_id="crm", client_secret="crm-secret").get_json()["access_token"]
    assert access.count(".") == 1
    bad = access[:-2] + ("AA" if not access.endswith("AA") else "BB")
    headers = {"Accept-Language": "en-US"}
    assert client.get("/core/casemgr/v3/case/1013", headers={**headers, "Authorization": f"Bearer {bad}"}
                      ).status_code == 401
    assert client.get("/core/casemgr/v3/case/1013", headers={**headers, "Authorization": f"Bearer {access}"}
                      ).status_code == 200


def test_a_credential_with_a_character_never_issued_is_refused_like_any_forged_one(client, v3):
    """Issued ids and tokens are ASCII: anything else is a forgery, 401 (not a 500)."""
    headers = {"Accept-Language": "en-US"}
    assert client.get("/ws/v12/interaction/case/1013", headers={"X-egain-session": "abc.\u00e9"}).status_code == 401
    assert client.get("/core/casemgr/v3/case/1013", headers={**headers, "Authorization": "Bearer abc.\u00e9"}
                      ).status_code == 401
    revoked = client.post("/oauth2/revoke", data={"token": "abc.\u00e9", "client_id": "crm",
                                                   "client_secret": "crm-secret"})
    assert revoked.status_code == 200


@pytest.mark.parametrize("body, content_type", [
    (b"<case>" + b"<x/>" * 250_000 + b"</case>", "application/xml"),
    (b"{not json", "application/json"),
])
def test_a_forged_session_is_401_before_its_body_is_looked_at(client, unchanged, body, content_type):
    response = client.put("/ws/v12/interaction/case", data=body, headers={
        "X-egain-session": "made-up.AAAAAAAAAAAAAAAAAAAAAA", "Content-Type": content_type,
        "Accept": "application/json"})
    assert response.status_code == 401
    assert response.get_json()["code"] == "401-101"
    unchanged.check()


def test_a_session_from_another_database_key_is_refused(v12, client, db):
    session = v12.session("frank")
    db.execute("UPDATE server_key SET key = decode(repeat('ab', 32), 'hex')")
    from casemgr import create_app
    from casemgr.config import Settings

    other = create_app(Settings(database_url=client.application.config["CASEMGR"].database_url, pool_size=2))
    try:
        answer = other.test_client().get("/ws/v12/interaction/case/1013", headers={"X-egain-session": session})
        assert answer.status_code == 401
    finally:
        other.extensions["casemgr.database"].close()


# -- throttling ---------------------------------------------------------------

@pytest.mark.parametrize("path", list(PATHS))
def test_the_eleventh_attempt_after_ten_failures_is_429_even_with_the_right_password(app_with, path):
    client = app_with()
    attempt, success = PATHS[path]
    for _ in range(10):
        assert attempt(client, "wrong-pass").status_code in (400, 401)
    refused = attempt(client, "frank-pass")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    body = refused.get_json()
    if path.startswith("v3"):
        assert body["error"] == "temporarily_unavailable"
    elif path.startswith("v4"):
        assert body["errors"]["principal"] == "TooManyAttempts"
    else:
        assert body["code"] == "429-9001"
    # Another address is not held to this account-and-address limit.
    assert attempt(client, "frank-pass", address="127.0.0.9").status_code == success


def test_the_429_is_in_xml_for_an_xml_client(app_with):
    client = app_with(throttle_per_account_and_address=1)
    v12_login(client, "frank", "wrong")
    refused = client.post(V12_LOGIN, data=b"<user><userName>frank</userName><password>frank-pass</password></user>",
                          headers={"Content-Type": "application/xml", "Accept": "application/xml"})
    assert refused.status_code == 429
    assert b"<code>429-9001</code>" in refused.data


def test_nothing_is_locked_for_good_the_window_passes(app_with):
    client = app_with(throttle_window_seconds=2, throttle_per_account_and_address=2)
    for _ in range(2):
        assert v12_login(client, "frank", "wrong").status_code == 401
    assert v12_login(client, "frank", "frank-pass").status_code == 429
    time.sleep(2.2)
    assert v12_login(client, "frank", "frank-pass").status_code == 204


def test_an_account_is_held_to_its_limit_from_every_address(app_with):
    client = app_with(throttle_per_account=4)
    for n in range(4):
        v12_login(client, "frank", "wrong", address=f"10.0.0.{n + 1}")
    assert v12_login(client, "frank", "frank-pass", address="10.0.0.99").status_code == 429
    assert v12_login(client, "alice", "alice-pass", address="10.0.0.99").status_code == 204


def test_an_address_is_held_to_its_limit_for_every_account(app_with):
    client = app_with(throttle_per_address=4)
    for login in ("nobody1", "nobody2", "frank", "alice"):
        v12_login(client, login, "wrong", address="10.1.1.1")
    assert v12_login(client, "bob", "bob-pass", address="10.1.1.1").status_code == 429
    assert v12_login(client, "bob", "bob-pass", address="10.1.1.2").status_code == 204


def test_x_forwarded_for_counts_only_behind_a_trusted_proxy(app_with):
    untrusted = app_with(throttle_per_account_and_address=2)
    for n in range(2):
        untrusted.post(V12_LOGIN, json={"userName": "frank", "password": "wrong"},
                       headers={"X-Forwarded-For": f"192.0.2.{n}"})
    # The spoofed header changed nothing: both failures came from 127.0.0.1.
    assert v12_login(untrusted, "frank", "frank-pass").status_code == 429

    trusted = app_with(throttle_per_account_and_address=2, trusted_proxies="127.0.0.0/8")
    for _ in range(2):
        trusted.post(V12_LOGIN, json={"userName": "alice", "password": "wrong"},
                     headers={"X-Forwarded-For": "198.51.100.7"})
    assert trusted.post(V12_LOGIN, json={"userName": "alice", "password": "alice-pass"},
                        headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 429
    assert trusted.post(V12_LOGIN, json={"userName": "alice", "password": "alice-pass"},
                        headers={"X-Forwarded-For": "198.51.100.8"}).status_code == 204


# -- an unknown principal answers like a wrong password -----------------------

@pytest.mark.parametrize("path, unknown, wrong", [
    ("v12 login", lambda c: v12_login(c, "nosuchuser", "x"), lambda c: v12_login(c, "frank", "x")),
    ("v3 password grant",
     lambda c: token(c, grant_type="password", username="nosuchuser", password="x", client_id="crm",
                     client_secret="crm-secret"),
     lambda c: token(c, grant_type="password", username="frank", password="x", client_id="crm",
                     client_secret="crm-secret")),
    ("v3 client", lambda c: token(c, grant_type="client_credentials", client_id="nosuchapp", client_secret="x"),
     lambda c: token(c, grant_type="client_credentials", client_id="crm", client_secret="x")),
    ("v4 signin", lambda c: thalamus_signin(c, "nosuchuser", "x"), lambda c: thalamus_signin(c, "frank", "x")),
    ("v4 basic", lambda c: thalamus_basic_read(c, "nosuchuser", "x"), lambda c: thalamus_basic_read(c, "frank", "x")),
])
def test_an_unknown_principal_gets_the_answer_of_a_wrong_password(client, path, unknown, wrong):
    a, b = unknown(client), wrong(client)
    assert a.status_code == b.status_code
    assert a.get_json() == b.get_json()
    assert a.headers.get("WWW-Authenticate") == b.headers.get("WWW-Authenticate")


# -- HTTP Basic: remembered, never past a change ------------------------------

def test_basic_is_refused_once_the_account_is_disabled_or_its_password_changed(client, db):
    thalamus = ThalamusV4Client(client)
    assert thalamus.read(1013).status_code == 200
    assert thalamus.read(1013).status_code == 200  # remembered now
    db.execute("UPDATE app_user SET disabled = true WHERE login = 'frank'")
    assert thalamus.read(1013).status_code == 401
    db.execute("UPDATE app_user SET disabled = false WHERE login = 'frank'")
    assert thalamus.read(1013).status_code == 200
    from casemgr.service.passwords import PasswordHashing

    db.execute("UPDATE app_user SET password_hash = %s WHERE login = 'frank'",
               (PasswordHashing("cheapest").hash("new-pass"),))
    assert thalamus.read(1013).status_code == 401
    assert client.get("/api/v4/cases/1013", headers={**TOUCHPOINT, **basic("frank", "new-pass")}).status_code == 200


def test_basic_with_a_wrong_touchpoint_is_the_touchpoints_401_first(client):
    response = client.get("/api/v4/cases/1013", headers={
        "Thalamus-Touchpoint": "web", "Thalamus-Token": "wrong", **basic("frank", "wrong")})
    assert response.status_code == 401
    assert response.get_json()["errors"]["token"] == "InvalidToken"


def test_a_cookie_that_was_never_issued_counts_as_no_login(client):
    client.set_cookie("thalamus_session", "made-up.AAAAAAAAAAAAAAAAAAAAAA", path="/api/v4")
    response = client.get("/api/v4/cases/1013", headers=TOUCHPOINT)
    assert response.status_code == 401
    assert response.get_json()["errors"]["principal"] == "LoginRequired"


# -- session caps ---------------------------------------------------------------

def test_a_party_holds_at_most_five_thalamus_sessions_the_sixth_signin_ends_the_oldest(client, db):
    for _ in range(7):
        assert thalamus_signin(client, "john@example.com", "john-pass").status_code == 200
    (live,) = db.execute("SELECT count(*) FROM auth_session s JOIN customer c ON c.id = s.customer_id "
                         "WHERE c.email = 'john@example.com'").fetchone()
    assert live == 5


def test_basic_pairs_are_remembered_by_a_keyed_hash_never_the_password(app):
    from casemgr.service.credentials import VerifiedPassword

    pairs = app.extensions["casemgr"].auth.passwords.pairs
    pairs.put("frank", "frank-pass", VerifiedPassword("frank", 1, None, "hash"))
    assert all(b"frank-pass" not in key for key in pairs._entries)
    assert pairs.get("frank", "frank-pass") is not None
    assert pairs.get("frank", "other") is None


def test_a_token_is_issued_whatever_host_the_request_names(client):
    """TLS is terminated in front of the service: Authlib's own https check
    used to turn every token request to a non-local Host into a 500."""
    answer = client.post("/oauth2/token", base_url="http://10.1.2.3", data={
        "grant_type": "client_credentials", "client_id": "crm", "client_secret": "crm-secret"})
    assert answer.status_code == 200, answer.get_data(as_text=True)


def test_behind_a_trusted_proxy_that_terminates_tls_the_session_cookie_is_secure(app_with):
    plain = app_with()
    answer = thalamus_signin(plain, "frank", "frank-pass")
    assert "Secure" not in answer.headers["Set-Cookie"]
    proxied = app_with(trusted_proxies="127.0.0.1")
    answer = proxied.post("/api/v4/signin", headers={**TOUCHPOINT, "X-Forwarded-Proto": "https"},
                          json={"principal": "frank", "password": "frank-pass"})
    assert "Secure" in answer.headers["Set-Cookie"]
