"""Running the named queries of ``sql/queries/loader.sql``, each for one entry
of the file, so a database error names that entry."""

from __future__ import annotations

import psycopg
from psycopg.rows import dict_row

from casemgr.db.loader.errors import LoadError
from casemgr.db.sql import query


def _run(conn: psycopg.Connection, name: str, params: dict, path: str) -> list[dict]:
    """Run a named query for the entry at ``path``; a database error becomes a
    LoadError naming that entry (the transaction then rolls back)."""
    try:
        with conn.cursor(row_factory=dict_row) as cur:
            cur.execute(query(name), params)
            return cur.fetchall() if cur.description else []
    except psycopg.Error as exc:
        diag = exc.diag
        detail = f" ({diag.message_detail})" if diag.message_detail else ""
        message = diag.message_primary or str(exc).strip() or type(exc).__name__
        raise LoadError([(path, f"the database refused it: {message}{detail}")]) from exc
