"""What the command line says is what it did: the serve banner's demo line,
`casemgr load` refusing names no rule knows, pointing to its format, `casemgr
demo reset` putting the demo data back (and refusing anyone's own), a command
that only reads creating no database, and progress shown on a terminal only."""

from __future__ import annotations

import io
import logging
import os
import pty
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from casemgr import cli
from casemgr.config import Settings
from tests.test_loader import fetch, table_contents

REPOSITORY = Path(__file__).parent.parent


def test_demo_data_loads_into_an_empty_database_and_the_banner_says_so(empty_db_url):
    assert cli.load_demo(empty_db_url) == cli.DEMO_LOADED
    assert "demo data loaded" in cli.DEMO_LOADED
    assert fetch(empty_db_url, "SELECT count(*) FROM app_user WHERE login = 'frank'") == [(1,)]


def test_demo_data_is_not_loaded_again_and_the_banner_says_so(empty_db_url):
    cli.load_demo(empty_db_url)
    with_demo = table_contents(empty_db_url)
    assert cli.load_demo(empty_db_url) == cli.DEMO_NOT_LOADED
    assert "demo data loaded" not in cli.DEMO_NOT_LOADED
    assert "not loaded" in cli.DEMO_NOT_LOADED
    assert table_contents(empty_db_url) == with_demo


def test_demo_data_is_not_loaded_into_a_database_that_holds_other_cases(db_url):
    before = table_contents(db_url)
    assert cli.load_demo(db_url) == cli.DEMO_NOT_LOADED
    assert table_contents(db_url) == before


def test_load_help_names_the_format_documentation_which_exists(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["load", "--help"])
    assert exited.value.code == 0
    assert "docs/load-format.md" in capsys.readouterr().out
    assert (REPOSITORY / "docs" / "load-format.md").is_file()


def test_load_refuses_an_unknown_action_with_its_path_and_writes_nothing(empty_db_url, tmp_path, monkeypatch,
                                                                        capsys):
    monkeypatch.setenv("CASEMGR_DATABASE_URL", empty_db_url)
    data = tmp_path / "users.yaml"
    data.write_text("departments: [{name: Service}]\n"
                    "users:\n"
                    "  - {login: frank, password: frank-pass, homeDepartment: Service, actions: [Edit case]}\n")
    before = table_contents(empty_db_url)

    assert cli.main(["load", str(data)]) == 2

    err = capsys.readouterr().err
    assert "nothing was written" in err
    assert "users[0].actions[0]: 'Edit case' is not one of: Edit Case, Close Case, Manage Closed Case" in err
    assert table_contents(empty_db_url) == before


def test_history_prints_a_cases_changes_newest_first_for_a_person(db_url, monkeypatch, capsys):
    from tests.late_commit import open_edit

    monkeypatch.setenv("CASEMGR_DATABASE_URL", db_url)
    conn, _ = open_edit(db_url, 1013, "Phone replaced")
    conn.commit()
    conn.close()

    assert cli.main(["history", "1013"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Case 1013: 2 changes, newest first"
    edit_line = lines.index(next(line for line in lines if "frank (user 1001)  via v12" in line))
    load_line = lines.index(next(line for line in lines if line.endswith("UTC  by a load (casemgr load)")))
    assert edit_line < load_line
    assert lines[edit_line + 1].split() == ["subject", "'Phone", "does", "not", "charge'", "→", "'Phone", "replaced'"]
    assert ["relatedCases", "added", "1001"] in [line.split() for line in lines[load_line:]]


def test_history_of_a_case_that_does_not_exist_says_so(db_url, monkeypatch, capsys):
    monkeypatch.setenv("CASEMGR_DATABASE_URL", db_url)
    assert cli.main(["history", "9999"]) == 1
    assert capsys.readouterr().err.strip() == "casemgr: case 9999 does not exist"


def test_version_names_the_installed_casemgr(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"casemgr {metadata.version('casemgr')}"


def test_serve_help_names_the_embedded_database_its_data_directory_and_the_database_url(tmp_path, monkeypatch,
                                                                                         capsys):
    data_dir = tmp_path / "casemgr-data"
    monkeypatch.setenv("CASEMGR_DATA_DIR", str(data_dir))
    monkeypatch.delenv("CASEMGR_DATABASE_URL", raising=False)
    with pytest.raises(SystemExit) as exited:
        cli.main(["serve", "--help"])
    assert exited.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "embedded Postgres database" in text
    assert f"keeps its data in {data_dir / 'pgdata'}, under the data directory {data_dir}" in text
    assert "CASEMGR_DATA_DIR" in text and "CASEMGR_DATABASE_URL" in text
    assert not data_dir.exists()


# -- a command that only reads creates no database ----------------------------

@pytest.fixture(params=["CASEMGR_DATA_DIR", "HOME"])
def empty_data_directory(request, tmp_path, monkeypatch) -> Path:
    """No database configured and none embedded: an empty data directory
    named by CASEMGR_DATA_DIR, or the default one under another HOME."""
    monkeypatch.delenv("CASEMGR_DATABASE_URL", raising=False)
    if request.param == "HOME":
        monkeypatch.delenv("CASEMGR_DATA_DIR", raising=False)
        monkeypatch.delenv("XDG_DATA_HOME", raising=False)
        monkeypatch.setenv("HOME", str(tmp_path))
        return Settings.from_env().data_dir
    monkeypatch.setenv("CASEMGR_DATA_DIR", str(tmp_path))
    return tmp_path


def test_history_without_a_database_says_so_and_creates_none(empty_data_directory, tmp_path, capsys):
    assert cli.main(["history", "1013"]) == cli.NO_DATABASE != 0

    err = capsys.readouterr().err
    assert err.startswith("casemgr: no database to read: CASEMGR_DATABASE_URL is not set")
    assert f"the data directory {empty_data_directory} holds no embedded database" in err
    assert list(tmp_path.iterdir()) == []


# -- casemgr demo reset ---------------------------------------------------------

def comparable(url: str) -> dict[str, list[str]]:
    """Every row of every table but the server key, without what a load takes
    from the clock, the transaction or a fresh salt (times, xids, hashes)."""
    with psycopg.connect(url) as conn:
        columns: dict[str, list[str]] = {}
        for table, column in conn.execute(
                "SELECT table_name, column_name FROM information_schema.columns c"
                " JOIN information_schema.tables t USING (table_schema, table_name)"
                " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'server_key'"
                "   AND data_type NOT IN ('timestamp with time zone', 'xid8') AND column_name NOT LIKE '%hash'"
                " ORDER BY table_name, ordinal_position"):
            columns.setdefault(table, []).append(column)
        return {
            table: sorted(repr(row) for row in conn.execute(sql.SQL("SELECT {} FROM {}").format(
                sql.SQL(", ").join(map(sql.Identifier, names)), sql.Identifier(table))))
            for table, names in columns.items()
        }


def test_demo_reset_puts_a_changed_demo_database_back_to_the_demo_data(empty_db_url, monkeypatch, capsys):
    from tests.late_commit import open_edit

    monkeypatch.setenv("CASEMGR_DATABASE_URL", empty_db_url)
    cli.load_demo(empty_db_url)
    demo = comparable(empty_db_url)
    # A walk-through's changes: an edit (and its history), a failed login.
    conn, _ = open_edit(empty_db_url, 1001, "Screen replaced", user_id=1002)
    conn.commit()
    conn.close()
    with psycopg.connect(empty_db_url) as conn:
        conn.execute("INSERT INTO credential_failure (account, address) VALUES ('frank', '127.0.0.1')")
    assert comparable(empty_db_url) != demo

    assert cli.main(["demo", "reset"]) == 0

    assert comparable(empty_db_url) == demo
    assert fetch(empty_db_url, "SELECT subject FROM support_case WHERE id = 1001") == [("Phone screen flickers",)]
    assert capsys.readouterr().out.startswith("demo data reset: 4 departments, 9 users, 3 customers, ")


def test_demo_reset_refuses_a_database_holding_cases_that_are_not_the_demos(db_url, monkeypatch, capsys):
    """The test world's cases reuse the demo's ids, but a load created them
    with other subjects: they are someone's own data."""
    monkeypatch.setenv("CASEMGR_DATABASE_URL", db_url)
    before = table_contents(db_url)

    assert cli.main(["demo", "reset"]) == cli.RESET_REFUSED

    err = capsys.readouterr().err
    assert err.startswith("casemgr: demo reset refused, nothing was changed: the database holds 9 case(s) "
                          "that are not the demo's (1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1013)")
    assert "`casemgr demo reset --force`" in err
    assert table_contents(db_url) == before


def test_demo_reset_refuses_a_demo_database_a_case_was_added_to(empty_db_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CASEMGR_DATABASE_URL", empty_db_url)
    cli.load_demo(empty_db_url)
    mine = tmp_path / "mine.yaml"
    mine.write_text("cases: [{id: 5000, department: Service, subject: Mine}]\n")
    assert cli.main(["load", str(mine)]) == 0
    before = table_contents(empty_db_url)

    assert cli.main(["demo", "reset"]) == cli.RESET_REFUSED

    assert "holds 1 case(s) that are not the demo's (5000)" in capsys.readouterr().err
    assert table_contents(empty_db_url) == before


def test_demo_reset_with_force_replaces_any_data_with_the_demo_data(db_url, empty_db_url, monkeypatch):
    cli.load_demo(empty_db_url)
    monkeypatch.setenv("CASEMGR_DATABASE_URL", db_url)

    assert cli.main(["demo", "reset", "--force"]) == 0

    assert comparable(db_url) == comparable(empty_db_url)
    assert fetch(db_url, "SELECT count(*) FROM app_user WHERE login = 'dora'") == [(0,)]


# -- progress on a terminal, and only there -------------------------------------

class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_drawn_on_a_terminal_and_erased_when_the_step_ends(monkeypatch):
    monkeypatch.setenv("TERM", "xterm")
    terminal = Terminal()
    with cli.Progress(terminal).step("loading demo.yaml"):
        pass
    assert terminal.getvalue() == "\r\x1b[Kcasemgr: loading demo.yaml…\r\x1b[K"


def test_a_progress_line_shows_the_seconds_spent_and_never_wraps(monkeypatch):
    monkeypatch.setenv("TERM", "xterm")
    terminal = Terminal()  # no terminal size to read: 80 columns
    with cli.Progress(terminal).step("hashing " + "passwords " * 20):
        time.sleep(1.2)
    lines = terminal.getvalue().split("\r\x1b[K")
    assert lines[0] == "" and lines[-1] == ""
    assert all(len(line) <= 79 for line in lines)
    assert lines[1].startswith("casemgr: hashing passwords") and lines[1].endswith("…")
    assert lines[2].endswith("… 1 s")


def test_progress_writes_nothing_where_stderr_is_no_terminal(monkeypatch):
    monkeypatch.setenv("TERM", "xterm")
    pipe = io.StringIO()
    with cli.Progress(pipe).step("loading demo.yaml"):
        pass
    assert pipe.getvalue() == ""
    monkeypatch.setenv("TERM", "dumb")
    terminal = Terminal()
    with cli.Progress(terminal).step("loading demo.yaml"):
        pass
    assert terminal.getvalue() == ""


def test_a_log_record_during_a_step_is_printed_above_the_progress_line(monkeypatch):
    monkeypatch.setenv("TERM", "xterm")
    terminal = Terminal()
    handler = logging.StreamHandler(terminal)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with cli.Progress(terminal).step("loading demo.yaml"):
            logging.getLogger("casemgr.test").warning("applied migration 0001")
        logging.getLogger("casemgr.test").warning("after")
    finally:
        root.removeHandler(handler)
    assert terminal.getvalue() == ("\r\x1b[Kcasemgr: loading demo.yaml…"
                                   "\r\x1b[Kapplied migration 0001\ncasemgr: loading demo.yaml…"
                                   "\r\x1b[Kafter\n")


def run_load(url: str, stderr_on_a_terminal: bool) -> tuple[str, str]:
    """`casemgr load` of the demo data in a subprocess: its stdout, and its
    stderr written to a pseudo-terminal or to a pipe."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEMGR_")}
    env.update(CASEMGR_DATABASE_URL=url, CASEMGR_PASSWORD_HASH_PROFILE="cheapest", TERM="xterm",
               CASEMGR_LOG_LEVEL="WARNING")
    command = [sys.executable, "-m", "casemgr.cli", "load", str(cli.demo_dataset())]
    if not stderr_on_a_terminal:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done
        return done.stdout, done.stderr
    controller, terminal = pty.openpty()
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=terminal, text=True) as process:
        os.close(terminal)
        written = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal's other end is closed
                break
            if not chunk:
                break
            written += chunk
        stdout = process.stdout.read()
    os.close(controller)
    assert process.returncode == 0, written
    return stdout, written.decode()


def test_load_shows_progress_on_a_terminal_and_prints_the_same_as_ever(empty_db_url, databases, migrated_template):
    stdout, stderr = run_load(empty_db_url, stderr_on_a_terminal=True)
    assert "casemgr: loading demo.yaml…" in stderr
    assert stderr.endswith("\r\x1b[K")
    assert stdout.startswith("loaded 4 departments, 9 users, 3 customers, ")

    other = databases.url(databases.create("progress_pipe", template=migrated_template))
    piped_stdout, piped_stderr = run_load(other, stderr_on_a_terminal=False)
    assert piped_stderr == ""
    assert piped_stdout == stdout
