"""The README's curl walk-through, run as written: every ```sh block of its
section, in order, in one bash process (so the shell variables one command
sets reach the next), against a live server with the demo data. The block
after a command (```text) shows lines of its output; each must be there,
with ``…`` standing for anything. So the walk-through cannot drift from the
service."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

README = Path(__file__).parents[2] / "README.md"
SECTION = "## Walk-through with curl"
README_BASE = "http://127.0.0.1:8000"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)
MARK = "@@walk-through step done@@"


def walkthrough_steps(readme: str) -> list[tuple[str, list[str]]]:
    """(commands, output lines shown) of each ```sh block of the section."""
    start = readme.index(SECTION)
    end = readme.find("\n## ", start + 1)
    blocks = FENCE.findall(readme[start:end if end != -1 else None])
    steps: list[tuple[str, list[str]]] = []
    for language, body in blocks:
        if language == "sh":
            steps.append((body, []))
        else:
            assert steps and not steps[-1][1], f"an output block follows no command:\n{body}"
            steps[-1][1].extend(line for line in body.splitlines() if line.strip())
    return steps


def shown_line(expected: str) -> re.Pattern:
    """A line as the README shows it: ``…`` is anything; the rest is literal
    (header names and reason phrases in any case, as HTTP allows)."""
    return re.compile(".+".join(map(re.escape, expected.split("…"))), re.IGNORECASE)


def test_the_walkthrough_section_covers_each_apis_conflict_and_its_resolution():
    shown = [line for _, lines in walkthrough_steps(README.read_text("utf-8")) for line in lines]
    statuses = [line for line in shown if line.startswith("HTTP/")]
    assert statuses == [
        "HTTP/1.1 204 NO CONTENT", "HTTP/1.1 409 CONFLICT", "HTTP/1.1 204 NO CONTENT",  # v12
        "HTTP/1.1 204 NO CONTENT", "HTTP/1.1 409 CONFLICT", "HTTP/1.1 204 NO CONTENT",  # v3
        "HTTP/1.1 200 OK", "HTTP/1.1 201 CREATED", "HTTP/1.1 412 PRECONDITION FAILED", "HTTP/1.1 201 CREATED",  # v4
    ]


def test_every_walkthrough_command_runs_against_the_demo_data_as_the_readme_shows(demo_base_url, tmp_path):
    missing = [tool for tool in ("bash", "curl", "jq") if not shutil.which(tool)]
    assert not missing, f"the README's walk-through needs {missing} (apt-get install curl jq)"
    steps = walkthrough_steps(README.read_text("utf-8"))
    assert len(steps) >= 15
    script = "set -euo pipefail\n" + "".join(
        f"{commands.replace(README_BASE, demo_base_url)}\nprintf '\\n%s\\n' '{MARK}'\n" for commands, _ in steps)
    # Its own folder: the Thalamus steps keep their cookie jar in the working directory.
    result = subprocess.run(["bash", "-c", script], cwd=tmp_path, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=120)
    outputs = result.stdout.split(MARK)
    ran = len(outputs) - 1
    assert result.returncode == 0 and ran == len(steps), (
        f"step {ran + 1} of {len(steps)} failed:\n{steps[min(ran, len(steps) - 1)][0]}\n"
        f"output: {outputs[-1]}\nerrors: {result.stderr}")
    for (commands, expected), output in zip(steps, outputs):
        lines = [line.rstrip("\r") for line in output.splitlines()]
        for line in expected:
            assert any(shown_line(line).fullmatch(actual) for actual in lines), (
                f"the README shows {line!r} for\n{commands}\nbut the output was:\n{output}")
    print(f"README walk-through: {len(steps)} steps, {sum(len(e) for _, e in steps)} output lines checked")
