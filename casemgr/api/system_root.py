"""eGain clients that use the context root call /system/ws/v12/...; the same
endpoints answer there, without a second set of routes in the spec."""

from __future__ import annotations

_PREFIX = "/system/ws/"


class SystemContextRoot:
    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(_PREFIX):
            environ["PATH_INFO"] = path[len("/system"):]
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "")
        return self.wsgi_app(environ, start_response)
