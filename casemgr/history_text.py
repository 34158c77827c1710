"""A case's history as a person reads it in a terminal (``casemgr history``)."""

from __future__ import annotations

from casemgr.domain.history import COMMENTS, LOAD, RELATED_CASES, HistoryChange, HistoryEntry
from casemgr.domain.versions import format_timestamp

_LONGEST_VALUE = 60


def history_text(case_id: int, entries: tuple[HistoryEntry, ...]) -> str:
    count = len(entries)
    lines = [f"Case {case_id}: {count} change{'' if count == 1 else 's'}, newest first"]
    for entry in entries:
        lines.append("")
        lines.append(f"{_when(entry)}  {_who(entry)}")
        width = max((len(c.field) for c in entry.changes), default=0)
        lines.extend(f"    {c.field.ljust(width)}  {_what(c)}" for c in entry.changes)
    return "\n".join(lines)


def _when(entry: HistoryEntry) -> str:
    # The stored form, made easier on the eye: "2026-11-22 10:00:00.123 UTC".
    return format_timestamp(entry.date).replace("T", " ").replace("Z", " UTC")


def _who(entry: HistoryEntry) -> str:
    author = entry.author
    if author is None:
        return "by a load (casemgr load)" if entry.api == LOAD else f"via {entry.api}"
    name = f"{author.name} ({author.kind} {author.id})" if author.name != author.id else f"{author.kind} {author.id}"
    return f"{name}  via {entry.api}"


def _what(change: HistoryChange) -> str:
    if change.field == RELATED_CASES:
        parts = [f"removed {change.old_value}" if change.old_value else "",
                 f"added {change.new_value}" if change.new_value else ""]
        return "; ".join(p for p in parts if p)
    if change.field == COMMENTS:
        return f"added {change.new_value}"
    if change.old_value is None:
        return _shown(change.new_value)
    return f"{_shown(change.old_value)} → {_shown(change.new_value)}"


def _shown(value: str | None) -> str:
    if value is None:
        return "(none)"
    text = " ".join(value.split())
    return repr(text if len(text) <= _LONGEST_VALUE else text[:_LONGEST_VALUE - 1] + "…")
