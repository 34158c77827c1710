"""POST /oauth2/revoke (RFC 7009): a client ends its access token at once,
and the token is then refused everywhere, as an expired one is; the answer is
200 for a token that is unknown or revoked already; the client authenticates
as at the token endpoint, and cannot end another client's token."""

from __future__ import annotations

import base64

import pytest

from tests.api.clients import EgainV3Client

REVOKE = "/oauth2/revoke"
CASE = "/core/casemgr/v3/case/1013"


def basic_auth(client_id: str, secret: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def revoke(v3: EgainV3Client, token: str, headers: dict | None = None, **form):
    """Revokes ``token``; the crm client authenticates by HTTP Basic unless ``headers`` say otherwise."""
    return v3.client.post(REVOKE, data={"token": token, **form},
                          headers=basic_auth("crm", "crm-secret") if headers is None else headers)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}", "Accept-Language": "en-US", "Accept": "application/json"}


@pytest.fixture
def other_client(db):
    """A second OAuth client, other-app / other-secret, with the same scopes."""
    from casemgr.service.passwords import PasswordHashing

    db.execute("INSERT INTO oauth_client VALUES ('other-app', %s, '{core.casemgr.manage,app.core.casemgr.manage}')",
               (PasswordHashing("cheapest").hash("other-secret"),))
    return "other-app", "other-secret"


@pytest.mark.parametrize("user", ["frank", "client"], ids=["user-token", "client-token"])
def test_a_revoked_token_is_401_everywhere_it_opened_before(v3, user):
    token = v3.session(user)
    assert v3.client.get(CASE, headers=bearer(token)).status_code == 200
    response = revoke(v3, token)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    calls = {
        "read": lambda: v3.client.get(CASE, headers=bearer(token)),
        "edit": lambda: v3.client.patch("/core/casemgr/v3/case", json={"id": "1013", "subject": "x"},
                                        headers=bearer(token)),
        "history": lambda: v3.client.get(f"{CASE}/history", headers=bearer(token)),
        "feed": lambda: v3.client.get("/core/casemgr/v3/changes", headers=bearer(token)),
        "webhooks": lambda: v3.client.get("/core/casemgr/v3/webhooks", headers=bearer(token)),
    }
    for name, call in calls.items():
        refused = call()
        assert refused.status_code == 401, name
        assert refused.get_json()["code"] == "401-101", name
        assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"], name


def test_revoking_ends_that_token_only(v3, db):
    user_token, client_token = v3.session("frank"), v3.session("client")
    assert revoke(v3, user_token).status_code == 200
    assert db.execute("SELECT count(*) FROM oauth_token").fetchone()[0] == 1
    assert v3.client.get(CASE, headers=bearer(client_token)).status_code == 200


@pytest.mark.parametrize("token", ["made-up.AAAAAAAAAAAAAAAAAAAAAA", "not even a token", "x" * 500],
                         ids=["forged", "nonsense", "long"])
def test_a_token_the_service_never_issued_is_answered_200(v3, token):
    response = revoke(v3, token)
    assert response.status_code == 200
    assert response.get_json() == {}


def test_revoking_twice_or_an_expired_token_is_200(v3, db):
    token = v3.session("frank")
    assert revoke(v3, token).status_code == 200
    assert revoke(v3, token).status_code == 200
    expired = v3.token("alice").get_json()["access_token"]
    db.execute("UPDATE oauth_token SET expires_at = now() - interval '1 second'")
    assert revoke(v3, expired).status_code == 200


@pytest.mark.parametrize("hint", ["access_token", "refresh_token"])
def test_either_token_type_hint_finds_the_access_token(v3, hint):
    """RFC 7009 section 2.1: a token not found under the hint's type is
    searched among the others (the service has no refresh tokens)."""
    token = v3.session("frank")
    assert revoke(v3, token, token_type_hint=hint).status_code == 200
    assert v3.client.get(CASE, headers=bearer(token)).status_code == 401


def test_the_client_may_authenticate_with_form_fields(v3):
    token = v3.session("frank")
    response = revoke(v3, token, headers={}, client_id="crm", client_secret="crm-secret")
    assert response.status_code == 200
    assert v3.client.get(CASE, headers=bearer(token)).status_code == 401


@pytest.mark.parametrize("form, headers", [
    ({"client_id": "crm", "client_secret": "wrong"}, {}),
    ({"client_id": "nobody", "client_secret": "crm-secret"}, {}),
    ({}, {}),
    ({}, basic_auth("crm", "wrong")),
], ids=["wrong-secret", "unknown-client", "no-credentials", "basic-wrong-secret"])
def test_a_failed_client_authentication_is_invalid_client_and_revokes_nothing(v3, form, headers):
    token = v3.session("frank")
    response = revoke(v3, token, headers=headers, **form)
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"] == 'Basic realm="casemgr", charset="UTF-8"'
    assert v3.client.get(CASE, headers=bearer(token)).status_code == 200


def test_a_client_cannot_revoke_another_clients_token(v3, other_client):
    token = v3.session("frank")  # issued to crm
    response = revoke(v3, token, headers=basic_auth(*other_client))
    assert response.status_code == 400
    assert response.get_json() == {"error": "invalid_grant",
                                   "error_description": "The token was issued to another client."}
    assert v3.client.get(CASE, headers=bearer(token)).status_code == 200


@pytest.mark.parametrize("send, description", [
    (lambda c: c.post(REVOKE, data={"token_type_hint": "access_token"}, headers=basic_auth("crm", "crm-secret")),
     "Missing 'token': the access token to revoke."),
    (lambda c: c.post(REVOKE, json={"token": "x"}, headers=basic_auth("crm", "crm-secret")),
     "The revocation request must be sent as application/x-www-form-urlencoded, not as application/json."),
    (lambda c: c.post(REVOKE, data="token=a&token=b", content_type="application/x-www-form-urlencoded",
                      headers=basic_auth("crm", "crm-secret")),
     "Parameter 'token' may be given once."),
], ids=["no-token", "json", "repeated"])
def test_a_malformed_revocation_is_invalid_request(v3, send, description):
    response = send(v3.client)
    assert response.status_code == 400
    assert response.get_json() == {"error": "invalid_request", "error_description": description}


def test_an_unknown_token_type_hint_is_unsupported_token_type(v3):
    token = v3.session("frank")
    response = revoke(v3, token, token_type_hint="id_token")
    assert response.status_code == 400
    assert response.get_json() == {"error": "unsupported_token_type", "error_description":
                                   "token_type_hint 'id_token' is not supported; use access_token (or leave it out)."}
    assert v3.client.get(CASE, headers=bearer(token)).status_code == 200


def test_a_hint_is_echoed_in_printable_ascii_only(v3):
    response = revoke(v3, v3.session("frank"), token_type_hint='r\u00e9fresh"\\')
    assert response.status_code == 400
    assert response.get_json()["error_description"] == (
        "token_type_hint 'r?fresh??' is not supported; use access_token (or leave it out).")


def test_revoke_takes_post_only(v3):
    response = v3.client.get(REVOKE, headers=basic_auth("crm", "crm-secret"))
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"OPTIONS", "POST"}
