"""eGain Case Manager v3: OAuth 2 tokens, scopes, Accept-Language, the
closed-case edit, multi-case close, and the cross-API lastModified."""

from __future__ import annotations

import base64
import hashlib

import pytest


def code_of(response) -> str:
    return response.get_json()["code"]


# -- the token endpoint ------------------------------------------------------

def test_client_credentials_give_a_client_token_with_the_app_manage_scope(v3):
    response = v3.token()
    assert response.status_code == 200
    token = response.get_json()
    assert token["token_type"] == "Bearer"
    assert token["scope"] == "app.core.casemgr.manage"
    assert token["expires_in"] == 3600


def test_the_password_grant_gives_a_user_token_with_the_manage_scope(v3):
    response = v3.token("frank")
    assert response.status_code == 200
    assert response.get_json()["scope"] == "core.casemgr.manage"


def test_the_password_grant_gives_user_scopes_only(v3, db):
    """A user's token never carries the client's own scope, asked for or not."""
    for scope in ("app.core.casemgr.manage", "core.casemgr.manage app.core.casemgr.manage"):
        response = v3.token("frank", scope=scope)
        assert response.status_code == 400, scope
        assert response.get_json() == {
            "error": "invalid_scope",
            "error_description": "The password grant gives user scopes only; of this client's, it may give: "
                                 "core.casemgr.manage."}
    assert db.execute("SELECT count(*) FROM oauth_token").fetchone()[0] == 0
    asked = v3.token("frank", scope="core.casemgr.manage")
    assert asked.status_code == 200 and asked.get_json()["scope"] == "core.casemgr.manage"


def test_client_credentials_give_client_scopes_only(v3):
    response = v3.token(scope="core.casemgr.manage")
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "invalid_scope",
        "error_description": "The client_credentials grant gives client scopes only; of this client's, it may give: "
                             "app.core.casemgr.manage."}
    asked = v3.token(scope="app.core.casemgr.manage")
    assert asked.status_code == 200 and asked.get_json()["scope"] == "app.core.casemgr.manage"


def test_client_authentication_by_http_basic_works_too(v3):
    basic = base64.b64encode(b"crm:crm-secret").decode()
    response = v3.client.post("/oauth2/token", data={"grant_type": "client_credentials"},
                              headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200


def basic_auth(client_id: str, secret: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


@pytest.mark.parametrize("form, headers", [
    ({"client_id": "crm", "client_secret": "wrong"}, {}),
    ({"client_id": "nobody", "client_secret": "crm-secret"}, {}),
    ({"client_id": "crm"}, {}),
    ({}, {}),
    ({}, basic_auth("crm", "wrong")),
    ({}, basic_auth("nobody", "crm-secret")),
], ids=["wrong-secret", "unknown-client", "no-secret", "no-credentials", "basic-wrong-secret", "basic-unknown-client"])
@pytest.mark.parametrize("grant", ["client_credentials", "password"])
def test_every_failed_client_authentication_is_one_and_the_same_invalid_client(v3, form, headers, grant):
    data = {"grant_type": grant, "username": "frank", "password": "frank-pass", **form}
    response = v3.client.post("/oauth2/token", data=data, headers=headers)
    assert response.status_code == 401
    assert response.get_json() == {
        "error": "invalid_client",
        "error_description": "Client authentication failed: send the client's id and secret by HTTP Basic, or "
                             "as the client_id and client_secret form fields."}
    assert response.headers["WWW-Authenticate"] == 'Basic realm="casemgr", charset="UTF-8"'
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("send", [
    lambda client: client.post("/oauth2/token", json={"grant_type": "client_credentials", "client_id": "crm",
                                                      "client_secret": "crm-secret"}),
    lambda client: client.post("/oauth2/token", data="grant_type=client_credentials", content_type="text/plain",
                               headers=basic_auth("crm", "crm-secret")),
    lambda client: client.post("/oauth2/token", headers=basic_auth("crm", "crm-secret")),
], ids=["json", "text", "no-body"])
def test_a_token_request_that_is_not_a_form_is_invalid_request(v3, send):
    response = send(v3.client)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_request"
    assert "application/x-www-form-urlencoded" in body["error_description"]


def test_a_token_request_without_grant_type_is_invalid_request(v3):
    response = v3.client.post("/oauth2/token", data={"client_id": "crm", "client_secret": "crm-secret"})
    assert response.status_code == 400
    assert response.get_json() == {"error": "invalid_request",
                                   "error_description": "Missing 'grant_type': use client_credentials or password."}


def test_an_unknown_grant_type_is_unsupported(v3):
    response = v3.token(grant_type="authorization_code")
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "unsupported_grant_type",
        "error_description": "This grant_type is not supported; use client_credentials or password."}


def test_a_password_grant_without_username_names_the_missing_field(v3):
    response = v3.client.post("/oauth2/token", data={"grant_type": "password", "password": "x",
                                                     "client_id": "crm", "client_secret": "crm-secret"})
    assert response.status_code == 400
    assert response.get_json() == {"error": "invalid_request", "error_description": "Missing 'username' in request."}


@pytest.mark.parametrize("user, password", [("frank", "wrong"), ("eve", "eve-pass")], ids=["wrong-password", "disabled"])
def test_a_bad_user_login_is_invalid_grant(v3, user, password):
    response = v3.token(user, password)
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_grant"


def test_only_a_hash_of_each_token_is_stored(v3, db):
    token = v3.session("frank")
    stored = [bytes(r[0]) for r in db.execute("SELECT token_hash FROM oauth_token")]
    assert stored == [hashlib.sha256(token.encode()).digest()]


# -- using tokens ------------------------------------------------------------

@pytest.mark.parametrize("authorization", [None, "Bearer nonsense", "Basic Y3JtOmNybS1zZWNyZXQ="],
                         ids=["missing", "unknown", "not-bearer"])
def test_a_missing_or_bad_bearer_token_is_401_101(v3, authorization):
    headers = {"Accept-Language": "en-US"}
    if authorization:
        headers["Authorization"] = authorization
    response = v3.client.get("/core/casemgr/v3/case/1013", headers=headers)
    assert response.status_code == 401
    body = response.get_json()
    assert body["code"] == "401-101"
    assert body["developerMessage"] == "Invalid or expired 'Authorization' header provided. New login is required."


@pytest.mark.parametrize("authorization, challenge", [
    (None, 'Bearer realm="casemgr"'),
    ("Basic Y3JtOmNybS1zZWNyZXQ=", 'Bearer realm="casemgr"'),
    ("Bearer nonsense", 'Bearer realm="casemgr", error="invalid_token", '
                        'error_description="The access token is invalid or expired."'),
], ids=["no-token", "not-bearer", "unknown-token"])
@pytest.mark.parametrize("call", ["read", "edit", "close"])
def test_every_v3_401_challenges_for_a_bearer_token(v3, authorization, challenge, call):
    """RFC 6750 section 3: invalid_token only when a token was sent."""
    headers = {"Accept-Language": "en-US", **({"Authorization": authorization} if authorization else {})}
    response = {
        "read": lambda: v3.client.get("/core/casemgr/v3/case/1013", headers=headers),
        "edit": lambda: v3.client.patch("/core/casemgr/v3/case", json={"id": "1013", "subject": "x"}, headers=headers),
        "close": lambda: v3.client.put("/core/casemgr/v3/case/1013/close", headers=headers),
    }[call]()
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == challenge


def test_an_expired_token_is_an_invalid_token_challenge(v3, db):
    v3.session("frank")
    db.execute("UPDATE oauth_token SET expires_at = now() - interval '1 second'")
    response = v3.read(1013)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_v12_401s_carry_no_bearer_challenge(v12):
    response = v12.client.get("/ws/v12/interaction/case/1013", headers={"X-egain-session": "nonsense"})
    assert response.status_code == 401
    assert "Bearer" not in response.headers.get("WWW-Authenticate", "")


def test_an_expired_token_is_401(v3, db):
    v3.session("frank")
    db.execute("UPDATE oauth_token SET expires_at = now() - interval '1 second'")
    assert v3.read(1013).status_code == 401


def test_a_token_of_a_user_disabled_since_is_401(v3, db):
    v3.session("alice")
    db.execute("UPDATE app_user SET disabled = true WHERE login = 'alice'")
    assert v3.read(1002, user="alice").status_code == 401


def test_a_token_without_the_manage_scope_is_403_197(v3, db):
    from casemgr.service.passwords import PasswordHashing

    db.execute("INSERT INTO oauth_client VALUES ('viewer-app', %s, '{app.core.casemgr.view}')",
               (PasswordHashing("cheapest").hash("s3cret"),))
    response = v3.token(client_id="viewer-app", client_secret="s3cret")
    assert response.status_code == 200
    assert response.get_json()["scope"] == "app.core.casemgr.view"
    token = response.get_json()["access_token"]
    read = v3.client.get("/core/casemgr/v3/case/1013",
                         headers={"Authorization": f"Bearer {token}", "Accept-Language": "en-US"})
    assert read.status_code == 403
    assert code_of(read) == "403-197"
    assert read.headers["WWW-Authenticate"] == (
        'Bearer realm="casemgr", error="insufficient_scope", '
        'error_description="The access token grants neither app.core.casemgr.manage nor core.casemgr.manage."')


@pytest.mark.parametrize("language", [None, "xx-XX", "en;q=0"], ids=["missing", "unknown", "refused"])
def test_accept_language_is_required_and_must_find_one_of_the_15(v3, language):
    headers = {"Authorization": f"Bearer {v3.session('frank')}"}
    if language:
        headers["Accept-Language"] = language
    response = v3.client.get("/core/casemgr/v3/case/1013", headers=headers)
    assert response.status_code == 406
    assert code_of(response) == "406-100"


@pytest.mark.parametrize("language", ["en-US", "ja-JP", "sv-SE", "pt-BR"])
def test_each_supported_language_is_accepted(v3, language):
    assert v3.read(1013, **{"Accept-Language": language}).status_code == 200


# -- client tokens: no user permissions, every data rule -----------------------

def test_a_client_token_edits_a_case_no_user_of_its_department_could_reach(v3, unchanged):
    # 1006 is in Legal, owned by carol: frank cannot even read it
    assert v3.read(1006, user="frank").status_code == 404
    last_modified = v3.read_case(1006, user="client")["lastModified"]
    assert v3.edit(1006, {"subject": "x"}, user="frank", last_modified=last_modified).status_code == 403
    response = v3.edit(1006, {"subject": "edited by the crm client"}, user="client", last_modified=last_modified)
    assert response.status_code == 204
    assert v3.read_case(1006, user="client")["subject"] == "edited by the crm client"


def test_a_client_token_cannot_assign_to_a_disabled_user(v3, unchanged):
    response = v3.edit(1013, {"owner": {"user": {"id": "1006"}}}, user="client")
    assert response.status_code == 400
    assert code_of(response) == "400-9013"
    unchanged.check()


def test_a_client_edit_records_the_client_in_history(v3, db):
    assert v3.edit(1013, {"subject": "by client"}, user="client").status_code == 204
    assert db.execute("SELECT actor_user_id, actor_client_id, api FROM case_history WHERE api <> 'load'").fetchall() == [
        (None, "crm", "egain-v3")]


# -- across APIs -------------------------------------------------------------

def test_an_edit_through_v3_makes_the_v12_last_modified_stale(v3, v12):
    old = v12.last_modified(1013)
    assert v3.edit(1013, {"subject": "through v3"}).status_code == 204
    assert v12.last_modified(1013) == v3.last_modified(1013) != old
    response = v12.edit(1013, {"subject": "through v12"}, last_modified=old)
    assert response.status_code == 409
    assert response.get_json()["code"] == "409-100"


def test_the_v3_read_shows_last_modified_as_a_string_and_v3_hrefs(v3):
    case = v3.read_case(1013)
    assert isinstance(case["lastModified"], str)
    assert case["relatedCases"]["link"] == [{"rel": "case", "href": "/core/casemgr/v3/case/1001"}]


def test_a_v12_href_is_not_a_v3_case_link(v3, unchanged):
    response = v3.edit(1013, {"relatedCases": {"link": [
        {"rel": "case", "href": "/system/ws/v12/interaction/case/1002"}]}})
    assert response.status_code == 400
    assert code_of(response) == "400-152"
    unchanged.check()


# -- the closed-case edit and close ---------------------------------------------

def closed_edit(v3, case_id, changes, user="frank"):
    return v3.edit(case_id, changes, user=user, path="/closed")


def test_the_custom_attributes_of_a_closed_case_can_be_edited(v3):
    response = closed_edit(v3, 1007, v3.custom("region", "south"))
    assert response.status_code == 204
    values = v3.read_case(1007)["customAttributes"]["customAttribute"]
    assert values == [{"attribName": "region", "attribValues": {"attribValue": [{"value": "south"}]}}]


def test_the_closed_case_edit_needs_the_manage_closed_case_action(v3, unchanged):
    response = closed_edit(v3, 1007, v3.custom("region", "south"), user="bob")
    assert response.status_code == 403
    assert code_of(response) == "403-178"
    unchanged.check()


def test_the_closed_case_edit_refuses_an_open_case(v3, unchanged):
    response = closed_edit(v3, 1013, v3.custom("region", "south"))
    assert response.status_code == 400
    assert code_of(response) == "400-9008"
    unchanged.check()


def test_the_closed_case_edit_refuses_other_attributes(v3, unchanged):
    response = closed_edit(v3, 1007, {"subject": "x", **v3.custom("region", "south")})
    assert response.status_code == 400
    assert code_of(response) == "400-9004"
    unchanged.check()


def test_closing_several_cases_closes_all_of_them(v3):
    response = v3.client.put("/core/casemgr/v3/case/1001,1002/close", headers=v3.headers("frank"))
    assert response.status_code == 204
    assert {v3.read_case(i)["status"]["value"] for i in (1001, 1002)} == {"closed"}


def test_closing_several_cases_closes_none_when_one_cannot_be_closed(v3, unchanged):
    # 1007 is already closed
    response = v3.client.put("/core/casemgr/v3/case/1002,1007/close", headers=v3.headers("frank"))
    assert response.status_code == 400
    assert code_of(response) == "400-9007"
    unchanged.check()
