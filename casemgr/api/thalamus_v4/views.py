"""Thalamus REST API v4 endpoints. Each view parses, calls one use case and
answers; refusals are rendered by the app's handler from the error table, in
the flat ``{"errors": {...}}`` shape of ``responses.error_response``."""

from __future__ import annotations

from flask import after_this_request, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from casemgr.api import apidoc, credentials, errors, wire
from casemgr.api.context import services
from casemgr.api.history import PAGING_PARAMETERS, history_payload, requested_page
from casemgr.api.history_schemas import HISTORY_EXAMPLE, PAGING_PARAMETERS_DOC, CaseHistory
from casemgr.api.thalamus_v4 import auth, commands, docs
from casemgr.api.thalamus_v4.responses import case_response, category_object, context_of
from casemgr.api.thalamus_v4.schemas import (
    ThalamusCaseBody,
    ThalamusCaseResponse,
    ThalamusCategories,
    ThalamusContextResponse,
    ThalamusSignin,
)
from casemgr.domain import errors as domain
from casemgr.service.auth import PRINCIPAL_KINDS
from casemgr.domain.model import COMMENTS_SHOWN, MAX_COMMENTS_PER_REQUEST

API = auth.API

blp = Blueprint(
    "thalamus_v4", __name__, url_prefix="/api/v4",
    description="Thalamus REST API v4. Every call carries a touchpoint and its token (query touchpoint/token "
                "or headers Thalamus-Touchpoint/Thalamus-Token); calls on cases also need an operator or "
                "party login (session cookie from /signin, or HTTP Basic).",
)

# Calls that need the touchpoint only; every other call also needs a principal.
TOUCHPOINT_ONLY = {"thalamus_v4.Signin", "thalamus_v4.Logout", "thalamus_v4.CaseTypeCategory"}
QUERY_PARAMETERS = ("touchpoint", "token")
# Calls that take eGain's paging besides.
PAGED = {"thalamus_v4.CaseHistoryRead": PAGING_PARAMETERS}
# Thalamus's documented example body and answer, on the test world's category and type.
_CASE_BODY = {"required": True, "content": {wire.JSON: {"schema": ThalamusCaseBody, "example": {
    "categoryCode": "Case6534", "typeCode": "Casetype6534", "status": "In Progress", "resolution": "Resolved",
    "comments": [{"description": "Called the customer back"}],
    "caseData": {"Boolean6534": True, "Decimal6534": 2.2, "Number6534": 2500},
}}}}
_CASE_EXAMPLE = {
    "context": {"simpleProfile": {"firstname": "Frank", "email": "frank@example.com"}},
    "case": {"id": 1013, "categoryCode": "Case6534", "categoryName": "Case 6534", "typeCode": "Casetype6534",
             "status": "In Progress", "resolution": "Resolved",
             "comments": [{"id": 1, "caseInstanceId": 1013, "description": "Called the customer back"}],
             "commentCount": 1,
             "caseData": {"Boolean6534": True, "Decimal6534": 2.2, "Number6534": 2500}},
}
_ETAG = apidoc.etag_header("The case's version")
_CASE_ID = {"in": "path", "name": "caseInstanceId", "required": True, "schema": {"type": "integer"},
            "example": 1013, "description": "The case's id."}


def document_call(*statuses, security=docs.PRINCIPAL_SECURITY, **doc):
    """The touchpoint (and principal) the call needs, and the error map of
    each status it can answer besides those every call can: 400 (a query
    parameter), 401 (touchpoint, principal), 500 and 503, and 429 on every
    call that checks a password (HTTP Basic, the signin)."""
    def decorate(view):
        throttled = (429,) if security is not docs.TOUCHPOINT_SECURITY or doc.get("operationId") == "signin" else ()
        view = docs.document_errors(blp, *statuses, *throttled, 400, 401, 500, 503)(view)
        return apidoc.documentation_only(blp.doc(security=security, **doc))(view)
    return decorate


@blp.before_request
def authenticate():
    """The order of faults: the 401s (touchpoint, then principal) before the
    request is read. The use case checks the credentials in its first
    message to the database; a fault found before it runs is answered once
    they were checked on their own (``casemgr.api.handlers.handle_refusal``)."""
    g.credentials = auth.request_credentials(needs_principal=request.endpoint not in TOUCHPOINT_ONLY)
    wire.reject_query_parameters(allowed=(*QUERY_PARAMETERS, *PAGED.get(request.endpoint, ())))


def load_json(schema) -> dict:
    """The JSON body, shape-checked; v4 speaks JSON only."""
    if wire.request_media_type() not in (None, wire.JSON):
        raise errors.UnsupportedMediaType(
            f"Content-Type '{request.content_type}' is not supported; use {wire.JSON}.", value=request.content_type
        )
    return wire.load_body(schema, {wire.JSON: wire.parse_json})


def parse_case_id(text: str) -> int:
    """A caseInstanceId that is not a number names no case: invalidId."""
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise domain.CaseNotFound(f"Case '{text}' does not exist.", case_id=text)
    return int(text)


@blp.route("/signin")
class Signin(MethodView):
    @document_call(
        411, 413, 415, security=docs.TOUCHPOINT_SECURITY,
        operationId="signin",
        summary="Sign in",
        description="Signs in an operator (by login or email) or a party (by email). The session comes back "
                    f"in the `{auth.SESSION_COOKIE}` cookie (HttpOnly, SameSite=Lax): send it back with the "
                    "calls on cases instead of HTTP Basic. A browser, this explorer included, does so by "
                    "itself; another client keeps it in its cookie jar. An operator at the session cap ends "
                    "the oldest session.",
        requestBody={"required": True, "content": {wire.JSON: {"schema": ThalamusSignin, "examples": {
            "operator": {"summary": "An operator", "value": {"principal": "frank", "password": "frank-pass"}},
            "party": {"summary": "A party", "value": {"principal": "john@example.com", "password": "john-pass"}},
        }}}},
    )
    @blp.response(200, ThalamusContextResponse, description="Signed in; the session cookie is set.",
                  example={"context": {"simpleProfile": {"firstname": "Frank", "email": "frank@example.com"}}},
                  headers={"Set-Cookie": {"description": f"`{auth.SESSION_COOKIE}=<session id>; HttpOnly; SameSite=Lax`",
                                          "schema": {"type": "string"}}})
    def post(self):
        body = load_json(ThalamusSignin())
        login = credentials.password(API, body["principal"], body["password"], touchpoint=g.credentials.touchpoint)
        # No forceLogin on v4: an operator or party at the cap ends its oldest session.
        session_id = services().sessions.login(login, kinds=PRINCIPAL_KINDS, force=True)
        actor = services().sessions.actor_of_session(API, session_id)
        after_this_request(lambda response: auth.set_session_cookie(response, session_id))
        return {"context": context_of(actor)}


@blp.route("/logout")
class Logout(MethodView):
    @document_call(security=docs.TOUCHPOINT_SECURITY, operationId="logoutV4", summary="Log out",
                   description="Ends the session of the cookie, if any, and clears the cookie.")
    @blp.response(204, description="Logged out.")
    def get(self):
        services().sessions.logout(g.credentials)
        after_this_request(auth.clear_session_cookie)
        return None


@blp.route("/cases/typecategory")
class CaseTypeCategory(MethodView):
    @document_call(security=docs.TOUCHPOINT_SECURITY, operationId="getTypeCategory",
                   summary="Categories and types",
                   description="Every category (system nodes hold no cases) with its types and each type's "
                               "case data fields.")
    @blp.response(200, ThalamusCategories, description="The categories.", example={"categories": [{
        "code": "Case6534", "name": "Case 6534", "system": False, "types": [{
            "code": "Casetype6534", "name": "Case type 6534", "fields": [
                {"name": "Boolean6534", "type": "boolean"}, {"name": "Decimal6534", "type": "decimal"},
                {"name": "Number6534", "type": "number"}]}]}]})
    def get(self):
        return {"categories": [category_object(c) for c in services().creation.categories(g.credentials)]}


@blp.route("/cases")
class Cases(MethodView):
    @document_call(
        411, 413, 415,
        operationId="createCase",
        summary="Create a case",
        description="Creates a case with the body of the update; categoryCode and typeCode are mandatory. "
                    "An operator needs the Edit Case action and its case lands unowned in the operator's "
                    "home department; a party's case is the party's own and lands in the first department. "
                    "Without status, the initial status.",
        requestBody=_CASE_BODY,
    )
    @blp.response(201, ThalamusCaseResponse, description="The new case; ETag holds its version.",
                  example=_CASE_EXAMPLE, headers=_ETAG)
    def post(self):
        cmd = commands.create_command(load_json(ThalamusCaseBody()), api=API)
        result = services().creation.create_case(g.credentials, cmd, newest_comments=COMMENTS_SHOWN)
        return case_response(result.actor, result.view)


@blp.route("/cases/<segment_except(typecategory):caseInstanceId>")
class Case(MethodView):
    @document_call(operationId="getCase", summary="Read a case",
                   description="A case the principal may see: a party its own cases, an operator the cases "
                               "of its departments. Anything else is invalidId. It shows the case's newest "
                               f"{COMMENTS_SHOWN} comments and, in commentCount, how many it holds.",
                   parameters=[_CASE_ID])
    @blp.response(200, ThalamusCaseResponse, description="The case; ETag holds its version.",
                  example=_CASE_EXAMPLE, headers=_ETAG)
    def get(self, caseInstanceId: str):
        case_id = parse_case_id(caseInstanceId)
        # Every v4 answer shows the newest comments only: none grows with the case's history.
        read = services().cases.read_case(g.credentials, case_id, newest_comments=COMMENTS_SHOWN)
        return case_response(read.actor, read.cases[0])

    @document_call(
        411, 412, 413, 415,
        operationId="updateCase",
        summary="Update a case",
        description="Changes category and type (mandatory), status and resolution by name, appends comments "
                    f"(at most {MAX_COMMENTS_PER_REQUEST} per request) and, when caseData is given, sets every "
                    "field of the type. The answer shows the newest "
                    f"{COMMENTS_SHOWN} comments and commentCount. A status whose "
                    "state is closed sets lastClosed. A case the principal may not see or edit is "
                    "invalidId, like an unknown one. If-Match with the case's ETag makes the update "
                    "conditional (412 when the case changed since).",
        parameters=[_CASE_ID, {
            "in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
            "description": "The case's ETag: the update happens only if the case is still that version "
                           "(else 412)."}],
        requestBody=_CASE_BODY,
    )
    @blp.response(201, ThalamusCaseResponse, description="The updated case; ETag holds its new version.",
                  example=_CASE_EXAMPLE, headers=_ETAG)
    def put(self, caseInstanceId: str):
        cmd = commands.edit_command(
            parse_case_id(caseInstanceId), load_json(ThalamusCaseBody()),
            api=API, if_match=request.headers.get("If-Match"),
        )
        # The ETag comes with the body it versions, read in the edit's own transaction.
        result = services().cases.edit_case(g.credentials, cmd, answer_with_view=True,
                                               newest_comments=COMMENTS_SHOWN)
        return case_response(result.actor, result.view)


@blp.route("/cases/<segment_except(typecategory):caseInstanceId>/history")
class CaseHistoryRead(MethodView):
    @document_call(operationId="getCaseHistoryV4", summary="Read a case's history",
                   description="Who changed what in the case, and through which API (v12, v3, v4, or a load), "
                               "newest first, in one vocabulary for every API. Paged as eGain pages: $pagenum "
                               "from 1, $pagesize 25 unless given, at most 75. A party sees the history of its "
                               "own cases, an operator that of the cases of its departments; anything else is "
                               "invalidId, as its read is.",
                   parameters=[_CASE_ID, *PAGING_PARAMETERS_DOC])
    @blp.response(200, CaseHistory, description="A page of the case's history, newest first.",
                  example=HISTORY_EXAMPLE)
    def get(self, caseInstanceId: str):
        case_id = parse_case_id(caseInstanceId)
        page = requested_page()
        found = services().history.case_history(g.credentials, case_id, page)
        if found is None:
            raise domain.CaseNotFound(f"Case {case_id} does not exist.", case_id=case_id)
        return history_payload(found)
