"""One structured log line per request. It names the query parameters but
never their values, and no header: session ids, tokens and passwords (which
travel in bodies, headers and Thalamus's token query parameter) never reach
the log."""

from __future__ import annotations

import json
import logging
import time

from flask import Flask, g, request

log = logging.getLogger("casemgr.requests")


def register_request_logging(app: Flask) -> None:
    @app.before_request
    def start_clock():
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        # The line is built only when it will be written.
        if not log.isEnabledFor(logging.INFO):
            return response
        started = getattr(g, "request_started", None)
        req = request._get_current_object()  # one context lookup for all it reads
        log.info(json.dumps({
            "method": req.method,
            "path": req.path,
            "query": sorted(req.args.keys()),
            "status": response.status_code,
            "ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
        }))
        return response
