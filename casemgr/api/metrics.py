"""GET /metrics for Prometheus, and what every request adds to it.

Each answered request counts by API, operation (the endpoint's name) and
status, and its time goes into a histogram; a 409 or 412 counts as a stale
edit too; the database pool's size, lent and waiting connections are
sampled after every request. The route is operational, not part of the
APIs: it is not in the OpenAPI spec. See casemgr.metrics for how the
samples of several worker processes add up.
"""

from __future__ import annotations

import time

from flask import Flask, Response, current_app, g, request

from casemgr import metrics

# Path prefix → the API label of the metrics.
APIS = (("/ws/v12/", "egain-v12"), ("/core/casemgr/v3/", "egain-v3"), ("/oauth2/", "oauth2"),
        ("/api/v4/", "thalamus-v4"))


def api_of(path: str) -> str:
    for prefix, name in APIS:
        if path.startswith(prefix):
            return name
    return "other"


def init_app(app: Flask) -> None:
    app.add_url_rule("/metrics", "metrics", serve_metrics, methods=["GET"])

    @app.before_request
    def start_metrics_clock():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def record(response):
        started = g.get("metrics_started")
        api, operation = api_of(request.path), request.endpoint or "none"
        status = response.status_code
        metrics.REQUESTS.labels(api, operation, str(status)).inc()
        if started is not None:
            metrics.LATENCY.labels(api, operation).observe(time.perf_counter() - started)
        if status in (409, 412):
            metrics.CONFLICTS.labels(api, str(status)).inc()
        metrics.observe_pool(current_app.extensions["casemgr.database"].stats())
        return response


def serve_metrics() -> Response:
    body, content_type = metrics.exposition()
    return Response(body, content_type=content_type)
