"""How credentials travel on Thalamus v4: a touchpoint (every call) and a
principal (calls on cases) — an operator or a party, by session cookie or
HTTP Basic. What they are worth is the use case's to resolve."""

from __future__ import annotations

from flask import Response, request

from casemgr.api import credentials, wire
from casemgr.api import errors as wire_errors
from casemgr.domain import errors
from casemgr.domain.model import MAX_ACTIVITY_LENGTH
from casemgr.service.credentials import CredentialKind, Credentials, Touchpoint

API = "thalamus-v4"
SESSION_COOKIE = "thalamus_session"
TOUCHPOINT_HEADER = "Thalamus-Touchpoint"
TOKEN_HEADER = "Thalamus-Token"
ACTIVITY_HEADER = "Thalamus-Activity"


def request_activity() -> str | None:
    """Thalamus's activity, from the query or the header (the query first,
    as for the touchpoint); empty is none."""
    return request.args.get("activity") or request.headers.get(ACTIVITY_HEADER) or None


def reject_overlong_activity() -> None:
    """400 ``activity``: ``InvalidFormat`` for an activity longer than the
    spec allows, in the query or in the header, whichever the call would
    use: every call takes both, and each is judged as the spec declares it,
    before the request is read (a read ignores the activity, but does not
    accept what the contract refuses)."""
    for name, value in (("activity", request.args.get("activity")),
                        (ACTIVITY_HEADER, request.headers.get(ACTIVITY_HEADER))):
        if value is not None and (len(value) > MAX_ACTIVITY_LENGTH or not wire.is_storable_text(value)):
            raise wire_errors.InvalidAttributeValue(
                f"Invalid value for '{name}': expected at most {MAX_ACTIVITY_LENGTH} characters of text.",
                attribute="activity")


def request_credentials(*, needs_principal: bool) -> Credentials:
    """The touchpoint, from the query or the headers, and the principal: HTTP
    Basic when sent, else the session cookie. A cookie that is not one the
    service issued counts as no login at all, like one whose session ended.
    A call that needs no principal ignores HTTP Basic (the cookie still names
    the session a logout ends)."""
    # Text no database column can hold (a NUL) names no touchpoint and no
    # principal: it is refused as one that matches nothing, without a query.
    touchpoint = Touchpoint(_storable(request.args.get("touchpoint") or request.headers.get(TOUCHPOINT_HEADER)),
                            _storable(request.args.get("token") or request.headers.get(TOKEN_HEADER)))
    options = {"touchpoint": touchpoint, "needs_principal": needs_principal,
               "dead_principal": errors.PrincipalRequired}
    basic = request.authorization
    if needs_principal and basic is not None and basic.type == "basic":
        if not wire.is_storable_text(basic.username or ""):
            return Credentials(api=API, address=credentials.client_address(), **options)
        return credentials.password(API, basic.username or "", basic.password or "", **options)
    presented = credentials.issued(API, CredentialKind.SESSION, request.cookies.get(SESSION_COOKIE), **options)
    if presented.forged:
        return Credentials(api=API, address=presented.address, **options)
    return presented


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


def _storable(value: str | None) -> str:
    """A credential's text, or "" (matches nothing) when no column could hold it."""
    return value if value and wire.is_storable_text(value) else ""
