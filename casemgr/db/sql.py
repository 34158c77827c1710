"""Plain SQL kept in ``sql/``: ordered migrations and named queries.

Named queries follow the aiosql convention: a file holds blocks that each start
with ``-- name: <query_name>``. They are read once, on first use, into one
dict, so a query is referred to by name and never assembled from strings.

The ``sql/`` folder sits at the repository root. A wheel ships it as
``casemgr/sql`` (see ``pyproject.toml``); a source checkout or an editable
install reads it from the root.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

_NAME_LINE = re.compile(r"^--\s*name:\s*(?P<name>\w+)\s*$", re.MULTILINE)


def sql_dir() -> Path:
    package_root = Path(__file__).resolve().parent.parent
    shipped = package_root / "sql"
    if shipped.is_dir():
        return shipped
    return package_root.parent / "sql"


def migration_files() -> list[Path]:
    """Migrations in the order they are applied: by file name."""
    return sorted((sql_dir() / "migrations").glob("*.sql"))


def parse_named_queries(text: str, source: str = "<sql>") -> dict[str, str]:
    queries: dict[str, str] = {}
    matches = list(_NAME_LINE.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        name = match.group("name")
        if name in queries:
            raise ValueError(f"query {name!r} is defined twice in {source}")
        queries[name] = text[match.end():end].strip()
    return queries


@functools.cache
def _all_queries() -> dict[str, str]:
    queries: dict[str, str] = {}
    for path in sorted((sql_dir() / "queries").glob("*.sql")):
        for name, body in parse_named_queries(path.read_text("utf-8"), str(path)).items():
            if name in queries:
                raise ValueError(f"query {name!r} is defined in two files")
            queries[name] = body
    return queries


def query(name: str) -> str:
    """The SQL text of the named query; a KeyError names a missing one."""
    return _all_queries()[name]
