"""eGain responses and error bodies, in the media type the client asked for."""

from __future__ import annotations

import json

from flask import Response

from casemgr.api import errors
from casemgr.api.wire import JSON, format_datetime
from casemgr.domain import errors as domain
from casemgr.domain.versions import etag_for


def respond(payload: dict | None, status: int = 200, headers: dict | None = None) -> Response:
    """A body in the negotiated media type (JSON until XML is asked for)."""
    response = Response(status=status, headers=headers or {})
    if payload is not None:
        response.set_data(json.dumps(payload, ensure_ascii=False))
        response.mimetype = JSON
    return response


def no_content(etag: str | None = None) -> Response:
    return respond(None, 204, {"ETag": etag} if etag else None)


def error_details(exc: Exception) -> list[dict]:
    """What a client needs to act on the error without guessing."""
    facts = getattr(exc, "facts", {})
    if isinstance(exc, domain.StaleCase):
        return [{"key": "lastModified", "value": format_datetime(exc.current)}]
    if isinstance(exc, domain.InvalidEnumValue):
        return [{"key": facts["attribute"], "value": ",".join(facts["expected"])}]
    if isinstance(exc, domain.RelatedCaseLimitExceeded):
        return [{"key": "relatedCases", "value": str(facts["limit"])}]
    if isinstance(exc, errors.UnsupportedQueryParameter):
        return [{"key": "parameters", "value": facts["names"]}]
    return [{"key": key, "value": str(value)} for key, value in facts.items()
            if key in ("attribute", "case_id", "user_id", "action", "field")]


def error_response(exc: Exception) -> Response:
    entry = errors.entry_for(exc)
    message = getattr(exc, "message", None) or "System unable to process the request."
    body: dict = {"code": entry.egain_code, "developerMessage": message}
    details = error_details(exc)
    if details:
        body["details"] = details
    headers = {}
    if entry.status == 503:
        headers["Retry-After"] = "1"
    if isinstance(exc, domain.StaleCase) and "case_id" in exc.facts:
        headers["ETag"] = etag_for(exc.facts["case_id"], exc.current)
    return respond(body, entry.status, headers)
