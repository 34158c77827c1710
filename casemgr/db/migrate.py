"""Apply the ordered SQL migrations of ``sql/migrations`` and record them.

Each migration runs in its own transaction together with the row that records
it, so a failed migration leaves no trace. An advisory lock serializes
concurrent upgrades (several workers or hosts starting at once).
"""

from __future__ import annotations

import logging

import psycopg

from casemgr.db.sql import migration_files

log = logging.getLogger(__name__)

# Any constant unique to this application; only casemgr upgrades take it.
_UPGRADE_LOCK_KEY = 0x63617365  # "case"

_CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migration (
    version    text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


def upgrade(conninfo: str) -> list[str]:
    """Apply every migration not yet recorded; return the versions applied."""
    applied_now: list[str] = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_UPGRADE_LOCK_KEY,))
        try:
            conn.execute(_CREATE_LEDGER)
            done = {row[0] for row in conn.execute("SELECT version FROM schema_migration")}
            for path in migration_files():
                version = path.stem
                if version in done:
                    continue
                with conn.transaction():
                    conn.execute(path.read_text("utf-8"))
                    conn.execute("INSERT INTO schema_migration (version) VALUES (%s)", (version,))
                log.info("applied migration %s", version)
                applied_now.append(version)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_UPGRADE_LOCK_KEY,))
    return applied_now


def pending(conninfo: str) -> list[str]:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass('schema_migration') IS NOT NULL").fetchone()[0]
        done = set()
        if exists:
            done = {row[0] for row in conn.execute("SELECT version FROM schema_migration")}
    return [p.stem for p in migration_files() if p.stem not in done]
