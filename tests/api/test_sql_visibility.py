"""Who sees a case is written once, in the domain
(``casemgr.domain.permissions.may_read_case``). Case search and the change
feed apply it in SQL too, inside their index scans, so that what a
principal cannot see is never read (migration 0009): these tests hold the
SQL to the domain rule for every principal of the test world
(tests/fixtures/world.yaml) and of the demo data (casemgr/demo/demo.yaml),
case by case, also after cases move to another department or customer.

Each principal runs the named queries as the service runs them (generic
plans, with the sight its view gives: ``casemgr.domain.visibility``). tests/unit/test_read_rules.py has the rule's own unit tests,
tests/api/test_case_search.py the same agreement through the API.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from casemgr.db.history_repository import PgHistoryRepository
from casemgr.db.loader import load_file
from casemgr.db.repositories import PgCaseRepository, user_facts_from_json
from casemgr.db.statements import Statements
from casemgr.domain import permissions
from casemgr.domain.history import FEED_START
from casemgr.domain.model import Actor, ActorKind, CaseReach
from casemgr.domain.search import CaseSearch
from casemgr.domain.visibility import view_of

DEMO = Path(__file__).parent.parent.parent / "casemgr" / "demo" / "demo.yaml"
# A custom attribute every case gets for these tests: searching its value
# asks for every case at once.
EVERYWHERE = "visibility_probe"


@pytest.fixture
def demo_db_url(empty_db_url):
    load_file(empty_db_url, DEMO)
    return empty_db_url


@pytest.fixture(params=["world", "demo"])
def data_url(request):
    """The test world and the demo data, in turn."""
    return request.getfixturevalue("db_url" if request.param == "world" else "demo_db_url")


def connect(url: str) -> psycopg.Connection:
    # As casemgr.db.database connects: every named query on its generic plan.
    return psycopg.connect(url, autocommit=True, prepare_threshold=None,
                           options="-c TimeZone=UTC -c plan_cache_mode=force_generic_plan")


def principals(conn) -> list[Actor]:
    """Every principal of the data: each user, each customer, each OAuth client."""
    found = [Actor.for_user(user_facts_from_json(row))
             for (row,) in conn.execute("SELECT row_to_json(u) FROM user_facts u ORDER BY u.id")]
    found += [Actor.for_customer(customer_id) for (customer_id,) in conn.execute("SELECT id FROM customer ORDER BY id")]
    found += [Actor.for_client(client_id)
              for (client_id,) in conn.execute("SELECT client_id FROM oauth_client ORDER BY client_id")]
    assert {actor.kind for actor in found} == set(ActorKind)
    return found


def label(actor: Actor) -> str:
    return f"{actor.kind.value} {actor.user.login if actor.user else actor.customer_id or actor.client_id}"


def every_case(conn) -> list[CaseReach]:
    return [CaseReach(*row) for row in conn.execute("SELECT id, department_id, customer_id FROM support_case")]


def readable(actor: Actor, cases: list[CaseReach]) -> set[int]:
    """The domain rule's answer."""
    return {case.id for case in cases if permissions.may_read_case(actor, case)}


def searched(conn, actor: Actor, search: CaseSearch) -> set[int]:
    page = PgCaseRepository(Statements(conn)).search_cases(search, view_of(actor).case_sight())
    found = {case.id for case in page.cases}
    assert not page.too_broad and page.total == len(found)
    return found


def followed(conn, departments: frozenset[int] | None, limit: int) -> list[tuple[int, int]]:
    """The whole feed of a reach, page by page: (entry id, case id) in feed order."""
    from casemgr.service.feed import changes_after

    class UnitOfWork:
        history = PgHistoryRepository(Statements(conn))

    position, seen = FEED_START, []
    while True:
        page = changes_after(UnitOfWork, position, limit, departments)
        seen += [(change.position.entry_id, change.case_id) for change in page.changes]
        if len(page.changes) < limit:
            return seen
        position = page.next


def add_probe_values(conn) -> None:
    conn.execute("INSERT INTO custom_field (name, data_type) VALUES (%s, 'string')", (EVERYWHERE,))
    conn.execute("INSERT INTO case_custom_value (case_id, custom_field_id, value) "
                 "SELECT c.id, f.id, '\"yes\"' FROM support_case c, custom_field f WHERE f.name = %s", (EVERYWHERE,))


def assert_search_agrees(conn) -> None:
    cases = every_case(conn)
    customers = conn.execute("SELECT id, email, phone FROM customer ORDER BY id").fetchall()
    for actor in principals(conn):
        sees = readable(actor, cases)
        everything = searched(conn, actor, CaseSearch(custom=((EVERYWHERE, "yes"),), page_size=10_000))
        assert everything == sees, label(actor)
        for customer_id, email, phone in customers:
            theirs = {case.id for case in cases if case.customer_id == customer_id} & sees
            assert searched(conn, actor, CaseSearch(customer_id=customer_id, page_size=10_000)) == theirs, \
                (label(actor), customer_id)
            if email:
                assert searched(conn, actor, CaseSearch(email=email.upper(), page_size=10_000)) == theirs
            if phone:
                sharing = {other for other, _, number in customers if number == phone}
                assert searched(conn, actor, CaseSearch(phone=phone, page_size=10_000)) == {
                    case.id for case in cases if case.customer_id in sharing} & sees


def assert_feed_agrees(conn) -> None:
    """The feed is served to v3 tokens: an OAuth client's and a user's
    (a customer holds no v3 token). Each sees exactly the changes of the
    cases the rule lets it read, in the order of the whole feed."""
    cases = every_case(conn)
    everything = followed(conn, None, 1000)
    assert len(everything) == conn.execute("SELECT count(*) FROM case_history").fetchone()[0]
    for actor in principals(conn):
        if actor.kind is ActorKind.CUSTOMER:
            continue
        sees = readable(actor, cases)
        expected = [entry for entry in everything if entry[1] in sees]
        for limit in (1000, 2):
            assert followed(conn, view_of(actor).readable_departments(), limit) == expected, (label(actor), limit)


def test_search_finds_exactly_what_the_rule_lets_each_principal_read(data_url):
    with connect(data_url) as conn:
        add_probe_values(conn)
        assert_search_agrees(conn)


def test_the_feed_gives_exactly_what_the_rule_lets_each_principal_read(data_url):
    with connect(data_url) as conn:
        assert_feed_agrees(conn)


def test_they_still_agree_when_cases_move_to_another_department_or_customer(data_url):
    """The copies of a case's department and customer that the indexes read
    follow the case (migration 0009's triggers): rotate every case one
    department and one customer on, twice, and ask again."""
    with connect(data_url) as conn:
        add_probe_values(conn)
        for _ in range(2):
            conn.execute("""
                WITH d AS (SELECT id, lead(id, 1, (SELECT min(id) FROM department)) OVER (ORDER BY id) AS next
                           FROM department),
                     cu AS (SELECT id, lead(id, 1, (SELECT min(id) FROM customer)) OVER (ORDER BY id) AS next
                            FROM customer)
                UPDATE support_case c SET department_id = d.next,
                                          customer_id = coalesce((SELECT cu.next FROM cu WHERE cu.id = c.customer_id),
                                                                 (SELECT min(id) FROM customer))
                FROM d WHERE d.id = c.department_id""")
            assert conn.execute("""
                SELECT count(*) FROM case_custom_value v JOIN support_case c ON c.id = v.case_id
                WHERE (v.department_id, v.customer_id) IS DISTINCT FROM (c.department_id, c.customer_id)""").fetchone() \
                == (0,)
            assert conn.execute("""
                SELECT count(*) FROM case_history h JOIN support_case c ON c.id = h.case_id
                WHERE h.department_id <> c.department_id""").fetchone() == (0,)
            assert_search_agrees(conn)
            assert_feed_agrees(conn)


def test_rows_written_before_the_migration_get_their_cases_department_and_customer(databases, monkeypatch):
    from casemgr.db import migrate
    from casemgr.db.sql import migration_files

    name = databases.create("before_visibility")
    url = databases.url(name)
    monkeypatch.setattr(migrate, "migration_files",
                        lambda: [p for p in migration_files() if p.stem < "0009_visibility_in_the_index"])
    migrate.upgrade(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO department (id, name) VALUES (1, 'Service'), (2, 'Legal')")
        conn.execute("INSERT INTO customer (id, name) VALUES (7, 'John')")
        conn.execute("INSERT INTO case_status (id, name, state) VALUES (1, 'Open', 'open')")
        conn.execute("INSERT INTO support_case (id, department_id, status_id, customer_id) VALUES (10, 1, 1, 7), "
                     "(11, 2, 1, NULL)")
        conn.execute("INSERT INTO custom_field (id, name, data_type) VALUES (1, 'region', 'string')")
        conn.execute("INSERT INTO case_custom_value (case_id, custom_field_id, value) VALUES (10, 1, '\"north\"'), "
                     "(11, 1, '\"south\"')")
        conn.execute("INSERT INTO case_history (case_id, last_modified, api, changes) "
                     "SELECT id, last_modified, 'load', '[]' FROM support_case")
    monkeypatch.undo()
    assert migrate.upgrade(url)[0] == "0009_visibility_in_the_index"
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT case_id, department_id, customer_id FROM case_custom_value ORDER BY 1"
                            ).fetchall() == [(10, 1, 7), (11, 2, None)]
        assert conn.execute("SELECT case_id, department_id FROM case_history ORDER BY 1").fetchall() == [
            (10, 1), (11, 2)]
    databases.drop(name)
