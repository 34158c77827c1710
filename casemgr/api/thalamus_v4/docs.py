"""OpenAPI documentation of Thalamus v4: the touchpoint and principal
security schemes, and the flat error map of each status."""

from __future__ import annotations

from apispec import APISpec
from flask_smorest import Blueprint

from casemgr.api import apidoc
from casemgr.api.thalamus_v4.auth import TOKEN_HEADER, TOUCHPOINT_HEADER
from casemgr.api.thalamus_v4.responses import INVALID_CASE_TEXT
from casemgr.api.thalamus_v4.schemas import ThalamusErrors
from casemgr.api.wire import JSON

ERROR_PREFIX = "ThalamusError"

# In the order the explorer's Authorize dialog lists them; each description
# starts with the API, the dialog's label of the group.
SECURITY_SCHEMES = {
    "thalamusTouchpoint": {"type": "apiKey", "in": "header", "name": TOUCHPOINT_HEADER,
                           "description": "Thalamus v4 — the touchpoint code (demo data: web)."},
    "thalamusToken": {"type": "apiKey", "in": "header", "name": TOKEN_HEADER,
                      "description": "Thalamus v4 — the touchpoint's token (demo data: web-token)."},
    "thalamusBasic": {"type": "http", "scheme": "basic",
                      "description": "Thalamus v4 — an operator (login or email) or a party (email) and the "
                                     "password, on each request."},
    "thalamusTouchpointQuery": {"type": "apiKey", "in": "query", "name": "touchpoint",
                                "description": "Thalamus v4 — the touchpoint code, as a query parameter instead "
                                               "of the header."},
    "thalamusTokenQuery": {"type": "apiKey", "in": "query", "name": "token",
                           "description": "Thalamus v4 — the touchpoint's token, as a query parameter instead of "
                                          "the header."},
}
# The session cookie of POST /api/v4/signin is no security scheme here: it is
# HttpOnly, so the explorer's Authorize dialog could never fill it in (the
# browser sends it by itself). The signin's description tells of it instead.

_TOUCHPOINTS = ({"thalamusTouchpoint": [], "thalamusToken": []},
                {"thalamusTouchpointQuery": [], "thalamusTokenQuery": []})
# Every call: a touchpoint, by headers or by query.
TOUCHPOINT_SECURITY = [dict(touchpoint) for touchpoint in _TOUCHPOINTS]
# Calls on cases: a touchpoint and a principal, by HTTP Basic (or by the
# session cookie, which is not declared: see above).
PRINCIPAL_SECURITY = [{**touchpoint, "thalamusBasic": []} for touchpoint in _TOUCHPOINTS]

_EXAMPLES = {
    400: {"case": "invalidId", "execution.case": f"execution.case: {INVALID_CASE_TEXT}"},
    401: {"token": "InvalidToken", "execution.token": "execution.token: Unknown touchpoint or token."},
    403: {"owner": "TransferNotPermitted",
          "execution.owner": "execution.owner: No Transfer Activities permission on the new owner"},
    412: {"etag": "PreconditionFailed", "execution.etag": "execution.etag: If-Match does not match the case's ETag"},
    411: {"body": "LengthRequired",
          "execution.body": "execution.body: A chunked body is not supported by this server; send Content-Length."},
    413: {"body": "TooLarge", "execution.body": "execution.body: Request body exceeds 1048576 bytes."},
    415: {"contentType": "Unsupported",
          "execution.contentType": "execution.contentType: Content-Type 'text/plain' is not supported; use application/json."},
    429: {"principal": "TooManyAttempts",
          "execution.principal": "execution.principal: Too many failed attempts; retry after 840 seconds."},
    500: {"system": "InternalError", "execution.system": "execution.system: System unable to process the request."},
    503: {"system": "Unavailable", "execution.system": "execution.system: The database is unavailable; retry shortly."},
}


# What else a body of the status carries besides its errors.
_EXTRAS = {412: {"changedFields": "subject,status"}}


def _content(status: int) -> dict:
    # Each status its own example: without one, Swagger UI would show the
    # schema's (a 400's). Statuses v4 never answers (406, 409) need none.
    example = _EXAMPLES.get(status)
    body = {"errors": example, **_EXTRAS.get(status, {})} if example else None
    return {JSON: {"schema": ThalamusErrors, **({"example": body} if body else {})}}


def _headers(status: int) -> dict:
    if status == 401:
        return {"WWW-Authenticate": {"description": "Basic, when the principal is missing or wrong.",
                                     "schema": {"type": "string"}}}
    if status == 429:
        return {"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}}
    if status == 503:
        return {"Retry-After": {"description": "Seconds to wait before retrying; absent after a statement timeout "
                                               "(StatementTimeout): the same request would take as long again.",
                                "schema": {"type": "integer"}}}
    if status == 415:
        return {"Accept-Encoding": {"description": "identity, when the body came with a Content-Encoding: the only "
                                                   "coding a request body may have.", "schema": {"type": "string"}}}
    if status == 412:
        return {"ETag": {"description": "The case's current ETag.", "schema": {"type": "string"}}}
    return {}


def register(spec: APISpec) -> None:
    apidoc.error_responses(
        spec, prefix=ERROR_PREFIX, content=_content, headers=_headers,
        line=lambda entry: f"`{entry.thalamus_key}`: `{entry.thalamus_code}` ({entry.summary})",
        status_of=lambda entry: entry.thalamus_status or entry.status,
    )


def document_errors(blp: Blueprint, *statuses: int):
    return apidoc.document_errors(blp, ERROR_PREFIX, statuses)
