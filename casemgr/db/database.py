"""The connection pool and the unit of work.

Driver errors become service errors here, at one boundary: a connection that
fails, a pool that times out, a lock timeout, a statement timeout. The API
layer maps those to 503s, each with its own code; nothing above this module
sees a psycopg exception.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager, nullcontext
from typing import Iterator

import psycopg
import psycopg_pool

from casemgr.config import Settings
from casemgr.db.history_repository import PgHistoryRepository
from casemgr.db.repositories import PgAuthRepository, PgCaseRepository
from casemgr.db.statements import Statements
from casemgr.db.thalamus_repository import PgThalamusRepository
from casemgr.db.webhook_repository import PgWebhookRepository
from casemgr.service.errors import CaseBusy, CommitOutcomeUnknown, ServiceUnavailable, StatementTimeout

log = logging.getLogger(__name__)


class PgUnitOfWork:
    def __init__(self, conn: psycopg.Connection):
        self.conn = conn
        self.statements = Statements(conn)
        self.cases = PgCaseRepository(self.statements)
        self.auth = PgAuthRepository(self.statements)
        self.thalamus = PgThalamusRepository(self.statements)
        self.history = PgHistoryRepository(self.statements)
        self.webhooks = PgWebhookRepository(self.statements)


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
    def unit_of_work(self, *, batched: bool = False, single_statement: bool = False) -> Iterator[PgUnitOfWork]:
        """One transaction: committed when the block ends, rolled back when it raises.

        Writes are queued and sent with the next read, or when the block ends
        (casemgr.db.statements). ``batched``: BEGIN and COMMIT are queued
        too, so a block that reads once costs two round trips: BEGIN with the
        statements up to the read, then the writes with COMMIT. The server
        still runs them one after the other, in order.
        ``single_statement``: the block only reads, one message at a time,
        each message atomic on its own (Postgres runs it as one implicit
        transaction), so no BEGIN/COMMIT is sent around them (the pool's
        connections are in autocommit mode). A read that waits for the
        credential check (a search, a history or feed page) sends two."""
        committing = False
        conn = None
        try:
            with self.pool.connection() as conn:
                uow = PgUnitOfWork(conn)
                if batched:
                    with _batched_transaction(uow.statements):
                        yield uow
                        committing = True
                else:
                    with nullcontext() if single_statement else conn.transaction():
                        yield uow
                        uow.statements.flush()
                        committing = True
        except psycopg.errors.LockNotAvailable as exc:
            raise CaseBusy("The case is being changed by another request; retry shortly.") from exc
        except psycopg.errors.TransactionRollback as exc:
            raise CaseBusy("The case is being changed by another request; retry shortly.") from exc
        except psycopg.OperationalError as exc:
            if committing and _commit_may_have_run(conn, exc):
                # The connection failed while the commit was under way: the
                # server may have committed. Say so, rather than "not saved".
                log.warning("connection lost while committing: %s", type(exc).__name__)
                raise CommitOutcomeUnknown(
                    "The connection to the database was lost while the change was being saved; it may or may not "
                    "have been saved. Read the case before retrying."
                ) from exc
            if isinstance(exc, psycopg.errors.QueryCanceled):
                # 57014: the statement timeout (the app sends no cancel
                # request of its own; an operator's pg_cancel_backend would
                # read the same). The database is up and nothing was saved.
                log.warning("statement timeout (%d ms)", self.statement_timeout_ms)
                raise StatementTimeout(
                    f"The database stopped this request after {self.statement_timeout_ms} ms (its statement "
                    "timeout); nothing was saved. Retrying it unchanged will most likely take as long again: "
                    "ask for less (a narrower filter, a smaller page), or try later."
                ) from exc
            log.warning("database unavailable: %s", type(exc).__name__)
            raise ServiceUnavailable("The database is unavailable; retry shortly.") from exc
        except psycopg_pool.PoolTimeout as exc:
            log.warning("database unavailable: %s", type(exc).__name__)
            raise ServiceUnavailable("The database is unavailable; retry shortly.") from exc

    def stats(self) -> dict:
        """The pool's size, idle connections and waiting requests."""
        return self.pool.get_stats()

    def is_ready(self) -> bool:
        try:
            with self.unit_of_work() as uow:
                uow.conn.execute("SELECT 1")
        except ServiceUnavailable:
            return False
        return True


@contextmanager
def _batched_transaction(statements: Statements) -> Iterator[None]:
    """A transaction whose BEGIN travels with the first statement sent and
    whose COMMIT travels with the last. When the block or the final batch
    raises, nothing queued is sent and the transaction is rolled back."""
    statements.queue_command("BEGIN")
    try:
        yield
        statements.flush("COMMIT")
    except BaseException:
        statements.discard()
        if statements.conn.info.transaction_status in (_IN_TRANSACTION, _IN_FAILED_TRANSACTION):
            statements.conn.rollback()
        raise


def _commit_may_have_run(conn: psycopg.Connection | None, exc: psycopg.OperationalError) -> bool:
    """Whether a failure of the batch that carried COMMIT leaves the outcome
    open. An error the server reports on a live connection (a statement
    timeout, say) stopped the batch at that statement, so COMMIT never ran.
    A lost connection, or the server ending the session (class 57P, which
    can follow a durable commit), leaves it open."""
    if conn is None or conn.broken:
        return True
    return exc.sqlstate is None or exc.sqlstate.startswith(("08", "57P"))


_IN_TRANSACTION = psycopg.pq.TransactionStatus.INTRANS
_IN_FAILED_TRANSACTION = psycopg.pq.TransactionStatus.INERROR


class NoDatabase:
    """Stands in when no database URL is configured (e.g. when only the
    OpenAPI spec is generated): every use case answers 503."""

    @contextmanager
    def unit_of_work(self, **_options) -> Iterator[PgUnitOfWork]:
        raise ServiceUnavailable("No database is configured.")
        yield  # pragma: no cover

    def is_ready(self) -> bool:
        return False

    def stats(self) -> dict:
        return {}

    def close(self) -> None:
        pass
