"""Prints how many examples and steps the stateful sequences ran, whether or
not pytest captures the tests' output."""

from __future__ import annotations

from tests.stateful.counts import COUNTS


def pytest_terminal_summary(terminalreporter):
    if COUNTS.examples:
        terminalreporter.section("stateful sequences")
        terminalreporter.write_line(COUNTS.line())
