"""Reading the history (``sql/queries/history.sql``): a case's entries, what
changed since a version, and the change feed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

import psycopg

from casemgr.db.jsonvalues import parse_timestamp
from casemgr.db.repositories import NamedQueries
from casemgr.db.statements import Statements
from casemgr.domain import history
from casemgr.domain.history import (
    Author,
    ConflictExplanation,
    FeedChange,
    FeedPosition,
    HistoryEntry,
    References,
)
from casemgr.domain.model import CaseReach
from casemgr.domain.visibility import FieldSight


@dataclass(frozen=True)
class StoredHistory:
    """A page of a case's entries and the case they belong to (None: no such case)."""

    case: CaseReach | None
    count: int
    entries: tuple[HistoryEntry, ...]


@dataclass(frozen=True)
class FeedRead:
    """Changes in feed order, the feed's horizon when they were read (as
    ``xmin``: the oldest transaction of this database then running) and the
    snapshot's xmax (the newest transaction it could know)."""

    changes: tuple[FeedChange, ...]
    xmin: int
    xmax: int


class PgHistoryRepository(NamedQueries):
    def queue_case_history(self, case_id: int, page_size: int | None, skip: int,
                           sight: FieldSight) -> Callable[[], StoredHistory]:
        """The entries that change a field of ``sight``, paged and counted.
        Queued: it travels with whatever the unit of work sends next."""
        pending = self.statements.queue_read("get_case_history", {
            "case_id": case_id, "page_size": page_size, "skip": skip, "every_field": sight.everything,
            "shown_path": shown_path(sight)})

        def answer() -> StoredHistory:
            row = pending.row()
            case = row["case_row"]
            references = references_from_json(row["refs"])
            return StoredHistory(
                case=CaseReach(case["id"], case["department_id"], case["customer_id"], case["category_id"])
                if case else None,
                count=row["total"],
                entries=tuple(entry_from_json(e, references) for e in row["entries"]),
            )
        return answer

    def changes_since(self, case_id: int, version: datetime) -> ConflictExplanation:
        row = self._one("get_changes_since", {"case_id": case_id, "version": version})
        return history.explain_conflict(row["known"], row["entries"])

    def change_feed(self, after: FeedPosition, limit: int, departments: frozenset[int] | None) -> FeedRead:
        row = self._one("get_change_feed", {
            "after_position": str(after.xid), "after_id": after.entry_id, "limit": limit,
            "departments": sorted(departments) if departments is not None else None,
        })
        return FeedRead(tuple(feed_change_from_json(c) for c in row["changes"]), int(row["xmin"]), int(row["xmax"]))

    def feed_horizon(self) -> int:
        return int(self._one("get_feed_horizon", {})["xmin"])


def shown_path(sight: FieldSight) -> str:
    """A jsonpath true of an entry's changes when one of them names a field
    of ``sight`` (every field: any change)."""
    tests = [f"@ == {json.dumps(name)}" for name in sorted(sight.names)]
    tests += [f"@ starts with {json.dumps(prefix)}" for prefix in sight.prefixes]
    return f"$[*].field ? ({' || '.join(tests)})" if tests else "$[*]"


def references_from_json(row: dict) -> References:
    def ids(names: dict | None) -> dict[int, str]:
        return {int(k): v for k, v in (names or {}).items()}
    return References(statuses=ids(row["statuses"]), resolutions=ids(row["resolutions"]),
                      categories=ids(row["categories"]), types=ids(row["types"]),
                      departments=ids(row["departments"]))


def author_from_json(row: dict) -> Author | None:
    if row["actor_user_id"] is not None:
        return Author("user", str(row["actor_user_id"]), row["actor_login"])
    if row["actor_customer_id"] is not None:
        return Author("customer", str(row["actor_customer_id"]), row["actor_customer_name"])
    if row["actor_client_id"] is not None:
        return Author("client", row["actor_client_id"], row["actor_client_id"])
    return None


def entry_from_json(row: dict, references: References) -> HistoryEntry:
    return HistoryEntry(
        date=parse_timestamp(row["written_at"]),
        last_modified=parse_timestamp(row["last_modified"]),
        api=history.api_name(row["api"]),
        author=author_from_json(row),
        changes=tuple(history.present_change(c, references) for c in row["changes"]),
        activity=row.get("activity"),
    )


def feed_change_from_json(row: dict) -> FeedChange:
    return FeedChange(
        position=FeedPosition(int(row["position"]), row["id"]),
        case_id=row["case_id"],
        date=parse_timestamp(row["written_at"]),
        last_modified=parse_timestamp(row["last_modified"]),
        api=history.api_name(row["api"]),
        author=author_from_json(row),
        fields=tuple(dict.fromkeys(row["fields"] or ())),
    )


def read_case_history(conninfo: str, case_id: int, sight: FieldSight) -> StoredHistory:
    """Every entry of a case that changes a field of ``sight``, newest first,
    for someone with the database itself in hand (the ``casemgr history``
    command): no credentials, no paging."""
    with psycopg.connect(conninfo, autocommit=True, options="-c TimeZone=UTC", prepare_threshold=None) as conn:
        # LIMIT NULL is no limit.
        return PgHistoryRepository(Statements(conn)).queue_case_history(case_id, None, 0, sight)()
