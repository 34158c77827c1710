"""POST /oauth2/token and POST /oauth2/revoke, by Authlib.

Authlib handles the OAuth 2 protocol (RFC 6749, and RFC 7009 for
revocation): grant types, client authentication by HTTP Basic or form
fields, and which error of section 5.2 a refusal is (invalid_client,
invalid_grant, unsupported_grant_type, invalid_scope). The error bodies are
written here, in this service's words: Authlib's descriptions name its own configuration ("cannot authenticate with
methods: [...]") and tell an unknown client from a wrong secret. What a
client or user may get is asked of the token service.
"""

from __future__ import annotations

import os

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6749.errors import (
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    UnsupportedGrantTypeError,
)
from authlib.oauth2.rfc7009 import RevocationEndpoint
from flask import Flask, Response, current_app, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint

from casemgr.api import credentials, errors, wire
from casemgr.api.context import services
from casemgr.api.egain_v3.schemas import V3OAuthError, V3RevocationRequest, V3Revoked, V3Token, V3TokenRequest
from casemgr.domain import errors as domain
from casemgr.service.tokens import CLIENT_MANAGE_SCOPE, USER_MANAGE_SCOPE, OAuthClient, is_client_scope

token_blp = Blueprint("oauth2", __name__, url_prefix="/oauth2",
                      description="OAuth 2 token and revocation endpoints for eGain Case Manager v3.")

TOKEN_URL = "/oauth2/token"
SECURITY_SCHEMES = {
    "egainOAuth2": {
        "type": "oauth2",
        "description": "eGain v3 — bearer tokens for eGain Case Manager v3, from POST /oauth2/token. The "
                       "OAuth client of the demo data is crm / crm-secret.",
        "flows": {
            "password": {"tokenUrl": TOKEN_URL, "scopes": {
                USER_MANAGE_SCOPE: "Manage cases as the user (every permission of the user applies)."}},
            "clientCredentials": {"tokenUrl": TOKEN_URL, "scopes": {
                CLIENT_MANAGE_SCOPE: "Manage cases as the client application (data rules only)."}},
        },
    },
}
# A user token or a client token.
SECURITY = [{"egainOAuth2": [USER_MANAGE_SCOPE]}, {"egainOAuth2": [CLIENT_MANAGE_SCOPE]}]

_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
_GRANT_TYPES = ("client_credentials", "password")
FORM = "application/x-www-form-urlencoded"

# RFC 6749 section 5.2: invalid_client is 401 with a challenge of the scheme
# a client authenticates by (HTTP Basic; the form fields have no scheme).
CLIENT_CHALLENGE = 'Basic realm="casemgr", charset="UTF-8"'
# One text whatever failed, so the answer never tells that a client id exists.
INVALID_CLIENT_TEXT = ("Client authentication failed: send the client's id and secret by HTTP Basic, or as the "
                       "client_id and client_secret form fields.")


class _Client(ClientMixin):
    """Authlib's view of a client. Every client id gets one, known or not:
    the secret check is where an unknown client is refused, at the cost of a
    wrong secret (``TokenService.authenticate_client``)."""

    def __init__(self, client_id: str):
        self.client_id = client_id
        self.client: OAuthClient | None = None

    def get_client_id(self):
        return self.client_id

    def check_client_secret(self, client_secret):
        try:
            self.client = services().tokens.authenticate_client(self.client_id, client_secret or "",
                                                                credentials.client_address())
        except domain.InvalidCredentials:
            return False
        return True

    def check_endpoint_auth_method(self, method, endpoint):
        return method in _AUTH_METHODS

    def check_grant_type(self, grant_type):
        return grant_type in _GRANT_TYPES

    def get_allowed_scope(self, scope):
        return scope


class _PasswordGrant(grants.ResourceOwnerPasswordCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(_AUTH_METHODS)

    def authenticate_user(self, username, password):
        try:
            return services().tokens.authenticate_user(username, password, credentials.client_address())
        except domain.InvalidCredentials:
            # RFC 6749 section 5.2: bad resource owner credentials are an
            # invalid grant (Authlib's default answer is invalid_request).
            raise InvalidGrantError("Invalid username or password.")


class _ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(_AUTH_METHODS)


def _generator(default_scope: str):
    def generate(grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=True):
        granted = client.client.grant_scope(scope, default_scope)
        if granted is None:
            kind = "client" if is_client_scope(default_scope) else "user"
            grantable = _error_description_text(" ".join(client.client.grantable(default_scope))) or "none"
            raise InvalidScopeError(f"The {grant_type} grant gives {kind} scopes only; of this client's, it may "
                                    f"give: {grantable}.")
        return {"access_token": services().tokens.issue(), "token_type": "Bearer",
                "expires_in": services().tokens.lifetime_seconds, "scope": granted}
    return generate


class _TokenServer(AuthorizationServer):
    """Authlib's authorization server; every refusal in this service's words."""

    def create_token_response(self, request=None):
        refusal = _malformed_form("token") or _missing_grant_type()
        return token_error(*refusal) if refusal else super().create_token_response(request)

    def create_endpoint_response(self, name, request=None):
        refusal = _malformed_form(name)
        return token_error(*refusal) if refusal else super().create_endpoint_response(name, request)

    def handle_error_response(self, request, error: OAuth2Error) -> Response:
        return token_error(*_in_our_words(error))


def _malformed_form(what: str) -> tuple[int, str, str] | None:
    """RFC 6749 section 4 (and RFC 7009 section 2.1): the parameters travel
    as a form, each at most once (RFC 6749 section 3.2). A body in any other
    form holds no parameter Authlib could read; it would answer
    unsupported_grant_type, as if grant_type had been read and refused. A
    form with a content coding is refused as every body is (415-9002):
    read as plain, it would be garbage."""
    wire.reject_content_coding()
    if request.mimetype != FORM:
        shown = request.content_type or "none"
        return 400, "invalid_request", f"The {what} request must be sent as {FORM}, not as {shown}."
    repeated = [name for name, values in request.form.lists() if len(values) > 1]
    if repeated:
        return 400, "invalid_request", f"Parameter '{repeated[0]}' may be given once."
    return None


def _missing_grant_type() -> tuple[int, str, str] | None:
    if not request.form.get("grant_type"):
        return 400, "invalid_request", f"Missing 'grant_type': use {' or '.join(_GRANT_TYPES)}."
    return None


class _IssuedToken:
    """Authlib's view of a live token presented for revocation."""

    def __init__(self, token: str, client_id: str):
        self.token = token
        self.client_id = client_id

    def check_client(self, client) -> bool:
        return client.get_client_id() == self.client_id


class _Revocation(RevocationEndpoint):
    """RFC 7009 for the access tokens (the service issues no refresh token;
    a refresh_token hint is searched among the access tokens, as section 2.1
    asks). The client authenticates as at the token endpoint; a token it
    presents that is unknown, expired, forged or revoked already is answered
    200 as if revoked now (section 2.2); a live token of another client is
    refused (invalid_grant) and stays live."""

    ENDPOINT_NAME = "revocation"
    CLIENT_AUTH_METHODS = list(_AUTH_METHODS)

    def check_params(self, request, client):
        if not request.form.get("token"):
            raise InvalidRequestError("Missing 'token': the access token to revoke.")
        hint = request.form.get("token_type_hint")
        if hint and hint not in self.SUPPORTED_TOKEN_TYPES:
            # RFC 7009 section 2.2.1: a 400 of RFC 6749 section 5.2 (Authlib's
            # class of the error answers 401).
            # The hint is echoed as printable ASCII: Authlib refuses any other
            # character in a description (a ValueError, a 500).
            raise OAuth2Error(f"token_type_hint '{_error_description_text(hint)}' is not supported; use "
                              "access_token (or leave it out).", status_code=400, error="unsupported_token_type")

    def authenticate_token(self, request, client):
        self.check_params(request, client)
        token = self.query_token(request.form["token"], request.form.get("token_type_hint"))
        if token and not token.check_client(client):
            raise InvalidGrantError("The token was issued to another client.")
        return token

    def query_token(self, token_string, token_type_hint):
        client_id = services().tokens.issued_to(token_string)
        return _IssuedToken(token_string, client_id) if client_id else None

    def revoke_token(self, token, request):
        services().tokens.revoke(token.token, token.client_id)


def _in_our_words(error: OAuth2Error) -> tuple[int, str, str]:
    if isinstance(error, InvalidClientError):
        return 401, error.error, INVALID_CLIENT_TEXT
    if isinstance(error, UnsupportedGrantTypeError):
        return 400, error.error, f"This grant_type is not supported; use {' or '.join(_GRANT_TYPES)}."
    return error.status_code or 400, error.error, error.get_error_description() or ""


def token_error(status: int, error: str, description: str) -> Response:
    """RFC 6749 section 5.2's body; like every answer of the token endpoint,
    never cached (section 5.1)."""
    body = {"error": error}
    if description:
        body["error_description"] = _error_description_text(description)
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    if error == "invalid_client":
        response.headers["WWW-Authenticate"] = CLIENT_CHALLENGE
    return response


def _error_description_text(text: str) -> str:
    """RFC 6749 section 5.2 allows printable ASCII but for '"' and '\\' in
    error_description; anything else a text echoes is shown as '?'."""
    return "".join(c if " " <= c <= "~" and c not in '"\\' else "?" for c in text)


def init_app(app: Flask) -> None:
    """One authorization server per app: grants and generators register on it.

    Authlib refuses a token request that did not come over https unless
    AUTHLIB_INSECURE_TRANSPORT is set, and the refusal escaped as a 500 for
    any Host but localhost. casemgr leaves TLS to whatever terminates it in
    front of the service (docs/operations.md), as it does for the v12 login and
    Thalamus Basic: the token endpoint accepts the transport it is given too."""
    os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
    server = _TokenServer(app, query_client=_query_client, save_token=_save_token)
    server.register_grant(_ClientCredentialsGrant)
    server.register_grant(_PasswordGrant)
    server.register_token_generator("client_credentials", _generator(CLIENT_MANAGE_SCOPE))
    server.register_token_generator("password", _generator(USER_MANAGE_SCOPE))
    server.register_endpoint(_Revocation)
    app.extensions["casemgr.oauth"] = server


def _query_client(client_id):
    return _Client(client_id) if client_id else None


def _save_token(token: dict, request) -> None:
    services().tokens.store(token["access_token"], request.client.get_client_id(), request.user, token["scope"])


def oauth_error_response(exc: Exception) -> Response:
    """Refusals outside Authlib's own (a database outage, a route) in the
    OAuth error body shape."""
    entry = errors.entry_for(exc)
    response = token_error(entry.status, _oauth_error_code(entry.status), getattr(exc, "message", entry.summary))
    response.headers.update(errors.retry_after(exc))
    return response


def _oauth_error_code(status: int) -> str:
    """RFC 6749 has no code for throttling: temporarily_unavailable (its
    section 4.1.2.1) says "try again later", and Retry-After says when."""
    if status >= 500:
        return "server_error"
    return "temporarily_unavailable" if status == 429 else "invalid_request"


_UNSUPPORTED_CODING = ("invalid_request, with HTTP status 415: the body was sent with a Content-Encoding "
                       "(gzip, br…); send it uncompressed")
_UNSUPPORTED_CODING_EXAMPLE = {
    "error": "invalid_request",
    "error_description": "Content-Encoding 'gzip' is not supported; send the body uncompressed (identity)."}
_ACCEPT_ENCODING = {"Accept-Encoding": {"description": "identity: the only coding a request body may have.",
                                        "schema": {"type": "string"}}}
_UNAVAILABLE = ("server_error: the database is unavailable (Retry-After: 1), or it stopped the request at its "
                "statement timeout (no Retry-After)")
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait; absent after a statement timeout.",
                                "schema": {"type": "integer"}}}


@token_blp.route("/token")
class Token(MethodView):
    @token_blp.doc(
        operationId="issueToken",
        summary="Get an access token",
        description="client_credentials gives a client token (scope app.core.casemgr.manage); password "
                    "(username, password and the client's credentials) gives a user token (scope "
                    "core.casemgr.manage). Each grant gives scopes of its own kind only: a password grant "
                    "asking for a client scope is invalid_scope. Client authentication by HTTP Basic or form "
                    "fields. Each parameter at most once.",
        requestBody={"required": True, "content": {"application/x-www-form-urlencoded": {
            "schema": V3TokenRequest,
            "examples": {
                "user": {"summary": "A user token (password grant)", "value": {
                    "grant_type": "password", "username": "frank", "password": "frank-pass",
                    "client_id": "crm", "client_secret": "crm-secret"}},
                "client": {"summary": "A client token (client credentials)", "value": {
                    "grant_type": "client_credentials", "client_id": "crm", "client_secret": "crm-secret"}},
            }}}},
        security=[],
    )
    @token_blp.response(200, V3Token, description="The access token.", example={
        "access_token": "k3J9…", "token_type": "Bearer", "expires_in": 3600, "scope": USER_MANAGE_SCOPE})
    @token_blp.alt_response(400, schema=V3OAuthError, description="invalid_request (a body that is not "
                            f"{FORM}, a missing or repeated parameter), invalid_grant (wrong user name or "
                            "password), unsupported_grant_type or invalid_scope (a scope the client does not hold, "
                            "or one of the other grant's kind)",
                            example={"error": "invalid_grant", "error_description": "Invalid username or password."})
    @token_blp.alt_response(401, schema=V3OAuthError, description="invalid_client: no client credentials, an "
                            "unknown client or a wrong secret (one answer for all three)",
                            example={"error": "invalid_client", "error_description": INVALID_CLIENT_TEXT},
                            headers={"WWW-Authenticate": {"description": f"{CLIENT_CHALLENGE} (RFC 6749 section 5.2)",
                                                          "schema": {"type": "string"}}})
    @token_blp.alt_response(429, schema=V3OAuthError, description="temporarily_unavailable: too many failed "
                            "checks for this client or user, or from this address; Retry-After says when to try "
                            "again", example={"error": "temporarily_unavailable",
                                              "error_description": "Too many failed attempts; retry after 840 seconds."},
                            headers={"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}})
    @token_blp.alt_response(415, schema=V3OAuthError, description=_UNSUPPORTED_CODING,
                            example=_UNSUPPORTED_CODING_EXAMPLE, headers=_ACCEPT_ENCODING)
    @token_blp.alt_response(500, schema=V3OAuthError, description="server_error")
    @token_blp.alt_response(503, schema=V3OAuthError, description=_UNAVAILABLE, headers=_RETRY_AFTER)
    def post(self):
        return current_app.extensions["casemgr.oauth"].create_token_response()


@token_blp.route("/revoke")
class Revoke(MethodView):
    @token_blp.doc(
        operationId="revokeToken",
        summary="Revoke an access token",
        description="RFC 7009: ends an access token at once; from then on every call with it is 401, as if it "
                    "had expired. The client authenticates as at the token endpoint (HTTP Basic or form fields) "
                    "and may revoke only tokens issued to it. A token that is unknown, expired or revoked "
                    "already is answered 200 too. The service issues no refresh tokens: a token_type_hint of "
                    "refresh_token still finds the access token.",
        requestBody={"required": True, "content": {FORM: {
            "schema": V3RevocationRequest,
            "examples": {"basic": {"summary": "The token, the client by HTTP Basic", "value": {
                "token": "k3J9…", "token_type_hint": "access_token"}}}}}},
        security=[],
    )
    @token_blp.response(200, V3Revoked, description="Revoked, or there was no live token of the client to revoke: "
                        "an empty object either way.", example={})
    @token_blp.alt_response(400, schema=V3OAuthError, description="invalid_request (a body that is not "
                            f"{FORM}, token missing or a parameter repeated), unsupported_token_type (a "
                            "token_type_hint other than access_token and refresh_token), invalid_grant (the token "
                            "was issued to another client; it stays live)",
                            example={"error": "invalid_grant", "error_description": "The token was issued to "
                                                                                    "another client."})
    @token_blp.alt_response(401, schema=V3OAuthError, description="invalid_client: no client credentials, an "
                            "unknown client or a wrong secret (one answer for all three)",
                            example={"error": "invalid_client", "error_description": INVALID_CLIENT_TEXT},
                            headers={"WWW-Authenticate": {"description": f"{CLIENT_CHALLENGE} (RFC 6749 section 5.2)",
                                                          "schema": {"type": "string"}}})
    @token_blp.alt_response(415, schema=V3OAuthError, description=_UNSUPPORTED_CODING,
                            example=_UNSUPPORTED_CODING_EXAMPLE, headers=_ACCEPT_ENCODING)
    @token_blp.alt_response(429, schema=V3OAuthError, description="temporarily_unavailable: too many failed "
                            "client checks; Retry-After says when to try again",
                            headers={"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}})
    @token_blp.alt_response(500, schema=V3OAuthError, description="server_error")
    @token_blp.alt_response(503, schema=V3OAuthError, description=_UNAVAILABLE, headers=_RETRY_AFTER)
    def post(self):
        return current_app.extensions["casemgr.oauth"].create_endpoint_response(_Revocation.ENDPOINT_NAME)
