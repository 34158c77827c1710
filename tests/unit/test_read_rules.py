"""Who sees a case, and what a case search must name: pure functions, no
database, no HTTP. (tests/api/test_sql_visibility.py holds the SQL of case
search and of the change feed to the same answers as this rule, for every
principal of the test world and the demo data; tests/api/test_case_search.py
does so through the API.)"""

from datetime import datetime, timezone

import pytest

from casemgr.domain import errors
from casemgr.domain.model import Actor, CaseState, UserFacts
from casemgr.domain.permissions import check_may_read_case, check_may_touch_case
from casemgr.domain.search import CaseSearch, check_search

SERVICE, SALES, BILLING, LEGAL = 1, 2, 3, 4
# Home Service, a foreign user of Legal; Sales shares with Service with activity sharing.
USER = UserFacts(id=1, login="frank", home_department_id=SERVICE, foreign_department_ids=frozenset({LEGAL}),
                 shared_department_ids=frozenset({SALES}), actions=frozenset({"Edit Case"}))


def case_in(department: int, customer: int | None = None) -> CaseState:
    return CaseState(
        id=10, department_id=department, owner_id=None, customer_id=customer, status_id=1, status_name="Open",
        status_state="open", severity=None, subject=None, description=None, solution=None, due_date=None,
        category_id=None, case_type_id=None, resolution_id=None,
        last_modified=datetime(2026, 1, 1, tzinfo=timezone.utc), last_closed=None)


@pytest.mark.parametrize("department, seen", [(SERVICE, True), (LEGAL, True), (SALES, True), (BILLING, False)])
def test_a_user_sees_home_foreign_and_activity_sharing_departments(department, seen):
    if seen:
        check_may_read_case(Actor.for_user(USER), case_in(department))
    else:
        with pytest.raises(errors.CaseOutsideUserDepartments):
            check_may_read_case(Actor.for_user(USER), case_in(department))


def test_a_shared_department_is_seen_but_its_cases_are_not_edited():
    check_may_read_case(Actor.for_user(USER), case_in(SALES))
    with pytest.raises(errors.CaseOutsideUserDepartments):
        check_may_touch_case(Actor.for_user(USER), case_in(SALES), ("Edit Case",))


def test_a_customer_sees_its_own_cases_and_a_client_every_case():
    check_may_read_case(Actor.for_customer(7), case_in(BILLING, customer=7))
    with pytest.raises(errors.CaseNotVisibleToCustomer):
        check_may_read_case(Actor.for_customer(7), case_in(SERVICE, customer=8))
    check_may_read_case(Actor.for_client("crm"), case_in(BILLING))


def test_a_search_names_at_least_one_filter():
    with pytest.raises(errors.SearchFilterRequired):
        check_search(CaseSearch(page_size=10, sort="subject"))
    for search in (CaseSearch(customer_id=1), CaseSearch(email="a@b"), CaseSearch(phone="+1"),
                   CaseSearch(custom=(("region", "north"),))):
        check_search(search)


def test_a_page_starts_after_the_pages_before_it():
    assert CaseSearch(customer_id=1, page=3, page_size=25).offset == 50
