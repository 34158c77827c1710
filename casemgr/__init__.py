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
    from casemgr.api import apidoc, compression, cors, explorer, health, http_headers, routing
    from casemgr.api.egain import docs as egain_docs
    from casemgr.api.thalamus_v4 import docs as thalamus_v4_docs
    from casemgr.api.egain_v3 import oauth as egain_v3_oauth
    from casemgr.api.egain_v3 import views as egain_v3_views
    from casemgr.api.egain_v3 import webhooks as egain_v3_webhooks
    from casemgr.api.egain_v12 import views as egain_v12_views
    from casemgr.api.thalamus_v4 import views as thalamus_v4_views
    from casemgr.api.context import Services
    from casemgr.api.handlers import register_error_handlers, register_request_guards
    from casemgr.api import metrics as api_metrics
    from casemgr.api.request_log import register_request_logging
    from casemgr.api.system_root import SystemContextRoot
    from casemgr.service.cases import CaseService
    from casemgr.service.creation import CaseCreationService
    from casemgr.service.fairshare import ReadSlots
    from casemgr.service.feed import ChangeFeed
    from casemgr.service.history import HistoryService
    from casemgr.service.webhooks import WebhookSecrets, WebhookService

    settings = settings or Settings.from_env()
    # No static folder: the explorer serves its own files (casemgr.api.explorer).
    app = Flask(__name__, static_folder=None)
    http_headers.init_app(app)
    compression.init_app(app)
    cors.init_app(app, settings.cors_origin_set)
    app.config.update(
        CASEMGR=settings,
        API_TITLE="casemgr",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.0.3",
        API_SPEC_OPTIONS={
            "info": {"description": OPENAPI_DESCRIPTION,
                     "license": {"name": "MIT", "url": "https://opensource.org/licenses/MIT"}},
            # Relative: the host that serves the spec serves the APIs, wherever it runs.
            "servers": [{"url": "/", "description": "This server"}],
        },
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
    auth = _authentication(settings, database.unit_of_work)
    units = auth.units
    read_slots = ReadSlots(settings.reads_in_flight_per_principal)
    app.extensions["casemgr"] = Services(
        cases=CaseService(units, read_slots),
        sessions=auth.sessions,
        tokens=auth.tokens,
        creation=CaseCreationService(units),
        history=HistoryService(units, read_slots),
        feed=ChangeFeed(units, read_slots),
        webhooks=WebhookService(units, WebhookSecrets(auth.tags.key),
                                _host_lookups(settings),
                                allow_private_targets=settings.webhook_allow_private_targets,
                                max_subscriptions_per_client=settings.webhook_max_subscriptions_per_client),
        auth=auth.authenticator,
        tags=auth.tags,
        trusted_proxies=parse_networks(settings.trusted_proxies),
        read_slots=read_slots,
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
    api.register_blueprint(egain_v3_webhooks.blp)
    egain_v3_oauth.init_app(app)
    explorer.init_app(app)
    register_error_handlers(app)
    register_request_guards(app)
    register_request_logging(app)
    api_metrics.init_app(app)
    app.wsgi_app = SystemContextRoot(app.wsgi_app)
    return app


def _authentication(settings: Settings, unit_of_work):
    """Everything that checks credentials, wired once: the tags of issued
    credentials, password hashing and throttling, sessions and tokens."""
    from types import SimpleNamespace

    from casemgr.service.auth import Authenticator, SessionPolicy, SessionService
    from casemgr.service.credentials import CredentialTags
    from casemgr.service.passwords import PasswordChecker, PasswordHashing, ThrottlePolicy
    from casemgr.service.tokens import TokenService
    from casemgr.service.unit_of_work import UnitsOfWork

    def load_key() -> bytes:
        with unit_of_work(transaction=False) as uow:
            return uow.auth.server_key()

    tags = CredentialTags(load_key)
    passwords = PasswordChecker(
        unit_of_work,
        PasswordHashing(settings.password_hash_profile, settings.password_hash_concurrency),
        ThrottlePolicy(settings.throttle_window_seconds, settings.throttle_per_account_and_address,
                       settings.throttle_per_account, settings.throttle_per_address,
                       familiar_seconds=settings.throttle_familiar_days * 24 * 3600,
                       trusted_networks=parse_networks(settings.throttle_trusted_networks)),
        tags,
    )
    policy = SessionPolicy(idle_seconds=settings.session_idle_minutes * 60,
                           lifetime_seconds=settings.session_lifetime_minutes * 60,
                           max_per_principal=settings.max_sessions_per_user)
    authenticator = Authenticator(unit_of_work, policy, passwords)
    units = UnitsOfWork(unit_of_work, authenticator)
    return SimpleNamespace(
        tags=tags, authenticator=authenticator, units=units,
        sessions=SessionService(units, policy, passwords, tags, authenticator),
        tokens=TokenService(units, settings.token_lifetime_seconds, passwords, tags),
    )


def _host_lookups(settings: Settings):
    """Webhook host lookups: at most half the request threads (one at
    least) may wait on a name server at once, each for the lookup timeout at
    most, so a name server that never answers leaves the other half to
    everyone else (casemgr.service.webhooks.HostLookups)."""
    from casemgr.outbound import resolve_host
    from casemgr.service.webhooks import HostLookups

    return HostLookups(resolve_host, timeout_seconds=settings.webhook_lookup_timeout_seconds,
                       concurrency=max(1, settings.threads // 2))


def parse_networks(text: str):
    import ipaddress

    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


def _database(settings: Settings):
    from casemgr.db.database import Database, NoDatabase

    if not settings.database_url:
        return NoDatabase()
    database = Database(settings.database_url, settings)
    database.open()
    return database
