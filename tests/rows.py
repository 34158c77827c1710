"""Every row a write could touch, to prove a refused request changed nothing."""

from __future__ import annotations

import psycopg

SNAPSHOT_QUERIES = {
    "cases": "SELECT * FROM support_case ORDER BY id",
    "relations": "SELECT * FROM case_relation ORDER BY 1, 2",
    "custom_values": "SELECT case_id, custom_field_id, value::text FROM case_custom_value ORDER BY 1, 2",
    "comments": "SELECT * FROM case_comment ORDER BY id",
    "history": "SELECT * FROM case_history ORDER BY id",
}


def snapshot(conn: psycopg.Connection) -> dict:
    """Equal snapshots mean nothing changed."""
    return {name: conn.execute(sql).fetchall() for name, sql in SNAPSHOT_QUERIES.items()}


def add_comments(conn: psycopg.Connection, case_id: int, count: int, text: str) -> None:
    """``count`` comments of ``text`` on a case, in one statement: a case as
    a long-lived one (or an attacker's) looks after many edits."""
    conn.execute(
        "INSERT INTO case_comment (case_id, description) SELECT %s, %s FROM generate_series(1, %s)",
        (case_id, text, count),
    )
