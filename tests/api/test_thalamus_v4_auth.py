"""Thalamus v4 callers: the touchpoint and its token on every call, and an
operator or party login (signin cookie or HTTP Basic) on calls on cases."""

from __future__ import annotations

import hashlib

import pytest

from tests.api.thalamus_v4_client import BASE, TOUCHPOINT, ThalamusV4Client, basic, error_body, errors_of

INVALID_TOKEN = error_body("token", "InvalidToken", "Unknown touchpoint or token.")
LOGIN_REQUIRED = error_body(
    "principal", "LoginRequired", "An operator or party login is required (session cookie or HTTP Basic)."
)
INVALID_CREDENTIALS = error_body("principal", "InvalidCredentials", "Invalid user name or password.")


@pytest.fixture
def v4(client):
    return ThalamusV4Client(client)


# -- touchpoint ------------------------------------------------------------

@pytest.mark.parametrize("touchpoint", [
    {},
    {"Thalamus-Touchpoint": "web"},
    {"Thalamus-Touchpoint": "web", "Thalamus-Token": "wrong-token"},
    {"Thalamus-Touchpoint": "kiosk", "Thalamus-Token": "web-token"},
    {"Thalamus-Token": "web-token"},
], ids=["none", "no-token", "wrong-token", "unknown-touchpoint", "no-touchpoint"])
def test_an_unknown_touchpoint_and_token_pair_is_401_invalid_token(client, touchpoint):
    for path in ("/cases/1013", "/cases/typecategory", "/logout"):
        response = client.get(f"{BASE}{path}", headers={**touchpoint, **basic("frank")})
        assert errors_of(response, 401) == INVALID_TOKEN
    assert errors_of(client.post(f"{BASE}/signin", headers=touchpoint,
                                 json={"principal": "frank", "password": "frank-pass"}), 401) == INVALID_TOKEN


def test_the_touchpoint_may_come_as_query_parameters(client):
    response = client.get(f"{BASE}/cases/1013?touchpoint=web&token=web-token", headers=basic("frank"))
    assert response.status_code == 200, response.get_data(as_text=True)


def test_other_query_parameters_are_refused(client):
    response = client.get(f"{BASE}/cases/1013?touchpoint=web&token=web-token&expand=all", headers=basic("frank"))
    assert errors_of(response) == error_body(
        "query", "UnsupportedParameter", "Unsupported query parameter(s) supplied: 'expand'.")


# -- principal --------------------------------------------------------------

def test_a_call_on_a_case_without_a_principal_is_401_login_required(v4, unchanged):
    assert errors_of(v4.read(1013, principal=None), 401) == LOGIN_REQUIRED
    response = v4.update(1013, {"categoryCode": "Reclamo", "typeCode": "Telefonico"}, principal=None)
    assert errors_of(response, 401) == LOGIN_REQUIRED
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert errors_of(v4.create({"categoryCode": "Reclamo", "typeCode": "Telefonico"}, principal=None), 401) \
        == LOGIN_REQUIRED
    unchanged.check()


@pytest.mark.parametrize("principal, password", [("frank", "wrong"), ("nobody", "x"), ("eve", "eve-pass"),
                                                 ("john@example.com", "mary-pass")],
                         ids=["wrong-password", "unknown", "disabled-operator", "party-wrong-password"])
def test_wrong_http_basic_credentials_are_401(v4, principal, password):
    response = v4.read(1013, principal=None, **basic(principal, password))
    assert errors_of(response, 401) == INVALID_CREDENTIALS


@pytest.mark.parametrize("principal", ["frank", "frank@example.com", "john@example.com"],
                         ids=["operator-login", "operator-email", "party-email"])
def test_http_basic_works_for_operators_and_parties(v4, principal):
    assert v4.read(1013, principal=principal).status_code == 200


def test_the_typecategory_catalogue_needs_the_touchpoint_only(client):
    response = client.get(f"{BASE}/cases/typecategory", headers=TOUCHPOINT)
    assert response.status_code == 200, response.get_data(as_text=True)
    entries = {(e["caseCategoryCode"], e["caseTypeCode"]): e for e in response.get_json()["caseTypeCategories"]}
    assert ("Sistema", "Interno") not in entries  # a system category holds no case
    assert entries[("Case6534", "Casetype6534")] == {
        "caseTypeCode": "Casetype6534", "caseTypeName": "Case type 6534",
        "caseCategoryCode": "Case6534", "caseCategoryName": "Case 6534", "defaultAnswer": "",
        "fields": [{"name": "Boolean6534", "type": "boolean"}, {"name": "Decimal6534", "type": "decimal"},
                   {"name": "Number6534", "type": "number"}],
    }


# -- signin, cookie, logout -------------------------------------------------

def test_an_operator_signs_in_and_the_cookie_opens_the_calls_on_cases(v4):
    response = v4.signin("frank")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"context": {"simpleProfile": {"firstname": "Frank", "email": "frank@example.com"}}}
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("thalamus_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/api/v4" in cookie
    assert v4.read(1013, principal=None).status_code == 200


def test_a_party_signs_in_by_email_and_sees_only_its_own_cases(v4):
    response = v4.signin("john@example.com")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["context"] == {"simpleProfile": {"firstname": "John", "email": "john@example.com"}}
    assert v4.read(1013, principal=None).status_code == 200
    assert errors_of(v4.read(1008, principal=None))["errors"]["case"] == "invalidId"


@pytest.mark.parametrize("principal, password", [("frank", "wrong"), ("mary@example.com", "john-pass")])
def test_a_bad_signin_is_401_and_sets_no_cookie(v4, principal, password):
    response = v4.signin(principal, password)
    assert errors_of(response, 401) == INVALID_CREDENTIALS
    assert "Set-Cookie" not in response.headers


def test_only_a_hash_of_the_session_id_is_stored(v4, db):
    v4.signin("mary@example.com")
    session_id = v4.client.get_cookie("thalamus_session", path="/api/v4").value
    rows = db.execute("SELECT token_hash, api, user_id, customer_id FROM auth_session").fetchall()
    assert rows == [(hashlib.sha256(session_id.encode()).digest(), "thalamus-v4", None, 2002)]


def test_logout_ends_the_cookie_session(v4, db):
    v4.signin("frank")
    response = v4.logout()
    assert response.status_code == 204
    assert db.execute("SELECT count(*) FROM auth_session").fetchone()[0] == 0
    assert errors_of(v4.read(1013, principal=None), 401) == LOGIN_REQUIRED


def test_a_session_whose_cookie_was_kept_after_logout_no_longer_opens_anything(v4):
    v4.signin("frank")
    session_id = v4.client.get_cookie("thalamus_session", path="/api/v4").value
    v4.logout()
    v4.client.set_cookie("thalamus_session", session_id, path="/api/v4")
    assert errors_of(v4.read(1013, principal=None), 401) == LOGIN_REQUIRED


def test_an_egain_session_id_does_not_open_thalamus(v4, v12):
    v4.client.set_cookie("thalamus_session", v12.session("frank"), path="/api/v4")
    assert errors_of(v4.read(1013, principal=None), 401) == LOGIN_REQUIRED
