"""eGain Interaction API v12 endpoints. Each view parses, calls one use case
and answers; errors are rendered by the app's handler from the error table."""

from __future__ import annotations

import re

from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from casemgr.api import errors, wire
from casemgr.api.context import services
from casemgr.api.egain import commands
from casemgr.api.egain.negotiation import negotiate, with_content_language
from casemgr.api.egain.representation import case_representation, last_modified_object
from casemgr.api.egain.responses import BODY_PARSERS, no_content, respond
from casemgr.api.egain.schemas import EgainError
from casemgr.api.egain_v12.schemas import V12CaseEdit, V12Login
from casemgr.domain.model import MAX_CASES_PER_READ
from casemgr.domain.versions import etag_for

API = "egain-v12"
SESSION_HEADER = "X-egain-session"
CASE_URL = "/system/ws/v12/interaction/case/"
# The case id is the last segment of href; eGain clients send it with or
# without the /system context root.
HREF = re.compile(r"(?:https?://[^/]+)?(?:/system)?/ws/v12/interaction/case/(?P<id>[^/]+)")

blp = Blueprint(
    "egain_v12", __name__, url_prefix="/ws/v12",
    description="eGain Interaction API v12. Also served under the /system context root.",
)

PUBLIC_ENDPOINTS = {"egain_v12.Login"}

_ERRORS = (400, 401, 403, 406, 409, 412, 413, 415, 500, 503)


def document_errors(*statuses):
    def decorate(view):
        for status in statuses:
            view = blp.alt_response(status, schema=EgainError, description=f"eGain error body ({status})")(view)
        return view
    return decorate


@blp.before_request
def authenticate_and_negotiate():
    """SPEC precedence: 401, then 406, then 415, before any body is read."""
    if request.endpoint not in PUBLIC_ENDPOINTS:
        session_id = request.headers.get(SESSION_HEADER)
        g.actor = services().sessions.actor_for_session(API, session_id)
        g.session_id = session_id
    negotiate(language_required=False)


@blp.after_request
def echo_session(response):
    if getattr(g, "session_id", None) and getattr(g, "actor", None):
        response.headers[SESSION_HEADER] = g.session_id
    return with_content_language(response)


@blp.route("/authentication/user/login")
class Login(MethodView):
    @blp.doc(
        summary="Log in",
        description="Starts a session. The session id comes back in the X-egain-session header. "
                    "At most 5 sessions per user; forceLogin=yes ends the oldest.",
        requestBody={"required": True, "content": {"application/json": {"schema": V12Login}}},
    )
    @blp.response(204, description="Logged in; X-egain-session carries the session id.")
    @document_errors(400, 401, 403, 406, 415)
    def post(self):
        wire.reject_query_parameters(allowed=("forceLogin",))
        body = wire.load_body(V12Login(), BODY_PARSERS)
        login = body.get("userName") or body.get("username")
        if not login:
            raise errors.MissingElement("Required element 'userName' is missing.", attribute="userName")
        force = request.args.get("forceLogin", "").lower() == "yes"
        session_id = services().sessions.login_user(API, login, body["password"], force=force)
        return respond(None, 204, {SESSION_HEADER: session_id})


@blp.route("/authentication/user/logout")
class Logout(MethodView):
    @blp.doc(summary="Log out", description="Ends the session named by X-egain-session.")
    @blp.response(204, description="Logged out.")
    @document_errors(401)
    def delete(self):
        services().sessions.logout(g.session_id)
        g.actor = None  # the session ended: do not echo it
        return no_content()


@blp.route("/interaction/case")
class CaseEdit(MethodView):
    @blp.doc(
        summary="Edit a case",
        description="Modifies one open case (seed 003). Every rule of the edit applies; the case's "
                    "lastModified (or If-Match) must match. Success carries the new ETag.",
        requestBody={"required": True, "content": {"application/json": {"schema": V12CaseEdit}}},
    )
    @blp.response(204, description="The case was modified; ETag holds its new version.")
    @document_errors(*_ERRORS)
    def put(self):
        wire.reject_query_parameters()
        body = wire.load_body(V12CaseEdit(), BODY_PARSERS)
        last_modified = body.get("lastModified")
        cmd = commands.edit_command(
            body, api=API, href_pattern=HREF,
            last_modified=wire.parse_datetime(last_modified["date"], "lastModified.date") if last_modified else None,
            if_match=request.headers.get("If-Match"),
        )
        result = services().cases.edit_case(g.actor, cmd)
        return no_content(etag=result.etag)


@blp.route("/interaction/case/<string:case_ids>")
class CaseRead(MethodView):
    @blp.doc(summary="Read cases", description=f"Up to {MAX_CASES_PER_READ} comma-separated case ids.")
    @blp.response(200, description="The cases found, as {\"case\": [...]}; ETag of the first case.")
    @document_errors(400, 401, 404, 406)
    def get(self, case_ids: str):
        wire.reject_query_parameters()
        ids = [wire.parse_id(part, "ID") for part in case_ids.split(",")]
        views = services().cases.read_cases(g.actor, ids)
        if not views:
            raise errors.NoCaseFound("No case found for the given ID(s).")
        payload = {"case": [case_representation(v, CASE_URL, last_modified_object) for v in views]}
        single = len(views) == 1
        return respond(payload, 200, {"ETag": etag_for(views[0].id, views[0].last_modified)} if single else None)


@blp.route("/interaction/case/<string:case_id>/close")
class CaseClose(MethodView):
    @blp.doc(summary="Close a case", description="Closes an open case (Close Case action).")
    @blp.response(204, description="The case was closed.")
    @document_errors(400, 401, 403, 406, 409)
    def put(self, case_id: str):
        wire.reject_query_parameters()
        (result,) = services().cases.close_cases(g.actor, [wire.parse_id(case_id, "ID")], API)
        return no_content(etag=result.etag)


@blp.route("/interaction/case/attributes")
class CaseAttributes(MethodView):
    @blp.doc(summary="Custom attribute definitions",
             description="Lists the custom attributes configured for cases; 204 when there are none.",
             parameters=[{"in": "query", "name": "$attribute", "required": True,
                          "schema": {"type": "string", "enum": ["custom"]}}])
    @blp.response(200, description="The custom attribute definitions.")
    @document_errors(400, 401, 406)
    def get(self):
        wire.reject_query_parameters(allowed=("$attribute",))
        if request.args.get("$attribute") != "custom":
            raise errors.InvalidAttributeValue("Query parameter '$attribute' must be 'custom'.", attribute="$attribute")
        definitions = services().cases.custom_attribute_definitions()
        if not definitions:
            return no_content()
        return respond({"customAttribute": [_definition(d) for d in definitions]}, xml_root="customAttributes")


def _definition(definition) -> dict:
    shown = {"attribName": definition.name, "attribType": definition.data_type}
    if definition.allowed_values is not None:
        shown["attribValues"] = {"attribValue": [{"value": v} for v in definition.allowed_values]}
    return shown
