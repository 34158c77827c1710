"""Load departments, users, customers, configuration and cases from YAML
(the format: docs/load-format.md): the use case. The database side, the
store this package's ``LoadStore`` describes and the entry points that wire
it in (``load_file``, ``load_data``), is ``casemgr.db.loader``.

A load is one transaction in two phases. First the whole document is
validated, against itself and against the rows already in the database, and
every problem is collected with the path of its entry (``users[3].homeDepartment``);
one problem and nothing is written. Then every entry is written with an upsert
keyed by its natural key that writes nothing when the stored row already
matches, so loading the same file twice gives the same state and leaves
``lastModified`` alone. A database error while writing rolls everything back
and names the entry being written.

The modules: ``document`` reads the file, ``validation`` checks it section by
section (``directory``, ``configuration``, ``cases``, with the ``validator``,
the ``shapes`` of the entries and the value ``checkers``) against the
``catalog`` of stored rows into a ``plan``, and ``writing`` writes the plan
through the ``store``.
"""

from __future__ import annotations

from typing import Any, Callable

from casemgr.service.loading.catalog import Catalog
from casemgr.service.loading.document import mentioned_case_ids, read_document
from casemgr.service.loading.errors import LoadError, Problem
from casemgr.service.loading.plan import Plan, PlannedCase
from casemgr.service.loading.shapes import DATA_TYPES, DEFAULT_OAUTH_SCOPES, SECTIONS
from casemgr.service.loading.store import LoadStore
from casemgr.service.loading.validation import validate
from casemgr.service.loading.writing import write_plan
from casemgr.service.passwords import PasswordHashing

__all__ = [
    "DATA_TYPES", "DEFAULT_OAUTH_SCOPES", "SECTIONS", "Catalog", "LoadError", "LoadStore", "Plan", "PlannedCase",
    "Problem", "load_document", "read_document", "validate",
]


def load_document(store: LoadStore, data: Any, hashing: Callable[[], PasswordHashing]) -> dict[str, int]:
    """Validate ``data`` (a parsed YAML document) and write it through
    ``store``, whose transaction the caller holds; the number of entries per
    section. ``hashing`` gives the password hashing, asked for only when the
    file holds a password or secret."""
    case_ids = mentioned_case_ids(data)
    locked = store.lock(case_ids)
    plan = validate(data, store.read_catalog(case_ids))
    write_plan(store, plan, locked, hashing)
    return plan.counts()
