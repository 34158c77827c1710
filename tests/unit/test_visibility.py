"""The one view policy: for every kind of principal, a history entry, a feed
change, a webhook's body and a conflict's explanation show the same fields
and the same author, and a customer sees exactly the fields of its read."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from casemgr.domain.history import Author, ConflictExplanation, FeedChange, FeedPosition, HistoryChange, HistoryEntry
from casemgr.domain.model import Actor, UserFacts
from casemgr.domain.visibility import OPERATOR_VIEW, STAFF, SUBSCRIBER_VIEW, view_of
from casemgr.service.delivery import event_body

MOMENT = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
FRANK = Author("user", "1001", "frank")
JOHN = Author("customer", "2001", "John Russel Tierney")
EVERY_FIELD = ("case", "department", "customer", "subject", "description", "solution", "severity", "dueDate",
               "owner", "status", "resolution", "category", "type", "relatedCases", "comments",
               "customAttributes.note", "caseData.Linea")
READ_BY_A_CUSTOMER = ("case", "status", "resolution", "category", "type", "comments", "caseData.Linea")

AGENT = Actor.for_user(UserFacts(id=1001, login="frank", home_department_id=1))
CLIENT = Actor.for_client("crm")
PARTY = Actor.for_customer(2001, "John Russel Tierney")
SEES = {"agent": (AGENT, EVERY_FIELD), "client": (CLIENT, EVERY_FIELD), "party": (PARTY, READ_BY_A_CUSTOMER)}


def entry(author: Author | None, fields=EVERY_FIELD) -> HistoryEntry:
    return HistoryEntry(MOMENT, MOMENT, "v12", author, tuple(HistoryChange(f, "old", "new") for f in fields))


def feed_change(author: Author | None, fields=EVERY_FIELD) -> FeedChange:
    return FeedChange(FeedPosition(7, 5), 1013, MOMENT, MOMENT, "v12", author, tuple(fields))


@pytest.mark.parametrize("kind", list(SEES))
def test_every_surface_shows_a_principal_the_same_fields_and_author(kind):
    actor, fields = SEES[kind]
    view = view_of(actor)
    shown_entry = view.entry(entry(FRANK))
    shown_change = view.feed_change(feed_change(FRANK))
    assert tuple(c.field for c in shown_entry.changes) == fields
    assert shown_change.fields == fields
    assert shown_entry.author == shown_change.author
    explained = view.conflict(ConflictExplanation(True, (EVERY_FIELD,)))
    assert set(explained.fields) == set(fields) and explained.changes == 1


def test_a_customer_sees_agents_and_clients_as_staff_and_itself_as_itself():
    view = view_of(PARTY)
    assert view.entry(entry(FRANK)).author == STAFF
    assert view.entry(entry(Author("client", "crm", "crm"))).author == STAFF
    assert view.entry(entry(JOHN)).author == JOHN
    assert view.entry(entry(Author("customer", "2002", "Mary Major"))).author == STAFF
    assert view.entry(entry(None)).author is None  # a load


def test_a_change_that_shows_a_customer_nothing_is_left_out_everywhere():
    view = view_of(PARTY)
    hidden = ("subject", "customAttributes.note", "owner")
    assert view.entry(entry(FRANK, hidden)) is None
    assert view.feed_change(feed_change(FRANK, hidden)) is None
    explained = view.conflict(ConflictExplanation(True, (hidden, ("status",))))
    assert (explained.changes, explained.fields) == (1, ("status",))


def test_agents_see_every_author_as_stored():
    assert view_of(AGENT).entry(entry(JOHN)).author == JOHN
    assert view_of(CLIENT).feed_change(feed_change(FRANK)).author == FRANK
    assert OPERATOR_VIEW.entry(entry(FRANK)).author == FRANK


def test_a_webhook_body_shows_what_its_subscribers_feed_read_shows():
    change = SUBSCRIBER_VIEW.feed_change(feed_change(FRANK))
    data = json.loads(event_body(change))["data"]
    client_read = view_of(CLIENT).feed_change(feed_change(FRANK))
    assert tuple(data["fields"]) == client_read.fields
    assert data["user"] == {"id": "1001", "name": "frank", "type": "user"}
