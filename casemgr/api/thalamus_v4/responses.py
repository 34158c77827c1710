"""Thalamus v4 bodies: the case object, the principal's context, the
catalogues, and the flat error map every refusal is rendered as."""

from __future__ import annotations

from flask import Response, jsonify, request

from casemgr.api import errors
from casemgr.api.history import conflict_summary
from casemgr.domain import errors as domain
from casemgr.domain.model import Actor
from casemgr.domain.readmodel import CaseView, Comment, StatusView, TypeCategoryView
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
    """The envelope of every write's answer (the SDK reads its ``case``),
    and the case's ETag."""
    return {"context": context_of(actor), "case": case_object(view)}, case_etag(view)


def case_etag(view: CaseView) -> dict:
    return {"ETag": etag_for(view.id, view.last_modified)}


def comment_object(case_id: int, comment: Comment) -> dict:
    return {"id": comment.id, "caseInstanceId": case_id, "description": comment.description}


def type_category_object(entry: TypeCategoryView) -> dict:
    return {
        "caseTypeCode": entry.type_code, "caseTypeName": entry.type_name,
        "caseCategoryCode": entry.category_code, "caseCategoryName": entry.category_name,
        "defaultAnswer": entry.default_answer,
        # Beyond Thalamus's shape: what caseData of the type must hold ("fields"
        # on the wire: the schema's field_list, see ThalamusTypeCategory).
        "field_list": [{"name": f.name, "type": _FIELD_TYPES.get(f.data_type, f.data_type)} for f in entry.fields],
    }


def status_object(status: StatusView) -> dict:
    return {"statusName": status.name, "initial": status.initial, "finalState": status.final}


# Some refusals Thalamus names in the words of the call they answer (its
# documentation lists them per call): call → (error class, attribute the
# refusal names or None for any) → (key, code). They answer 400, as every
# error the documentation lists for these calls does.
_CALL_VOCABULARY: dict[str, dict[tuple[type, str | None], tuple[str, str]]] = {
    "thalamus_v4.CaseTransitions": {
        (domain.CaseNotOpen, None): ("statusName", "statusIsAlreadyClose"),
        (domain.UnknownStatusName, None): ("statusName", "invalid"),
        (domain.StatusTransitionNotAllowed, None): ("statusName", "invalid"),
    },
    "thalamus_v4.CaseAssignment": {
        (errors.MissingElement, "email"): ("email", "missing"),
        (errors.InvalidAttributeValue, "email"): ("email", "invalid"),
        (errors.UnsupportedElement, "groupName"): ("groupName", "invalidName"),
        (domain.OwnerNotFound, None): ("email", "operatorNotValid"),
        (domain.OwnerDisabled, None): ("email", "blocked"),
        (domain.OwnerUnlicensed, None): ("email", "isNotAuthorized"),
        (domain.TransferNotPermitted, None): ("email", "isNotAuthorized"),
        (domain.CaseOutsideOwnerDepartments, None): ("email", "isNotAuthorized"),
    },
}


def _call_words(exc: Exception) -> tuple[str, str] | None:
    vocabulary = _CALL_VOCABULARY.get(request.endpoint or "")
    if not vocabulary:
        return None
    attribute = getattr(exc, "facts", {}).get("attribute")
    for cls in type(exc).__mro__:
        words = vocabulary.get((cls, attribute)) or vocabulary.get((cls, None))
        if words:
            return words
    return None


class _Facts(dict):
    """An exception's facts for a key template; a missing fact names itself."""

    def __missing__(self, key: str) -> str:
        return key


def error_response(exc: Exception) -> Response:
    """``{"errors": {key: code, "execution.<key>": "execution.<key>: <text>"}}``,
    key and code from the error table (or the call's own words), one pair
    per refusal when the request was refused for several at once. A refusal
    about the principal's reach to a case answers like an unknown case
    (status and text alike)."""
    refusals = exc.refusals if isinstance(exc, domain.Refusals) else (exc,)
    body_errors: dict[str, str] = {}
    for refusal in refusals:
        key, code, text = _error_entry(refusal)
        body_errors[key] = code
        body_errors[f"execution.{key}"] = f"execution.{key}: {text}"
    first = refusals[0]
    body: dict = {"errors": body_errors}
    if isinstance(first, domain.StaleCase) and (summary := conflict_summary(first)) is not None:
        body["changedFields"] = summary[0]
    response = jsonify(body)
    entry = errors.entry_for(first)
    response.status_code = 400 if _call_words(first) else entry.thalamus_status or entry.status
    response.headers.update(errors.retry_after(first))
    if isinstance(first, (domain.PrincipalRequired, domain.InvalidCredentials)):
        response.headers["WWW-Authenticate"] = 'Basic realm="thalamus", charset="UTF-8"'
    if isinstance(first, domain.PreconditionFailed) and first.facts.get("case_id") is not None:
        response.headers["ETag"] = etag_for(first.facts["case_id"], first.current)
    return response


def _error_entry(exc: Exception) -> tuple[str, str, str]:
    entry = errors.entry_for(exc)
    key = entry.thalamus_key.format_map(_Facts(getattr(exc, "facts", {})))
    code = entry.thalamus_code
    if (words := _call_words(exc)) is not None:
        key, code = words
    if (entry.thalamus_key, entry.thalamus_code) == ("case", "invalidId"):
        text = INVALID_CASE_TEXT
    else:
        text = getattr(exc, "message", None) or entry.summary
    return key, code, text
