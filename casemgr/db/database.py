"""The connection pool and the unit of work.

Driver errors become service errors here, at one boundary: a connection that
fails, a pool that times out, a lock or statement timeout. The API layer maps
those to 503; nothing above this module sees a psycopg exception.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager, nullcontext
from typing import Iterator

import psycopg
import psycopg_pool

from casemgr.config import Settings
from casemgr.db.repositories import PgAuthRepository, PgCaseRepository
from casemgr.db.thalamus_repository import PgThalamusRepository
from casemgr.service.errors import CaseBusy, CommitOutcomeUnknown, ServiceUnavailable

log = logging.getLogger(__name__)


class PgUnitOfWork:
    def __init__(self, conn: psycopg.Connection):
        self.conn = conn
        self.cases = PgCaseRepository(conn)
        self.auth = PgAuthRepository(conn)
        self.thalamus = PgThalamusRepository(conn)


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
        self.pool = psycopg_pool.ConnectionPool(
            conninfo,
            min_size=1,
            max_size=settings.pool_size,
            open=False,
            timeout=settings.statement_timeout_ms / 1000,
            kwargs={"autocommit": True, "options": options, "connect_timeout": 5},
            name="casemgr",
        )

    def open(self) -> None:
        # Do not wait: the app starts (and answers 503) while Postgres is down.
        self.pool.open(wait=False)

    def close(self) -> None:
        self.pool.close()

    @contextmanager
    def unit_of_work(self, *, pipelined: bool = False, single_statement: bool = False) -> Iterator[PgUnitOfWork]:
        """One transaction: committed when the block ends, rolled back when it raises.

        ``pipelined``: psycopg pipeline mode. Statements are sent together
        until a result is read: BEGIN travels with the first statements and
        COMMIT with the last, so a block that reads once costs two round
        trips. The server still runs them one after the other, in order.
        ``single_statement``: the block runs one statement, atomic on its
        own, so no BEGIN/COMMIT is sent around it (the pool's connections are
        in autocommit mode)."""
        committing = False
        try:
            with self.pool.connection() as conn:
                if pipelined:
                    transaction = _pipelined_transaction(conn)
                elif single_statement:
                    transaction = nullcontext()
                else:
                    transaction = conn.transaction()
                with transaction:
                    yield PgUnitOfWork(conn)
                    committing = True
        except psycopg.errors.LockNotAvailable as exc:
            raise CaseBusy("The case is being changed by another request; retry shortly.") from exc
        except psycopg.errors.TransactionRollback as exc:
            raise CaseBusy("The case is being changed by another request; retry shortly.") from exc
        except psycopg.OperationalError as exc:
            if committing:
                # The connection failed while the commit was under way: the
                # server may have committed. Say so, rather than "not saved".
                log.warning("connection lost while committing: %s", type(exc).__name__)
                raise CommitOutcomeUnknown(
                    "The connection to the database was lost while the change was being saved; it may or may not "
                    "have been saved. Read the case before retrying."
                ) from exc
            log.warning("database unavailable: %s", type(exc).__name__)
            raise ServiceUnavailable("The database is unavailable; retry shortly.") from exc
        except psycopg_pool.PoolTimeout as exc:
            log.warning("database unavailable: %s", type(exc).__name__)
            raise ServiceUnavailable("The database is unavailable; retry shortly.") from exc

    def is_ready(self) -> bool:
        try:
            with self.unit_of_work() as uow:
                uow.conn.execute("SELECT 1")
        except ServiceUnavailable:
            return False
        return True


@contextmanager
def _pipelined_transaction(conn: psycopg.Connection) -> Iterator[None]:
    """A transaction in pipeline mode whose BEGIN and COMMIT are queued like
    any statement. (``conn.transaction()`` syncs the pipeline after BEGIN and
    around COMMIT, which would cost two more round trips.) When the block or
    the final sync raises, the transaction is rolled back."""
    try:
        with conn.pipeline():
            conn.execute("BEGIN")
            yield
            conn.execute("COMMIT")
    except BaseException:
        if conn.info.transaction_status in (_IN_TRANSACTION, _IN_FAILED_TRANSACTION):
            conn.rollback()
        raise


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

    def close(self) -> None:
        pass
