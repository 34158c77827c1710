"""The unit of work of a use case: the only way a use case reaches the database.

``UnitsOfWork`` opens one on the store (``casemgr.service.ports.UnitOfWork``)
for the request's credentials and queues their check as its first statement
(``Authenticator.queue``), so the check travels in the first message the use
case sends, ahead of the case locks. Two promises hold whatever the use case
does:

- **The credentials are judged.** ``actor`` answers who they stand for, or
  raises the refusal; ``commit()`` asks it before anything is committed; and
  the block's end asks it at the latest. A use case that never asks for its
  actor still refuses an expired or revoked credential. A fault raised inside
  the block, once the check was answered, gives way to the credential's
  refusal (401 comes first in the order of faults); when it was not sent yet,
  the API's error handler checks the credentials on their own
  (``Authenticator.refusal_first``).
- **Only ``commit()`` keeps writes.** A block that ends without it, or raises,
  rolls back. A refused edit keeps its session alive by saying so
  (``keep_session_alive``), never by swallowing its refusal.

Without a transaction (``transaction=False``: reads, and single-statement
writes), each message is atomic on its own and commits as it is sent, so a
block that sends one message costs one round trip, the credential check
included; a use case that writes there asks for its actor first, and a write
still queued when the block ends is kept only by ``commit()``.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from casemgr.domain.model import EVERY_CATEGORY, Actor, TouchpointScope
from casemgr.service.credentials import Credentials
from casemgr.service.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from casemgr.service.auth import Authenticator, CredentialCheck


class UnitOfWork:
    """What a use case holds: the store's repositories, the actor, commit."""

    def __init__(self, store, check: CredentialCheck | None, *, transaction: bool = True):
        self._store = store
        self._check = check
        self._transaction = transaction
        self.cases = store.cases
        self.auth = store.auth
        self.thalamus = store.thalamus
        self.history = store.history
        self.webhooks = store.webhooks

    @property
    def actor(self) -> Actor:
        """Who the credentials stand for: sends the check if it was not sent
        yet, and raises the refusal of a dead credential."""
        if self._check is None:
            raise RuntimeError("a unit of work without credentials has no actor")
        return self._check.actor()

    @property
    def touchpoint_scope(self) -> TouchpointScope:
        """What the request's touchpoint reaches (every category without a
        touchpoint); judges the credentials first."""
        scope = self._check.touchpoint_scope() if self._check is not None else None
        return scope or EVERY_CATEGORY

    def commit(self) -> None:
        """Keeps the writes: the credentials are judged first, so nothing is
        ever committed for a dead credential."""
        if self._check is not None:
            if not self._transaction and not self._check.answered:
                # Its message would carry the writes too, and commit them
                # whatever the check says.
                raise RuntimeError("without a transaction, ask for the actor before committing a write")
            self._check.actor()
        self._store.commit()

    def keep_session_alive(self) -> None:
        """For a refused edit: commits the credential check's use of the
        session (its first message), and nothing queued after it; nothing of
        the case was written. The refusal is the answer: when the database
        fails to keep the touch, only the touch is lost."""
        try:
            self._store.commit_what_was_sent()
        except Exception as failure:  # the driver's or the service's: either way, the refusal stands
            log.warning("a refused edit's session touch was not saved: %s", type(failure).__name__)

    def judge_answered_check(self) -> None:
        """When the check's answer is in already: a dead credential's refusal
        now, at no cost (a fault found after it gives way to it)."""
        if self._check is not None and self._check.answered:
            self._check.actor()


class UnitsOfWork:
    """Opens the units of work of every use case."""

    def __init__(self, store: UnitOfWorkFactory, authenticator: Authenticator | None = None):
        self._store = store
        self._auth = authenticator

    @contextmanager
    def __call__(self, credentials: Credentials | None = None, *,
                 transaction: bool = True) -> Iterator[UnitOfWork]:
        """One unit of work for a request's ``credentials`` (None: the
        service's own work, such as the webhook worker's)."""
        if credentials is None:
            with self._store(transaction=transaction) as store:
                yield UnitOfWork(store, None, transaction=transaction)
            return
        if self._auth is None:
            raise RuntimeError("these units of work check no credentials")
        self._auth.prepare(credentials)
        with self._store(transaction=transaction) as store:
            work = UnitOfWork(store, self._auth.queue(store, credentials, relaxed=not transaction),
                              transaction=transaction)
            try:
                yield work
            except Exception:
                work.judge_answered_check()
                raise
            if not transaction:
                # Without a transaction a message commits as it is sent: a
                # write still queued (kept only by commit()) must not travel
                # with the check judged below, which may refuse.
                store.drop_queued_writes()
            work.actor  # judged on exit at the latest
