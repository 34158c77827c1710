"""Liveness and readiness for load balancers and operators."""

from __future__ import annotations

from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from casemgr.api.context import services

blp = Blueprint("health", __name__, description="Liveness and readiness.")

# Probes need no credentials: declared, so that a reader (and a linter) sees it was meant.
PUBLIC: list = []


class HealthStatus(Schema):
    status = fields.String(required=True, metadata={"enum": ["ok", "ready", "unavailable"]})
    reason = fields.String(metadata={"description": "Why the service is not ready."})


@blp.route("/health")
class Health(MethodView):
    @blp.doc(operationId="getHealth", summary="Liveness", description="The process answers; touches nothing else.",
             security=PUBLIC)
    @blp.response(200, HealthStatus, description="Alive.", example={"status": "ok"})
    def get(self):
        return jsonify({"status": "ok"})


@blp.route("/health/ready")
class Ready(MethodView):
    @blp.doc(operationId="getReadiness", summary="Readiness", description="The database answers a query.",
             security=PUBLIC)
    @blp.response(200, HealthStatus, description="Ready.", example={"status": "ready"})
    @blp.alt_response(503, schema=HealthStatus, description="The database does not answer.",
                      example={"status": "unavailable", "reason": "database does not answer"})
    def get(self):
        if services().is_ready():
            return jsonify({"status": "ready"})
        response = jsonify({"status": "unavailable", "reason": "database does not answer"})
        response.status_code = 503
        return response
