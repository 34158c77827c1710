"""The headers every response carries, set by the app itself so they hold
whatever HTTP server runs it. One hook, after every other one, on every
answer: views, refusals, routing errors (404, 405) and the 500 handler alike.

- ``X-Content-Type-Options: nosniff``: a browser takes each body for the type
  it declares and never sniffs it into another (a JSON answer echoing a value
  is never read as HTML or script).
- ``Cache-Control: no-store`` on every answer except the public documents:
  the explorer's static files (their own ``public, max-age=3600``) and the
  spec (``no-cache``: kept, but checked each time). The APIs' answers carry
  sessions, tokens, cookies and cases, and their refusals tell about cases too
  (a 409 gives the current lastModified); one rule for all, rather than a list
  of endpoints to keep in step, so no credential or case is ever stored by a
  browser or a shared cache. A refusal on a public document is no-store too.
- A 204 has no body, so it declares no ``Content-Type`` either.
- ``Server: casemgr``: the service's name, without a version, and never the
  product or version of the server or framework under it (granian would say
  ``server: granian``, werkzeug its and Python's versions).

No redirect is built from the request's ``Host``. werkzeug's routing answers
a path that is not a route's own spelling with a redirect to an absolute URL
made of the ``Host`` header (``//ws/v12//interaction/case`` →
``http://<Host>/ws/v12/interaction/case``, an empty path → ``http://<Host>/``):
here that is a 404 in the body of the API the path names instead. The one
redirect left, ``/`` → the explorer, is a path.
"""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.exceptions import NotFound
from werkzeug.routing import RequestRedirect

from casemgr.edge import SERVER

# Endpoints whose successful answers a cache may keep.
PUBLIC_DOCUMENTS = frozenset({"explorer.assets", "explorer.script", "api-docs.openapi_json"})


def init_app(app: Flask) -> None:
    """Runs first in the factory: app-level ``after_request`` hooks run in
    reverse order of registration, so this one, registered first, sees the
    headers every other hook set."""
    app.before_request(refuse_routing_redirects)
    app.after_request(set_response_headers)


def refuse_routing_redirects() -> None:
    """Routing failed with a redirect; Flask raises it after the hooks, as the
    answer: a 404 is raised instead."""
    if isinstance(request.routing_exception, RequestRedirect):
        request.routing_exception = NotFound()


def set_response_headers(response: Response) -> Response:
    headers = response.headers
    headers["Server"] = SERVER
    headers["X-Content-Type-Options"] = "nosniff"
    if request.endpoint in PUBLIC_DOCUMENTS and response.status_code < 400:
        headers.setdefault("Cache-Control", "no-cache")
    else:
        headers["Cache-Control"] = "no-store"
    if response.status_code == 204:
        headers.pop("Content-Type", None)
    return response
