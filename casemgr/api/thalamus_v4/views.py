"""Thalamus REST API v4 endpoints. Each view parses, calls one use case and
answers; refusals are rendered by the app's handler from the error table, in
the flat ``{"errors": {...}}`` shape of ``responses.error_response``."""

from __future__ import annotations

from flask import after_this_request, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from casemgr.api import errors, wire
from casemgr.api.context import services
from casemgr.api.thalamus_v4 import auth, commands
from casemgr.api.thalamus_v4.responses import case_response, category_object, context_of
from casemgr.api.thalamus_v4.schemas import (
    ThalamusCaseBody,
    ThalamusCaseResponse,
    ThalamusCategories,
    ThalamusContextResponse,
    ThalamusErrors,
    ThalamusSignin,
)
from casemgr.domain import errors as domain

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
_CASE_BODY = {"required": True, "content": {wire.JSON: {"schema": ThalamusCaseBody}}}


_TOUCHPOINT_PARAMETERS = [
    {"in": location, "name": name, "required": False, "schema": {"type": "string"},
     "description": f"{what} ({other} works too; one of the two is required)."}
    for location, name, other, what in (
        ("query", "touchpoint", "header Thalamus-Touchpoint", "The touchpoint code"),
        ("query", "token", "header Thalamus-Token", "The touchpoint's token"),
        ("header", "Thalamus-Touchpoint", "query touchpoint", "The touchpoint code"),
        ("header", "Thalamus-Token", "query token", "The touchpoint's token"),
    )
]


def document_call(*statuses, parameters=()):
    """The touchpoint parameters, and the error map for each status the call
    can answer besides the two every call can (500, 503)."""
    def decorate(view):
        for status in (*statuses, 500, 503):
            view = blp.alt_response(status, schema=ThalamusErrors, description=f"Thalamus error map ({status})")(view)
        return blp.doc(parameters=[*_TOUCHPOINT_PARAMETERS, *parameters])(view)
    return decorate


@blp.before_request
def authenticate():
    """SPEC precedence: the 401s (touchpoint, then principal) before the request is read."""
    auth.check_touchpoint()
    if request.endpoint not in TOUCHPOINT_ONLY:
        g.actor = auth.principal()
    wire.reject_query_parameters(allowed=QUERY_PARAMETERS)


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
    @blp.doc(
        summary="Sign in",
        description="Signs in an operator (by login or email) or a party (by email). The session comes back "
                    "in an HttpOnly, SameSite=Lax cookie that the calls on cases accept.",
        requestBody={"required": True, "content": {wire.JSON: {"schema": ThalamusSignin}}},
    )
    @blp.response(200, ThalamusContextResponse, description="Signed in; the session cookie is set.")
    @document_call(400, 401, 413, 415)
    def post(self):
        body = load_json(ThalamusSignin())
        session_id, actor = auth.sign_in(body["principal"], body["password"])
        after_this_request(lambda response: auth.set_session_cookie(response, session_id))
        return {"context": context_of(actor)}


@blp.route("/logout")
class Logout(MethodView):
    @blp.doc(summary="Log out", description="Ends the session of the cookie, if any, and clears the cookie.")
    @blp.response(204, description="Logged out.")
    @document_call(400, 401)
    def get(self):
        auth.sign_out()
        after_this_request(auth.clear_session_cookie)
        return None


@blp.route("/cases/typecategory")
class CaseTypeCategory(MethodView):
    @blp.doc(summary="Categories and types",
             description="Every category (system nodes hold no cases) with its types and each type's case "
                         "data fields.")
    @blp.response(200, ThalamusCategories, description="The categories.")
    @document_call(400, 401)
    def get(self):
        return {"categories": [category_object(c) for c in services().creation.categories()]}


@blp.route("/cases")
class Cases(MethodView):
    @blp.doc(
        summary="Create a case",
        description="Creates a case with the body of the update; categoryCode and typeCode are mandatory. "
                    "An operator's case lands in the operator's home department, a party's case is the "
                    "party's own and lands in the first department. Without status, the initial status.",
        requestBody=_CASE_BODY,
    )
    @blp.response(201, ThalamusCaseResponse, description="The new case; ETag holds its version.")
    @document_call(400, 401, 413, 415)
    def post(self):
        cmd = commands.create_command(load_json(ThalamusCaseBody()), api=API)
        result = services().creation.create_case(g.actor, cmd)
        return case_response(g.actor, services().cases.read_case(g.actor, result.case_id))


@blp.route("/cases/<string:caseInstanceId>")
class Case(MethodView):
    @blp.doc(summary="Read a case",
             description="A case the principal may see: a party its own cases, an operator the cases of "
                         "its departments. Anything else is invalidId.")
    @blp.response(200, ThalamusCaseResponse, description="The case; ETag holds its version.")
    @document_call(400, 401)
    def get(self, caseInstanceId: str):
        view = services().cases.read_case(g.actor, parse_case_id(caseInstanceId))
        return case_response(g.actor, view)

    @blp.doc(
        summary="Update a case",
        description="Changes category and type (mandatory), status and resolution by name, appends comments "
                    "and, when caseData is given, sets every field of the type. A status whose state is "
                    "closed sets lastClosed. If-Match with the case's ETag makes the update conditional.",
        requestBody=_CASE_BODY,
    )
    @blp.response(201, ThalamusCaseResponse, description="The updated case; ETag holds its new version.")
    @document_call(400, 401, 412, 413, 415, parameters=[
        {"in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
         "description": "The case's ETag: the update happens only if the case is still that version (else 412)."},
    ])
    def put(self, caseInstanceId: str):
        cmd = commands.edit_command(
            parse_case_id(caseInstanceId), load_json(ThalamusCaseBody()),
            api=API, if_match=request.headers.get("If-Match"),
        )
        services().cases.edit_case(g.actor, cmd)
        # The ETag comes with the body it versions, read after the write.
        return case_response(g.actor, services().cases.read_case(g.actor, cmd.case_id))
