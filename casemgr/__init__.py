"""casemgr: three vendor "edit case" APIs over one domain and one Postgres."""

from __future__ import annotations


from flask import Flask

from casemgr.config import Settings

__version__ = "0.1.0"

OPENAPI_DESCRIPTION = """\
casemgr serves three public "edit case" APIs over one domain layer and one
Postgres database: eGain Interaction v12, eGain Case Manager v3 and Thalamus
REST v4. A case edited through one API is the same case, with the same
lastModified, in the other two.

Try it in the explorer: run POST /ws/v12/authentication/user/login (demo
login frank / frank-pass), copy the x-egain-session header of its answer into
Authorize (egainSession), read a case with GET /ws/v12/interaction/case/{case_ids}
and edit it with PUT /ws/v12/interaction/case, giving the lastModified.date you
read. v3 takes an OAuth 2 token (Authorize: egainOAuth2, client crm /
crm-secret); Thalamus v4 the touchpoint web / web-token and HTTP Basic.
"""


def create_app(settings: Settings | None = None, test_config: dict | None = None) -> Flask:
    """The one place that wires settings, database, services and blueprints.
    Opening the pool starts connecting in the background; nothing connects at
    import time, and the app answers 503 until Postgres does."""
    from casemgr.api import apidoc, explorer, health, routing
    from casemgr.api.egain import docs as egain_docs
    from casemgr.api.thalamus_v4 import docs as thalamus_v4_docs
    from casemgr.api.egain_v3 import oauth as egain_v3_oauth
    from casemgr.api.egain_v3 import views as egain_v3_views
    from casemgr.api.egain_v12 import views as egain_v12_views
    from casemgr.api.thalamus_v4 import views as thalamus_v4_views
    from casemgr.api.context import Services
    from casemgr.api.handlers import register_error_handlers, register_request_guards
    from casemgr.api.request_log import register_request_logging
    from casemgr.api.system_root import SystemContextRoot
    from casemgr.service.auth import SessionPolicy, SessionService
    from casemgr.service.cases import CaseService
    from casemgr.service.creation import CaseCreationService
    from casemgr.service.touchpoints import TouchpointService
    from casemgr.service.tokens import TokenService

    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        CASEMGR=settings,
        API_TITLE="casemgr",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.0.3",
        API_SPEC_OPTIONS={"info": {"description": OPENAPI_DESCRIPTION}},
        # Bodies are read by casemgr.api.wire with its own cap (413).
        MAX_CONTENT_LENGTH=None,
        **explorer.SETTINGS,
    )
    # JSON answers in plain UTF-8, as the eGain bodies are written: escaped, a
    # character outside the BMP costs 12 bytes, and a Thalamus case showing
    # 100 comments of 1,024 emoji would pass 1 MB.
    app.json.ensure_ascii = False
    if test_config:
        app.config.update(test_config)

    database = _database(settings)
    unit_of_work = database.unit_of_work
    app.extensions["casemgr"] = Services(
        cases=CaseService(unit_of_work),
        sessions=SessionService(unit_of_work, SessionPolicy(
            idle_seconds=settings.session_idle_minutes * 60,
            lifetime_seconds=settings.session_lifetime_minutes * 60,
            max_per_user=settings.max_sessions_per_user,
        )),
        tokens=TokenService(unit_of_work, settings.token_lifetime_seconds),
        creation=CaseCreationService(unit_of_work),
        touchpoints=TouchpointService(unit_of_work),
        is_ready=database.is_ready,
    )
    app.extensions["casemgr.database"] = database

    routing.register(app.url_map)
    api = apidoc.Api(app, spec_kwargs={"extra_plugins": [apidoc.XmlPlugin()]})
    apidoc.register_security_schemes(
        api.spec, egain_v12_views.SECURITY_SCHEMES, egain_v3_oauth.SECURITY_SCHEMES, thalamus_v4_docs.SECURITY_SCHEMES)
    egain_docs.register(api.spec)
    thalamus_v4_docs.register(api.spec)
    api.register_blueprint(health.blp)
    api.register_blueprint(egain_v12_views.blp)
    api.register_blueprint(thalamus_v4_views.blp)
    api.register_blueprint(egain_v3_oauth.token_blp)
    api.register_blueprint(egain_v3_views.blp)
    egain_v3_oauth.init_app(app)
    explorer.init_app(app)
    register_error_handlers(app)
    register_request_guards(app)
    register_request_logging(app)
    app.wsgi_app = SystemContextRoot(app.wsgi_app)
    return app


def _database(settings: Settings):
    from casemgr.db.database import Database, NoDatabase

    if not settings.database_url:
        return NoDatabase()
    database = Database(settings.database_url, settings)
    database.open()
    return database
