"""POST /oauth2/token, by Authlib.

Authlib handles the OAuth 2 protocol (RFC 6749): grant types, client
authentication by HTTP Basic or form fields, and which error of section 5.2 a
refusal is (invalid_client, invalid_grant, unsupported_grant_type,
invalid_scope). The error bodies are written here, in this service's words:
Authlib's descriptions name its own configuration ("cannot authenticate with
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
    InvalidScopeError,
    OAuth2Error,
    UnsupportedGrantTypeError,
)
from flask import Flask, Response, current_app, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint

from casemgr.api import credentials, errors
from casemgr.api.context import services
from casemgr.api.egain_v3.schemas import V3OAuthError, V3Token, V3TokenRequest
from casemgr.domain import errors as domain
from casemgr.service.tokens import CLIENT_MANAGE_SCOPE, USER_MANAGE_SCOPE, OAuthClient

token_blp = Blueprint("oauth2", __name__, url_prefix="/oauth2",
                      description="OAuth 2 token endpoint for eGain Case Manager v3.")

TOKEN_URL = "/oauth2/token"
SECURITY_SCHEMES = {
    "egainOAuth2": {
        "type": "oauth2",
        "description": "Bearer tokens for eGain Case Manager v3, from POST /oauth2/token. The OAuth "
                       "client of the demo data is crm / crm-secret.",
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
            raise InvalidScopeError()
        return {"access_token": services().tokens.issue(), "token_type": "Bearer",
                "expires_in": services().tokens.lifetime_seconds, "scope": granted}
    return generate


class _TokenServer(AuthorizationServer):
    """Authlib's authorization server; every refusal in this service's words."""

    def create_token_response(self, request=None):
        refusal = _malformed_token_request()
        return token_error(*refusal) if refusal else super().create_token_response(request)

    def handle_error_response(self, request, error: OAuth2Error) -> Response:
        return token_error(*_in_our_words(error))


def _malformed_token_request() -> tuple[int, str, str] | None:
    """RFC 6749 section 4: the parameters travel as a form. A body in any
    other form holds no parameter Authlib could read; it would answer
    unsupported_grant_type, as if grant_type had been read and refused."""
    if request.mimetype != FORM:
        shown = request.content_type or "none"
        return 400, "invalid_request", f"The token request must be sent as {FORM}, not as {shown}."
    if not request.form.get("grant_type"):
        return 400, "invalid_request", f"Missing 'grant_type': use {' or '.join(_GRANT_TYPES)}."
    return None


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
    front of the service (README: Serving), as it does for the v12 login and
    Thalamus Basic: the token endpoint accepts the transport it is given too."""
    os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
    server = _TokenServer(app, query_client=_query_client, save_token=_save_token)
    server.register_grant(_ClientCredentialsGrant)
    server.register_grant(_PasswordGrant)
    server.register_token_generator("client_credentials", _generator(CLIENT_MANAGE_SCOPE))
    server.register_token_generator("password", _generator(USER_MANAGE_SCOPE))
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


@token_blp.route("/token")
class Token(MethodView):
    @token_blp.doc(
        operationId="issueToken",
        summary="Get an access token",
        description="client_credentials gives a client token (scope app.core.casemgr.manage); password "
                    "(username, password and the client's credentials) gives a user token (scope "
                    "core.casemgr.manage). Client authentication by HTTP Basic or form fields.",
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
                            f"{FORM}, a missing parameter), invalid_grant (wrong user name or password), "
                            "unsupported_grant_type or invalid_scope",
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
    @token_blp.alt_response(500, schema=V3OAuthError, description="server_error")
    @token_blp.alt_response(503, schema=V3OAuthError, description="server_error: the database is unavailable; "
                            "retry shortly")
    def post(self):
        return current_app.extensions["casemgr.oauth"].create_token_response()
