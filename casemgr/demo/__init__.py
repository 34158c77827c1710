"""The demo dataset (demo.yaml): loaded by ``casemgr serve --demo`` into a
database without cases, and put back by ``casemgr demo reset``.

**Which cases are the demo's.** A case is the demo's when the history entry
that created it was written by a load (not through an API) and created it
with the subject demo.yaml gives its id. A case created through an API, or
by loading another file, is not the demo's, even under one of the demo's ids:
a database of someone's own data is never mistaken for the demo.

**What a reset does**, in one transaction: it locks and empties every table
but the migration ledger and the server key (cases and their history, users,
customers, configuration, sessions, tokens, webhook subscriptions and their
deliveries, throttle records), restarts the id sequences, and loads
demo.yaml. The database ends as a new one with the demo loaded, or, if
anything fails, exactly as it was. Every session and token ends; a running
server may stay up (its requests wait for the reset to commit). Unless
forced, a reset refuses a database that holds a case that is not the
demo's, and changes nothing.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from casemgr.db import demo_store
from casemgr.db.demo_store import OtherCases
from casemgr.service.loading import read_document

__all__ = ["OtherCases", "dataset", "reset"]

# What a reset keeps: the migration ledger, and the key that tags issued
# credentials (every process that shares the database reads it).
KEPT_TABLES = ("schema_migration", "server_key")


def dataset() -> Path:
    """The demo dataset's file."""
    return Path(str(resources.files(__name__).joinpath("demo.yaml")))


def reset(conninfo: str, *, force: bool = False) -> dict[str, int]:
    """Empty the database and load the demo data, in one transaction; the
    number of entries loaded per section. Raises ``OtherCases``, having
    changed nothing, when the database holds a case that is not the demo's,
    unless ``force``."""
    return demo_store.reset(conninfo, read_document(dataset()), kept_tables=KEPT_TABLES, force=force)
