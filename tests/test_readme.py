"""The README and the documentation site stay true: the error table and the
commands match the code and CI, the receiver verifies deliveries, the README
stays a five-minute read that lists every page of the site, and neither names
a file the repository does not hold."""

import re
from pathlib import Path

import yaml

from casemgr.api.errors import ERROR_TABLE

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text("utf-8")
DOCS = ROOT / "docs"
ERRORS_PAGE = (DOCS / "errors.md").read_text("utf-8")
EXPLORER_PAGE = (DOCS / "explorer.md").read_text("utf-8")
WEBHOOKS_PAGE = (DOCS / "webhooks.md").read_text("utf-8")
CI = (ROOT / ".ci" / "run").read_text("utf-8")


def pages() -> dict[Path, str]:
    return {path: path.read_text("utf-8") for path in sorted(DOCS.rglob("*.md"))}


def nav_pages(nav) -> list[str]:
    """Every page of mkdocs.yml's navigation, as a path under docs/."""
    found: list[str] = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        found.extend(nav_pages(value) if isinstance(value, list) else [value])
    return found


def test_every_error_code_of_the_error_table_is_in_the_documentation_table():
    for entry in ERROR_TABLE.values():
        row = f"| {entry.status} | `{entry.egain_code}` |"
        assert row in ERRORS_PAGE, f"docs/errors.md lacks the row for {entry.egain_code}: {row}"


def test_every_error_code_is_unique_per_cause():
    by_code = {}
    for entry in ERROR_TABLE.values():
        by_code.setdefault(entry.egain_code, set()).add(entry.summary.split(" (")[0].split(";")[0])
    shared = {code: causes for code, causes in by_code.items() if len(causes) > 1 and code != "400-152"}
    assert not shared


def test_the_ci_script_runs_the_readme_test_command_verbatim():
    command = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest"
    assert command in README
    assert command in CI


def test_the_ci_script_lints_the_spec_as_the_readme_and_the_docs_say():
    command = "npx --yes @redocly/cli@2.77.0 lint openapi.yaml"
    assert command in README
    assert command in EXPLORER_PAGE
    assert command in CI


def test_the_ci_script_builds_the_documentation_strictly():
    assert "pip install -e '.[docs]'" in CI
    assert re.search(r"^(?:\S+=\S+ )*\.venv/bin/mkdocs build --strict$", CI, re.MULTILINE)
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text("utf-8"))
    assert config["theme"]["name"] == "material" and config.get("strict") is True
    assert "search" in config["plugins"]
    assert "site/" in (ROOT / ".gitignore").read_text("utf-8").splitlines()


def test_the_readme_is_a_five_minute_read_that_lists_every_page_of_the_site():
    assert len(README.splitlines()) <= 250
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text("utf-8"))
    in_nav = nav_pages(config["nav"])
    on_disk = [str(path.relative_to(DOCS)) for path in pages()]
    assert sorted(in_nav) == sorted(on_disk), "every page under docs/ is in mkdocs.yml's nav, and only those"
    for page in in_nav:
        if page != "index.md":
            assert f"](docs/{page})" in README, f"the README does not link docs/{page}"


def test_the_readme_says_how_long_the_tests_take_and_how_to_run_a_quick_part():
    assert "10 to 21 minutes" in README
    assert ".venv/bin/pytest -m 'not slow'" in README
    pytest_options = (ROOT / "pyproject.toml").read_text("utf-8")
    assert re.search(r'^addopts = ".*--durations=15.*"$', pytest_options, re.MULTILINE)


def generated(named: str) -> bool:
    """A path that a command creates and .gitignore keeps out of the
    repository (the benchmark's work directory): absent from a fresh clone."""
    ignored = [line.strip() for line in (ROOT / ".gitignore").read_text("utf-8").splitlines()]
    return any(entry and not entry.startswith("#") and named.startswith(entry) for entry in ignored)


def test_every_link_and_path_the_readme_and_the_docs_name_exists():
    link = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
    path = re.compile(r"`((?:casemgr|tests|sql|benchmarks|docs|\.ci)/[\w./-]*|[\w-]+\.(?:yaml|yml|toml))`")
    documents = {ROOT / "README.md": README, **pages()}
    missing = []
    for document, text in documents.items():
        for target in link.findall(text):
            if not re.match(r"[a-z]+:", target) and not (document.parent / target).exists():
                missing.append(f"{document.relative_to(ROOT)}: link {target}")
        for named in path.findall(text):
            if not (ROOT / named).exists() and named not in {"FILE.yaml"} and not generated(named):
                missing.append(f"{document.relative_to(ROOT)}: {named}")
    assert not missing


# A document cited by name (SPEC, STYLE.md, the seed files), or an internal
# note; SPEC as a variable's name (the path of openapi.yaml) is not one.
CITATION = re.compile(r"\bSPEC\b(?! =)(?!\))|STYLE\.md")
NOTE = re.compile(r"\bseeds? ?\d|\bthe seeds?\b|\bseeds'|\bseed's\b|as served before|this round", re.IGNORECASE)


def test_no_page_or_comment_cites_a_document_the_repository_does_not_hold():
    """The rules are stated where they apply, never as a section of an
    outside specification or a seed file."""
    sources = [ROOT / "README.md", ROOT / ".ci" / "run", *DOCS.rglob("*.md"), *(ROOT / "sql").rglob("*.sql"),
               *(ROOT / "casemgr").rglob("*.py"), *(ROOT / "casemgr").rglob("*.yaml"),
               *(ROOT / "tests").rglob("*.py"), *(ROOT / "tests").rglob("*.yaml")]
    found = [f"{source.relative_to(ROOT)}:{number}: {line.strip()}"
             for source in sources if source != Path(__file__) and source.name != "test_openapi.py"
             for number, line in enumerate(source.read_text("utf-8").splitlines(), 1)
             if CITATION.search(line) or NOTE.search(line)]
    assert not found, "\n".join(found)


def test_the_docs_receiver_verifies_each_delivery_and_processes_each_change_once():
    from datetime import datetime, timezone

    from standardwebhooks.webhooks import Webhook

    from casemgr.domain.history import Author, FeedChange, FeedPosition
    from casemgr.service.delivery import event_body, signed_headers
    from casemgr.service.webhooks import WebhookSecrets

    block = WEBHOOKS_PAGE.split("<!-- receiver:begin -->")[1].split("<!-- receiver:end -->")[0]
    code = block.split("```python\n")[1].split("```")[0]
    secret = WebhookSecrets(lambda: bytes(32)).new_secret()
    receiver: dict = {"__name__": "docs_receiver"}
    exec(code.replace('"whsec_…"', repr(secret)), receiver)
    client = receiver["app"].test_client()
    moment = datetime.now(timezone.utc)
    body = event_body(FeedChange(FeedPosition(7, 5), 1013, moment, moment, "v12", Author("user", "1001", "frank"),
                                 ("subject",)))
    headers = signed_headers(Webhook(secret), "msg_1_5", body, moment)

    assert client.post("/casemgr", data=body, headers=headers).status_code == 204
    assert client.post("/casemgr", data=body, headers=headers).status_code == 204  # again: not processed twice
    assert receiver["processed"] == {"msg_1_5"}
    forged = body.replace("1013", "1001")
    assert client.post("/casemgr", data=forged, headers=headers).status_code == 400
    stale = signed_headers(Webhook(secret), "msg_1_6", body, datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert client.post("/casemgr", data=body, headers=stale).status_code == 400
    assert receiver["processed"] == {"msg_1_5"}
