"""Who calls Thalamus v4: a touchpoint (every call) and a principal (calls on
cases) — an operator or a party, by session cookie or HTTP Basic."""

from __future__ import annotations

from flask import Response, request

from casemgr.api.context import services
from casemgr.domain import errors
from casemgr.domain.model import Actor

API = "thalamus-v4"
SESSION_COOKIE = "thalamus_session"
TOUCHPOINT_HEADER = "Thalamus-Touchpoint"
TOKEN_HEADER = "Thalamus-Token"


def check_touchpoint() -> None:
    """The touchpoint and its token, from the query or the headers."""
    code = request.args.get("touchpoint") or request.headers.get(TOUCHPOINT_HEADER)
    token = request.args.get("token") or request.headers.get(TOKEN_HEADER)
    services().touchpoints.check(code, token)


def principal() -> Actor:
    """HTTP Basic when sent, else the session cookie. A cookie whose session
    ended or expired counts as no login at all."""
    credentials = request.authorization
    if credentials is not None and credentials.type == "basic":
        return services().sessions.authenticate_principal(credentials.username or "", credentials.password or "")
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        try:
            return services().sessions.actor_for_session(API, session_id)
        except errors.AuthenticationRequired:
            pass
    raise errors.PrincipalRequired("An operator or party login is required (session cookie or HTTP Basic).")


def sign_in(principal_name: str, password: str) -> tuple[str, Actor]:
    return services().sessions.login_principal(API, principal_name, password)


def sign_out() -> None:
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        services().sessions.logout(session_id)


def set_session_cookie(response: Response, session_id: str) -> Response:
    response.set_cookie(
        SESSION_COOKIE, session_id, path=_cookie_path(), httponly=True, samesite="Lax", secure=request.is_secure,
    )
    return response


def clear_session_cookie(response: Response) -> Response:
    response.delete_cookie(SESSION_COOKIE, path=_cookie_path(), httponly=True, samesite="Lax", secure=request.is_secure)
    return response


def _cookie_path() -> str:
    """The cookie goes to v4 calls only, wherever the app is mounted."""
    return f"{request.script_root}/api/v4"
