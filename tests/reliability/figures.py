"""Figures the reliability suites measure, printed after the run (see
conftest.pytest_terminal_summary). A module of its own so that tests and the
conftest share one list, however each was imported."""

from __future__ import annotations

FIGURES: list[tuple[str, str]] = []


def record_figure(suite: str, text: str) -> None:
    FIGURES.append((suite, text))
    print(f"{suite}: {text}")
