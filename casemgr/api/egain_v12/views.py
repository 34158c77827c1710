"""eGain Interaction API v12 endpoints. Each view parses, calls one use case
and answers; errors are rendered by the app's handler from the error table."""

from __future__ import annotations

import functools
import re

from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from casemgr.api import apidoc, credentials, errors, wire
from casemgr.api.context import services
from casemgr.api.egain import attributes, commands, docs, search
from casemgr.api.egain.negotiation import negotiate, with_content_language
from casemgr.api.egain.representation import last_modified_object
from casemgr.api.egain.responses import (
    BODY_PARSERS,
    cases_response,
    custom_attribute_definitions,
    history_response,
    no_content,
    respond,
    search_response,
)
from casemgr.api.egain.responses import error_response as egain_error_response
from casemgr.api.egain.schemas import EgainAttributeDefinitions
from casemgr.api.egain_v12.schemas import V12CaseEdit, V12Cases, V12CaseSearchPage, V12Login
from casemgr.api.history_schemas import HISTORY_EXAMPLE, PAGING_PARAMETERS_DOC, CaseHistory
from casemgr.domain.model import MAX_CASES_PER_READ
from casemgr.domain.search import MAX_SEARCH_CANDIDATES
from casemgr.service.credentials import CredentialKind

API = "egain-v12"
SESSION_HEADER = "X-egain-session"
CASE_URL = "/system/ws/v12/interaction/case/"
# The case id is the last segment of href; eGain clients send it with or
# without the /system context root.
HREF = re.compile(r"(?:https?://[^/]+)?(?:/system)?/ws/v12/interaction/case/(?P<id>[^/]+)")

blp = Blueprint(
    "egain_v12", __name__, url_prefix="/ws/v12",
    description="eGain Interaction API v12. Log in with POST /ws/v12/authentication/user/login, "
                "then send the X-egain-session it answers with on every call. JSON or XML both ways; a "
                "request without Accept gets XML, eGain's default (`Accept: */*` gets JSON). Also served "
                "under the /system context root (/system/ws/v12/...).",
)

PUBLIC_ENDPOINTS = {"egain_v12.Login"}

# eGain documents XML as the Interaction API's default format: a request
# without Accept gets XML (``*/*`` gets JSON, see docs/reading-and-searching.md), refusals too.
DEFAULT_MEDIA_TYPE = wire.XML
error_response = functools.partial(egain_error_response, default_media_type=DEFAULT_MEDIA_TYPE)

# Built once: a schema deep-copies its fields each time it is instantiated,
# and loading keeps no state on the instance (flask-smorest shares its
# argument schemas across requests the same way).
_CASE_EDIT = V12CaseEdit()

SECURITY_SCHEMES = {
    "egainSession": {
        "type": "apiKey", "in": "header", "name": SESSION_HEADER,
        "description": "eGain v12 — the session id from the X-egain-session header of the answer of the "
                       "v12 login (POST /ws/v12/authentication/user/login).",
    },
}
SECURITY = [{"egainSession": []}]


def document(*statuses, **doc):
    """The session, the optional headers every v12 call reads, and the eGain
    error body of each status: every call can also answer 406 (Accept,
    Accept-Language), 415 (a body's Content-Type), 500 and 503."""
    def decorate(view):
        view = docs.document_errors(blp, *statuses, 406, 415, 500, 503)(view)
        doc.setdefault("security", SECURITY)
        parameters = [docs.accept_language(required=False), docs.ERROR_MESSAGE_HEADER, *doc.pop("parameters", ())]
        return apidoc.documentation_only(blp.doc(parameters=parameters, **doc))(view)
    return decorate


_EDIT_STATUSES = (400, 401, 403, 409, 411, 412, 413)


@blp.before_request
def authenticate_and_negotiate():
    """The order of faults: 401, then 406, then 415, before any body is read.
    The session is checked by the use case, in its first message to the
    database; a fault found before it runs is answered once the session was
    checked on its own (``casemgr.api.handlers.handle_refusal``)."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        negotiate(language_required=False, default_media_type=DEFAULT_MEDIA_TYPE)
        return
    g.credentials = credentials.issued(API, CredentialKind.SESSION, request.headers.get(SESSION_HEADER))
    credentials.refuse_if_dead(g.credentials)
    negotiate(language_required=False, default_media_type=DEFAULT_MEDIA_TYPE)


@blp.after_request
def echo_session(response):
    """Every answer to a live session echoes it (a logout ends it)."""
    presented = getattr(g, "credentials", None)
    if presented is not None and presented.actor is not None and not g.get("session_ended"):
        response.headers[SESSION_HEADER] = presented.secret
    return with_content_language(response)


@blp.route("/authentication/user/login")
class Login(MethodView):
    @document(
        400, 401, 403, 411, 413, 429,
        operationId="login",
        summary="Log in",
        description="Starts a session. The session id comes back in the X-egain-session header: put it "
                    "into Authorize (egainSession) to call the other v12 operations. At most 5 sessions "
                    "per user; the 6th login is 403 unless forceLogin=yes, which ends the oldest.",
        security=[],
        parameters=[{"in": "query", "name": "forceLogin", "required": False,
                     "schema": {"type": "string", "enum": ["yes", "no"]},
                     "description": "yes: at the session cap, end the user's oldest session."}],
        requestBody=docs.request_body(
            V12Login, {"frank": {"summary": "A Service agent", "value": {"userName": "frank", "password": "frank-pass"}}},
            "<user><userName>frank</userName><password>frank-pass</password></user>"),
    )
    @blp.response(204, description="Logged in; X-egain-session carries the session id.", headers={
        SESSION_HEADER: {"description": "The new session's id.", "required": True, "schema": {"type": "string"}},
        **docs.CONTENT_LANGUAGE})
    def post(self):
        wire.reject_query_parameters(allowed=("forceLogin",))
        force = _force_login(request.args.get("forceLogin"))
        body = wire.load_body(V12Login(), BODY_PARSERS)
        login = body.get("userName") or body.get("username")
        if not login:
            raise errors.MissingElement("Required element 'userName' is missing.", attribute="userName")
        session_id = services().sessions.login(credentials.password(API, login, body["password"]), force=force)
        return respond(None, 204, {SESSION_HEADER: session_id})


def _force_login(value: str | None) -> bool:
    """forceLogin is yes or no; any other value is refused, never read as no."""
    if value is None or value == "no":
        return False
    if value == "yes":
        return True
    raise errors.InvalidAttributeValue(
        f"Invalid value '{value}' for 'forceLogin': expected 'yes' or 'no'.", attribute="forceLogin")


@blp.route("/authentication/user/logout")
class Logout(MethodView):
    @document(400, 401, operationId="logout", summary="Log out", description="Ends the session named by X-egain-session.")
    @blp.response(204, description="Logged out.")
    def delete(self):
        wire.reject_query_parameters()
        services().sessions.logout(g.credentials)
        g.session_ended = True  # do not echo it
        return no_content()


# The search and the edit share their path but not their view, so the
# metrics (labelled by view) tell one from the other.
@blp.route("/interaction/case")
class CaseSearch(MethodView):
    @document(
        400, 401,
        operationId="searchCase",
        summary="Search cases",
        description="The cases of a customer, by the customer's id (customer), email address (email) or "
                    "phone number (phone), or by a custom attribute's value (`custom.<name>=<value>`, one "
                    "parameter per attribute, e.g. `custom.region=north`; not listed below, as its name "
                    "is the attribute's). At least one filter is required; every filter given must hold, "
                    "each as an exact match (a custom attribute's value as a read shows it). Only the "
                    "cases the user sees are found: those of the user's home and foreign departments, and "
                    "of departments that share with the home department with activity sharing on. "
                    "Ordered by id unless $sort says otherwise, paged by $pagenum and $pagesize; "
                    "paginationInfo.count is the number of cases found on all pages. Nothing on the "
                    "page asked for is 204. An unknown custom attribute is 400 (400-9017), any other "
                    "parameter 400 (400-101). "
                    f"A search considers at most {MAX_SEARCH_CANDIDATES:,} cases: those the user sees that "
                    "the customer filters match, else (when they match more) those each custom attribute "
                    "in turn matches; when every filter matches more than "
                    f"{MAX_SEARCH_CANDIDATES:,} cases the user sees, the search is too broad: 400 "
                    "(400-9030, details maxCandidates), to be narrowed with another filter.",
        parameters=search.parameters(),
    )
    @blp.response(200, V12CaseSearchPage, description="A page of the cases found.",
                  example=docs.search_example(CASE_URL, {"date": "2026-11-22T10:00:00.123Z",
                                                         "user": {"id": "1002", "name": "frank"}}),
                  headers=docs.CONTENT_LANGUAGE)
    @blp.alt_response(200, schema=V12CaseSearchPage, content_type=wire.XML, success=True,
                      description="A page of the cases found.")
    @blp.alt_response(204, description="No case found (or none on the page asked for).", success=True)
    def get(self):
        wanted = search.search_from_query(request.args)
        shown = attributes.requested()
        found = services().cases.search_cases(g.credentials, wanted)
        return search_response(found, wanted, CASE_URL, last_modified_object, shown)


@blp.route("/interaction/case")
class CaseEdit(MethodView):
    @document(
        *_EDIT_STATUSES,
        operationId="editCase",
        summary="Edit a case",
        description="Modifies one open case. Required: id and lastModified.date (or If-Match); "
                    "at least one of dueDate (future; \"\" removes it), owner.user.id, severity.value "
                    "(urgent, high, medium, low), subject, description, solution (each at most 1024 "
                    "characters; \"\" removes the value, null is refused), relatedCases (link/unlink; at "
                    "most 75 per case) and customAttributes. The user needs the Edit Case action and the "
                    "case in a department of theirs; assigning to someone else needs Transfer Activities "
                    "on them, editing a case another user owns needs Pull Activities on the owner. A "
                    "lastModified that is not the case's current one is 409, with the current value in "
                    "details. Success carries the new ETag.",
        parameters=[docs.IF_MATCH_HEADER],
        requestBody=docs.request_body(V12CaseEdit, docs.edit_examples(lambda date: {"date": date}, CASE_URL),
                          docs.edit_xml_example(CASE_URL)),
    )
    @blp.response(204, description="The case was modified; ETag holds its new version.",
                  headers={**docs.ETAG, **docs.CONTENT_LANGUAGE})
    def put(self):
        wire.reject_query_parameters()
        body = wire.load_body(_CASE_EDIT, BODY_PARSERS)
        last_modified = body.get("lastModified")
        cmd = commands.edit_command(
            body, api=API, href_pattern=HREF,
            last_modified=wire.parse_datetime(last_modified["date"], "lastModified.date") if last_modified else None,
            if_match=request.headers.get("If-Match"),
        )
        result = services().cases.edit_case(g.credentials, cmd)
        return no_content(etag=result.etag)


@blp.route("/interaction/case/<string:case_ids>")
class CaseRead(MethodView):
    @document(
        400, 401, 404,
        operationId="getCasesByIds",
        summary="Read cases",
        description=f"Up to {MAX_CASES_PER_READ} comma-separated case ids. Only the cases the user sees "
                    "(those of the user's home and foreign departments, and of departments that share with "
                    "the home department with activity sharing on) are answered; none found is 404. Each "
                    "case shows its summary, and more when $attribute asks for it.",
        parameters=[docs.CASE_IDS_PARAMETER, attributes.parameter("The attributes shown of each case.")],
    )
    @blp.response(200, V12Cases, description="The cases found. ETag when one case is read, whatever is shown.",
                  examples=docs.read_examples(CASE_URL, {"date": "2026-11-22T10:00:00.123Z",
                                                         "user": {"id": "1002", "name": "frank"}}),
                  headers={**docs.ETAG, **docs.CONTENT_LANGUAGE})
    @blp.alt_response(200, schema=V12Cases, content_type=wire.XML, success=True,
                      description="The cases found. ETag when one case is read, whatever is shown.")
    def get(self, case_ids: str):
        wire.reject_query_parameters(allowed=(attributes.PARAMETER,))
        ids = wire.parse_ids(case_ids)
        shown = attributes.requested()
        return cases_response(g.credentials, ids, CASE_URL, last_modified_object, shown)


@blp.route("/interaction/case/<string:case_id>/history")
class CaseHistoryRead(MethodView):
    @document(400, 401, 404, operationId="getCaseHistory", summary="Read a case's history",
              description=docs.HISTORY_DESCRIPTION + " The user sees the history of the cases the user may "
                          "read; any other case is 404, as its read is.",
              parameters=[docs.CASE_ID_PARAMETER, *PAGING_PARAMETERS_DOC])
    @blp.response(200, CaseHistory, description="A page of the case's history, newest first.",
                  example=HISTORY_EXAMPLE, headers=docs.CONTENT_LANGUAGE)
    @blp.alt_response(200, schema=CaseHistory, content_type=wire.XML, success=True,
                      description="A page of the case's history, newest first.")
    def get(self, case_id: str):
        return history_response(case_id)


@blp.route("/interaction/case/<string:case_id>/close")
class CaseClose(MethodView):
    @document(400, 401, 403, operationId="closeCase", summary="Close a case",
              description="Closes an open case (Close Case action); a case that is not open is 400.",
              parameters=[docs.CASE_ID_PARAMETER])
    @blp.response(204, description="The case was closed; ETag holds its new version.",
                  headers={**docs.ETAG, **docs.CONTENT_LANGUAGE})
    def put(self, case_id: str):
        wire.reject_query_parameters()
        ids = [wire.parse_id(case_id, "ID")]
        (result,) = services().cases.close_cases(g.credentials, ids, API)
        return no_content(etag=result.etag)


@blp.route("/interaction/case/attributes")
class CaseAttributes(MethodView):
    @document(400, 401, operationId="getCaseAttributes", summary="Custom attribute definitions",
              description="Lists the custom attributes configured for cases, with the allowed values of "
                          "the enumerated ones; 204 when there are none.",
              parameters=[{"in": "query", "name": "$attribute", "required": True,
                           "schema": {"type": "string", "enum": ["custom"]}}])
    @blp.response(200, EgainAttributeDefinitions, description="The custom attribute definitions.",
                  example={"customAttribute": [
                      {"attribName": "customer_rating", "attribType": "integer"},
                      {"attribName": "region", "attribType": "string",
                       "attribValues": {"attribValue": [{"value": "north"}, {"value": "south"}]}}]},
                  headers=docs.CONTENT_LANGUAGE)
    @blp.alt_response(200, schema=EgainAttributeDefinitions, content_type=wire.XML, success=True,
                      description="The custom attribute definitions.")
    @blp.alt_response(204, description="No custom attribute is configured.", success=True)
    def get(self):
        wire.reject_query_parameters(allowed=("$attribute",))
        if request.args.get("$attribute") != "custom":
            raise errors.InvalidAttributeValue("Query parameter '$attribute' must be 'custom'.",
                                               attribute="$attribute")
        definitions = custom_attribute_definitions(g.credentials)
        if not definitions:
            return no_content()
        return respond({"customAttribute": definitions}, xml_root="customAttributes")
