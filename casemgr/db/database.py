"""The connection pool and the unit of work.

Driver errors become service errors here, at one boundary: a connection that
fails, a pool that times out, a lock or statement timeout. The API layer maps
those to 503; nothing above this module sees a psycopg exception.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator

import psycopg
import psycopg_pool

from casemgr.config import Settings
from casemgr.db.repositories import PgAuthRepository, PgCaseRepository
from casemgr.db.thalamus_repository import PgThalamusRepository
from casemgr.service.errors import CaseBusy, ServiceUnavailable

log = logging.getLogger(__name__)


class PgUnitOfWork:
    def __init__(self, conn: psycopg.Connection):
        self.conn = conn
        self.cases = PgCaseRepository(conn)
        self.auth = PgAuthRepository(conn)
        self.thalamus = PgThalamusRepository(conn)


class Database:
    def __init__(self, conninfo: str, settings: Settings):
        options = (
            f"-c TimeZone=UTC -c statement_timeout={settings.statement_timeout_ms}"
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
    def unit_of_work(self) -> Iterator[PgUnitOfWork]:
        """One transaction: committed when the block ends, rolled back when it raises."""
        try:
            with self.pool.connection() as conn, conn.transaction():
                yield PgUnitOfWork(conn)
        except psycopg.errors.LockNotAvailable as exc:
            raise CaseBusy("The case is being changed by another request; retry shortly.") from exc
        except psycopg.errors.TransactionRollback as exc:
            raise CaseBusy("The case is being changed by another request; retry shortly.") from exc
        except (psycopg.OperationalError, psycopg_pool.PoolTimeout) as exc:
            log.warning("database unavailable: %s", type(exc).__name__)
            raise ServiceUnavailable("The database is unavailable; retry shortly.") from exc

    def is_ready(self) -> bool:
        try:
            with self.unit_of_work() as uow:
                uow.conn.execute("SELECT 1")
        except ServiceUnavailable:
            return False
        return True


class NoDatabase:
    """Stands in when no database URL is configured (e.g. when only the
    OpenAPI spec is generated): every use case answers 503."""

    @contextmanager
    def unit_of_work(self) -> Iterator[PgUnitOfWork]:
        raise ServiceUnavailable("No database is configured.")
        yield  # pragma: no cover

    def is_ready(self) -> bool:
        return False

    def close(self) -> None:
        pass
