"""Load departments, users, customers, configuration and cases from YAML
(the format: docs/load-format.md).

A load is one transaction in two phases. First the whole document is
validated, against itself and against the rows already in the database, and
every problem is collected with the path of its entry (``users[3].homeDepartment``);
one problem and nothing is written. Then every entry is written with an upsert
keyed by its natural key that writes nothing when the stored row already
matches, so loading the same file twice gives the same state and leaves
``lastModified`` alone. A database error while writing rolls everything back
and names the entry being written.

The SQL is in ``sql/queries/loader.sql``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import yaml

from casemgr.db.loader.catalog import _mentioned_case_ids, _read_catalog
from casemgr.db.loader.errors import LoadError, Problem
from casemgr.db.loader.queries import _run
from casemgr.db.loader.shapes import DATA_TYPES, DEFAULT_OAUTH_SCOPES, SECTIONS
from casemgr.db.loader.validation import validate
from casemgr.db.loader.writing import _write

__all__ = [
    "DATA_TYPES", "DEFAULT_OAUTH_SCOPES", "SECTIONS", "LoadError", "Problem",
    "load_data", "load_file", "read_document", "validate",
]


# -- public API --------------------------------------------------------------

def load_file(conninfo: str, path: Path) -> dict[str, int]:
    """Load a YAML file into the database at ``conninfo``; the number of
    entries per section."""
    data = read_document(Path(path))
    with psycopg.connect(conninfo, autocommit=True) as conn:
        return load_data(conn, data)


def load_data(conn: psycopg.Connection, data: Any) -> dict[str, int]:
    """Validate ``data`` (a parsed YAML document) and write it, all in one
    transaction (a savepoint when ``conn`` is already in one)."""
    with conn.transaction():
        _run(conn, "loader_lock", {}, "(load)")
        case_ids = _mentioned_case_ids(data)
        locked = [row["id"] for row in _run(conn, "loader_lock_cases", {"ids": case_ids}, "cases")]
        plan = validate(data, _read_catalog(conn, case_ids))
        _write(conn, plan, locked)
    return plan.counts()


def read_document(path: Path) -> Any:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError([(str(path), f"cannot read the file: {exc}")]) from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path.name}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise LoadError([(where, f"not valid YAML: {getattr(exc, 'problem', None) or exc}")]) from exc
    except (ValueError, OverflowError) as exc:  # a value YAML cannot build: 5,000 digits, February 30
        raise LoadError([(str(path), f"holds a value that cannot be read: {exc}")]) from exc
