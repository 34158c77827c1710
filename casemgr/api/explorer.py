"""The API explorer: Swagger UI at /explorer, its JavaScript and CSS served by
the app from the flask-swagger-ui package's copy of the Swagger UI dist files.
No CDN and no online validator: the page works with no network at all.

flask-smorest renders the page (OPENAPI_SWAGGER_UI_PATH) and the spec
(/openapi.json); this module serves the assets, Swagger UI's own icon at
/favicon.ico (where browsers look for it), and sends / to the explorer.
"""

from __future__ import annotations

from importlib import resources

from flask import Blueprint, Flask, redirect, send_from_directory, url_for

EXPLORER_PATH = "explorer"
# Relative to the page (/explorer), so the assets follow the app wherever it is mounted.
ASSETS_URL = f"{EXPLORER_PATH}/assets/"

# flask-smorest's settings: the spec at /openapi.json, Swagger UI at /explorer.
SETTINGS = {
    "OPENAPI_URL_PREFIX": "/",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": EXPLORER_PATH,
    "OPENAPI_SWAGGER_UI_URL": ASSETS_URL,
    "OPENAPI_SWAGGER_UI_CONFIG": {
        "validatorUrl": None,  # the default would send the spec to an online validator
        "persistAuthorization": True,
        "displayRequestDuration": True,
        "showExtensions": True,
        "defaultModelsExpandDepth": 0,
    },
}

blp = Blueprint("explorer", __name__)


def assets_dir() -> str:
    return str(resources.files("flask_swagger_ui").joinpath("dist"))


@blp.get("/")
def root():
    return redirect(url_for("api-docs.openapi_swagger_ui"))


@blp.get(f"/{EXPLORER_PATH}/assets/<path:filename>")
def assets(filename: str):
    return send_from_directory(assets_dir(), filename, max_age=3600)


@blp.get("/favicon.ico")
def favicon():
    # A PNG under the .ico name: every browser reads it by its content.
    return send_from_directory(assets_dir(), "favicon-32x32.png", mimetype="image/png", max_age=86400)


def init_app(app: Flask) -> None:
    app.register_blueprint(blp)
