"""What one principal sees: which cases, which of a case's fields, and how
the people who changed them are shown to it. The one policy every surface
derives its answer from: the read by id, case search, a case's history, the
change feed, webhook deliveries, a refused edit's explanation (409/412
``changedFields``) and the CLI.

The kinds of principal and what each sees:

- **An agent** (an eGain v12 session, a v3 user token, a Thalamus operator):
  the cases of the departments it sees (``UserFacts.visible_department_ids``),
  every field of them, and every author as stored (a user by login, a
  customer by name, an OAuth client by its id).
- **An OAuth client token**: every case, every field, every author.
- **A customer** (a Thalamus party): its own cases, and of them what its
  Thalamus read shows: status, resolution, category, type, comments and the
  case data (``caseData.<name>``), and that the case was created. Subject,
  description, solution, severity, due date, owner, department, customer,
  related cases and eGain's custom attributes are the support team's and
  stay hidden. The customer sees itself as itself; every agent and OAuth
  client as ``STAFF``, one display name with no id, so that no login (the
  first half of a password guess) and no OAuth client id reaches a
  customer. A load is shown as a load (no author) to everyone. (The
  entry's ``api`` still says which API the change came through.)

A change none of whose fields the principal sees is not shown to it at
all: a history page, the feed and a conflict's explanation leave it out.
The activity an entry records (Thalamus's ``activity``) is shown with the
author: to whoever sees the author as stored, so a customer sees it on its
own entries only.

Through a Thalamus touchpoint permitted some categories only, every
principal sees the cases of those categories only (``TouchpointScope``),
and the catalogue of types and categories shows those only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable

from casemgr.domain import history, permissions
from casemgr.domain.history import (
    Author,
    ConflictExplanation,
    FeedChange,
    HistoryEntry,
)
from casemgr.domain.model import Actor, ActorKind, CaseReach, CaseState, TouchpointScope
from casemgr.domain.readmodel import CaseView, TypeCategoryView

# How a customer sees every agent and OAuth client that changed its case.
STAFF = Author(kind="staff", id=None, name="Support team")

# The fields of a customer's read (Thalamus case object), in the history's
# vocabulary: the exact names, and the prefixes of named values.
CUSTOMER_FIELDS = frozenset({history.CASE, "status", "resolution", "category", "type", history.COMMENTS})
CUSTOMER_FIELD_PREFIXES = (history.CASE_DATA, history.COMMENT_PREFIX)


@dataclass(frozen=True)
class FieldSight:
    """Which history fields a principal sees: ``names`` exactly, or any name
    starting with one of ``prefixes``; ``everything`` for all of them. The
    queries that page a history by what its reader sees take the same two
    lists (``everything``: no filter)."""

    everything: bool
    names: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()

    def shows(self, field: str) -> bool:
        return self.everything or field in self.names or field.startswith(self.prefixes)


ALL_FIELDS = FieldSight(everything=True)
CUSTOMER_SIGHT = FieldSight(everything=False, names=CUSTOMER_FIELDS, prefixes=CUSTOMER_FIELD_PREFIXES)


@dataclass(frozen=True)
class CaseSight:
    """Which cases a principal sees, for the queries that find cases in bulk
    (search, the feed): the cases of ``departments`` (None: of every
    department) that belong to ``customer_id`` (None: to anyone). The same
    rule as ``PrincipalView.sees_case``, in the terms an index knows."""

    departments: frozenset[int] | None
    customer_id: int | None = None


@dataclass(frozen=True)
class OwnCasesSight:
    """A principal's own cases (Thalamus's ``GET /api/v4/cases``): an
    operator's, the cases it owns; a party's, its cases. Among them only
    those the principal sees (``departments``: None, every department) and
    the touchpoint reaches (``category_ids``: None, every category); the
    cases of a type not visible in the app are left out."""

    owner_id: int | None
    customer_id: int | None
    departments: frozenset[int] | None
    category_ids: frozenset[int] | None


@dataclass(frozen=True)
class PrincipalView:
    """One principal's view of cases. ``actor`` None: the operator at the
    database (the CLI), who sees everything."""

    actor: Actor | None
    fields: FieldSight

    # -- which cases ---------------------------------------------------------

    def sees_case(self, case: CaseState | CaseView | CaseReach) -> bool:
        return self.actor is None or permissions.may_read_case(self.actor, case)

    def readable_departments(self) -> frozenset[int] | None:
        """For queries that know a case only by its department (the feed):
        None, every case; a customer's cases are none of them."""
        return None if self.actor is None else permissions.readable_departments(self.actor)

    def case_sight(self) -> CaseSight:
        """For queries that know a case's department and customer (search)."""
        if self.actor is not None and self.actor.kind is ActorKind.CUSTOMER:
            return CaseSight(None, self.actor.customer_id)
        return CaseSight(self.readable_departments())

    def own_cases(self) -> OwnCasesSight | None:
        """The principal's own cases, as ``case_sight`` bounds what it sees;
        None: it owns none (an OAuth client, the operator at the database)."""
        if self.actor is None or (self.actor.user is None and self.actor.kind is not ActorKind.CUSTOMER):
            return None
        categories = self.actor.touchpoint_scope.category_ids
        sight = self.case_sight()
        if self.actor.kind is ActorKind.CUSTOMER:
            return OwnCasesSight(None, sight.customer_id, None, categories)
        return OwnCasesSight(self.actor.user.id, None, sight.departments, categories)

    def owns_case(self, case: CaseView) -> bool:
        """The rule of ``own_cases`` for one case the query found."""
        if not self.sees_case(case) or self.actor is None:
            return False
        if self.actor.kind is ActorKind.CUSTOMER:
            return case.customer_id == self.actor.customer_id
        return self.actor.user is not None and case.owner_id == self.actor.user.id

    # -- which fields, by whom -------------------------------------------------

    def author(self, author: Author | None) -> Author | None:
        if author is None or self.fields.everything:
            return author
        if author.kind == "customer" and self.actor is not None and author.id == str(self.actor.customer_id):
            return author
        return STAFF

    def shown_fields(self, names: Iterable[str]) -> tuple[str, ...]:
        return tuple(n for n in names if self.fields.shows(n))

    def entry(self, entry: HistoryEntry) -> HistoryEntry | None:
        """The entry as this principal sees it; None when it shows nothing."""
        changes = tuple(c for c in entry.changes if self.fields.shows(c.field))
        if not changes:
            return None
        author = self.author(entry.author)
        # The activity tells what its author was doing: shown with the author as stored.
        activity = entry.activity if author == entry.author else None
        return replace(entry, author=author, changes=changes, activity=activity)

    def entries(self, entries: Iterable[HistoryEntry]) -> tuple[HistoryEntry, ...]:
        return tuple(e for e in map(self.entry, entries) if e is not None)

    def feed_change(self, change: FeedChange) -> FeedChange | None:
        fields = self.shown_fields(change.fields)
        if not fields:
            return None
        return replace(change, author=self.author(change.author), fields=fields)

    def feed_changes(self, changes: Iterable[FeedChange]) -> tuple[FeedChange, ...]:
        return tuple(c for c in map(self.feed_change, changes) if c is not None)

    def conflict(self, explanation: ConflictExplanation) -> ConflictExplanation:
        """What changed since a refused edit's version, as far as this
        principal sees: the changes that show it something, their fields."""
        if not explanation.known:
            return explanation
        return history.explain_conflict(True, (self.shown_fields(f) for f in explanation.entry_fields))


OPERATOR_VIEW = PrincipalView(actor=None, fields=ALL_FIELDS)


def type_categories_for(scope: TouchpointScope, catalogue: Iterable[TypeCategoryView], *,
                        app_only: bool) -> list[TypeCategoryView]:
    """Thalamus's catalogue of case types by category, as a touchpoint sees
    it: the categories it is permitted (every one by default), no system
    node (it holds no case), and with ``app_only`` the types visible in the
    app only."""
    return [entry for entry in catalogue
            if scope.reaches(entry.category_id) and not entry.category_is_system
            and (entry.visible_in_app or not app_only)]


def view_of(actor: Actor) -> PrincipalView:
    """The one view policy: a customer sees its read's fields, everyone else
    every field of the cases it may read."""
    if actor.kind is ActorKind.CUSTOMER:
        return PrincipalView(actor, CUSTOMER_SIGHT)
    return PrincipalView(actor, ALL_FIELDS)


# A webhook subscription belongs to an OAuth client (casemgr.domain.webhooks),
# and every client sees every case and field: every subscription's deliveries
# show what this view shows.
SUBSCRIBER_VIEW = view_of(Actor(ActorKind.CLIENT))
