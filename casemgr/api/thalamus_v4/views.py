"""Thalamus REST API v4 endpoints. Each view parses, calls one use case and
answers; refusals are rendered by the app's handler from the error table, in
the flat ``{"errors": {...}}`` shape of ``responses.error_response``."""

from __future__ import annotations

from flask import Blueprint as FlaskBlueprint
from flask import after_this_request, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from casemgr.api import apidoc, credentials, errors, wire
from casemgr.api.context import services
from casemgr.api.history import PAGING_PARAMETERS, history_payload, requested_page
from casemgr.api.history_schemas import HISTORY_EXAMPLE, PAGING_PARAMETERS_DOC, CaseHistory
from casemgr.api.thalamus_v4 import auth, commands, docs
from casemgr.api.thalamus_v4.responses import (
    case_etag,
    case_object,
    case_response,
    comment_object,
    context_of,
    status_object,
    type_category_object,
)
from casemgr.api.thalamus_v4.schemas import (
    ThalamusAssignmentBody,
    ThalamusCase,
    ThalamusCaseBody,
    ThalamusCaseList,
    ThalamusCaseResponse,
    ThalamusCommentResponse,
    ThalamusContextResponse,
    ThalamusNoteBody,
    ThalamusNoteUpdateBody,
    ThalamusSignin,
    ThalamusStatuses,
    ThalamusTransitionBody,
    ThalamusTypeCategories,
)
from casemgr.domain import errors as domain
from casemgr.service.auth import PRINCIPAL_KINDS
from casemgr.domain.model import COMMENTS_SHOWN, MAX_ACTIVITY_LENGTH, MAX_COMMENTS_PER_REQUEST

API = auth.API

blp = Blueprint(
    "thalamus_v4", __name__, url_prefix="/api/v4",
    description="Thalamus REST API v4. Every call carries a touchpoint and its token (query touchpoint/token "
                "or headers Thalamus-Touchpoint/Thalamus-Token); calls on cases also need an operator or "
                "party login (session cookie from /signin, or HTTP Basic).",
)

# Calls that need the touchpoint only; every other call also needs a principal.
TOUCHPOINT_ONLY = {"thalamus_v4.Signin", "thalamus_v4.Logout", "thalamus_v4.CaseTypeCategory",
                   "thalamus_v4.CaseStatuses"}
# Every call takes these (the SDK sends touchpoint and token first in the query).
QUERY_PARAMETERS = ("touchpoint", "token", "activity")
TYPE_CATEGORY_PARAMETERS = ("visibility", "caseTypeCode", "caseCategoryCode")
# Calls that take more query parameters: eGain's paging, the catalogue's filters.
MORE_PARAMETERS = {"thalamus_v4.CaseHistoryRead": PAGING_PARAMETERS, "thalamus_v4.Cases": PAGING_PARAMETERS,
                   "thalamus_v4.CasesWithSlash": PAGING_PARAMETERS,
                   "thalamus_v4.CaseTypeCategory": TYPE_CATEGORY_PARAMETERS}
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
_ACTIVITY = [
    {"in": "query", "name": "activity", "required": False,
     "schema": {"type": "string", "maxLength": MAX_ACTIVITY_LENGTH},
     "description": "Thalamus's activity: recorded with the history entry of a write (else ignored). Longer "
                    f"than {MAX_ACTIVITY_LENGTH} characters, here or in the header, is `activity`: `InvalidFormat` "
                    "on every call."},
    {"in": "header", "name": auth.ACTIVITY_HEADER, "required": False,
     "schema": {"type": "string", "maxLength": MAX_ACTIVITY_LENGTH},
     "description": "The activity, as a header; the query parameter wins."},
]
_CASE_ID = {"in": "path", "name": "caseInstanceId", "required": True, "schema": {"type": "integer"},
            "example": 1013, "description": "The case's id."}


def document_call(*statuses, security=docs.PRINCIPAL_SECURITY, **doc):
    """The touchpoint (and principal) the call needs, and the error map of
    each status it can answer besides those every call can: 400 (a query
    parameter), 401 (touchpoint, principal), 500 and 503, and 429 on every
    call that checks a password (HTTP Basic, the signin)."""
    doc["parameters"] = [*doc.get("parameters", ()), *_ACTIVITY]

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
    wire.reject_query_parameters(allowed=(*QUERY_PARAMETERS, *MORE_PARAMETERS.get(request.endpoint, ())))
    auth.reject_overlong_activity()


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
    @document_call(
        security=docs.TOUCHPOINT_SECURITY, operationId="getTypeCategory", summary="Case types by category",
        description="Every case type with its category, a record per pair: of the categories the touchpoint "
                    "is permitted (every one unless configured), never a system category. `visibility=app` "
                    "leaves out the types not visible in the app; `caseTypeCode` and `caseCategoryCode` filter. "
                    "Beyond Thalamus's shape, `fields` lists each type's case data fields (what caseData holds).",
        parameters=[
            {"in": "query", "name": "visibility", "required": False,
             "schema": {"type": "string", "enum": ["app", "all"], "default": "all"}},
            {"in": "query", "name": "caseTypeCode", "required": False, "schema": {"type": "string"}},
            {"in": "query", "name": "caseCategoryCode", "required": False, "schema": {"type": "string"}},
        ])
    @blp.response(200, ThalamusTypeCategories, description="The types by category.", example={"caseTypeCategories": [{
        "caseTypeCode": "Casetype6534", "caseTypeName": "Case type 6534", "caseCategoryCode": "Case6534",
        "caseCategoryName": "Case 6534", "defaultAnswer": "", "fields": [
            {"name": "Boolean6534", "type": "boolean"}, {"name": "Decimal6534", "type": "decimal"},
            {"name": "Number6534", "type": "number"}]}]})
    def get(self):
        visibility = request.args.get("visibility", "all")
        if visibility not in ("app", "all"):
            raise errors.InvalidAttributeValue(
                f"Invalid value '{visibility}' for 'visibility': expected app or all.", attribute="visibility")
        found = services().creation.type_categories(
            g.credentials, app_only=visibility == "app", type_code=request.args.get("caseTypeCode"),
            category_code=request.args.get("caseCategoryCode"))
        return {"caseTypeCategories": [type_category_object(entry) for entry in found]}


@blp.route("/cases/status")
class CaseStatuses(MethodView):
    @document_call(security=docs.TOUCHPOINT_SECURITY, operationId="getCaseStatus", summary="Case statuses",
                   description="Every configured status: `initial`, the one a new case starts in; `finalState`, "
                               "one whose state is closed.")
    @blp.response(200, ThalamusStatuses, description="The statuses.", example={"caseStatuses": [
        {"statusName": "Open", "initial": True, "finalState": False},
        {"statusName": "In Progress", "initial": False, "finalState": False},
        {"statusName": "Closed", "initial": False, "finalState": True}]})
    def get(self):
        return {"caseStatuses": [status_object(s) for s in services().cases.statuses(g.credentials)]}


@blp.route("/cases")
class Cases(MethodView):
    @document_call(
        operationId="getCases", summary="The principal's cases",
        description="The principal's own cases, newest first: an operator's the cases it owns (of the "
                    "departments it sees), a party's its cases; only those of categories the touchpoint is "
                    "permitted, never those of a type not visible in the app. Paged as the history is: "
                    "$pagenum from 1, $pagesize 25 unless given, at most 75. No case: `{\"cases\": []}`. "
                    "`GET /api/v4/cases/` (as Thalamus's PHP SDK sends it) answers the same, without a redirect. "
                    f"Each case shows its newest {COMMENTS_SHOWN} comments.",
        parameters=list(PAGING_PARAMETERS_DOC))
    @blp.response(200, ThalamusCaseList, description="A page of the principal's cases.",
                  example={"cases": [_CASE_EXAMPLE["case"]]})
    def get(self):
        page = requested_page()
        found = services().cases.own_cases(g.credentials, page, newest_comments=COMMENTS_SHOWN)
        return {"cases": [case_object(view) for view in found.cases]}

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
        cmd = commands.create_command(load_json(ThalamusCaseBody()), api=API, activity=auth.request_activity())
        result = services().creation.create_case(g.credentials, cmd, newest_comments=COMMENTS_SHOWN)
        return case_response(result.actor, result.view)


@blp.route("/cases/<segment_except(typecategory,status):caseInstanceId>")
class Case(MethodView):
    @document_call(operationId="getCase", summary="Read a case",
                   description="A case the principal may see: a party its own cases, an operator the cases "
                               "of its departments. Anything else is invalidId. It shows the case's newest "
                               f"{COMMENTS_SHOWN} comments and, in commentCount, how many it holds.",
                   parameters=[_CASE_ID])
    @blp.response(200, ThalamusCase, description="The case object itself (Thalamus: \"the single case object "
                                                 "directly\"); ETag holds its version.",
                  example=_CASE_EXAMPLE["case"], headers=_ETAG)
    def get(self, caseInstanceId: str):
        case_id = parse_case_id(caseInstanceId)
        # Every v4 answer shows the newest comments only: none grows with the case's history.
        read = services().cases.read_case(g.credentials, case_id, newest_comments=COMMENTS_SHOWN)
        return case_object(read.cases[0]), case_etag(read.cases[0])

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
            api=API, if_match=request.headers.get("If-Match"), activity=auth.request_activity(),
        )
        # The ETag comes with the body it versions, read in the edit's own transaction.
        result = services().cases.edit_case(g.credentials, cmd, answer_with_view=True,
                                               newest_comments=COMMENTS_SHOWN)
        return case_response(result.actor, result.view)


@blp.route("/cases/<segment_except(typecategory,status):caseInstanceId>/history")
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


@blp.route("/cases/<segment_except(typecategory,status):caseInstanceId>/notes")
class CaseNotes(MethodView):
    @document_call(
        411, 413, 415, operationId="addCaseNote", summary="Add a note",
        description="Adds a comment to the case, as an update's `comments` does: the same rules (Edit Case for "
                    "an operator; a closed case takes none: `comments`: `Unsupported`), the same history entry.",
        parameters=[_CASE_ID],
        requestBody={"required": True, "content": {wire.JSON: {"schema": ThalamusNoteBody,
                                                               "example": {"description": "This is a note!"}}}})
    @blp.response(201, ThalamusCommentResponse, description="The new comment; ETag holds the case's new version.",
                  example={"context": _CASE_EXAMPLE["context"],
                           "comment": {"id": 2, "caseInstanceId": 1013, "description": "This is a note!"}},
                  headers=_ETAG)
    def post(self, caseInstanceId: str):
        case_id = parse_case_id(caseInstanceId)
        cmd = commands.add_note_command(case_id, load_json(ThalamusNoteBody()), api=API,
                                        activity=auth.request_activity(), if_match=request.headers.get("If-Match"))
        result = services().cases.edit_case(g.credentials, cmd, answer_with_view=True, newest_comments=1)
        return {"context": context_of(result.actor),
                "comment": comment_object(case_id, result.view.comments[-1])}, case_etag(result.view)

    @document_call(
        411, 413, 415, operationId="updateCaseNote", summary="Update a note",
        description="Rewrites a comment of the case. A comment of another case (or, for a party, one it did not "
                    "write) is `comment`: `InvalidId`. The history records `comments.<id>` with the text before "
                    "and after. 201, as Thalamus answers it.",
        parameters=[_CASE_ID],
        requestBody={"required": True, "content": {wire.JSON: {"schema": ThalamusNoteUpdateBody,
                                                               "example": {"id": "1", "description": "Corrected"}}}})
    @blp.response(201, ThalamusCommentResponse, description="The comment as rewritten.",
                  example={"context": _CASE_EXAMPLE["context"],
                           "comment": {"id": 1, "caseInstanceId": 1013, "description": "Corrected"}},
                  headers=_ETAG)
    def put(self, caseInstanceId: str):
        case_id = parse_case_id(caseInstanceId)
        body = load_json(ThalamusNoteUpdateBody())
        comment_id = parse_comment_id(body["id"], case_id)
        cmd = commands.update_note_command(case_id, comment_id, body, api=API, activity=auth.request_activity(), if_match=request.headers.get("If-Match"))
        result = services().cases.edit_case(g.credentials, cmd, answer_with_view=True, newest_comments=0)
        return {"context": context_of(result.actor),
                "comment": {"id": comment_id, "caseInstanceId": case_id, "description": body["description"]}}, \
            case_etag(result.view)


def parse_comment_id(value, case_id: int) -> int:
    """The SDK sends the id as given, a number or a string: a comment id
    that is neither names no comment (InvalidId)."""
    text = str(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise domain.CommentNotFound(f"Comment '{value}' is not a comment of case {case_id}.",
                                     comment_id=value, case_id=case_id)
    return int(text)


@blp.route("/cases/<segment_except(typecategory,status):caseInstanceId>/transitions")
class CaseTransitions(MethodView):
    @document_call(
        411, 413, 415, operationId="changeCaseStatus", summary="Change the status",
        description="Moves an open case to a status the configured transitions lead to from its current one "
                    "(none configured for it: any status). A closed case is `statusName`: "
                    "`statusIsAlreadyClose`; an unknown status or one that may not follow, `statusName`: "
                    "`invalid`; none (or null), `statusName`: `Required`. Closing needs Close Case.",
        parameters=[_CASE_ID],
        requestBody={"required": True, "content": {wire.JSON: {"schema": ThalamusTransitionBody,
                                                               "example": {"statusName": "Closed"}}}})
    @blp.response(201, ThalamusCaseResponse, description="The case in its new status.", example=_CASE_EXAMPLE,
                  headers=_ETAG)
    def put(self, caseInstanceId: str):
        case_id = parse_case_id(caseInstanceId)
        status_name = required_string(load_json(ThalamusTransitionBody()), "statusName")
        cmd = commands.transition_command(case_id, status_name, api=API, activity=auth.request_activity(), if_match=request.headers.get("If-Match"))
        result = services().cases.edit_case(g.credentials, cmd, answer_with_view=True,
                                            newest_comments=COMMENTS_SHOWN)
        return case_response(result.actor, result.view)


@blp.route("/cases/<segment_except(typecategory,status):caseInstanceId>/assignment")
class CaseAssignment(MethodView):
    @document_call(
        403, 411, 413, 415, operationId="assignCase", summary="Assign a case",
        description="Makes the operator with the e-mail address the owner of the open case, by the rules of "
                    "every owner change: Transfer Activities on that operator, Pull Activities on the current "
                    "owner, the case in one of the operator's departments. A party may not assign (invalidId). "
                    "casemgr has no operator groups: `groupName` alone is `invalidName`, with `email` `invalid`.",
        parameters=[_CASE_ID],
        requestBody={"required": True, "content": {wire.JSON: {"schema": ThalamusAssignmentBody,
                                                               "example": {"email": "alice@example.com"}}}})
    @blp.response(201, ThalamusCaseResponse, description="The case with its new owner.", example=_CASE_EXAMPLE,
                  headers=_ETAG)
    def put(self, caseInstanceId: str):
        case_id = parse_case_id(caseInstanceId)
        body = load_json(ThalamusAssignmentBody())
        if body.get("groupName") is not None:
            raise assignment_to_group(body)
        email = required_string(body, "email")
        cmd = commands.assignment_command(case_id, email, api=API, activity=auth.request_activity(), if_match=request.headers.get("If-Match"))
        result = services().cases.edit_case(g.credentials, cmd, answer_with_view=True,
                                            newest_comments=COMMENTS_SHOWN)
        return case_response(result.actor, result.view)


def assignment_to_group(body: dict) -> errors.WireError:
    """casemgr has no operator groups: a group alone names none that exists;
    with an e-mail address too, the body names two owners."""
    if body.get("email") is not None:
        return errors.InvalidAttributeValue("Give either email or groupName, not both.", attribute="email")
    return errors.UnsupportedElement(f"Operator group '{body['groupName']}' does not exist.", attribute="groupName")


def required_string(body: dict, name: str) -> str:
    """A member Thalamus requires, for which its SDK sends null when its
    caller gives none: null is missing too."""
    value = body.get(name)
    if value is None:
        raise errors.MissingElement(f"Required element '{name}' is missing.", attribute=name)
    return value


# Thalamus's PHP SDK lists cases at /cases/ (trailing slash) and follows no
# redirect: the same view answers there, undocumented (the spec has /cases).
FlaskBlueprint.add_url_rule(blp, "/cases/", view_func=Cases.as_view("CasesWithSlash"), methods=["GET"])
