"""The demo reset's transaction (``casemgr.demo``): lock and empty every table
but the kept ones, check that no case but the demo's is lost, load the demo
document. The SQL is in ``sql/queries/demo.sql``."""

from __future__ import annotations

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from casemgr.db.loader import load_data
from casemgr.db.sql import query
from casemgr.domain.history import LOAD


class OtherCases(Exception):
    """The database holds cases that are not the demo's (their ids)."""

    def __init__(self, case_ids: list[int]):
        super().__init__(f"{len(case_ids)} case(s) that are not the demo's")
        self.case_ids = case_ids


def reset(conninfo: str, data: dict, *, kept_tables: tuple[str, ...], force: bool) -> dict[str, int]:
    """Every table but ``kept_tables`` emptied and ``data`` loaded, in one
    transaction; ``OtherCases``, with nothing changed, when a case that is
    not one of ``data``'s would be lost, unless ``force``."""
    with psycopg.connect(conninfo, autocommit=True) as conn, conn.transaction():
        tables = [row[0] for row in conn.execute(query("demo_reset_tables"), {"kept": list(kept_tables)})]
        names = sql.SQL(", ").join(sql.Identifier(table) for table in tables)
        # Locked before they are read: no case can be added between the check and the reset.
        conn.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(names))
        if not force:
            others = _cases_not_in(conn, data)
            if others:
                raise OtherCases(others)
        conn.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY").format(names))
        return load_data(conn, data)


def holds_cases(conninfo: str) -> bool:
    """Whether the database holds any case (``serve --demo`` loads the demo
    only into one that holds none)."""
    with psycopg.connect(conninfo) as conn:
        return conn.execute(query("any_case_exists")).fetchone()[0]


def _cases_not_in(conn: psycopg.Connection, data: dict) -> list[int]:
    demo = [{"id": case["id"], "subject": case.get("subject")} for case in data["cases"]]
    rows = conn.execute(query("cases_not_the_demos"), {"demo": Jsonb(demo), "load_api": LOAD})
    return [row[0] for row in rows]
