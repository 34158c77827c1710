"""One error handler for the whole app: any refusal, rendered in the body
shape of the API the request came in on."""

from __future__ import annotations

import logging
import re
from typing import Callable

from flask import Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from casemgr.api import errors
from casemgr.api.egain.responses import error_response as egain_error_response
from casemgr.api.egain_v12.views import error_response as egain_v12_error_response
from casemgr.api.thalamus_v4.responses import error_response as thalamus_error_response
from casemgr.api.context import services
from casemgr.api.wire import IDENTITY
from casemgr.api.egain_v3.oauth import oauth_error_response
from casemgr.domain.errors import DomainError, Refusals
from casemgr.edge import EDGE_REFUSAL, HOLD_HEADER
from casemgr.service.errors import (
    ConcurrentChange,
    PasswordChecksBusy,
    ServiceUnavailable,
    StorageFault,
    WebhookLookupsBusy,
)

log = logging.getLogger(__name__)

ErrorRenderer = Callable[[Exception], Response]

# Path prefix → the renderer of that API's error body. v3 and v4 add theirs.
RENDERERS: dict[str, ErrorRenderer] = {
    "/ws/v12/": egain_v12_error_response,
    "/api/v4/": thalamus_error_response,
    "/core/casemgr/v3/": egain_error_response,
    "/oauth2/": oauth_error_response,
}


def plain_error_response(exc: Exception) -> Response:
    entry = errors.entry_for(exc)
    response = jsonify({"code": entry.egain_code, "message": getattr(exc, "message", entry.summary)})
    response.status_code = entry.status
    return response


_SLASHES = re.compile(r"/{2,}")


def renderer_for_path(path: str) -> ErrorRenderer:
    # "//ws/v12//interaction/case" is no route (casemgr.api.http_headers
    # refuses werkzeug's redirect to the merged path), but still a 404 of
    # the API it names.
    path = _SLASHES.sub("/", path)
    for prefix, renderer in RENDERERS.items():
        if path.startswith(prefix):
            return renderer
    return plain_error_response


_HTTP_STATUS_ERRORS = {
    404: errors.RouteNotFound, 405: errors.MethodNotAllowed, 413: errors.BodyTooLarge,
    411: errors.LengthRequired, 415: errors.UnsupportedMediaType, 406: errors.NotAcceptable,
}


def handle_refusal(exc: Exception) -> Response:
    first = _credentials_first(exc)
    if first is not exc:
        # Answered by its own handler (v3's challenges for a missing scope).
        return current_app.handle_user_exception(first)
    renderer = renderer_for_path(request.path)
    if isinstance(exc, Refusals) and renderer is not thalamus_error_response:
        # Only Thalamus reports several refusals at once; the others answer
        # the first, the one the order of faults puts first.
        exc = exc.first
    response = renderer(exc)
    if isinstance(exc, errors.UnsupportedContentCoding):
        # RFC 9110 section 15.5.16: the codings a request body may have.
        response.headers["Accept-Encoding"] = IDENTITY
    if isinstance(exc, (PasswordChecksBusy, WebhookLookupsBusy)):
        # Answered after a second by the edge, on its event loop: a client
        # that loops on turned-away logins (or webhook creations) cannot
        # spin the CPU everyone else's requests need, and no thread waits
        # for it.
        response.headers[HOLD_HEADER] = "1"
    return response


def _credentials_first(exc: Exception) -> Exception:
    """401 comes first in the order of faults, in this one place: a request
    refused before its credentials were judged (a parse error of the view, a
    domain refusal raised before the use case's first message) has them
    checked on their own, in one message, and a dead credential's refusal
    answers instead (``Authenticator.refusal_first``). A fault of the
    service itself (5xx) is answered as it is: the check would most likely
    fail the same way, and the client can do nothing about either."""
    presented = g.get("credentials")
    if presented is None or g.get("credentials_judged") or errors.entry_for(exc).status >= 500:
        return exc
    g.credentials_judged = True
    return services().auth.refusal_first(presented, exc)


def handle_http_exception(exc: HTTPException) -> Response:
    """Routing and protocol errors from Flask, in the API's own body shape;
    their headers (Allow on 405) are kept."""
    if exc.code is not None and exc.code >= 500:
        return handle_unexpected(exc)
    wire_class = _HTTP_STATUS_ERRORS.get(exc.code, errors.MalformedBody)
    response = handle_refusal(wire_class(exc.description or exc.name))
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def handle_unexpected(exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.path)
    return handle_refusal(errors.InternalError("System unable to process the request."))


# What the edge (casemgr.edge) found wrong with a body it would not hand on.
_EDGE_REFUSALS = {
    "too-large": lambda: errors.BodyTooLarge("Request body exceeds the size limit."),
    "malformed": lambda: errors.MalformedBody("Request body framing is malformed."),
    "timeout": lambda: errors.RequestTimeout("Request body did not arrive within the read timeout."),
}


def reject_edge_refusal() -> None:
    """A body the edge refused is answered first: there is no body to judge,
    and the client is told why in its API's error shape."""
    refusal = request.environ.get(EDGE_REFUSAL)
    if refusal:
        raise _EDGE_REFUSALS[refusal]()


def register_request_guards(app: Flask) -> None:
    """Checks every request passes before any blueprint looks at it. A NUL
    byte is never a credential or a name, so it is refused even before
    authentication (it tells an unauthenticated caller nothing)."""
    from casemgr.api.wire import reject_unstorable_parameters

    from casemgr.api.credentials import honor_forwarded_proto

    app.before_request(honor_forwarded_proto)
    app.before_request(reject_edge_refusal)
    app.before_request(reject_unstorable_parameters)


def register_error_handlers(app: Flask) -> None:
    for cls in (DomainError, errors.WireError, ServiceUnavailable, ConcurrentChange, StorageFault):
        app.register_error_handler(cls, handle_refusal)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
