"""eGain Case Manager API v3 endpoints. Same edit, same rules as
v12; what differs is the bearer token, the required Accept-Language, the
plain-string lastModified and the href prefix."""

from __future__ import annotations

import re

from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from casemgr.api import apidoc, credentials, errors, wire
from casemgr.api.context import services
from casemgr.api.egain import attributes, commands, docs
from casemgr.api.egain.negotiation import negotiate, with_content_language
from casemgr.api.egain.representation import last_modified_string
from casemgr.api.egain.responses import (
    BODY_PARSERS,
    cases_response,
    custom_attribute_definitions,
    error_response,
    history_response,
    no_content,
    respond,
)
from casemgr.api.egain_v3.oauth import SECURITY
from casemgr.api.egain_v3.schemas import V3AttributeDefinitions, V3CaseEdit, V3Cases, V3ClosedCaseEdit
from casemgr.api.history import feed_payload, requested_feed
from casemgr.api.history_schemas import FEED_EXAMPLE, HISTORY_EXAMPLE, PAGING_PARAMETERS_DOC, CaseHistory, ChangeFeed
from casemgr.domain.errors import ScopeNotGranted
from casemgr.domain.model import MAX_CASES_PER_READ, StateRequirement
from casemgr.service.credentials import CredentialKind
from casemgr.service.feed import DEFAULT_LIMIT as DEFAULT_FEED_LIMIT
from casemgr.service.feed import MAX_LIMIT as MAX_FEED_LIMIT
from casemgr.service.tokens import MANAGE_SCOPES

API = "egain-v3"
CASE_URL = "/core/casemgr/v3/case/"
HREF = re.compile(r"(?:https?://[^/]+)?/core/casemgr/v3/case/(?P<id>[^/]+)")
_BEARER = re.compile(r"Bearer\s+(?P<token>\S+)\s*", re.IGNORECASE)
BEARER_CHALLENGE = 'Bearer realm="casemgr"'

blp = Blueprint("egain_v3", __name__, url_prefix="/core/casemgr/v3",
                description="eGain Case Manager API v3. OAuth 2 bearer tokens from POST "
                            "/oauth2/token: a user token (password grant) or a client token (client "
                            "credentials). Accept-Language is required. JSON or XML both ways.")


def documenter(blueprint: Blueprint):
    """``document`` for a v3 blueprint: its bearer token, the headers every
    v3 call reads, and the eGain error body of each status: every call can
    also answer 401 and 403 (token and scope), 406 (Accept,
    Accept-Language), 415 (a body's Content-Type), 500 and 503."""
    def document(*statuses, **doc):
        def decorate(view):
            view = docs.document_errors(blueprint, *statuses, 401, 403, 406, 415, 500, 503)(view)
            parameters = [docs.accept_language(required=True), docs.ERROR_MESSAGE_HEADER,
                          *doc.pop("parameters", ())]
            return apidoc.documentation_only(blueprint.doc(security=SECURITY, parameters=parameters, **doc))(view)
        return decorate
    return document


document = documenter(blp)


_EDIT_STATUSES = (400, 409, 411, 412, 413)
_EDITED = {"description": "The case was modified; ETag holds its new version.",
           "headers": {**docs.ETAG, **docs.CONTENT_LANGUAGE}}


def bearer_token() -> str | None:
    match = _BEARER.fullmatch(request.headers.get("Authorization", ""))
    return match.group("token") if match else None


def install_hooks(blueprint: Blueprint, scopes: frozenset[str]) -> None:
    """What every v3 call goes through, for a blueprint whose calls need a
    token granting one of ``scopes``."""

    @blueprint.before_request
    def authenticate_and_negotiate():
        """401 (missing or bad token), 403 (scope), then 406 and 415. The
        token is checked by the use case, in its first message to the
        database; a fault found before it runs is answered once the token
        was checked on its own (``casemgr.api.handlers.handle_refusal``)."""
        g.credentials = credentials.issued(API, CredentialKind.TOKEN, bearer_token(), scopes=scopes)
        credentials.refuse_if_dead(g.credentials)
        negotiate(language_required=True)

    @blueprint.errorhandler(ScopeNotGranted)
    def scope_refused(exc: ScopeNotGranted):
        """The use case found the token live but without the scope: the
        answer challenges for it (``bearer_challenge``)."""
        g.scope_refused = True
        return error_response(exc)

    @blueprint.after_request
    def bearer_challenge(response):
        """RFC 6750 section 3: a 401 challenges for a bearer token, naming
        invalid_token when one was sent (a request without any says no
        error); a token without the scope the call needs is
        insufficient_scope."""
        if response.status_code == 401:
            challenge = BEARER_CHALLENGE
            if bearer_token() is not None:
                challenge += ', error="invalid_token", error_description="The access token is invalid or expired."'
            response.headers["WWW-Authenticate"] = challenge
        elif response.status_code == 403 and getattr(g, "scope_refused", False):
            response.headers["WWW-Authenticate"] = (
                f'{BEARER_CHALLENGE}, error="insufficient_scope", '
                f'error_description="The access token grants neither {" nor ".join(sorted(scopes))}."'
                if len(scopes) > 1 else
                f'{BEARER_CHALLENGE}, error="insufficient_scope", scope="{next(iter(scopes))}", '
                f'error_description="The access token does not grant {next(iter(scopes))}."')
        return with_content_language(response)


install_hooks(blp, MANAGE_SCOPES)


def edit_body(schema, *, state_requirement=StateRequirement.OPEN):
    wire.reject_query_parameters()
    body = wire.load_body(schema, BODY_PARSERS)
    last_modified = body.get("lastModified")
    return commands.edit_command(
        body, api=API, href_pattern=HREF,
        last_modified=wire.parse_datetime(last_modified, "lastModified") if last_modified is not None else None,
        if_match=request.headers.get("If-Match"),
        state_requirement=state_requirement,
    )


@blp.route("/case")
class CaseEdit(MethodView):
    @document(
        *_EDIT_STATUSES,
        operationId="editCaseV3",
        summary="Edit an open case",
        description="Modifies one open case. Required: id and lastModified (or If-Match); at "
                    "least one of dueDate (future; \"\" removes it), owner.user.id, severity.value, "
                    "subject, description, solution (each at most 1024 characters; \"\" removes the "
                    "value, null is refused), relatedCases (link/unlink; at most 75 per case) and "
                    "customAttributes. A user token is held to every permission of the edit (Edit Case, "
                    "departments, Transfer and Pull Activities, related cases' reach); a client token to "
                    "none, and to every data rule. A stale lastModified is 409.",
        parameters=[docs.IF_MATCH_HEADER],
        requestBody=docs.request_body(V3CaseEdit, docs.edit_examples(lambda date: date, CASE_URL)),
    )
    @blp.response(204, **_EDITED)
    def patch(self):
        result = services().cases.edit_case(g.credentials, edit_body(V3CaseEdit()))
        return no_content(etag=result.etag)


@blp.route("/case/closed")
class ClosedCaseEdit(MethodView):
    @document(
        *_EDIT_STATUSES,
        operationId="editClosedCase",
        summary="Edit the custom attributes of a closed case",
        description="Only customAttributes may change, on a closed case (an open one is 400); a user "
                    "needs the Manage Closed Case action. id, lastModified (or If-Match) and "
                    "customAttributes are required.",
        parameters=[docs.IF_MATCH_HEADER],
        requestBody=docs.request_body(V3ClosedCaseEdit, {"region": {"summary": "Set a custom attribute", "value": {
            "id": "1007", "lastModified": "2015-07-30T13:07:40.000Z",
            "customAttributes": {"customAttribute": [
                {"attribName": "region", "attribValues": {"attribValue": [{"value": "south"}]}}]}}}}),
    )
    @blp.response(204, **_EDITED)
    def patch(self):
        # The domain knows what a closed case allows and which action it needs.
        cmd = edit_body(V3ClosedCaseEdit(), state_requirement=StateRequirement.CLOSED)
        result = services().cases.edit_case(g.credentials, cmd)
        return no_content(etag=result.etag)


@blp.route("/case/<segment_except(closed,attributes):case_ids>")
class CaseRead(MethodView):
    @document(
        400, 404,
        operationId="getCasesByIdsV3",
        summary="Read cases",
        description=f"Up to {MAX_CASES_PER_READ} comma-separated case ids. A user token sees the cases of "
                    "the user's home and foreign departments, and of departments that share with the home "
                    "department with activity sharing on; a client token every case. None found is 404. "
                    "Each case shows its summary, and more when $attribute asks for it.",
        parameters=[docs.CASE_IDS_PARAMETER, attributes.parameter("The attributes shown of each case.")],
    )
    @blp.response(200, V3Cases, description="The cases found. ETag when one case is read, whatever is shown.",
                  examples=docs.read_examples(CASE_URL, "2026-11-22T10:00:00.123Z"),
                  headers={**docs.ETAG, **docs.CONTENT_LANGUAGE})
    @blp.alt_response(200, schema=V3Cases, content_type=wire.XML, success=True,
                      description="The cases found. ETag when one case is read, whatever is shown.")
    def get(self, case_ids: str):
        wire.reject_query_parameters(allowed=(attributes.PARAMETER,))
        ids = wire.parse_ids(case_ids)
        shown = attributes.requested()
        return cases_response(g.credentials, ids, CASE_URL, last_modified_string, shown)


@blp.route("/case/attributes")
class CaseAttributes(MethodView):
    @document(400, operationId="getCaseAttributesV3", summary="Custom attribute definitions",
              description="Lists the custom attributes configured for cases, with the allowed values of the "
                          "enumerated ones, in eGain's v3 shape (each item as v12 lists it); 204 when there are "
                          "none. $attribute is custom (or all: the same, as custom attributes are all a case "
                          "has).",
              parameters=[{"in": "query", "name": "$attribute", "required": True,
                           "schema": {"type": "string", "enum": ["custom", "all"]}, "example": "custom"}])
    @blp.response(200, V3AttributeDefinitions, description="The custom attribute definitions.",
                  example={"attribute": [
                      {"attribName": "customer_rating", "attribType": "integer"},
                      {"attribName": "region", "attribType": "string",
                       "attribValues": {"attribValue": [{"value": "north"}, {"value": "south"}]}}],
                      "resource": "case"},
                  headers=docs.CONTENT_LANGUAGE)
    @blp.alt_response(200, schema=V3AttributeDefinitions, content_type=wire.XML, success=True,
                      description="The custom attribute definitions.")
    @blp.alt_response(204, description="No custom attribute is configured.", success=True)
    def get(self):
        wire.reject_query_parameters(allowed=("$attribute",))
        if request.args.get("$attribute") not in ("custom", "all"):
            raise errors.InvalidAttributeValue("Query parameter '$attribute' must be 'custom' or 'all'.",
                                               attribute="$attribute")
        definitions = custom_attribute_definitions(g.credentials)
        if not definitions:
            return no_content()
        return respond({"attribute": definitions, "resource": "case"}, xml_root="attributes")


@blp.route("/case/<segment_except(closed,attributes):case_id>/history")
class CaseHistoryRead(MethodView):
    @document(400, 404, operationId="getCaseHistoryV3", summary="Read a case's history",
              description=docs.HISTORY_DESCRIPTION + " A user token sees the history of the cases it may "
                          "read, a client token every case's; any other case is 404, as its read is.",
              parameters=[docs.CASE_ID_PARAMETER, *PAGING_PARAMETERS_DOC])
    @blp.response(200, CaseHistory, description="A page of the case's history, newest first.",
                  example=HISTORY_EXAMPLE, headers=docs.CONTENT_LANGUAGE)
    @blp.alt_response(200, schema=CaseHistory, content_type=wire.XML, success=True,
                      description="A page of the case's history, newest first.")
    def get(self, case_id: str):
        return history_response(case_id)


@blp.route("/changes")
class Changes(MethodView):
    @document(
        400, operationId="getChanges", summary="Follow every change (the change feed)",
        description="Every change of every case a token may see, each once, in feed order: a client token "
                    "every case's, a user token those of the cases the user may read. Start without "
                    "after, then pass the next of each answer as after: a follower that does so sees every "
                    "committed change exactly once, each case's changes in the order they were committed, "
                    "also when transactions commit in another order than they started (a change whose "
                    "transaction is still open holds the feed back until it ends, and is never skipped). An "
                    "answer with fewer changes than limit has read everything committed so far; poll again "
                    "with its next. A cursor is opaque: one this feed did not hand out is 400 (400-9028).",
        parameters=[
            {"in": "query", "name": "after", "required": False, "schema": {"type": "string"},
             "description": "The next (or a change's cursor) of an earlier answer; left out, the feed "
                            "starts from the beginning."},
            {"in": "query", "name": "limit", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_FEED_LIMIT, "default": DEFAULT_FEED_LIMIT},
             "description": f"At most this many changes, up to {MAX_FEED_LIMIT}."},
        ],
    )
    @blp.response(200, ChangeFeed, description="The changes after the cursor, and where to read on.",
                  example=FEED_EXAMPLE, headers=docs.CONTENT_LANGUAGE)
    @blp.alt_response(200, schema=ChangeFeed, content_type=wire.XML, success=True,
                      description="The changes after the cursor, and where to read on.")
    def get(self):
        wire.reject_query_parameters(allowed=("after", "limit"))
        after, limit = requested_feed()
        page = services().feed.read(g.credentials, after, limit)
        return respond(feed_payload(page), xml_root="changeFeed")


@blp.route("/case/<segment_except(closed,attributes):case_ids>/close")
class CaseClose(MethodView):
    @document(400, operationId="closeCaseV3", summary="Close cases",
              description="Closes open cases, all or none (Close Case action); a case that is not open "
                          "is 400.",
              parameters=[docs.CASE_IDS_PARAMETER])
    @blp.response(204, description="The cases were closed; ETag when one case was closed.",
                  headers={**docs.ETAG, **docs.CONTENT_LANGUAGE})
    def put(self, case_ids: str):
        wire.reject_query_parameters()
        ids = wire.parse_ids(case_ids)
        results = services().cases.close_cases(g.credentials, ids, API)
        return no_content(etag=results[0].etag if len(results) == 1 else None)
