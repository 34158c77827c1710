"""Settings, read from ``CASEMGR_*`` environment variables.

Every variable is listed in docs/configuration.md. Nothing here connects anywhere: the
database URL may stay empty, in which case the command line starts the embedded
Postgres and fills it in before the app is created.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs

SUPPORTED_LANGUAGES = (
    "en-US", "es-ES", "fr-FR", "it-IT", "de-DE", "nl-NL", "pt-BR", "pt-PT",
    "da-DK", "ru-RU", "fr-CA", "zh-CN", "ja-JP", "ko-KR", "sv-SE",
)


# What a delivery may take beyond its HTTP timeout (resolving the name,
# recording the outcome) before its lease runs out.
LEASE_MARGIN_SECONDS = 5

_TRUE = ("true", "yes", "1", "on")
_FALSE = ("false", "no", "0", "off")


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("casemgr", appauthor=False))


@dataclass(frozen=True)
class Settings:
    database_url: str = ""
    data_dir: Path = field(default_factory=_default_data_dir)
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    threads: int = 4
    pool_size: int = 4
    header_read_timeout_seconds: int = 10
    body_read_timeout_seconds: int = 15
    session_idle_minutes: int = 30
    session_lifetime_minutes: int = 8 * 60
    max_sessions_per_user: int = 5
    token_lifetime_seconds: int = 3600
    default_language: str = "en-US"
    max_body_bytes: int = 1024 * 1024
    statement_timeout_ms: int = 5000
    lock_timeout_ms: int = 2000
    log_level: str = "INFO"
    password_hash_profile: str = "rfc9106-low-memory"
    password_hash_concurrency: int = 1
    throttle_window_seconds: int = 15 * 60
    throttle_per_account_and_address: int = 10
    throttle_per_account: int = 100
    throttle_per_address: int = 100
    # The per-account limit spares the addresses an account passed a check
    # from within these days, and these networks (comma-separated).
    throttle_familiar_days: int = 30
    throttle_trusted_networks: str = ""
    # Searches, history and feed reads under way at once per principal and
    # worker process (casemgr.service.fairshare).
    reads_in_flight_per_principal: int = 2
    # Comma-separated addresses or networks of the proxies whose
    # X-Forwarded-For is believed (the client address throttling counts by).
    trusted_proxies: str = ""
    # Webhooks (casemgr.service.webhooks, casemgr.service.delivery).
    webhook_allow_private_targets: bool = False
    webhook_timeout_seconds: float = 10.0
    webhook_retry_hours: float = 24.0
    webhook_retry_base_seconds: float = 30.0
    webhook_lease_seconds: float = 60.0
    webhook_poll_seconds: float = 0.5
    webhook_concurrency: int = 8
    # Subscriptions one OAuth client may have (casemgr.domain.webhooks).
    webhook_max_subscriptions_per_client: int = 25
    # How long creating a subscription waits for its host's name lookup
    # (casemgr.service.webhooks.HostLookups).
    webhook_lookup_timeout_seconds: float = 2.0
    # Comma-separated origins (scheme://host[:port]) whose browser pages may
    # call the APIs (CORS); none: CORS is off.
    cors_origins: str = ""

    @classmethod
    def from_env(cls, environ: os._Environ | dict | None = None) -> "Settings":
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = environ.get(f"CASEMGR_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = _convert(f.name, f.type, raw)
        settings = cls(**values)
        if settings.default_language not in SUPPORTED_LANGUAGES:
            raise ValueError(f"CASEMGR_DEFAULT_LANGUAGE must be one of {', '.join(SUPPORTED_LANGUAGES)}")
        for name in ("webhook_timeout_seconds", "webhook_retry_hours", "webhook_retry_base_seconds",
                     "webhook_poll_seconds", "webhook_concurrency", "reads_in_flight_per_principal",
                     "webhook_max_subscriptions_per_client", "webhook_lookup_timeout_seconds"):
            if getattr(settings, name) <= 0:
                raise ValueError(f"CASEMGR_{name.upper()} must be more than 0")
        if settings.webhook_lease_seconds <= settings.webhook_timeout_seconds + LEASE_MARGIN_SECONDS:
            # A lease that can run out while its worker still waits for the
            # answer lets a second, healthy worker deliver the same change.
            raise ValueError(f"CASEMGR_WEBHOOK_LEASE_SECONDS must exceed CASEMGR_WEBHOOK_TIMEOUT_SECONDS by more "
                             f"than {LEASE_MARGIN_SECONDS} seconds")
        settings.cors_origin_set  # refused now, not at the first request
        return settings

    @property
    def cors_origin_set(self) -> frozenset[str]:
        return parse_cors_origins(self.cors_origins)

    def with_overrides(self, **changes) -> "Settings":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def parse_cors_origins(text: str) -> frozenset[str]:
    """``CASEMGR_CORS_ORIGINS``: comma-separated origins, each
    ``scheme://host[:port]``, as browsers send them in ``Origin``. A
    wildcard, a path or anything else that is not an origin is refused,
    never read as something else."""
    origins = set()
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        if "*" in item:
            raise ValueError(f"CASEMGR_CORS_ORIGINS: {item!r}: a wildcard is not allowed; list each origin")
        parts = urlsplit(item)
        try:
            port = parts.port
        except ValueError:
            port = -1
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") \
                or parts.query or parts.fragment or parts.username is not None or port == -1:
            raise ValueError(f"CASEMGR_CORS_ORIGINS: {item!r} is not an origin such as https://app.example.com")
        # The serialization browsers send (RFC 6454): lower-case scheme and
        # host, the port only when given.
        origins.add(f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port is not None else ""))
    return frozenset(origins)


def _convert(name: str, type_name: str, raw: str):
    try:
        if type_name == "int":
            return int(raw)
        if type_name == "float":
            number = float(raw)
            if not math.isfinite(number):  # nan and inf pass every "> 0" check, and no interval holds them
                raise ValueError(raw)
            return number
        if type_name == "bool":
            if raw.strip().lower() not in _TRUE + _FALSE:
                raise ValueError(raw)
            return raw.strip().lower() in _TRUE
        if type_name == "Path":
            return Path(raw).expanduser()
        return raw
    except ValueError as exc:
        raise ValueError(f"CASEMGR_{name.upper()}: {raw!r} is not a valid {type_name}") from exc
