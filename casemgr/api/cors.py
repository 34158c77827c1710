"""CORS: the APIs answer browser pages of the origins ``CASEMGR_CORS_ORIGINS``
lists (``Settings.cors_origin_set``), and no other. Off (the default) when
it lists none: nothing here then runs, and a browser keeps every other
origin's page from reading an answer.

- An allowed origin's request gets ``Access-Control-Allow-Origin`` with that
  origin (never ``*``), ``Access-Control-Allow-Credentials: true`` (the
  Thalamus session cookie and HTTP Basic are credentials, which a wildcard
  may not carry), and ``Access-Control-Expose-Headers`` naming the headers a
  client reads: ``X-egain-session``, ``ETag``, ``Content-Language`` and
  ``Retry-After``.
- Its preflight (``OPTIONS`` with ``Access-Control-Request-Method``) is
  answered 204 before any credential is looked at: a browser sends none with
  a preflight, so it would otherwise be a 401. It allows the methods of the
  resource and the request headers of the three APIs.
- Every answer carries ``Vary: Origin``: whether it allows a page depends on
  the page's origin.
"""

from __future__ import annotations

from flask import Flask, Response, request

ALLOWED_HEADERS = (
    "Accept", "Accept-Language", "Authorization", "Content-Type", "If-Match", "X-egain-session",
    "X-egain-error-message", "Thalamus-Touchpoint", "Thalamus-Token",
)
EXPOSED_HEADERS = ("X-egain-session", "ETag", "Content-Language", "Retry-After")
# A browser asks again after this long (Chromium caps it at 2 hours).
MAX_AGE_SECONDS = 600


def init_app(app: Flask, origins: frozenset[str]) -> None:
    if not origins:
        return

    def answer_preflight() -> Response | None:
        if not (request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers
                and request.headers.get("Origin") in origins and request.url_rule is not None):
            return None
        # Every rule of the path: one path may have a view per method.
        allowed = app.url_map.bind_to_environ(request.environ).allowed_methods()
        methods = sorted(set(allowed) - {"HEAD", "OPTIONS"})
        return Response(status=204, headers={
            "Access-Control-Allow-Methods": ", ".join(methods),
            "Access-Control-Allow-Headers": ", ".join(ALLOWED_HEADERS),
            "Access-Control-Max-Age": str(MAX_AGE_SECONDS),
        })

    def allow_origin(response: Response) -> Response:
        response.vary.add("Origin")
        origin = request.headers.get("Origin")
        if origin in origins:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Credentials"] = "true"
            response.headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSED_HEADERS)
        return response

    # First among the hooks: before any blueprint looks for a credential.
    app.before_request_funcs.setdefault(None, []).insert(0, answer_preflight)
    app.after_request(allow_origin)
