"""The curl walk-through (docs/walkthrough.md) and the README's taste of the
API, run as written against `casemgr serve --demo`: every ```sh block of the
page, in order, in one bash process (so the shell variables one command sets
reach the next). The block after a command (```text) shows lines of its
output, exactly as the server sends them; each must be there, in that order,
with ``…`` standing for anything. The walk-through runs twice in a row: its
first command, `casemgr demo reset`, puts the demo data back, so the second
run answers as the first did. So the walk-through cannot drift from the
service, and works every time."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPOSITORY = Path(__file__).parents[2]
WALKTHROUGH = REPOSITORY / "docs" / "walkthrough.md"
README = REPOSITORY / "README.md"
TASTE = "## A taste of the API"
DOCS_BASE = "http://127.0.0.1:8000"
DOCS_CASEMGR = ".venv/bin/casemgr"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)
MARK = "@@walk-through step done@@"


def steps_of(markdown: str) -> list[tuple[str, list[str]]]:
    """(commands, output lines shown) of each ```sh block."""
    steps: list[tuple[str, list[str]]] = []
    for language, body in FENCE.findall(markdown):
        if language == "sh":
            steps.append((body, []))
        elif language == "text":
            assert steps and not steps[-1][1], f"an output block follows no command:\n{body}"
            steps[-1][1].extend(line for line in body.splitlines() if line.strip())
    return steps


def walkthrough_steps() -> list[tuple[str, list[str]]]:
    return steps_of(WALKTHROUGH.read_text("utf-8"))


def taste_steps() -> list[tuple[str, list[str]]]:
    readme = README.read_text("utf-8")
    start = readme.index(TASTE)
    end = readme.find("\n## ", start + 1)
    return steps_of(readme[start:end if end != -1 else None])


def shown_line(expected: str) -> re.Pattern:
    """A line as the page shows it: ``…`` is anything; the rest is literal,
    header names and reason phrases included, as the server sends them."""
    return re.compile(".+".join(map(re.escape, expected.split("…"))))


def test_the_walkthrough_covers_each_apis_conflict_and_its_resolution():
    shown = [line for _, lines in walkthrough_steps() for line in lines]
    statuses = [line for line in shown if line.startswith("HTTP/")]
    assert statuses == [
        "HTTP/1.1 204 No Content",  # the v12 login
        "HTTP/1.1 204 No Content", "HTTP/1.1 409 Conflict", "HTTP/1.1 204 No Content",  # v12
        "HTTP/1.1 204 No Content", "HTTP/1.1 409 Conflict", "HTTP/1.1 204 No Content",  # v3
        "HTTP/1.1 200 OK", "HTTP/1.1 201 Created", "HTTP/1.1 412 Precondition Failed", "HTTP/1.1 201 Created",  # v4
    ]


def test_the_walkthrough_starts_from_the_demo_data_in_a_temporary_directory():
    first, _ = walkthrough_steps()[0]
    assert first.splitlines()[:2] == [f"{DOCS_CASEMGR} demo reset", 'cd "$(mktemp -d)"']


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def casemgr_command() -> str:
    """The `casemgr` of the interpreter running the tests, for the pages'
    `.venv/bin/casemgr`."""
    script = Path(sys.executable).parent / "casemgr"
    return shlex.quote(str(script)) if script.exists() else f"{shlex.quote(sys.executable)} -m casemgr.cli"


@pytest.fixture(scope="module")
def demo_server(databases, migrated_template, tmp_path_factory):
    """`casemgr serve --demo` on a free port, over a database of its own."""
    name = databases.create("walkthrough", template=migrated_template)
    url = databases.url(name)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEMGR_")}
    env.update(CASEMGR_DATABASE_URL=url, CASEMGR_PORT=str(port), CASEMGR_WORKERS="1",
               CASEMGR_PASSWORD_HASH_PROFILE=os.environ.get("CASEMGR_PASSWORD_HASH_PROFILE", "cheapest"))
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    process = subprocess.Popen([sys.executable, "-m", "casemgr.cli", "serve", "--demo"], env=env,
                               stdout=log.open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"casemgr serve exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"casemgr serve did not get ready:\n{log.read_text()}"
            try:
                with urllib.request.urlopen(f"{base}/health/ready", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.2)
        assert "demo data loaded" in log.read_text()
        yield base, url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        databases.drop(name)


def run_as_shown(steps: list[tuple[str, list[str]]], base: str, database_url: str, tmp_path: Path) -> None:
    """Runs the steps in one bash from an empty folder standing for the
    checkout (TMPDIR another), and checks each step's output lines."""
    missing = [tool for tool in ("bash", "curl", "jq") if not shutil.which(tool)]
    assert not missing, f"the walk-through needs {missing} (apt-get install curl jq)"
    checkout, temporary = tmp_path / "checkout", tmp_path / "tmp"
    checkout.mkdir(parents=True)
    temporary.mkdir(parents=True)
    script = "set -euo pipefail\n" + "".join(
        f"{commands.replace(DOCS_BASE, base).replace(DOCS_CASEMGR, casemgr_command())}\n"
        f"printf '\\n%s\\n' '{MARK}'\n" for commands, _ in steps)
    env = {**os.environ, "CASEMGR_DATABASE_URL": database_url, "TMPDIR": str(temporary)}
    result = subprocess.run(["bash", "-c", script], cwd=checkout, env=env, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=180)
    outputs = result.stdout.split(MARK)
    ran = len(outputs) - 1
    assert result.returncode == 0 and ran == len(steps), (
        f"step {ran + 1} of {len(steps)} failed:\n{steps[min(ran, len(steps) - 1)][0]}\n"
        f"output: {outputs[-1]}\nerrors: {result.stderr}")
    for (commands, expected), output in zip(steps, outputs):
        lines = [line.rstrip("\r") for line in output.splitlines()]
        position = 0
        for line in expected:
            found = next((i for i in range(position, len(lines)) if shown_line(line).fullmatch(lines[i])), None)
            assert found is not None, (
                f"the page shows {line!r} (after the lines before it) for\n{commands}\nbut the output was:\n{output}")
            position = found + 1
    assert not list(checkout.iterdir()), "the commands left files where they were run"


def test_every_walkthrough_command_runs_twice_in_a_row_as_the_page_shows(demo_server, tmp_path):
    base, database_url = demo_server
    steps = walkthrough_steps()
    assert len(steps) >= 15
    for run in (1, 2):
        run_as_shown(steps, base, database_url, tmp_path / f"run{run}")
    print(f"walk-through: {len(steps)} steps, {sum(len(e) for _, e in steps)} output lines checked, twice")


def test_the_readme_taste_of_the_api_runs_as_shown(demo_server, tmp_path):
    base, database_url = demo_server
    steps = taste_steps()
    assert steps and all(expected for _, expected in steps)
    run_as_shown(steps, base, database_url, tmp_path)
