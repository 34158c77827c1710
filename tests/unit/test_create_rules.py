"""The creation rules as pure functions: no database, no HTTP."""

from datetime import datetime, timezone

import pytest

from casemgr.domain import errors
from casemgr.domain.create import CreateCase, CreationFacts, decide_create
from casemgr.domain.model import Actor, CaseField, Classification, FieldDefinition, NamedRef, UserFacts

NOW = datetime(2026, 11, 22, 10, 0, 0, 123456, tzinfo=timezone.utc)
FRANK = UserFacts(id=1, login="frank", actions=frozenset({"Edit Case"}), home_department_id=4)
NUMBER = FieldDefinition(id=30, name="Number6534", data_type="integer")
FACTS = CreationFacts(
    now=NOW, party_department_id=1, initial_status=NamedRef(10, "Open", "open"),
    classification=Classification(category_id=2, type_id=3, fields=(NUMBER,)),
    status=NamedRef(11, "Closed", "closed"),
)


def create(**changes) -> CreateCase:
    return CreateCase(api="test", **{"category_code": "C", "type_code": "T", **changes})


def test_an_operators_case_starts_open_in_its_home_department():
    new = decide_create(create(case_data={"Number6534": 5}), Actor.for_user(FRANK), FACTS)
    assert new.values[CaseField.DEPARTMENT] == 4
    assert new.values[CaseField.STATUS] == 10
    assert new.values[CaseField.LAST_CLOSED] is None
    assert new.custom_values == {30: 5}
    assert new.created_at == datetime(2026, 11, 22, 10, 0, 0, 123000, tzinfo=timezone.utc)


def test_a_partys_case_is_its_own_in_the_party_department():
    new = decide_create(create(), Actor.for_customer(7), FACTS)
    assert (new.values[CaseField.DEPARTMENT], new.values[CaseField.CUSTOMER]) == (1, 7)


def test_a_closed_status_closes_the_new_case_at_once():
    new = decide_create(create(status_name="Closed"), Actor.for_user(FRANK), FACTS)
    assert new.values[CaseField.LAST_CLOSED] == new.created_at


@pytest.mark.parametrize("changes, error", [
    ({"category_code": ""}, errors.CategoryCodeRequired),
    ({"type_code": ""}, errors.TypeCodeRequired),
    ({"case_data": {}}, errors.InvalidCaseField),
], ids=["no-category", "no-type", "case-data-incomplete"])
def test_creation_applies_the_classification_rules_of_the_edit(changes, error):
    with pytest.raises(error):
        decide_create(create(**changes), Actor.for_user(FRANK), FACTS)


def test_an_operator_without_the_edit_case_action_may_not_create():
    with pytest.raises(errors.ActionNotAllowed):
        decide_create(create(), Actor.for_user(UserFacts(id=2, login="viewer")), FACTS)
