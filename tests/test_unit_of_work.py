"""The store's unit of work keeps the guarantees of a plain transaction while
it saves round trips: only commit() keeps writes, all or nothing, every
driver error mapped at the boundary, a clean connection afterwards, and
nested in a transaction already open (a test's) as a savepoint. Real
Postgres, no app."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone

import psycopg
import pytest

from casemgr.config import Settings
from casemgr.db.jsonvalues import to_jsonb
from casemgr.db.database import Database
from casemgr.db.sql import parse_named_queries, sql_dir
from casemgr.db.statements import prepared_query
from casemgr.service.errors import (
    CaseBusy,
    CommitOutcomeUnknown,
    ConcurrentChange,
    ServiceUnavailable,
    StorageFault,
)

NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def database(empty_db_url):
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        conn.execute("INSERT INTO department (id, name) VALUES (1, 'Service')")
        conn.execute("INSERT INTO case_status (id, name, state, is_initial) VALUES (1, 'Open', 'open', true)")
        conn.execute("INSERT INTO support_case (id, department_id, status_id, subject) VALUES (1, 1, 1, 'before')")
    database = Database(empty_db_url, Settings(pool_size=1, lock_timeout_ms=200))
    database.open()
    database.pool.wait()
    yield database
    database.close()


def subject(database) -> str:
    with database.unit_of_work(transaction=False) as uow:
        return uow.conn.execute("SELECT subject FROM support_case WHERE id = 1").fetchone()[0]


def lock_and_read(uow) -> str:
    uow.statements.queue("lock_cases", {"ids": [1]})
    return uow.statements.one("get_case_facts", {"case_id": 1})["case_row"]["subject"]


def set_subject(uow, text: str) -> None:
    uow.statements.queue("apply_case_row_update", {
        "case_id": 1, "columns": to_jsonb({"subject": text, "last_modified": NOW}), "changes": to_jsonb([]),
        "api": "test", "actor_user_id": None, "actor_customer_id": None, "actor_client_id": None,
        "previous_last_modified": None, "record_history": True, "activity": None,
    })


def test_commit_sends_the_last_unread_statement_with_the_commit(database):
    with database.unit_of_work() as uow:
        assert lock_and_read(uow) == "before"
        set_subject(uow, "after")
        uow.commit()
    assert subject(database) == "after"


def test_a_unit_of_work_left_without_commit_keeps_nothing(database):
    with database.unit_of_work() as uow:
        assert lock_and_read(uow) == "before"
        set_subject(uow, "forgotten")
        uow.statements.send_queued()  # even a write that reached the server
    assert subject(database) == "before"
    with database.pool.connection() as conn:  # the pool's only connection
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_a_failing_last_statement_commits_nothing_and_is_a_storage_fault_not_a_driver_error(database):
    with pytest.raises(StorageFault) as raised:
        with database.unit_of_work() as uow:
            lock_and_read(uow)
            set_subject(uow, "changed")
            set_subject(uow, "x" * 1025)
            uow.commit()
    assert isinstance(raised.value.__cause__, psycopg.errors.CheckViolation)
    assert subject(database) == "before"


def test_a_unique_violation_is_a_concurrent_change(database):
    with pytest.raises(ConcurrentChange):
        with database.unit_of_work() as uow:
            uow.conn.execute("INSERT INTO department (id, name) VALUES (1, 'Again')")
    with database.unit_of_work(transaction=False) as uow:
        assert uow.conn.execute("SELECT name FROM department WHERE id = 1").fetchone()[0] == "Service"


def test_inside_an_open_transaction_a_unit_of_work_is_a_savepoint(empty_db_url, database):
    """How the suite rolls a test back: the app's units of work nest in the
    test's transaction; a failing one rolls back to its savepoint and leaves
    the outer transaction usable; nothing is committed."""
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        conn.execute("BEGIN")
        nested = Database(empty_db_url, Settings(pool_size=1))
        nested.pool = SharedConnection(conn)
        with nested.unit_of_work() as uow:
            lock_and_read(uow)
            set_subject(uow, "inside")
            uow.commit()
        with pytest.raises(StorageFault):
            with nested.unit_of_work() as uow:
                set_subject(uow, "x" * 1025)
                uow.commit()
        with nested.unit_of_work(transaction=False) as uow:
            assert uow.statements.one("get_case_facts", {"case_id": 1})["case_row"]["subject"] == "inside"
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        conn.execute("ROLLBACK")
    assert subject(database) == "before"


class SharedConnection:
    """A pool of one connection, already in a transaction."""

    def __init__(self, conn):
        self.conn = conn

    @contextmanager
    def connection(self):
        yield self.conn


def test_a_refusal_inside_a_batched_unit_of_work_rolls_back_and_leaves_the_connection_clean(database):
    class Refused(Exception):
        pass

    with pytest.raises(Refused):
        with database.unit_of_work() as uow:
            lock_and_read(uow)
            set_subject(uow, "changed")
            raise Refused()
    with database.pool.connection() as conn:  # the pool's only connection
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert subject(database) == "before"


def test_a_held_row_lock_in_a_batched_unit_of_work_is_case_busy(database, empty_db_url):
    with psycopg.connect(empty_db_url) as other:
        other.execute("SELECT id FROM support_case WHERE id = 1 FOR UPDATE")
        with pytest.raises(CaseBusy):
            with database.unit_of_work() as uow:
                lock_and_read(uow)
    assert subject(database) == "before"


def test_a_statement_timeout_in_the_commit_batch_is_unavailable_not_an_unknown_outcome(empty_db_url, database):
    """The batch stopped at the timed-out write, so COMMIT never ran: the
    answer is "retry", not "it may have been saved"."""
    slow = Database(empty_db_url, Settings(pool_size=1, statement_timeout_ms=300, lock_timeout_ms=5000))
    slow.open()
    try:
        with psycopg.connect(empty_db_url) as other:
            other.execute("LOCK TABLE case_history IN SHARE MODE")  # the history insert waits
            with pytest.raises(ServiceUnavailable) as raised:
                with slow.unit_of_work() as uow:
                    lock_and_read(uow)
                    set_subject(uow, "timed out")
                    uow.commit()
        assert not isinstance(raised.value, CommitOutcomeUnknown)
    finally:
        slow.close()
    assert subject(database) == "before"


def test_every_named_query_of_the_service_prepares(database):
    """Each is PREPAREd with the types Postgres infers, on first use by a
    connection: a query whose types cannot be inferred would fail there."""
    names = [name for path in (sql_dir() / "queries").glob("*.sql") if path.name != "loader.sql"
             for name in parse_named_queries(path.read_text("utf-8"))]
    assert len(names) > 20
    with database.unit_of_work() as uow:
        for name in names:
            uow.conn.execute(prepared_query(name).prepare_sql.replace("%%", "%").replace(
                f"PREPARE {name} ", f"PREPARE check_{name} "))


def test_prepared_statements_outlive_an_error_and_are_not_prepared_twice(database):
    """A batch that fails after its PREPAREs ran leaves them on the server;
    the next batch must neither lack them nor prepare them again."""
    with pytest.raises(StorageFault):
        with database.unit_of_work() as uow:
            lock_and_read(uow)
            set_subject(uow, "x" * 1025)
            uow.commit()
    for text in ("first", "second"):
        with database.unit_of_work() as uow:
            lock_and_read(uow)
            set_subject(uow, text)
            uow.commit()
        assert subject(database) == text


def test_a_unit_of_work_without_a_transaction_opens_none(database):
    with database.unit_of_work(transaction=False) as uow:
        assert uow.statements.one("get_case_facts", {"case_id": 1})["case_row"]["subject"] == "before"
        assert uow.conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_a_queued_read_runs_in_its_place_and_its_row_waits_for_the_caller(database):
    """Its row is the database as it stood at its place in the batch: before
    the write queued after it, which the next read sees."""
    with database.unit_of_work() as uow:
        earlier = uow.statements.queue_read("get_case_facts", {"case_id": 1})
        set_subject(uow, "between")
        later = uow.statements.one("get_case_facts", {"case_id": 1})
        assert earlier.row()["case_row"]["subject"] == "before"
        assert later["case_row"]["subject"] == "between"
        uow.commit()
    assert subject(database) == "between"


def test_asking_a_queued_read_for_its_row_sends_it_inside_the_transaction(database):
    with database.unit_of_work() as uow:
        pending = uow.statements.queue_read("get_case_facts", {"case_id": 1})
        assert pending.row()["case_row"]["subject"] == "before"
        assert uow.conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
