"""The document: a YAML file read into Python values, and the case ids it
names, read before it is validated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from casemgr.service.loading.errors import LoadError


def read_document(path: Path) -> Any:
    """The parsed YAML of the file at ``path``; a file that cannot be read or
    parsed is a LoadError naming the file (and the line, for bad YAML)."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError([(str(path), f"cannot read the file: {exc}")]) from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path.name}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise LoadError([(where, f"not valid YAML: {getattr(exc, 'problem', None) or exc}")]) from exc
    except (ValueError, OverflowError) as exc:  # a value YAML cannot build: 5,000 digits, February 30
        raise LoadError([(str(path), f"holds a value that cannot be read: {exc}")]) from exc


def mentioned_case_ids(data: Any) -> list[int]:
    """Every case id the document names (as a case or a related case), read
    leniently: the ids are only needed to lock and look up those cases before
    the document is validated."""
    cases = data.get("cases") if isinstance(data, dict) else None
    ids: set[int] = set()
    for entry in cases if isinstance(cases, list) else ():
        if not isinstance(entry, dict):
            continue
        related = entry.get("relatedCases")
        for value in [entry.get("id"), *(related if isinstance(related, list) else ())]:
            if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63:
                ids.add(value)
    return sorted(ids)
