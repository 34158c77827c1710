"""How credentials travel, parsed into the one ``Credentials`` value.

Each API says where its credentials are (a header, a bearer token, a cookie,
HTTP Basic, a touchpoint); what they are worth is the use case's to resolve
(``casemgr.service.auth``). An issued session id or token whose tag does not
verify is marked forged here, so it is refused before the body is read and
without a query.
"""

from __future__ import annotations

import ipaddress

from flask import request

from casemgr.api.context import services
from casemgr.service.credentials import CredentialKind, Credentials


def issued(api: str, kind: CredentialKind, presented: str | None, **options) -> Credentials:
    """A session id or token the service issued, if it says so: missing is
    no credential, a bad tag is forged."""
    if not presented:
        return Credentials(api=api, address=client_address(), **options)
    return Credentials(api=api, kind=kind, secret=presented, forged=not services().tags.verify(presented),
                       address=client_address(), **options)


def password(api: str, principal: str, secret: str, **options) -> Credentials:
    return Credentials(api=api, kind=CredentialKind.PASSWORD, principal=principal, secret=secret,
                       address=client_address(), **options)


def refuse_if_dead(credentials: Credentials) -> None:
    """Refuses at once what no query could accept (nothing names a
    principal, or its tag is forged): no body is read for it."""
    if credentials.answerable_without_database:
        services().auth.prepare(credentials)


def honor_forwarded_proto() -> None:
    """Behind a proxy named in CASEMGR_TRUSTED_PROXIES that terminates TLS,
    the request came over the scheme the proxy says (X-Forwarded-Proto):
    the Thalamus session cookie is then marked Secure."""
    trusted = services().trusted_proxies
    scheme = request.headers.get("X-Forwarded-Proto", "").strip().lower()
    if trusted and scheme in ("http", "https") and _within(request.remote_addr or "", trusted):
        request.environ["wsgi.url_scheme"] = request.scheme = scheme


def client_address() -> str:
    """The peer's address; behind a proxy named in CASEMGR_TRUSTED_PROXIES,
    the rightmost X-Forwarded-For entry that is not such a proxy."""
    peer = request.remote_addr or ""
    trusted = services().trusted_proxies
    if not trusted or not _within(peer, trusted):
        return _valid(peer)
    for hop in reversed([h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]):
        if not _within(hop, trusted):
            return _valid(hop)
    return _valid(peer)


def _within(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _valid(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return "0.0.0.0"
