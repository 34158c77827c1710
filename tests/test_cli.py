"""What the command line says is what it did: the serve banner's demo line,
and `casemgr load` refusing names no rule knows, pointing to its format."""

from __future__ import annotations

from pathlib import Path

import pytest

from casemgr import cli
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
