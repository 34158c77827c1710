"""The connection pool and the unit of work.

Driver errors become service errors here, at one boundary: a connection that
fails, a pool that times out, a lock timeout, a statement timeout. The API
layer maps those to 503s, each with its own code; nothing above this module
sees a psycopg exception.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator

import psycopg
import psycopg_pool

from casemgr.config import Settings
from casemgr.db.history_repository import PgHistoryRepository
from casemgr.db.repositories import PgAuthRepository, PgCaseRepository
from casemgr.db.statements import Statements
from casemgr.db.thalamus_repository import PgThalamusRepository
from casemgr.db.webhook_repository import PgWebhookRepository
from casemgr.service.errors import (
    CaseBusy,
    CommitOutcomeUnknown,
    ConcurrentChange,
    ServiceUnavailable,
    StatementTimeout,
    StorageFault,
)

log = logging.getLogger(__name__)


class PgUnitOfWork:
    """The repositories of one unit of work, on one connection."""

    def __init__(self, conn: psycopg.Connection, transaction: _QueuedTransaction | None = None):
        self.conn = conn
        self.statements = Statements(conn)
        self.cases = PgCaseRepository(self.statements)
        self.auth = PgAuthRepository(self.statements)
        self.thalamus = PgThalamusRepository(self.statements)
        self.history = PgHistoryRepository(self.statements)
        self.webhooks = PgWebhookRepository(self.statements)
        self._transaction = transaction or _QueuedTransaction(self.statements, opened=False)

    def commit(self) -> None:
        """Sends what is queued with the COMMIT: the only way a unit of
        work's writes are kept. Without a transaction, sends what is
        queued (each message committed on its own)."""
        self._transaction.commit()

    def drop_queued_writes(self) -> None:
        """Forgets the writes not sent yet (queued reads stay)."""
        self.statements.drop_queued_writes()

    def commit_what_was_sent(self) -> None:
        """Commits what the messages sent so far did, and sends nothing
        queued since: a refused edit keeps its credential check's touch of
        the session, and nothing else."""
        self._transaction.commit_what_was_sent()

    @property
    def committed(self) -> bool:
        return self._transaction.committed


class Database:
    def __init__(self, conninfo: str, settings: Settings):
        # plan_cache_mode: every prepared statement in sql/queries looks rows
        # up by key, so its best plan does not depend on the values. Left to
        # choose, Postgres re-plans get_edit_facts on every call (its NULL
        # parameters make each custom plan look cheaper than the generic
        # one), and planning it costs several times more than running it.
        options = (
            "-c TimeZone=UTC -c plan_cache_mode=force_generic_plan"
            f" -c statement_timeout={settings.statement_timeout_ms}"
            f" -c lock_timeout={settings.lock_timeout_ms}"
            f" -c idle_in_transaction_session_timeout={settings.statement_timeout_ms * 2}"
        )
        self.statement_timeout_ms = settings.statement_timeout_ms
        self.pool = psycopg_pool.ConnectionPool(
            conninfo,
            min_size=1,
            max_size=settings.pool_size,
            open=False,
            timeout=settings.statement_timeout_ms / 1000,
            # prepare_threshold=None: casemgr.db.statements prepares the named
            # queries itself (psycopg would deallocate them on every ROLLBACK).
            kwargs={"autocommit": True, "options": options, "connect_timeout": 5, "prepare_threshold": None},
            name="casemgr",
        )

    def open(self) -> None:
        # Do not wait: the app starts (and answers 503) while Postgres is down.
        self.pool.open(wait=False)

    def close(self) -> None:
        self.pool.close()

    @contextmanager
    def unit_of_work(self, *, transaction: bool = True) -> Iterator[PgUnitOfWork]:
        """One unit of work on one connection of the pool.

        ``transaction``: its BEGIN travels with the first message sent and
        its COMMIT with the last, which ``commit()`` sends; a block that
        ends without ``commit()``, or raises, rolls back and sends nothing
        it queued. Writes wait for the next read or for the commit
        (casemgr.db.statements), so an edit that reads once costs two round
        trips. On a connection already in a transaction (a test's, rolled
        back at its end), a savepoint stands in for the transaction, as
        psycopg nests ``conn.transaction()``.
        Without ``transaction``: no BEGIN or COMMIT; each message is atomic
        on its own and commits with it (Postgres runs a message of several
        statements as one implicit transaction, and the pool's connections
        are in autocommit mode), so a block that sends one message costs one
        round trip. A statement still queued when the block ends is sent
        only by ``commit()``: a use case that writes there asks for its
        actor first, so the write never shares a message with a check that
        refuses.

        Why not psycopg's ``conn.transaction()``: it sends BEGIN in a
        message of its own, a third round trip per edit (counted by
        tests/api/test_round_trips.py); the queued BEGIN does the same work
        in the first message.

        Every driver error becomes a service error here (``_service_error``)."""
        conn = queued = None
        try:
            with self.pool.connection() as conn:
                queued = _QueuedTransaction(Statements(conn), opened=transaction)
                uow = PgUnitOfWork(conn, queued)
                # The repositories and the transaction share one queue.
                queued.statements = uow.statements
                queued.open()
                try:
                    yield uow
                    if not transaction:
                        # What was sent committed with its message; what is
                        # still queued is kept only by commit().
                        queued.end_without_commit()
                finally:
                    if not queued.committed:
                        queued.roll_back()
        except psycopg.Error as exc:
            raise self._service_error(exc, conn, committing=queued is not None and queued.committing) from exc
        except psycopg_pool.PoolTimeout as exc:
            log.warning("database unavailable: %s", type(exc).__name__)
            raise ServiceUnavailable("The database is unavailable; retry shortly.") from exc

    def _service_error(self, exc: psycopg.Error, conn: psycopg.Connection | None, *, committing: bool) -> Exception:
        """The one boundary where a driver error becomes the service's."""
        if isinstance(exc, (psycopg.errors.LockNotAvailable, psycopg.errors.TransactionRollback)):
            return CaseBusy("The case is being changed by another request; retry shortly.")
        if isinstance(exc, psycopg.errors.QueryCanceled) and not (committing and _commit_may_have_run(conn, exc)):
            # 57014: the statement timeout (the app sends no cancel request
            # of its own; an operator's pg_cancel_backend would read the
            # same). The database is up and nothing was saved.
            log.warning("statement timeout (%d ms)", self.statement_timeout_ms)
            return StatementTimeout(
                f"The database stopped this request after {self.statement_timeout_ms} ms (its statement "
                "timeout); nothing was saved. Retrying it unchanged will most likely take as long again: "
                "ask for less (a narrower filter, a smaller page), or try later.")
        if isinstance(exc, psycopg.OperationalError):
            if committing and _commit_may_have_run(conn, exc):
                # The connection failed while the commit was under way: the
                # server may have committed. Say so, rather than "not saved".
                log.warning("connection lost while committing: %s", type(exc).__name__)
                return CommitOutcomeUnknown(
                    "The connection to the database was lost while the change was being saved; it may or may "
                    "not have been saved. Read the case before retrying.")
            log.warning("database unavailable: %s", type(exc).__name__)
            return ServiceUnavailable("The database is unavailable; retry shortly.")
        if isinstance(exc, (psycopg.errors.UniqueViolation, psycopg.errors.ExclusionViolation)):
            # Two requests wrote the same key at the same time; the one
            # that lost wrote nothing, and the same request may pass now.
            log.warning("concurrent write refused: %s (%s)", type(exc).__name__, _constraint(exc))
            return ConcurrentChange("Another request made the same change at the same time; nothing of this "
                                    "request was saved. Read the case and retry.")
        # A constraint the service should have checked before writing, a
        # value the database refused, SQL that does not run: a fault of
        # the service, logged with its cause, answered as the API's 500.
        log.error("database refused the request: %s (%s): %s", type(exc).__name__, _constraint(exc), exc)
        return StorageFault("The database refused the request; nothing was saved.")

    def stats(self) -> dict:
        """The pool's size, idle connections and waiting requests."""
        return self.pool.get_stats()

    def is_ready(self) -> bool:
        try:
            with self.unit_of_work(transaction=False) as uow:
                uow.conn.execute("SELECT 1")
        except ServiceUnavailable:
            return False
        return True


class _QueuedTransaction:
    """BEGIN queued to travel with the first message and COMMIT with the
    last; on a connection already in a transaction, a savepoint and its
    release. Without a transaction (``opened=False``), only the savepoint
    when nested, so that a failing message rolls back to it and leaves the
    outer transaction usable."""

    SAVEPOINT = "casemgr_unit"

    def __init__(self, statements: Statements, *, opened: bool):
        self.statements = statements
        self.opened = opened
        self.nested = statements.conn.info.transaction_status != _IDLE
        self.committing = False
        self.committed = False

    def open(self) -> None:
        if self.nested:
            self.statements.queue_command(f"SAVEPOINT {self.SAVEPOINT}")
        elif self.opened:
            self.statements.queue_command("BEGIN")

    def commit(self) -> None:
        self.committing = True
        if self.nested and self.opened:
            self.statements.flush(f"RELEASE SAVEPOINT {self.SAVEPOINT}")
        elif self.opened:
            self.statements.flush("COMMIT")
        elif self.statements.holds_statements():
            # Nested without a transaction, the savepoint stays until the
            # outer transaction ends: releasing it would cost a message.
            self.statements.flush()
        else:
            self.statements.discard()
        self.committed = True

    def end_without_commit(self) -> None:
        self.statements.discard()
        self.committed = True

    def commit_what_was_sent(self) -> None:
        self.statements.discard()
        if self.statements.messages_sent:
            self.commit()
        else:
            self.committed = True  # nothing reached the server: nothing to end

    def roll_back(self) -> None:
        """Nothing queued is sent; what was sent is undone."""
        self.statements.discard()
        conn = self.statements.conn
        if conn.broken or conn.closed:
            return  # the server rolls back a lost session's transaction itself
        if self.nested:
            if self.statements.messages_sent:
                conn.execute(f"ROLLBACK TO SAVEPOINT {self.SAVEPOINT}")
                if self.opened:
                    conn.execute(f"RELEASE SAVEPOINT {self.SAVEPOINT}")
        elif conn.info.transaction_status in (_IN_TRANSACTION, _IN_FAILED_TRANSACTION):
            conn.rollback()


def _constraint(exc: psycopg.Error) -> str:
    return getattr(exc.diag, "constraint_name", None) or exc.sqlstate or "?"


def _commit_may_have_run(conn: psycopg.Connection | None, exc: psycopg.OperationalError) -> bool:
    """Whether a failure of the batch that carried COMMIT leaves the outcome
    open. An error the server reports on a live connection (a statement
    timeout, say) stopped the batch at that statement, so COMMIT never ran.
    A lost connection, or the server ending the session (class 57P, which
    can follow a durable commit), leaves it open."""
    if conn is None or conn.broken:
        return True
    return exc.sqlstate is None or exc.sqlstate.startswith(("08", "57P"))


_IDLE = psycopg.pq.TransactionStatus.IDLE
_IN_TRANSACTION = psycopg.pq.TransactionStatus.INTRANS
_IN_FAILED_TRANSACTION = psycopg.pq.TransactionStatus.INERROR


class NoDatabase:
    """Stands in when no database URL is configured (e.g. when only the
    OpenAPI spec is generated): every use case answers 503."""

    @contextmanager
    def unit_of_work(self, *, transaction: bool = True) -> Iterator[PgUnitOfWork]:
        raise ServiceUnavailable("No database is configured.")
        yield  # pragma: no cover

    def is_ready(self) -> bool:
        return False

    def stats(self) -> dict:
        return {}

    def close(self) -> None:
        pass
