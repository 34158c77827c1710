"""A case's history in one vocabulary for every API, and what it tells.

Every writer of a history entry (an edit of any API, a Thalamus creation, a
load) names the fields it changed through this module, so the entries are
stored in the vocabulary the APIs show (``CaseField``'s names,
``custom_attribute_field``, ``case_data_field``); reading them back only
turns stored values into text (``present_change``). The change feed and a
conflict's ``changedFields`` read the same names.

The vocabulary: subject, description, solution, severity, dueDate, owner,
status, resolution, category, type, relatedCases (the ids added and
removed), customAttributes.<name>, caseData.<name>, comments (the ids
added) and comments.<id> (a comment's text rewritten); a creation or a load also records case ("created"), department and
customer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Mapping

from casemgr.domain import errors
from casemgr.domain.model import CaseField, CaseState, FieldChange

# The case's fields the history records, each under its own name. The others
# are not recorded: lastClosed follows from the status, and an entry carries
# its own lastModified and author.
RECORDED_FIELDS = frozenset(CaseField) - {CaseField.LAST_CLOSED, CaseField.LAST_MODIFIED, CaseField.LAST_MODIFIED_BY}
RELATED_CASES = "relatedCases"
COMMENTS = "comments"
CASE = "case"  # a creation's first change: the case was created
CREATED = "created"
CUSTOM_ATTRIBUTES = "customAttributes."
CASE_DATA = "caseData."
# A rewritten comment: comments.<id>, its text before and after.
COMMENT_PREFIX = "comments."

# The order a conflict lists changed fields in: the case's own fields as a
# representation shows them, then custom values and case data by name.
FIELD_ORDER = (CASE, "department", "customer", "subject", "description", "solution", "severity", "dueDate",
               "owner", "status", "resolution", "category", "type", RELATED_CASES, COMMENTS)

# The APIs as history names them; a load is "load".
API_NAMES = {"egain-v12": "v12", "egain-v3": "v3", "thalamus-v4": "v4", "load": "load"}
LOAD = "load"


def custom_attribute_field(name: str) -> str:
    return CUSTOM_ATTRIBUTES + name


def case_data_field(name: str) -> str:
    return CASE_DATA + name


def comment_field(comment_id: int) -> str:
    return f"{COMMENT_PREFIX}{comment_id}"


def api_name(stored: str) -> str:
    return API_NAMES.get(stored, stored)


def field_changes(before: Mapping[CaseField, Any], after: Mapping[CaseField, Any]) -> list[FieldChange]:
    """The recorded fields whose value differs, in the order ``after`` gives them."""
    return [FieldChange(name.value, before.get(name), new) for name, new in after.items()
            if name in RECORDED_FIELDS and before.get(name) != new]


def value_changes(before: Mapping[int, Any], after: Mapping[int, Any], names: Mapping[int, str]) -> list[FieldChange]:
    """Custom values and case data by field id: set, changed and removed
    (``names``: field id → its history field)."""
    changes = [FieldChange(names[i], before.get(i), new) for i, new in after.items() if before.get(i) != new]
    changes += [FieldChange(names[i], old, None) for i, old in before.items() if i not in after]
    return changes


def relation_change(before: Iterable[int], after: Iterable[int]) -> list[FieldChange]:
    """relatedCases, recorded as the whole list before and after."""
    old, new = sorted(before), sorted(after)
    return [FieldChange(RELATED_CASES, old, new)] if old != new else []


def case_changes(before: CaseState | None, after: CaseState, names: Mapping[int, str]) -> tuple[FieldChange, ...]:
    """What changed between two states of a case (a load): every recorded
    field, custom value, case data field and relation. ``before`` None: the
    case was created, and every value it starts with is recorded."""
    after_values = after.field_values()
    if before is None:
        changes = [FieldChange(CASE, None, CREATED)]
        changes += field_changes({}, {f: v for f, v in after_values.items() if v is not None})
        changes += value_changes({}, after.custom_values, names)
        changes += relation_change((), after.related_ids)
        return tuple(changes)
    changes = field_changes(before.field_values(), after_values)
    changes += value_changes(before.custom_values, after.custom_values, names)
    changes += relation_change(before.related_ids, after.related_ids)
    return tuple(changes)


# -- reading the history ------------------------------------------------------

@dataclass(frozen=True)
class Author:
    """Who made a change: a user (by login), an OAuth client, or a customer;
    as a customer sees staff, ``casemgr.domain.visibility.STAFF`` (no id)."""

    kind: str  # user | client | customer | staff
    id: str | None
    name: str | None


@dataclass(frozen=True)
class HistoryChange:
    field: str
    old_value: str | None
    new_value: str | None


@dataclass(frozen=True)
class HistoryEntry:
    date: datetime
    last_modified: datetime
    api: str
    author: Author | None  # None: a load
    changes: tuple[HistoryChange, ...]
    # Thalamus's activity of the request that wrote it (None: none named).
    activity: str | None = None


@dataclass(frozen=True)
class HistoryPage:
    entries: tuple[HistoryEntry, ...]
    count: int  # entries of the case in all
    request: "PageRequest"


@dataclass(frozen=True)
class References:
    """Names of what a stored change refers to by id, shown in its place."""

    statuses: Mapping[int, str] = field(default_factory=dict)
    resolutions: Mapping[int, str] = field(default_factory=dict)
    categories: Mapping[int, str] = field(default_factory=dict)  # code
    types: Mapping[int, str] = field(default_factory=dict)  # code
    departments: Mapping[int, str] = field(default_factory=dict)

    def by_field(self) -> dict[str, Mapping[int, str]]:
        return {"status": self.statuses, "resolution": self.resolutions, "category": self.categories,
                "type": self.types, "department": self.departments}


def present_change(stored: Mapping[str, Any], references: References) -> HistoryChange:
    """A stored change ({"field", "old", "new"}) as text: names for the
    status, resolution and department, codes for the category and type, ids
    for users, customers, related cases and comments; relatedCases as the ids
    removed (oldValue) and added (newValue)."""
    name, old, new = stored["field"], stored.get("old"), stored.get("new")
    if name == RELATED_CASES:
        before, after = set(old or ()), set(new or ())
        return HistoryChange(name, _id_list(before - after), _id_list(after - before))
    if name == COMMENTS:
        return HistoryChange(name, None, _id_list(new or ()))
    names = references.by_field().get(name)
    if names is not None:
        return HistoryChange(name, _named(old, names), _named(new, names))
    return HistoryChange(name, _text(old), _text(new))


def _id_list(ids: Iterable[Any]) -> str | None:
    ordered = sorted(int(i) for i in ids)
    return ",".join(map(str, ordered)) if ordered else None


def _named(value: Any, names: Mapping[int, str]) -> str | None:
    if value is None:
        return None
    return names.get(int(value), str(value))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def ordered_fields(names: Iterable[str]) -> tuple[str, ...]:
    """Field names each once, in ``FIELD_ORDER``, custom values and case data by name."""
    def key(name: str) -> tuple[int, str]:
        return (FIELD_ORDER.index(name), "") if name in FIELD_ORDER else (len(FIELD_ORDER), name)
    return tuple(sorted(set(names), key=key))


# -- what changed since a client's version ----------------------------------

@dataclass(frozen=True)
class ConflictExplanation:
    """What changed after the version a refused client named: the fields of
    each entry written since, oldest first. ``known`` False: that version is
    none the case ever had, so nothing can be said."""

    known: bool
    entry_fields: tuple[tuple[str, ...], ...] = ()

    @property
    def changes(self) -> int:
        return len(self.entry_fields)

    @property
    def fields(self) -> tuple[str, ...]:
        """The union of the entries' fields, in ``FIELD_ORDER``."""
        return ordered_fields(f for fields in self.entry_fields for f in fields)


def explain_conflict(version_known: bool, entry_fields: Iterable[Iterable[str] | None]) -> ConflictExplanation:
    """``entry_fields``: the fields of each entry written after the version.
    An entry that names no field (written before an edit that changes
    nothing stopped making a version) explains nothing and is not counted."""
    if not version_known:
        return ConflictExplanation(known=False)
    entries = (tuple(fields or ()) for fields in entry_fields)
    return ConflictExplanation(True, tuple(fields for fields in entries if fields))


# -- the change feed -----------------------------------------------------------

@dataclass(frozen=True, order=True)
class FeedPosition:
    """A place in the change feed: after the entry ``entry_id`` of the
    transaction position ``xid`` (``sql/queries/history.sql``)."""

    xid: int
    entry_id: int


FEED_START = FeedPosition(0, 0)


@dataclass(frozen=True)
class FeedChange:
    position: FeedPosition
    case_id: int
    date: datetime
    last_modified: datetime
    api: str
    author: Author | None
    fields: tuple[str, ...]


# -- paging --------------------------------------------------------------------

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 75


@dataclass(frozen=True)
class PageRequest:
    """eGain's paging, for every API's history: ``$pagenum`` from 1,
    ``$pagesize`` from 1 to 75."""

    number: int = 1
    size: int = DEFAULT_PAGE_SIZE

    @property
    def skip(self) -> int:
        return (self.number - 1) * self.size


def page_request(number: int | None, size: int | None) -> PageRequest:
    number = 1 if number is None else number
    size = DEFAULT_PAGE_SIZE if size is None else size
    if number < 1:
        raise errors.InvalidValue("Value of '$pagenum' must be 1 or more.", attribute="$pagenum")
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise errors.InvalidValue(f"Value of '$pagesize' must be from 1 to {MAX_PAGE_SIZE}.",
                                  attribute="$pagesize", limit=MAX_PAGE_SIZE)
    return PageRequest(number, size)
