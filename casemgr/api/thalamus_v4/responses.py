"""Thalamus v4 bodies: the case object, the principal's context, and the
flat error map every refusal is rendered as."""

from __future__ import annotations

from flask import Response, jsonify

from casemgr.api import errors
from casemgr.api.history import conflict_summary
from casemgr.domain import errors as domain
from casemgr.domain.model import Actor
from casemgr.domain.readmodel import CaseView, CategoryView
from casemgr.domain.versions import etag_for

# The text of every invalidId on a case: the same whether the case does not
# exist or the principal may not reach it, so the answer leaks nothing.
INVALID_CASE_TEXT = "The caseInstanceId is invalid, or the case is not visible to this principal."

# Thalamus speaks of "number" where the store says "integer".
_FIELD_TYPES = {"integer": "number"}


def context_of(actor: Actor) -> dict:
    if actor.user is not None:
        profile = {"firstname": actor.user.first_name, "email": actor.user.email}
    else:
        profile = {"firstname": actor.customer_name, "email": actor.customer_email}
    return {"simpleProfile": profile}


def case_object(view: CaseView) -> dict:
    return {
        "id": view.id,
        "categoryCode": view.category_code,
        "categoryName": view.category_name,
        "typeCode": view.type_code,
        "status": view.status_name,
        "resolution": view.resolution_name,
        "comments": [{"id": c.id, "caseInstanceId": view.id, "description": c.description} for c in view.comments],
        "commentCount": view.comment_count,
        "caseData": view.case_data,
    }


def case_response(actor: Actor, view: CaseView) -> tuple[dict, dict]:
    """The envelope of every case answer, and its ETag."""
    return {"context": context_of(actor), "case": case_object(view)}, {"ETag": etag_for(view.id, view.last_modified)}


def category_object(category: CategoryView) -> dict:
    return {
        "code": category.code,
        "name": category.name,
        "system": category.system,
        "types": [
            {"code": t.code, "name": t.name,
             "field_list": [{"name": f.name, "type": _FIELD_TYPES.get(f.data_type, f.data_type)} for f in t.fields]}
            for t in category.types
        ],
    }


class _Facts(dict):
    """An exception's facts for a key template; a missing fact names itself."""

    def __missing__(self, key: str) -> str:
        return key


def error_response(exc: Exception) -> Response:
    """``{"errors": {key: code, "execution.<key>": "execution.<key>: <text>"}}``,
    key and code from the error table. A refusal about the principal's reach
    to a case answers like an unknown case (status and text alike)."""
    entry = errors.entry_for(exc)
    key = entry.thalamus_key.format_map(_Facts(getattr(exc, "facts", {})))
    if (key, entry.thalamus_code) == ("case", "invalidId"):
        text = INVALID_CASE_TEXT
    else:
        text = getattr(exc, "message", None) or entry.summary
    body: dict = {"errors": {key: entry.thalamus_code, f"execution.{key}": f"execution.{key}: {text}"}}
    if isinstance(exc, domain.StaleCase) and (summary := conflict_summary(exc)) is not None:
        body["changedFields"] = summary[0]
    response = jsonify(body)
    response.status_code = entry.thalamus_status or entry.status
    response.headers.update(errors.retry_after(exc))
    if isinstance(exc, (domain.PrincipalRequired, domain.InvalidCredentials)):
        response.headers["WWW-Authenticate"] = 'Basic realm="thalamus", charset="UTF-8"'
    if isinstance(exc, domain.PreconditionFailed) and exc.facts.get("case_id") is not None:
        response.headers["ETag"] = etag_for(exc.facts["case_id"], exc.current)
    return response
