"""Webhook subscriptions (v3, ours): created, listed, read and deleted by the
OAuth client they belong to, and the recent attempts of their deliveries.

A subscription receives every change of the change feed from the moment it
was created (``casemgr.service.feed.horizon``), not the history before it.
Its secret is shown once, at creation, in the Standard Webhooks form
(``whsec_`` and the base64 of 32 random bytes), and stored sealed
(``WebhookSecrets``) because the worker needs it to sign every delivery.
The deliveries themselves are the worker's (``casemgr.service.delivery``).
"""

from __future__ import annotations

import base64
import os
import threading
from dataclasses import dataclass
from typing import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from casemgr.domain import errors, webhooks
from casemgr.domain.webhooks import DeliveryAttempt, Subscription
from casemgr.service import feed
from casemgr.service.auth import Authenticator
from casemgr.service.credentials import Credentials
from casemgr.service.ports import UnitOfWorkFactory

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


@dataclass(frozen=True)
class NewSubscription:
    subscription: Subscription
    secret: str  # shown this once


class WebhookService:
    def __init__(self, authenticator: Authenticator, unit_of_work: UnitOfWorkFactory, secrets: WebhookSecrets,
                 resolve: Resolver, *, allow_private_targets: bool):
        self._auth = authenticator
        self._unit_of_work = unit_of_work
        self._secrets = secrets
        self._resolve = resolve
        self._allow_private = allow_private_targets

    def create(self, credentials: Credentials, url: str, description: str) -> NewSubscription:
        """A subscription of the token's client, receiving the changes from
        now on. The credentials are checked first (401 and 403 before any
        fault of the URL); the URL's host is resolved outside any
        transaction, since a name server may take seconds to answer."""
        client_id = webhooks.manager_of(self._auth.check(credentials))
        target = webhooks.parse_target(url)
        description = webhooks.check_description(description)
        webhooks.check_addresses(target, self._resolve(target.host, target.port),
                                 allow_private=self._allow_private)
        secret = self._secrets.new_secret()
        with self._unit_of_work() as uow:
            subscription = uow.webhooks.insert_subscription(
                client_id, target.url, description, self._secrets.seal(secret), feed.horizon(uow))
        return NewSubscription(subscription, secret)

    def list(self, credentials: Credentials) -> list[Subscription]:
        with self._auth.unit_of_work(credentials, writes_case_data=False, single_statement=True) as (uow, actor_of):
            return uow.webhooks.subscriptions(webhooks.manager_of(actor_of()))

    def get(self, credentials: Credentials, subscription_id: int | None) -> Subscription:
        with self._auth.unit_of_work(credentials, writes_case_data=False, single_statement=True) as (uow, actor_of):
            client_id = webhooks.manager_of(actor_of())
            found = uow.webhooks.subscription(client_id, subscription_id) if subscription_id is not None else None
        if found is None:
            raise _not_found(subscription_id)
        return found

    def delete(self, credentials: Credentials, subscription_id: int | None) -> None:
        """Deletes the subscription with its deliveries; a delivery already
        on its way may still arrive."""
        with self._auth.unit_of_work(credentials, writes_case_data=False, single_statement=True) as (uow, actor_of):
            client_id = webhooks.manager_of(actor_of())
            deleted = uow.webhooks.delete_subscription(client_id, subscription_id) if subscription_id else False
        if not deleted:
            raise _not_found(subscription_id)

    def attempts(self, credentials: Credentials, subscription_id: int | None, limit: int) -> list[DeliveryAttempt]:
        """The most recent delivery attempts of the subscription, newest first."""
        with self._auth.unit_of_work(credentials, writes_case_data=False, single_statement=True) as (uow, actor_of):
            client_id = webhooks.manager_of(actor_of())
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
