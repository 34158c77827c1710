"""The README stays true: its error table and its commands match the code."""

from pathlib import Path

from casemgr.api.errors import ERROR_TABLE

README = (Path(__file__).parent.parent / "README.md").read_text("utf-8")


def test_every_error_code_of_the_error_table_is_in_the_readme_table():
    for entry in ERROR_TABLE.values():
        row = f"| {entry.status} | `{entry.egain_code}` |"
        assert row in README, f"README lacks the row for {entry.egain_code}: {row}"


def test_every_error_code_is_unique_per_cause():
    by_code = {}
    for entry in ERROR_TABLE.values():
        by_code.setdefault(entry.egain_code, set()).add(entry.summary.split(" (")[0].split(";")[0])
    shared = {code: causes for code, causes in by_code.items() if len(causes) > 1 and code != "400-152"}
    assert not shared


def test_the_ci_script_runs_the_readme_test_command_verbatim():
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text("utf-8")
    command = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest"
    assert command in README
    assert command in ci


def test_the_ci_script_lints_the_spec_as_the_readme_says():
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text("utf-8")
    command = "npx --yes @redocly/cli@2.77.0 lint openapi.yaml"
    assert command in README
    assert command in ci
