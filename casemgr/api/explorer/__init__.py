"""The API explorer: Swagger UI at /explorer, its JavaScript and CSS served by
the app from the flask-swagger-ui package's copy of the Swagger UI dist files.
No CDN and no online validator: the page works with no network at all.

flask-smorest serves the spec (/openapi.json); this module serves the page,
its files, Swagger UI's own icon at /favicon.ico (where browsers look for
it), and sends / to the explorer. The page is this module's own, not
flask-smorest's (OPENAPI_SWAGGER_UI_PATH), because that one starts Swagger UI
with an inline script: here the configuration travels as a JSON data block
and explorer.js starts Swagger UI, so the page's Content-Security-Policy can
refuse every inline script. Swagger UI keeps the credentials a user
authorizes with in localStorage: any script injected into the page, or a
page that frames it, could read or use them.

The Authorize dialog lists the credentials grouped by API, each group under
its label, in the order the app registers the security schemes (eGain v12's
session first, its box focused): the label is what a scheme's description
starts with, before " — " ("eGain v12 — the session id ..."), so the spec
tells every reader the same. explorer.js does the ordering, the labels and
the focus as a Swagger UI plugin.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from flask import Blueprint, Flask, current_app, redirect, render_template, send_from_directory, url_for

EXPLORER_PATH = "explorer"
# Relative to the page (/explorer), so the files follow the app wherever it is mounted.
ASSETS_URL = f"{EXPLORER_PATH}/assets/"
STATIC_DIR = Path(__file__).parent / "static"
FILES_MAX_AGE = 3600
# A security scheme's description starts with its API's label and this.
LABEL_SEPARATOR = " — "

# flask-smorest's settings: the spec at /openapi.json.
SETTINGS = {
    "OPENAPI_URL_PREFIX": "/",
    "OPENAPI_JSON_PATH": "openapi.json",
}

SWAGGER_UI_CONFIG = {
    "validatorUrl": None,  # the default would send the spec to an online validator
    "persistAuthorization": True,
    "displayRequestDuration": True,
    "showExtensions": True,
    "defaultModelsExpandDepth": 0,
}

# Only the app's own origin, for everything the page loads or calls.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    # No 'unsafe-inline' for styles either: Swagger UI (React) sets its
    # inline styles through the DOM's style property, which the policy does
    # not govern; the browser test uses the page and sees no violation.
    "style-src 'self'",
    "img-src 'self' data:",  # Swagger UI's icons are data: URLs in its CSS
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate CSP 2
}

blp = Blueprint("explorer", __name__, template_folder="templates")


def assets_dir() -> str:
    return str(resources.files("flask_swagger_ui").joinpath("dist"))


@blp.get("/")
def root():
    # A path: the Location never names the Host the request came with.
    return redirect(url_for("explorer.page"))


def authorize_groups(schemes: dict[str, dict]) -> list[dict]:
    """The Authorize dialog's groups, in the order of ``schemes`` (as the app
    registers them): each API's label, from its schemes' descriptions, and
    the names of its schemes. A scheme whose description names no API comes
    under an empty label (no heading)."""
    groups: dict[str, list[str]] = {}
    for name, scheme in schemes.items():
        label, separator, _ = scheme.get("description", "").partition(LABEL_SEPARATOR)
        groups.setdefault(label.strip() if separator else "", []).append(name)
    return [{"label": label, "schemes": names} for label, names in groups.items()]


def _security_schemes() -> dict[str, dict]:
    spec = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec
    return spec.components.security_schemes


@blp.get(f"/{EXPLORER_PATH}")
def page():
    config = {"url": url_for("api-docs.openapi_json"), "dom_id": "#swagger-ui-container", **SWAGGER_UI_CONFIG,
              # explorer.js's own, taken out before Swagger UI sees the rest.
              "casemgr": {"authorizeGroups": authorize_groups(_security_schemes())}}
    html = render_template("explorer.html", assets=ASSETS_URL, script=f"{EXPLORER_PATH}/explorer.js",
                           style=f"{EXPLORER_PATH}/explorer.css", config=config)
    return html, PAGE_HEADERS


@blp.get(f"/{EXPLORER_PATH}/explorer.js")
def script():
    return send_from_directory(STATIC_DIR, "explorer.js", max_age=FILES_MAX_AGE)


@blp.get(f"/{EXPLORER_PATH}/explorer.css")
def style():
    return send_from_directory(STATIC_DIR, "explorer.css", max_age=FILES_MAX_AGE)


@blp.get(f"/{EXPLORER_PATH}/assets/<path:filename>")
def assets(filename: str):
    return send_from_directory(assets_dir(), filename, max_age=FILES_MAX_AGE)


@blp.get("/favicon.ico")
def favicon():
    # A PNG under the .ico name: every browser reads it by its content.
    return send_from_directory(assets_dir(), "favicon-32x32.png", mimetype="image/png", max_age=86400)


def init_app(app: Flask) -> None:
    app.register_blueprint(blp)
