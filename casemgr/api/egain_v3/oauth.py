"""POST /oauth2/token, by Authlib.

Authlib handles the OAuth 2 protocol (RFC 6749): grant types, client
authentication by HTTP Basic or form fields, and the standard error bodies
(invalid_client, invalid_grant, unsupported_grant_type, invalid_scope). What
a client or user may get is asked of the token service.
"""

from __future__ import annotations

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidScopeError
from flask import Flask, Response, current_app, jsonify
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


def init_app(app: Flask) -> None:
    """One authorization server per app: grants and generators register on it."""
    server = AuthorizationServer(app, query_client=_query_client, save_token=_save_token)
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
    response = jsonify({"error": _oauth_error_code(entry.status),
                        "error_description": getattr(exc, "message", entry.summary)})
    response.status_code = entry.status
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
    @token_blp.alt_response(400, schema=V3OAuthError, description="invalid_request, invalid_grant (wrong "
                            "user name or password), unsupported_grant_type or invalid_scope",
                            example={"error": "invalid_grant", "error_description": "Invalid username or password."})
    @token_blp.alt_response(401, schema=V3OAuthError, description="invalid_client: unknown client or wrong secret",
                            example={"error": "invalid_client"})
    @token_blp.alt_response(500, schema=V3OAuthError, description="server_error")
    @token_blp.alt_response(503, schema=V3OAuthError, description="server_error: the database is unavailable; "
                            "retry shortly")
    def post(self):
        return current_app.extensions["casemgr.oauth"].create_token_response()
