"""Webhook subscriptions (v3, ours): created, listed, read and deleted by the
OAuth client they belong to, and the recent attempts of their deliveries.

A subscription receives every change of the change feed from the moment it
was created (``casemgr.service.feed.horizon``), not the history before it.
Its secret is shown once, at creation, in the Standard Webhooks form
(``whsec_`` and the base64 of 32 random bytes), and stored sealed
(``WebhookSecrets``) because the worker needs it to sign every delivery.
The deliveries themselves are the worker's (``casemgr.service.delivery``).

Creating one never lets a name server hold the service: the host is looked
up in a thread of its own (``HostLookups``), for at most a couple of
seconds, and only so many lookups run at once in a process; and a client
has at most so many subscriptions, counted under a lock so that creations
racing each other cannot pass the limit together.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import threading
from dataclasses import dataclass, field
from typing import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from casemgr.domain import errors, webhooks
from casemgr.domain.webhooks import DeliveryAttempt, Subscription, Target
from casemgr.service import feed
from casemgr.service.unit_of_work import UnitsOfWork
from casemgr.service.credentials import Credentials
from casemgr.service.errors import WebhookLookupsBusy

# A host name and port → the addresses it resolves to (empty: none).
Resolver = Callable[[str, int], list[str]]

DEFAULT_ATTEMPTS_SHOWN = 50
MAX_ATTEMPTS_SHOWN = 200


class WebhookSecrets:
    """New signing secrets, and sealing them for storage: AES-256-GCM under
    a key derived (HKDF-SHA256) from the database's server key, so a copy of
    the subscriptions table alone reveals no secret."""

    PREFIX = "whsec_"
    SECRET_BYTES = 32  # Standard Webhooks asks for 24 to 64
    _NONCE_BYTES = 12
    _PURPOSE = b"casemgr webhook signing secret v1"

    def __init__(self, server_key: Callable[[], bytes]):
        self._server_key = server_key
        self._aead: AESGCM | None = None
        self._lock = threading.Lock()

    def new_secret(self) -> str:
        return self.PREFIX + base64.b64encode(os.urandom(self.SECRET_BYTES)).decode("ascii")

    def seal(self, secret: str) -> bytes:
        nonce = os.urandom(self._NONCE_BYTES)
        return nonce + self._cipher().encrypt(nonce, secret.encode("ascii"), self._PURPOSE)

    def open(self, sealed: bytes) -> str:
        nonce, ciphertext = sealed[:self._NONCE_BYTES], sealed[self._NONCE_BYTES:]
        return self._cipher().decrypt(nonce, ciphertext, self._PURPOSE).decode("ascii")

    def _cipher(self) -> AESGCM:
        if self._aead is None:
            with self._lock:
                key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=self._PURPOSE).derive(
                    self._server_key())
                self._aead = AESGCM(key)
        return self._aead


class HostLookups:
    """Name lookups of the hosts of subscriptions being created, bounded in
    time and in number, so that a name server that never answers costs a
    request ``timeout_seconds`` at most and can hold only ``concurrency``
    threads of the process.

    Each lookup runs in a thread of its own (a daemon: a stuck lookup never
    holds up the process's exit); the request waits for it at most
    ``timeout_seconds``, then is refused as a host that does not resolve. A
    lookup cannot be cancelled (``getaddrinfo`` blocks until the system's
    resolver gives up, 10 s with its defaults), so one that outlives its
    request keeps its place until it ends: while ``concurrency`` lookups are
    under way, one more is turned away at once (``WebhookLookupsBusy``,
    503) rather than queued. An IP address is not looked up."""

    def __init__(self, resolve: Resolver, *, timeout_seconds: float, concurrency: int):
        if timeout_seconds <= 0 or concurrency < 1:
            raise ValueError("a lookup needs a timeout above 0 and at least one place")
        self._resolve = resolve
        self.timeout_seconds = timeout_seconds
        self.concurrency = concurrency
        self._lock = threading.Lock()
        self._running = 0

    def addresses(self, target: Target) -> list[str]:
        """The addresses the target's host resolves to (none: an empty
        list); ``WebhookTargetRefused`` when they did not come in time."""
        try:
            return [str(ipaddress.ip_address(target.host))]
        except ValueError:
            pass
        with self._lock:
            if self._running >= self.concurrency:
                raise WebhookLookupsBusy("Too many webhook hosts are being looked up; retry shortly.")
            self._running += 1
        lookup = _Lookup()

        def run() -> None:
            try:
                lookup.addresses = self._resolve(target.host, target.port)
            except BaseException as exc:  # raised again to the request, if it still waits
                lookup.failure = exc
            finally:
                self._ended()
                lookup.done.set()

        try:
            threading.Thread(target=run, name="webhook-lookup", daemon=True).start()
        except BaseException:
            self._ended()
            raise
        if not lookup.done.wait(self.timeout_seconds):
            raise webhooks.lookup_timed_out(target, self.timeout_seconds)
        if lookup.failure is not None:
            raise lookup.failure
        return lookup.addresses or []

    def in_flight(self) -> int:
        """Lookups under way, those that outlived their request included."""
        with self._lock:
            return self._running

    def _ended(self) -> None:
        with self._lock:
            self._running -= 1


@dataclass
class _Lookup:
    addresses: list[str] | None = None
    failure: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class NewSubscription:
    subscription: Subscription
    secret: str  # shown this once


class WebhookService:
    def __init__(self, units: UnitsOfWork, secrets: WebhookSecrets,
                 lookups: HostLookups, *, allow_private_targets: bool, max_subscriptions_per_client: int = 25):
        self._units = units
        self._secrets = secrets
        self._lookups = lookups
        self._allow_private = allow_private_targets
        self.max_subscriptions = max_subscriptions_per_client

    def create(self, credentials: Credentials, url: str, description: str) -> NewSubscription:
        """A subscription of the token's client, receiving the changes from
        now on.

        In this order: the credentials (401 and 403 before any fault of the
        URL), the URL and description, the client's count of subscriptions
        (at the limit, refused before any lookup: a client looping creates
        at its limit costs no name server anything), the host's addresses
        (looked up outside any transaction, bounded by ``HostLookups``),
        then, in one transaction, the count again under the client's lock
        and the insert: two creations at 24 of 25 make 25, never 26."""
        with self._units(credentials, transaction=False) as uow:
            client_id = webhooks.manager_of(uow.actor)
            target = webhooks.parse_target(url)
            description = webhooks.check_description(description)
            webhooks.check_subscription_count(uow.webhooks.count_subscriptions(client_id), self.max_subscriptions)
        webhooks.check_addresses(target, self._lookups.addresses(target), allow_private=self._allow_private)
        secret = self._secrets.new_secret()
        with self._units() as uow:
            webhooks.check_subscription_count(uow.webhooks.lock_and_count_subscriptions(client_id),
                                              self.max_subscriptions)
            subscription = uow.webhooks.insert_subscription(
                client_id, target.url, description, self._secrets.seal(secret), feed.horizon(uow))
            uow.commit()
        return NewSubscription(subscription, secret)

    def list(self, credentials: Credentials) -> list[Subscription]:
        with self._units(credentials, transaction=False) as uow:
            return uow.webhooks.subscriptions(webhooks.manager_of(uow.actor))

    def get(self, credentials: Credentials, subscription_id: int | None) -> Subscription:
        with self._units(credentials, transaction=False) as uow:
            client_id = webhooks.manager_of(uow.actor)
            found = uow.webhooks.subscription(client_id, subscription_id) if subscription_id is not None else None
        if found is None:
            raise _not_found(subscription_id)
        return found

    def delete(self, credentials: Credentials, subscription_id: int | None) -> None:
        """Deletes the subscription with its deliveries; a delivery already
        on its way may still arrive."""
        with self._units(credentials, transaction=False) as uow:
            client_id = webhooks.manager_of(uow.actor)
            deleted = uow.webhooks.delete_subscription(client_id, subscription_id) if subscription_id else False
        if not deleted:
            raise _not_found(subscription_id)

    def attempts(self, credentials: Credentials, subscription_id: int | None, limit: int) -> list[DeliveryAttempt]:
        """The most recent delivery attempts of the subscription, newest first."""
        with self._units(credentials, transaction=False) as uow:
            client_id = webhooks.manager_of(uow.actor)
            if not 1 <= limit <= MAX_ATTEMPTS_SHOWN:
                raise errors.InvalidValue(f"Value of 'limit' must be from 1 to {MAX_ATTEMPTS_SHOWN}.",
                                          attribute="limit", limit=MAX_ATTEMPTS_SHOWN)
            found = uow.webhooks.attempts(client_id, subscription_id, limit) if subscription_id else None
        if found is None:
            raise _not_found(subscription_id)
        return found


def _not_found(subscription_id: int | None) -> errors.WebhookNotFound:
    return errors.WebhookNotFound("No webhook subscription of this client has that id.",
                                  webhook_id=str(subscription_id) if subscription_id is not None else "")
