"""A case's history and the change feed as every API shows them: one body
shape, the same paging, the same field names (``casemgr.domain.history``)."""

from __future__ import annotations

from flask import request

from casemgr.api import errors
from casemgr.api.wire import format_datetime
from casemgr.domain.errors import StaleCase
from casemgr.domain.history import (
    Author,
    FeedChange,
    FeedPosition,
    HistoryEntry,
    HistoryPage,
    PageRequest,
    page_request,
)
from casemgr.service.feed import DEFAULT_LIMIT, FeedPage, check_limit, decode_cursor, encode_cursor

PAGE_NUMBER = "$pagenum"
PAGE_SIZE = "$pagesize"
PAGING_PARAMETERS = (PAGE_NUMBER, PAGE_SIZE)


def whole_number(name: str) -> int | None:
    value = request.args.get(name)
    if value is None:
        return None
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise errors.InvalidAttributeValue(
            f"Invalid value '{value}' for '{name}': expected a whole number.", attribute=name)
    return int(text)


def requested_page() -> PageRequest:
    """``$pagenum`` and ``$pagesize`` of the query (eGain's paging)."""
    return page_request(whole_number(PAGE_NUMBER), whole_number(PAGE_SIZE))


def author_object(author: Author | None) -> dict | None:
    if author is None:
        return None
    return {"id": author.id, "name": author.name, "type": author.kind}


def entry_object(entry: HistoryEntry) -> dict:
    return {
        "date": format_datetime(entry.date),
        "lastModified": format_datetime(entry.last_modified),
        "user": author_object(entry.author),
        "api": entry.api,
        "changes": [{"field": c.field, "oldValue": c.old_value, "newValue": c.new_value} for c in entry.changes],
        # Thalamus's activity, only where one was named and the reader may see it.
        **({"activity": entry.activity} if entry.activity is not None else {}),
    }


def history_payload(page: HistoryPage) -> dict:
    return {
        "history": [entry_object(e) for e in page.entries],
        "paginationInfo": {"count": page.count, "pagenum": page.request.number, "pagesize": page.request.size},
    }


# -- what changed since the client's version (409, 412) --------------------------

UNKNOWN_VERSION = "unknown"


def conflict_summary(exc: StaleCase) -> tuple[str, str] | None:
    """changedFields (comma-separated, in the history's vocabulary) and the
    number of changes since the version the client named; both "unknown"
    when the case never had that version. None: nothing was looked up."""
    explanation = exc.explanation
    if explanation is None:
        return None
    if not explanation.known:
        return UNKNOWN_VERSION, UNKNOWN_VERSION
    return ",".join(explanation.fields), str(explanation.changes)


# -- the change feed -------------------------------------------------------------

def requested_feed() -> tuple[FeedPosition | None, int]:
    """``after`` (a cursor, or None for the beginning) and ``limit``."""
    after = request.args.get("after")
    limit = whole_number("limit")
    return (decode_cursor(after) if after is not None else None,
            check_limit(DEFAULT_LIMIT if limit is None else limit))


def feed_change_object(change: FeedChange) -> dict:
    return {
        "cursor": encode_cursor(change.position),
        "caseId": str(change.case_id),
        "date": format_datetime(change.date),
        "lastModified": format_datetime(change.last_modified),
        "api": change.api,
        "user": author_object(change.author),
        "fields": list(change.fields),
    }


def feed_payload(page: FeedPage) -> dict:
    return {"changes": [feed_change_object(c) for c in page.changes], "next": encode_cursor(page.next)}
