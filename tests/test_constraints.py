"""The database refuses on its own what the domain refuses, so that no code
path (nor a hand-written INSERT) can store it: plain SQL, no app code."""

from __future__ import annotations

import psycopg
import pytest


@pytest.fixture
def conn(empty_db_url):
    with psycopg.connect(empty_db_url, autocommit=True) as connection:
        connection.execute("INSERT INTO department (id, name) VALUES (1, 'Service')")
        connection.execute("INSERT INTO case_status (id, name, state, is_initial) VALUES (1, 'Open', 'open', true)")
        connection.execute("INSERT INTO support_case (department_id, status_id, subject)"
                            " VALUES (1, 1, 'A case'), (1, 1, 'Another case')")  # ids 1 and 2
        yield connection


def insert_case(conn: psycopg.Connection, **columns) -> None:
    conn.execute(
        "INSERT INTO support_case (department_id, status_id, subject, description, solution, severity)"
        " VALUES (1, 1, %(subject)s, %(description)s, %(solution)s, %(severity)s::case_severity)",
        {"subject": None, "description": None, "solution": None, "severity": None, **columns},
    )


@pytest.mark.parametrize("column", ["subject", "description", "solution"])
def test_the_database_refuses_a_1025_character_text_on_insert(conn, column):
    with pytest.raises(psycopg.errors.CheckViolation):
        insert_case(conn, **{column: "x" * 1025})


def test_the_database_accepts_a_1024_character_subject(conn):
    insert_case(conn, subject="x" * 1024)


def test_the_database_refuses_a_1025_character_subject_on_update(conn):
    with pytest.raises(psycopg.errors.CheckViolation):
        conn.execute("UPDATE support_case SET subject = repeat('x', 1025) WHERE id = 1")


def test_the_database_refuses_an_unknown_severity(conn):
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        insert_case(conn, severity="extreme")


def test_the_database_refuses_an_unknown_severity_on_update(conn):
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        conn.execute("UPDATE support_case SET severity = 'extreme' WHERE id = 1")


@pytest.mark.parametrize("low, high", [(2, 1), (1, 1)], ids=["high id first", "a case with itself"])
def test_the_database_refuses_a_relation_row_whose_low_id_is_not_below_the_high_id(conn, low, high):
    with pytest.raises(psycopg.errors.CheckViolation):
        conn.execute("INSERT INTO case_relation (low_case_id, high_case_id) VALUES (%s, %s)", (low, high))


def test_the_database_stores_a_relation_low_id_first(conn):
    conn.execute("INSERT INTO case_relation (low_case_id, high_case_id) VALUES (1, 2)")

    assert conn.execute("SELECT related_ids FROM case_related_ids ORDER BY case_id").fetchall() == [([2],), ([1],)]
