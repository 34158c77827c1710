"""eGain Case Manager API v3 endpoints (seed 002). Same edit, same rules as
v12; what differs is the bearer token, the required Accept-Language, the
plain-string lastModified and the href prefix."""

from __future__ import annotations

import re

from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from casemgr.api import wire
from casemgr.api.context import services
from casemgr.api.egain import commands
from casemgr.api.egain.negotiation import negotiate, with_content_language
from casemgr.api.egain.representation import case_representation, last_modified_string
from casemgr.api.egain.responses import BODY_PARSERS, no_content, respond
from casemgr.api.egain.schemas import EgainError
from casemgr.api.egain_v3.schemas import V3CaseEdit, V3ClosedCaseEdit
from casemgr.api import errors
from casemgr.domain.model import MAX_CASES_PER_READ, StateRequirement
from casemgr.domain.versions import etag_for

API = "egain-v3"
CASE_URL = "/core/casemgr/v3/case/"
HREF = re.compile(r"(?:https?://[^/]+)?/core/casemgr/v3/case/(?P<id>[^/]+)")
_BEARER = re.compile(r"Bearer\s+(?P<token>\S+)\s*", re.IGNORECASE)

blp = Blueprint("egain_v3", __name__, url_prefix="/core/casemgr/v3",
                description="eGain Case Manager API v3. OAuth 2 bearer tokens from POST /oauth2/token.")

_ERRORS = (400, 401, 403, 406, 409, 412, 413, 415, 500, 503)


def document_errors(*statuses):
    def decorate(view):
        for status in statuses:
            view = blp.alt_response(status, schema=EgainError, description=f"eGain error body ({status})")(view)
        return view
    return decorate


def bearer_token() -> str | None:
    match = _BEARER.fullmatch(request.headers.get("Authorization", ""))
    return match.group("token") if match else None


@blp.before_request
def authenticate_and_negotiate():
    """401 (missing or bad token), 403 (scope), then 406 and 415."""
    g.actor = services().tokens.actor_for_manage(bearer_token())
    negotiate(language_required=True)


blp.after_request(with_content_language)


def edit_body(schema, *, state_requirement=StateRequirement.OPEN, required_action="Edit Case"):
    wire.reject_query_parameters()
    body = wire.load_body(schema, BODY_PARSERS)
    last_modified = body.get("lastModified")
    return commands.edit_command(
        body, api=API, href_pattern=HREF,
        last_modified=wire.parse_datetime(last_modified, "lastModified") if last_modified is not None else None,
        if_match=request.headers.get("If-Match"),
        state_requirement=state_requirement, required_action=required_action,
    )


@blp.route("/case")
class CaseEdit(MethodView):
    @blp.doc(
        summary="Edit an open case",
        description="Modifies one open case (seed 002). A user token is held to every permission; a "
                    "client token to none, and to every data rule. Accept-Language is required.",
        requestBody={"required": True, "content": {"application/json": {"schema": V3CaseEdit}}},
    )
    @blp.response(204, description="The case was modified; ETag holds its new version.")
    @document_errors(*_ERRORS)
    def patch(self):
        result = services().cases.edit_case(g.actor, edit_body(V3CaseEdit()))
        return no_content(etag=result.etag)


@blp.route("/case/closed")
class ClosedCaseEdit(MethodView):
    @blp.doc(
        summary="Edit the custom attributes of a closed case",
        description="Only customAttributes may change; the Manage Closed Case action is needed.",
        requestBody={"required": True, "content": {"application/json": {"schema": V3ClosedCaseEdit}}},
    )
    @blp.response(204, description="The case was modified; ETag holds its new version.")
    @document_errors(*_ERRORS)
    def patch(self):
        cmd = edit_body(V3ClosedCaseEdit(), state_requirement=StateRequirement.CLOSED,
                        required_action="Manage Closed Case")
        result = services().cases.edit_case(g.actor, cmd)
        return no_content(etag=result.etag)


@blp.route("/case/<string:case_ids>")
class CaseRead(MethodView):
    @blp.doc(summary="Read cases", description=f"Up to {MAX_CASES_PER_READ} comma-separated case ids.")
    @blp.response(200, description="The cases found, as {\"case\": [...]}; ETag when one case is read.")
    @document_errors(400, 401, 403, 404, 406)
    def get(self, case_ids: str):
        wire.reject_query_parameters()
        views = services().cases.read_cases(g.actor, parse_ids(case_ids))
        if not views:
            raise errors.NoCaseFound("No case found for the given ID(s).")
        payload = {"case": [case_representation(v, CASE_URL, last_modified_string) for v in views]}
        single = len(views) == 1
        return respond(payload, 200, {"ETag": etag_for(views[0].id, views[0].last_modified)} if single else None)


@blp.route("/case/<string:case_ids>/close")
class CaseClose(MethodView):
    @blp.doc(summary="Close cases", description="Closes open cases, all or none (Close Case action).")
    @blp.response(204, description="The cases were closed.")
    @document_errors(400, 401, 403, 406, 409)
    def put(self, case_ids: str):
        wire.reject_query_parameters()
        results = services().cases.close_cases(g.actor, parse_ids(case_ids), API)
        return no_content(etag=results[0].etag if len(results) == 1 else None)


def parse_ids(case_ids: str) -> list[int]:
    return [wire.parse_id(part, "ID") for part in case_ids.split(",")]
