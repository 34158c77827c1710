"""The history's vocabulary and what it tells: pure domain, no database."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from casemgr.domain import errors, history
from casemgr.domain.history import FeedPosition, HistoryChange, References
from casemgr.domain.model import CaseState
from casemgr.domain.versions import etag_for, version_of_etag
from casemgr.service.feed import decode_cursor, encode_cursor

REFERENCES = References(statuses={1: "Open", 2: "Closed"}, categories={7: "Case6534"}, types={8: "Casetype6534"},
                        departments={3: "Service"})


def test_related_cases_are_shown_as_the_ids_removed_and_added():
    stored = {"field": "relatedCases", "old": [1001, 1004], "new": [1002, 1004]}
    assert history.present_change(stored, REFERENCES) == HistoryChange("relatedCases", "1001", "1002")


def test_comments_are_shown_as_the_ids_added():
    stored = {"field": "comments", "old": None, "new": [12, 11]}
    assert history.present_change(stored, REFERENCES) == HistoryChange("comments", None, "11,12")


def test_references_are_shown_by_name_or_code_and_an_unknown_one_by_its_id():
    assert history.present_change({"field": "status", "old": 1, "new": 2}, REFERENCES) == HistoryChange(
        "status", "Open", "Closed")
    assert history.present_change({"field": "category", "old": None, "new": 7}, REFERENCES) == HistoryChange(
        "category", None, "Case6534")
    assert history.present_change({"field": "resolution", "old": 5, "new": None}, REFERENCES) == HistoryChange(
        "resolution", "5", None)


def test_values_are_text_as_a_client_wrote_them():
    assert history.present_change({"field": "caseData.Boolean6534", "old": True, "new": False},
                                  REFERENCES) == HistoryChange("caseData.Boolean6534", "true", "false")
    assert history.present_change({"field": "owner", "old": None, "new": 1001},
                                  REFERENCES) == HistoryChange("owner", None, "1001")


def test_a_conflict_names_the_union_of_the_fields_changed_since_the_version_in_one_order():
    explained = history.explain_conflict(True, [["severity", "customAttributes.region"], ["subject", "severity"],
                                                ["comments", "caseData.Linea"]])
    assert explained.changes == 3
    assert explained.fields == ("subject", "severity", "comments", "caseData.Linea", "customAttributes.region")


def test_a_version_the_case_never_had_explains_nothing():
    explained = history.explain_conflict(False, [["subject"]])
    assert not explained.known


def test_an_etag_names_a_version_only_of_its_own_case():
    moment = datetime(2026, 11, 22, 10, 0, 0, 123000, tzinfo=timezone.utc)
    assert version_of_etag(etag_for(1013, moment), 1013) == moment
    assert version_of_etag(etag_for(1013, moment), 1001) is None
    assert version_of_etag('W/"1013-1"', 1013) is None


def _state(**values) -> CaseState:
    base = dict(id=1, department_id=3, owner_id=None, customer_id=None, status_id=1, status_name="Open",
                status_state="open", severity=None, subject="before", description=None, solution=None,
                due_date=None, category_id=None, case_type_id=None, resolution_id=None,
                last_modified=datetime(2026, 1, 1, tzinfo=timezone.utc), last_closed=None)
    return CaseState(**{**base, **values})


def test_a_load_records_what_changed_in_a_case_and_everything_a_new_case_starts_with():
    names = {5: "customAttributes.region"}
    before = _state(custom_values={5: "north"}, related_ids=frozenset({2}))
    after = _state(subject="after", custom_values={}, related_ids=frozenset({2, 3}))
    assert [(c.field, c.old, c.new) for c in history.case_changes(before, after, names)] == [
        ("subject", "before", "after"), ("customAttributes.region", "north", None), ("relatedCases", [2], [2, 3])]
    created = history.case_changes(None, after, names)
    assert [c.field for c in created] == ["case", "department", "subject", "status", "relatedCases"]
    assert history.case_changes(after, after, names) == ()


@pytest.mark.parametrize("number, size, attribute", [(0, 25, "$pagenum"), (1, 0, "$pagesize"), (1, 76, "$pagesize")])
def test_pages_are_numbered_from_one_and_hold_at_most_75_entries(number, size, attribute):
    with pytest.raises(errors.InvalidValue) as refused:
        history.page_request(number, size)
    assert refused.value.facts["attribute"] == attribute


def test_a_page_request_defaults_to_the_first_25():
    page = history.page_request(None, None)
    assert (page.number, page.size, page.skip) == (1, 25, 0)
    assert history.page_request(3, 75).skip == 150


def test_a_cursor_reads_back_as_the_position_it_was_written_from():
    position = FeedPosition(2**40 + 5, 123456)
    cursor = encode_cursor(position)
    assert decode_cursor(cursor) == position
    assert cursor.isascii() and "=" not in cursor


@pytest.mark.parametrize("cursor", ["", "abc", "not a cursor!", encode_cursor(FeedPosition(1, 2)) + "A",
                                    "AgAAAAAAAAABAAAAAAAAAAI"])  # the last: format version 2
def test_a_cursor_the_feed_never_wrote_is_refused(cursor):
    with pytest.raises(errors.InvalidCursor):
        decode_cursor(cursor)
