"""eGain responses and error bodies, in the media type the client asked for."""

from __future__ import annotations

import json

from flask import Response, current_app, g, request

from casemgr.api import errors, wire
from casemgr.api.context import services
from casemgr.api.history import PAGING_PARAMETERS, conflict_summary, history_payload, requested_page
from casemgr.api.egain.representation import LastModifiedShape, case_representation
from casemgr.api.egain.xml import COMMON_NS, parse_xml, to_xml
from casemgr.api.i18n import negotiate_language, user_message
from casemgr.api.wire import JSON, XML, format_datetime
from casemgr.domain import errors as domain
from casemgr.domain.search import CaseSearch, SearchPage
from casemgr.domain.versions import etag_for

# Request body parsers of both eGain APIs, by media type.
BODY_PARSERS = {JSON: wire.parse_json, XML: parse_xml}


def media_type(default: str = JSON) -> str:
    """The negotiated type; before negotiation (an early error) what Accept
    names, when it names one of the two, else the API's ``default``."""
    negotiated = getattr(g, "media_type", None)
    if negotiated:
        return negotiated
    return wire.best_media_type(request.headers.get("Accept"), default) or default


def respond(payload: dict | None, status: int = 200, headers: dict | None = None, *,
            xml_root: str = "cases", xml_namespace: str | None = None, default_media_type: str = JSON) -> Response:
    """A body in the negotiated media type (before negotiation: the one
    Accept names, else ``default_media_type``). ``xml_root`` names the XML
    root element; JSON has none."""
    response = Response(status=status, headers=headers or {})
    if payload is None:
        return response
    if media_type(default_media_type) == XML:
        response.set_data(to_xml(xml_root, payload, **({"namespace": xml_namespace} if xml_namespace else {})))
        response.mimetype = XML
    else:
        response.set_data(json.dumps(payload, ensure_ascii=False))
        response.mimetype = JSON
    return response


def no_content(etag: str | None = None) -> Response:
    return respond(None, 204, {"ETag": etag} if etag else None)


def error_details(exc: Exception) -> list[dict]:
    """What a client needs to act on the error without guessing."""
    facts = getattr(exc, "facts", {})
    if isinstance(exc, domain.StaleCase):
        return [{"key": "lastModified", "value": format_datetime(exc.current)}, *conflict_details(exc)]
    if isinstance(exc, domain.InvalidEnumValue):
        return [{"key": facts["attribute"], "value": ",".join(facts["expected"])}]
    if isinstance(exc, domain.RelatedCaseLimitExceeded):
        return [{"key": "relatedCases", "value": str(facts["limit"])}]
    if isinstance(exc, domain.SearchTooBroad):
        return [{"key": "maxCandidates", "value": str(facts["limit"])}]
    if isinstance(exc, domain.WebhookLimitReached):
        return [{"key": "maxSubscriptions", "value": str(facts["limit"])}]
    if isinstance(exc, errors.UnsupportedQueryParameter):
        return [{"key": "parameters", "value": facts["names"]}]
    return [{"key": key, "value": str(value)} for key, value in facts.items()
            if key in ("attribute", "case_id", "user_id", "action", "field")]


def conflict_details(exc: domain.StaleCase) -> list[dict]:
    """What changed since the client's version (``history.conflict_summary``)."""
    summary = conflict_summary(exc)
    if summary is None:
        return []
    changed_fields, changes = summary
    return [{"key": "changedFields", "value": changed_fields}, {"key": "changes", "value": changes}]


def response_language() -> str:
    """The negotiated language; before negotiation (or when the header itself
    was refused) what Accept-Language negotiates, else the default."""
    negotiated = getattr(g, "language", None)
    if negotiated:
        return negotiated
    default = current_app.config["CASEMGR"].default_language
    return negotiate_language(request.headers.get("Accept-Language", ""), default) or default


def error_body(exc: Exception) -> dict:
    entry = errors.entry_for(exc)
    body: dict = {"code": entry.egain_code,
                  "developerMessage": getattr(exc, "message", None) or "System unable to process the request."}
    if request.headers.get("X-egain-error-message", "").strip().lower() == "yes":
        body["userMessage"] = user_message(entry.egain_code, response_language())
    details = error_details(exc)
    if details:
        body["details"] = details
    return body


def error_response(exc: Exception, default_media_type: str = JSON) -> Response:
    """The eGain error body of ``exc``; ``default_media_type`` is the API's
    answer to a request without Accept refused before negotiation."""
    entry = errors.entry_for(exc)
    body = error_body(exc)
    headers = {}
    headers.update(errors.retry_after(exc))
    if isinstance(exc, domain.StaleCase) and exc.facts.get("case_id") is not None:
        headers["ETag"] = etag_for(exc.facts["case_id"], exc.current)
    if media_type(default_media_type) == XML and "details" in body:
        body = {**body, "details": {"detail": body["details"]}}
    headers["Content-Language"] = response_language()
    return respond(body, entry.status, headers, xml_root="error", xml_namespace=COMMON_NS,
                   default_media_type=default_media_type)


def history_response(case_id: str) -> Response:
    """GET …/case/{id}/history of either eGain API, from the path's id and
    the query's paging: their faults are answered after the credential
    check, and a case the principal may not see as its read is, 404."""
    wire.reject_query_parameters(allowed=PAGING_PARAMETERS)
    cid = wire.parse_id(case_id, "ID")
    page = requested_page()
    found = services().history.case_history(g.credentials, cid, page)
    if found is None:
        raise errors.NoCaseFound("No case found for the given ID(s).")
    return respond(history_payload(found), xml_root="caseHistory")


def cases_response(credentials, case_ids: list[int], case_url: str, last_modified: LastModifiedShape,
                   shown: frozenset[str]) -> Response:
    """GET …/case/{ids} of either eGain API: the cases among the ids that the
    credentials' principal may see, in the order asked, showing ``shown``;
    404 when none is found. One case read carries its ETag, whatever is shown."""
    views = services().cases.read_cases(credentials, case_ids).cases
    if not views:
        raise errors.NoCaseFound("No case found for the given ID(s).")
    payload = {"case": [case_representation(v, case_url, last_modified, shown) for v in views]}
    single = len(views) == 1
    return respond(payload, 200, {"ETag": etag_for(views[0].id, views[0].last_modified)} if single else None)


def search_response(found: SearchPage, search: CaseSearch, case_url: str, last_modified: LastModifiedShape,
                    shown: frozenset[str]) -> Response:
    """A page of a case search, with eGain's paginationInfo (count: every
    case found); 204 with no body when the page holds none."""
    if not found.cases:
        return no_content()
    return respond({
        "case": [case_representation(v, case_url, last_modified, shown) for v in found.cases],
        "paginationInfo": {"count": found.total, "pagenum": search.page, "pagesize": search.page_size},
    })


def custom_attribute_definitions(credentials) -> list[dict]:
    """The custom attribute definitions, as both eGain APIs list them: name,
    data type, and the allowed values of an enumeration."""
    return [_definition(d) for d in services().cases.custom_attribute_definitions(credentials)]


def _definition(definition) -> dict:
    shown = {"attribName": definition.name, "attribType": definition.data_type}
    if definition.allowed_values is not None:
        shown["attribValues"] = {"attribValue": [{"value": v} for v in definition.allowed_values]}
    return shown
