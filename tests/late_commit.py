"""An edit whose transaction stays open: the app's own statements, run on a
connection the test holds, so the edit commits only when the test says so.
The feed tests use it to make a change start before others and commit after
them."""

from __future__ import annotations

import psycopg

from casemgr.db.jsonvalues import columns_to_jsonb, to_jsonb
from casemgr.db.repositories import case_state_from_json
from casemgr.db.statements import Statements
from casemgr.domain.versions import next_last_modified


def connect(conninfo: str) -> psycopg.Connection:
    return psycopg.connect(conninfo, options="-c TimeZone=UTC", prepare_threshold=None)


def open_edit(conninfo: str, case_id: int, subject: str, user_id: int = 1001,
              conn: psycopg.Connection | None = None) -> tuple[psycopg.Connection, int]:
    """Writes an edit of the case's subject and its history entry, as the
    v12 edit does, in a transaction left open (on ``conn`` when given): the
    connection (commit or close it) and the history entry's id. The entry's
    id and its transaction's xid are taken now, before whatever commits
    meanwhile."""
    conn = conn or connect(conninfo)
    statements = Statements(conn)
    statements.queue("lock_cases", {"ids": [case_id]})
    row = statements.one("get_case_edit_facts", {"case_id": case_id})
    case = case_state_from_json(row["case_row"])
    last_modified = next_last_modified(case.last_modified, row["now"])
    statements.run("apply_case_row_update", {
        "case_id": case_id, "columns": columns_to_jsonb({"subject": subject, "last_modified": last_modified,
                                                          "last_modified_by": user_id}),
        "changes": to_jsonb([{"field": "subject", "old": case.subject, "new": subject}]),
        "api": "egain-v12", "actor_user_id": user_id, "actor_customer_id": None, "actor_client_id": None,
        "previous_last_modified": case.last_modified, "record_history": True,
        "activity": None,  # a v12 edit names no Thalamus activity
    })
    entry_id = conn.execute("SELECT id FROM case_history WHERE xid = pg_current_xact_id()").fetchone()[0]
    return conn, entry_id
