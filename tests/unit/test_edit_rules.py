"""The edit rules as pure functions: no database, no HTTP."""

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from casemgr.domain import errors
from casemgr.domain.edit import actions_needed, check_request, decide_edit
from casemgr.domain.model import (
    Actor,
    CaseField,
    CaseState,
    Classification,
    EditCase,
    EditFacts,
    FieldDefinition,
    LinkedCaseFacts,
    NamedRef,
    StateRequirement,
    UserFacts,
)

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
SERVICE, SALES, LEGAL = 1, 2, 3

FRANK = UserFacts(id=1, login="frank", licenses=frozenset({"Agent"}), actions=frozenset({"Edit Case"}),
                  home_department_id=SERVICE, may_transfer_to=frozenset({2}), may_pull_from=frozenset({2}))
ALICE = UserFacts(id=2, login="alice", licenses=frozenset({"Agent"}), home_department_id=SERVICE)
CASE = CaseState(
    id=10, department_id=SERVICE, owner_id=1, customer_id=None, status_id=1, status_name="Open",
    status_state="open", severity="low", subject="s", description=None, solution=None, due_date=None,
    category_id=None, case_type_id=None, resolution_id=None, last_modified=NOW - timedelta(hours=1),
    last_closed=None,
)


def edit(**changes) -> EditCase:
    return EditCase(case_id=10, api="test", expected_last_modified=CASE.last_modified, **changes)


def facts(**overrides) -> EditFacts:
    return replace(EditFacts(now=NOW, case=CASE), **overrides)


def test_an_accepted_edit_moves_last_modified_to_now():
    update = decide_edit(edit(subject="new"), Actor.for_user(FRANK), facts())
    assert update.last_modified == NOW
    assert update.values[CaseField.SUBJECT] == "new"
    assert [c.field for c in update.changes] == ["subject"]


def test_a_client_token_skips_the_user_permissions_but_not_the_data_rules():
    outside = replace(CASE, department_id=LEGAL, owner_id=99)
    client = Actor.for_client("crm")
    assert decide_edit(edit(subject="x"), client, facts(case=outside)).values[CaseField.SUBJECT] == "x"
    with pytest.raises(errors.DueDateNotInFuture):
        decide_edit(edit(due_date=NOW - timedelta(days=1)), client, facts(case=outside))


def test_a_customer_only_reaches_its_own_cases():
    mine = replace(CASE, customer_id=7)
    decide_edit(edit(subject="x", state_requirement=StateRequirement.ANY), Actor.for_customer(7), facts(case=mine))
    with pytest.raises(errors.CaseNotVisibleToCustomer):
        decide_edit(edit(subject="x"), Actor.for_customer(8), facts(case=mine))


def test_a_closed_case_is_refused_before_a_stale_version():
    closed = replace(CASE, status_state="closed")
    stale = EditCase(case_id=10, api="t", expected_last_modified=NOW - timedelta(days=9), subject="x")
    with pytest.raises(errors.CaseNotOpen):
        decide_edit(stale, Actor.for_user(FRANK), facts(case=closed))


def test_the_relation_limit_is_judged_after_unlinks():
    full = replace(CASE, related_ids=frozenset(range(100, 175)))
    linked = {i: LinkedCaseFacts(i, SERVICE, frozenset({10}), NOW) for i in range(100, 175)}
    linked[200] = LinkedCaseFacts(200, SERVICE, frozenset(), NOW)
    ok = decide_edit(edit(link=(200,), unlink=(100,)), Actor.for_user(FRANK), facts(case=full, linked_cases=linked))
    assert (ok.link, ok.unlink) == ((200,), (100,))
    with pytest.raises(errors.RelatedCaseLimitExceeded):
        decide_edit(edit(link=(200,)), Actor.for_user(FRANK), facts(case=full, linked_cases=linked))


def test_both_ends_of_a_new_link_get_a_history_entry():
    linked = {20: LinkedCaseFacts(20, SERVICE, frozenset(), NOW - timedelta(days=1))}
    update = decide_edit(edit(link=(20,)), Actor.for_user(FRANK), facts(linked_cases=linked))
    (other,) = update.other_ends
    assert (other.case_id, other.change.old, other.change.new) == (20, [], [10])


@pytest.mark.parametrize("raw, ok", [("5", True), ("-3", True), ("5.5", False), ("", True), ("x", False)])
def test_an_integer_custom_attribute_takes_whole_numbers(raw, ok):
    rating = {"rating": FieldDefinition(1, "rating", "integer")}
    cmd = edit(custom_attributes=(("rating", raw),))
    if ok:
        decide_edit(cmd, Actor.for_user(FRANK), facts(custom_attributes=rating))
    else:
        with pytest.raises(errors.InvalidValue):
            decide_edit(cmd, Actor.for_user(FRANK), facts(custom_attributes=rating))


def test_a_request_linking_and_unlinking_the_same_case_is_refused():
    with pytest.raises(errors.InvalidValue):
        check_request(edit(link=(3,), unlink=(3,)))


CLOSED_STATUS = NamedRef(9, "Closed", "closed")
OPEN_STATUS = NamedRef(1, "Open", "open")
CLOSED_CASE = replace(CASE, status_state="closed", status_name="Closed")
KEEPER = replace(FRANK, actions=frozenset({"Edit Case", "Manage Closed Case"}))


def test_a_closed_case_that_stays_closed_keeps_everything_but_its_custom_values():
    for cmd in (edit(state_requirement=StateRequirement.ANY, subject="reopened by the back door"),
                edit(state_requirement=StateRequirement.ANY, comments=("a comment",))):
        with pytest.raises(errors.NotChangeableWhenClosed):
            decide_edit(cmd, Actor.for_user(KEEPER), facts(case=CLOSED_CASE))
    # Named but unchanged is no change.
    same = edit(state_requirement=StateRequirement.ANY, subject=CLOSED_CASE.subject)
    assert decide_edit(same, Actor.for_user(KEEPER), facts(case=CLOSED_CASE)).changes_nothing


def test_the_closed_case_edit_needs_manage_closed_case_whatever_the_state():
    cmd = edit(state_requirement=StateRequirement.CLOSED, custom_attributes=(("region", "north"),))
    check_request(cmd)
    assert actions_needed(cmd, CLOSED_CASE, facts()) == ("Manage Closed Case",)
    # An open case: the state rule refuses it next (400-9008), not the action.
    assert actions_needed(cmd, CASE, facts()) == ("Manage Closed Case",)
    assert actions_needed(edit(subject="x"), CASE, facts()) == ("Edit Case",)


@pytest.mark.parametrize("state_requirement", [StateRequirement.OPEN, StateRequirement.ANY])
def test_closing_needs_close_case_and_anything_more_edit_case_too(state_requirement):
    closing = facts(status=CLOSED_STATUS)
    assert actions_needed(edit(status_name="Closed", state_requirement=state_requirement), CASE,
                          closing) == ("Close Case",)
    assert actions_needed(edit(status_name="Closed", subject="x", state_requirement=state_requirement), CASE,
                          closing) == ("Close Case", "Edit Case")


def test_a_thalamus_close_naming_the_cases_own_category_and_type_needs_close_case_only():
    classified = replace(CASE, category_id=5, case_type_id=6)
    close = edit(status_name="Closed", category_code="C", type_code="T", state_requirement=StateRequirement.ANY)
    same = facts(status=CLOSED_STATUS, classification=Classification(category_id=5, type_id=6))
    other = facts(status=CLOSED_STATUS, classification=Classification(category_id=5, type_id=7))
    assert actions_needed(close, classified, same) == ("Close Case",)
    assert actions_needed(close, classified, other) == ("Close Case", "Edit Case")


def test_a_change_to_a_closed_case_needs_manage_closed_case_and_reopening_edit_case_too():
    anything = StateRequirement.ANY
    assert actions_needed(edit(resolution_name="Fixed", state_requirement=anything), CLOSED_CASE, facts()) == (
        "Manage Closed Case",)
    assert actions_needed(edit(status_name="Open", state_requirement=anything), CLOSED_CASE,
                          facts(status=OPEN_STATUS)) == ("Manage Closed Case", "Edit Case")
    # An eGain edit takes open cases only: the state rule refuses it, as eGain does.
    assert actions_needed(edit(subject="x"), CLOSED_CASE, facts()) == ("Edit Case",)
    # Closing a closed case: Close Case, then the state rule (400-9007).
    assert actions_needed(edit(status_name="Closed"), CLOSED_CASE, facts(status=CLOSED_STATUS)) == ("Close Case",)


def test_a_user_without_manage_closed_case_may_not_edit_a_closed_case():
    closed = replace(CASE, status_state="closed", status_name="Closed")
    cmd = edit(state_requirement=StateRequirement.CLOSED, custom_attributes=(("region", "north"),))
    with pytest.raises(errors.ActionNotAllowed):
        decide_edit(cmd, Actor.for_user(FRANK), facts(case=closed))


def test_an_edit_writes_the_fields_it_changes_by_their_names_and_records_them_in_that_order():
    closer = replace(FRANK, actions=frozenset({"Edit Case", "Close Case"}))
    due = NOW + timedelta(days=2)
    cmd = edit(subject="new", description="", due_date=due, owner_id=2, severity="high", category_code="C",
               type_code="T", status_name="Closed", resolution_name="Fixed", state_requirement=StateRequirement.ANY)
    update = decide_edit(cmd, Actor.for_user(closer), facts(
        new_owner=ALICE, classification=Classification(category_id=5, type_id=6), status=CLOSED_STATUS,
        resolution=NamedRef(8, "Fixed")))
    assert update.values == {
        CaseField.SUBJECT: "new", CaseField.DESCRIPTION: None, CaseField.DUE_DATE: due, CaseField.OWNER: 2,
        CaseField.SEVERITY: "high", CaseField.CATEGORY: 5, CaseField.TYPE: 6, CaseField.STATUS: CLOSED_STATUS.id,
        CaseField.RESOLUTION: 8, CaseField.LAST_MODIFIED: NOW, CaseField.LAST_MODIFIED_BY: closer.id,
        CaseField.LAST_CLOSED: NOW,
    }
    # The description was empty already: named, but no change.
    assert [(c.field, c.old, c.new) for c in update.changes] == [
        ("subject", "s", "new"), ("dueDate", None, due), ("owner", 1, 2), ("severity", "low", "high"),
        ("category", None, 5), ("type", None, 6), ("status", 1, CLOSED_STATUS.id), ("resolution", None, 8)]
