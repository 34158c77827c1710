"""The YAML loader (docs/load-format.md) on a real Postgres: whole files or nothing, every
problem named by its path, and the same state after a second load."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest
import yaml
from psycopg import sql

from casemgr.db.loader import load_data, load_file
from casemgr.service.credentials import hash_secret
from casemgr.service.loading import LoadError
from casemgr.service.passwords import PasswordHashing

FIXTURES = Path(__file__).parent / "fixtures"
SPEC_EXAMPLE = FIXTURES / "spec_example.yaml"
DEMO = Path(__file__).parent.parent / "casemgr" / "demo" / "demo.yaml"


# -- helpers -------------------------------------------------------------------

def table_contents(url: str) -> dict[str, list[str]]:
    """Every row of every table, so two states can be compared whole."""
    with psycopg.connect(url) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1")]
        return {
            table: sorted(repr(row) for row in conn.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(table))))
            for table in tables
        }


def row_counts(url: str) -> dict[str, int]:
    return {table: len(rows) for table, rows in table_contents(url).items()}


def case_rows(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT * FROM support_case ORDER BY id").fetchall()


def fetch(url: str, statement: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(statement, params).fetchall()


def load(url: str, document: dict) -> dict[str, int]:
    with psycopg.connect(url, autocommit=True) as conn:
        return load_data(conn, document)


def refusal(url: str, document: dict) -> LoadError:
    with pytest.raises(LoadError) as caught:
        load(url, document)
    return caught.value


def small_world(cases: list[dict] | None = None) -> dict:
    """A minimal valid document; tests add the entries they are about."""
    return {
        "departments": [{"name": "Service"}],
        "users": [{"id": 7, "login": "frank", "password": "frank-pass", "homeDepartment": "Service"}],
        "statuses": [{"name": "Open", "state": "open", "initial": True}, {"name": "Closed", "state": "closed"}],
        "cases": cases if cases is not None else [{"id": 1, "department": "Service", "subject": "First"}],
    }


def spec_example() -> dict:
    return yaml.safe_load(SPEC_EXAMPLE.read_text("utf-8"))


# -- files that load -------------------------------------------------------------

def test_the_spec_example_file_loads(empty_db_url):
    counts = load_file(empty_db_url, SPEC_EXAMPLE)

    assert counts == {"departments": 2, "users": 3, "customers": 1, "customAttributes": 2, "statuses": 3,
                      "resolutions": 2, "categories": 1, "touchpoints": 1, "oauthClients": 1, "cases": 2}
    [case] = fetch(empty_db_url, """
        SELECT c.severity::text, c.subject, c.description, c.due_date, s.name, u.login, c.customer_id,
               cat.code, t.code, r.name, c.last_closed
        FROM support_case c JOIN case_status s ON s.id = c.status_id LEFT JOIN app_user u ON u.id = c.owner_id
        LEFT JOIN category cat ON cat.id = c.category_id LEFT JOIN case_type t ON t.id = c.case_type_id
        LEFT JOIN resolution r ON r.id = c.resolution_id WHERE c.id = 1013""")
    assert case == ("high", "Phone does not charge", None, datetime(2030, 1, 1, tzinfo=timezone.utc), "Open",
                    "frank", 1000, "Reclamo", "Telefonico", "Unresolved", None)
    assert fetch(empty_db_url, "SELECT * FROM case_relation") == [(1002, 1013)]
    values = dict(fetch(empty_db_url, """
        SELECT f.name, v.value FROM case_custom_value v JOIN custom_field f ON f.id = v.custom_field_id
        WHERE v.case_id = 1013"""))
    assert values == {"customer_rating": 5, "Boolean6534": True, "Decimal6534": 2.2, "Number6534": 2500}


def documented_example() -> tuple[dict, str]:
    """The example of docs/load-format.md, and the line it says the load prints."""
    text = (Path(__file__).parent.parent / "docs" / "load-format.md").read_text("utf-8")
    example = text.split("## Example", 1)[1]
    document = yaml.safe_load(example.split("```yaml\n", 1)[1].split("```", 1)[0])
    printed = " ".join(example.split("it prints what it loaded per section:\n", 1)[1].split("`")[1].split())
    return document, printed


def test_the_documented_example_loads_as_documented(empty_db_url):
    document, printed = documented_example()
    counts = load(empty_db_url, document)
    assert printed == "loaded " + ", ".join(f"{n} {section}" for section, n in counts.items())
    before = table_contents(empty_db_url)
    load(empty_db_url, document)
    assert table_contents(empty_db_url) == before


def test_a_case_without_a_status_starts_in_the_initial_status(empty_db_url):
    load_file(empty_db_url, SPEC_EXAMPLE)

    assert fetch(empty_db_url, "SELECT s.name FROM support_case c JOIN case_status s ON s.id = c.status_id"
                               " WHERE c.id = 1002") == [("Open",)]


def test_the_demo_dataset_loads(empty_db_url):
    counts = load_file(empty_db_url, DEMO)

    assert counts["departments"] == 4 and counts["users"] >= 8 and counts["customers"] >= 3
    assert 30 <= counts["cases"] <= 40
    [(related,)] = fetch(empty_db_url, "SELECT related_ids FROM case_related_ids WHERE case_id = 1013")
    assert 1001 in related
    assert fetch(empty_db_url, "SELECT count(*) FROM support_case WHERE due_date <= now()") == [(0,)]
    [(frank_hash,)] = fetch(empty_db_url, "SELECT password_hash FROM app_user WHERE login = 'frank'")
    assert PasswordHashing("cheapest").matches(frank_hash, "frank-pass")
    assert fetch(empty_db_url, "SELECT token_hash FROM touchpoint WHERE code = 'web'") == [(hash_secret("web-token"),)]


@pytest.mark.parametrize("path", [SPEC_EXAMPLE, DEMO], ids=["spec example", "demo"])
def test_loading_a_file_twice_gives_the_same_state(empty_db_url, path):
    load_file(empty_db_url, path)
    first_contents, first_cases = table_contents(empty_db_url), case_rows(empty_db_url)

    load_file(empty_db_url, path)

    assert row_counts(empty_db_url) == {table: len(rows) for table, rows in first_contents.items()}
    assert case_rows(empty_db_url) == first_cases  # lastModified included
    assert table_contents(empty_db_url) == first_contents  # password hashes kept, nothing rewritten


def test_a_reload_bumps_last_modified_only_of_the_cases_it_changes(empty_db_url):
    document = small_world([
        {"id": 1, "department": "Service", "subject": "Unchanged"},
        {"id": 2, "department": "Service", "subject": "Before"},
        {"id": 3, "department": "Service", "subject": "Gets a relation"},
        {"id": 4, "department": "Service", "subject": "Other end of the relation"},
    ])
    load(empty_db_url, document)
    before = dict(fetch(empty_db_url, "SELECT id, last_modified FROM support_case"))

    document["cases"][1]["subject"] = "After"
    document["cases"][2]["relatedCases"] = [4]
    load(empty_db_url, document)
    after = dict(fetch(empty_db_url, "SELECT id, last_modified FROM support_case"))

    assert after[1] == before[1]
    assert after[2] > before[2] and after[3] > before[3] and after[4] > before[4]


def test_a_load_records_each_case_it_creates_or_changes_in_the_history_and_a_reload_nothing(empty_db_url):
    document = small_world([
        {"id": 1, "department": "Service", "subject": "Unchanged"},
        {"id": 2, "department": "Service", "subject": "Before"},
        {"id": 3, "department": "Service", "subject": "Gets a relation"},
        {"id": 4, "department": "Service", "subject": "Other end of the relation"},
    ])
    load(empty_db_url, document)
    entries = "SELECT case_id, api, actor_user_id, changes FROM case_history ORDER BY id"
    created = fetch(empty_db_url, entries)
    assert [(case_id, api, actor) for case_id, api, actor, _ in created] == [
        (1, "load", None), (2, "load", None), (3, "load", None), (4, "load", None)]
    assert created[1][3][0] == {"field": "case", "old": None, "new": "created"}
    assert {"field": "subject", "old": None, "new": "Before"} in created[1][3]

    load(empty_db_url, document)
    assert fetch(empty_db_url, entries) == created

    document["cases"][1]["subject"] = "After"
    document["cases"][2]["relatedCases"] = [4]
    load(empty_db_url, document)
    changed = fetch(empty_db_url, entries)[len(created):]
    assert [(case_id, changes) for case_id, _, _, changes in changed] == [
        (2, [{"field": "subject", "old": "Before", "new": "After"}]),
        (3, [{"field": "relatedCases", "old": [], "new": [4]}]),
        (4, [{"field": "relatedCases", "old": [], "new": [3]}]),
    ]
    # Each entry records the version it replaced: a conflict can tell what changed since.
    assert fetch(empty_db_url, "SELECT count(*) FROM case_history h JOIN case_history p ON p.case_id = h.case_id"
                               " AND p.last_modified = h.previous_last_modified WHERE h.api = 'load'") == [(3,)]


def test_a_relation_is_stored_once_low_id_first_and_the_files_set_replaces_the_old_one(empty_db_url):
    document = small_world([
        {"id": 5, "department": "Service", "relatedCases": [1, 3]},
        {"id": 1, "department": "Service", "relatedCases": [5]},
        {"id": 3, "department": "Service"},
    ])
    load(empty_db_url, document)
    assert fetch(empty_db_url, "SELECT * FROM case_relation ORDER BY 1, 2") == [(1, 5), (3, 5)]

    document["cases"][0]["relatedCases"] = [1]
    load(empty_db_url, document)

    assert fetch(empty_db_url, "SELECT * FROM case_relation ORDER BY 1, 2") == [(1, 5)]


def test_the_sets_of_an_entry_in_the_file_are_replaced_by_the_files_set(empty_db_url):
    load_file(empty_db_url, SPEC_EXAMPLE)
    document = spec_example()
    frank = document["users"][0]
    frank["foreignDepartments"] = []
    frank["permissions"] = [{"permission": "Pull Activities", "users": ["bob"]}]
    document["departments"][0]["sharedWith"] = [{"department": "Sales"}]
    document["cases"][0]["customAttributes"] = {}

    load(empty_db_url, document)

    assert fetch(empty_db_url, "SELECT count(*) FROM user_foreign_department") == [(0,)]
    assert fetch(empty_db_url, "SELECT p.permission::text, t.login FROM user_permission p"
                               " JOIN app_user t ON t.id = p.target_user_id") == [("Pull Activities", "bob")]
    assert fetch(empty_db_url, "SELECT activity_sharing FROM department_share") == [(False,)]
    names = fetch(empty_db_url, "SELECT f.name FROM case_custom_value v JOIN custom_field f ON f.id = v.custom_field_id"
                                " ORDER BY f.name")
    assert names == [("Boolean6534",), ("Decimal6534",), ("Number6534",)]


def test_another_file_may_make_another_status_initial(empty_db_url):
    load_file(empty_db_url, SPEC_EXAMPLE)

    load(empty_db_url, {"statuses": [{"name": "New", "state": "open", "initial": True}],
                        "cases": [{"id": 3000, "department": "Service"}]})

    assert fetch(empty_db_url, "SELECT name FROM case_status WHERE is_initial") == [("New",)]
    assert fetch(empty_db_url, "SELECT s.name FROM support_case c JOIN case_status s ON s.id = c.status_id"
                               " WHERE c.id = 3000") == [("New",)]


def test_a_customer_without_an_id_is_matched_by_email(empty_db_url):
    load_file(empty_db_url, SPEC_EXAMPLE)

    load(empty_db_url, {"customers": [{"name": "John R. Tierney", "email": "JOHN@example.com"}]})

    assert fetch(empty_db_url, "SELECT id, name, email FROM customer") == [(1000, "John R. Tierney", "JOHN@example.com")]


def test_a_customers_phone_is_loaded_unformatted_and_changed_by_a_later_load(empty_db_url):
    load(empty_db_url, {"customers": [{"id": 7, "name": "Pat", "phone": "+15550100"}]})
    load(empty_db_url, {"customers": [{"id": 7, "name": "Pat", "phone": "005550111"}]})

    assert fetch(empty_db_url, "SELECT phone FROM customer WHERE id = 7") == [("005550111",)]


@pytest.mark.parametrize("phone, problem", [
    ("+1 555 0100", "is not an unformatted phone number"),
    ("555-0100", "is not an unformatted phone number"),
    (15550100, "expected a quoted phone number"),
])
def test_a_formatted_or_unquoted_phone_is_refused_with_its_path(empty_db_url, phone, problem):
    error = refusal(empty_db_url, {"customers": [{"id": 7, "name": "Pat", "phone": phone}]})

    assert error.problems[0][0] == "customers[0].phone"
    assert problem in error.problems[0][1]
    assert fetch(empty_db_url, "SELECT count(*) FROM customer") == [(0,)]


def test_a_case_loaded_closed_gets_last_closed_once(empty_db_url):
    document = small_world([{"id": 1, "department": "Service", "status": "Closed"}])
    load(empty_db_url, document)
    [(closed_at,)] = fetch(empty_db_url, "SELECT last_closed FROM support_case")

    load(empty_db_url, document)

    assert closed_at is not None
    assert fetch(empty_db_url, "SELECT last_closed FROM support_case") == [(closed_at,)]


def test_explicit_ids_move_the_identity_sequences_past_them(empty_db_url):
    load_file(empty_db_url, SPEC_EXAMPLE)

    with psycopg.connect(empty_db_url) as conn:
        department = conn.execute("SELECT id FROM department LIMIT 1").fetchone()[0]
        status = conn.execute("SELECT id FROM case_status LIMIT 1").fetchone()[0]
        [case_id] = conn.execute("INSERT INTO support_case (department_id, status_id) VALUES (%s, %s) RETURNING id",
                                 (department, status)).fetchone()
        [customer_id] = conn.execute("INSERT INTO customer (name) VALUES ('New') RETURNING id").fetchone()

    assert case_id > 1013 and customer_id > 1000


@pytest.mark.parametrize("due_date", ["2030-01-01T00:00:00.000Z", "2030-01-01T01:00:00+01:00",
                                      datetime(2030, 1, 1, tzinfo=timezone.utc), datetime(2030, 1, 1)])
def test_a_due_date_may_be_iso_text_or_a_yaml_timestamp(empty_db_url, due_date):
    load(empty_db_url, small_world([{"id": 1, "department": "Service", "dueDate": due_date}]))

    assert fetch(empty_db_url, "SELECT due_date FROM support_case") == [(datetime(2030, 1, 1, tzinfo=timezone.utc),)]


# -- files that are refused -----------------------------------------------------------

def test_a_user_whose_home_department_does_not_exist_is_refused_and_nothing_changes(empty_db_url):
    load_file(empty_db_url, SPEC_EXAMPLE)
    before = table_contents(empty_db_url)
    document = spec_example()
    document["users"][2]["homeDepartment"] = "Nowhere"
    document["cases"][1]["subject"] = "A change that must not be written"

    error = refusal(empty_db_url, document)

    assert error.path == "users[2].homeDepartment"
    assert str(error).startswith("users[2].homeDepartment: department 'Nowhere' does not exist")
    assert row_counts(empty_db_url) == {table: len(rows) for table, rows in before.items()}
    assert table_contents(empty_db_url) == before


@pytest.mark.parametrize("bad_case, path", [
    ({"severity": "extreme"}, "cases[1].severity"),
    ({"subject": "x" * 1025}, "cases[1].subject"),
    ({"solution": "x" * 1025}, "cases[1].solution"),
    ({"dueDate": "next tuesday"}, "cases[1].dueDate"),
    ({"status": "Pending"}, "cases[1].status"),
], ids=["unknown severity", "1025-character subject", "1025-character solution", "bad due date",
        "unknown status"])
def test_a_bad_case_late_in_the_file_leaves_every_earlier_section_unwritten(empty_db_url, bad_case, path):
    before = row_counts(empty_db_url)
    document = small_world([{"id": 1, "department": "Service"}, {"id": 2, "department": "Service", **bad_case}])

    error = refusal(empty_db_url, document)

    assert error.path == path
    assert row_counts(empty_db_url) == before
    assert before["department"] == before["app_user"] == before["support_case"] == 0
    # Sequences are not rolled back: an untouched one proves nothing was even attempted.
    assert fetch(empty_db_url, "SELECT pg_sequence_last_value('department_id_seq')") == [(None,)]


@pytest.mark.parametrize("user, path, message", [
    ({"actions": ["Edit Case", "Edit case"]}, "users[0].actions[1]",
     "'Edit case' is not one of: Edit Case, Close Case, Manage Closed Case (did you mean 'Edit Case'?)"),
    ({"actions": ["Delete Case"]}, "users[0].actions[0]",
     "'Delete Case' is not one of: Edit Case, Close Case, Manage Closed Case"),
    ({"actions": [["Edit Case"]]}, "users[0].actions[0]",
     "['Edit Case'] is not one of: Edit Case, Close Case, Manage Closed Case"),
    ({"permissions": [{"permission": "Transfer activities", "users": ["frank"]}]}, "users[0].permissions[0].permission",
     "'Transfer activities' is not one of: Transfer Activities, Pull Activities (did you mean 'Transfer Activities'?)"),
], ids=["action-in-other-case", "unknown-action", "action-not-a-name", "permission-in-other-case"])
def test_an_action_or_permission_the_rules_do_not_know_is_refused_and_nothing_is_written(empty_db_url, user, path,
                                                                                        message):
    """Such a user would be loaded, then get 403 on every call the name was meant to allow."""
    before = table_contents(empty_db_url)
    document = small_world()
    document["users"][0].update(user)

    error = refusal(empty_db_url, document)

    assert error.problems == [(path, message)]
    assert table_contents(empty_db_url) == before


def test_the_loader_accepts_exactly_the_names_the_rules_and_the_database_know(empty_db_url):
    from casemgr.domain.model import ACTIONS, PERMISSIONS

    document = small_world()
    document["users"].append({"login": "alice", "password": "alice-pass", "homeDepartment": "Service"})
    document["users"][0].update(actions=list(ACTIONS),
                                permissions=[{"permission": p, "users": ["alice"]} for p in PERMISSIONS])
    load(empty_db_url, document)
    assert fetch(empty_db_url, "SELECT actions FROM app_user WHERE login = 'frank'") == [(list(ACTIONS),)]
    assert fetch(empty_db_url, "SELECT enum_range(NULL::user_permission_kind)::text[]") == [(list(PERMISSIONS),)]


def test_unknown_keys_are_refused_with_their_path(empty_db_url):
    document = small_world([{"id": 1, "department": "Service", "colour": "red"}])
    document["departments"].append({"name": "Sales", "sharedWith": [{"department": "Service", "mode": "all"}]})
    document["users"][0]["nickname"] = "Frankie"
    document["widgets"] = []

    error = refusal(empty_db_url, document)

    paths = [path for path, _ in error.problems]
    assert paths == ["widgets", "departments[1].sharedWith[0].mode", "users[0].nickname", "cases[0].colour"]
    assert "unknown" in str(error)


def test_every_problem_is_reported_the_first_one_leading(empty_db_url):
    document = small_world([{"id": 1, "department": "Nowhere", "owner": "nobody", "customer": 99}])
    document["users"][0]["homeDepartment"] = "Elsewhere"

    error = refusal(empty_db_url, document)

    assert error.problems == [
        ("users[0].homeDepartment", "department 'Elsewhere' does not exist"),
        ("cases[0].department", "department 'Nowhere' does not exist"),
        ("cases[0].owner", "user 'nobody' does not exist"),
        ("cases[0].customer", "customer 99 does not exist"),
    ]
    assert str(error).splitlines()[0] == "users[0].homeDepartment: department 'Elsewhere' does not exist"


def test_references_to_rows_already_in_the_database_are_accepted(empty_db_url):
    load_file(empty_db_url, SPEC_EXAMPLE)

    load(empty_db_url, {"cases": [{"id": 2000, "department": "Sales", "owner": "bob", "customer": 1000,
                                   "relatedCases": [1013]}]})

    assert fetch(empty_db_url, "SELECT * FROM case_relation WHERE high_case_id = 2000") == [(1013, 2000)]


@pytest.mark.parametrize("change, path, message", [
    ({"caseData": {"Boolean6534": True, "Decimal6534": 2.2}}, "cases[0].caseData.Number6534", "is required"),
    ({"caseData": {"Boolean6534": "yes", "Decimal6534": 2.2, "Number6534": 1}}, "cases[0].caseData.Boolean6534",
     "expected a value of type boolean"),
    ({"customAttributes": {"region": "west"}}, "cases[0].customAttributes.region", "Expected one of: north, south"),
    ({"customAttributes": {"customer_rating": "five"}}, "cases[0].customAttributes.customer_rating",
     "expected an integer"),
    ({"customAttributes": {"mood": "good"}}, "cases[0].customAttributes.mood", "does not exist"),
    ({"type": "Postal"}, "cases[0].type", "does not exist in category 'Reclamo'"),
], ids=["incomplete caseData", "mistyped caseData", "value outside enumeration", "not an integer",
        "unknown attribute", "unknown type"])
def test_custom_values_and_case_data_are_held_to_their_definitions(empty_db_url, change, path, message):
    document = spec_example()
    document["cases"][0].update(change)

    error = refusal(empty_db_url, document)

    assert error.path == path and message in error.message


def test_a_system_category_cannot_hold_a_case(empty_db_url):
    document = spec_example()
    document["categories"][0]["system"] = True

    assert refusal(empty_db_url, document).path == "cases[0].category"


def test_a_database_error_while_writing_rolls_back_and_names_the_entry(empty_db_url):
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        conn.execute("""
            CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN IF NEW.subject = 'boom' THEN RAISE EXCEPTION 'boom refused'; END IF; RETURN NEW; END $$;
            CREATE TRIGGER refuse_boom BEFORE INSERT ON support_case FOR EACH ROW EXECUTE FUNCTION refuse_boom();
        """)
    document = small_world([{"id": 1, "department": "Service"}, {"id": 2, "department": "Service", "subject": "boom"}])

    error = refusal(empty_db_url, document)

    assert error.path == "cases[1]" and "boom refused" in error.message
    assert fetch(empty_db_url, "SELECT count(*) FROM department") == [(0,)]


# -- the related-case limit, at both ends ---------------------------------------------

def many_cases(count: int, first_id: int = 1) -> list[dict]:
    return [{"id": first_id + i, "department": "Service"} for i in range(count)]


def test_a_case_listing_75_related_cases_is_accepted(empty_db_url):
    cases = many_cases(76)
    cases[0]["relatedCases"] = list(range(2, 77))

    load(empty_db_url, small_world(cases))

    assert fetch(empty_db_url, "SELECT count(*) FROM case_relation") == [(75,)]


def test_a_case_listing_more_than_75_related_cases_is_refused(empty_db_url):
    cases = many_cases(77)
    cases[0]["relatedCases"] = list(range(2, 78))

    error = refusal(empty_db_url, small_world(cases))

    assert error.path == "cases[0].relatedCases" and "76" in error.message


def test_a_case_listed_by_more_than_75_cases_is_refused(empty_db_url):
    cases = many_cases(77)
    for case in cases[1:]:
        case["relatedCases"] = [1]

    error = refusal(empty_db_url, small_world(cases))

    assert error.path == "cases[0].relatedCases" and "case 1 would be related to 76 cases" in error.message


def test_a_stored_case_already_at_75_relations_cannot_gain_one_more(empty_db_url):
    cases = many_cases(76)
    cases[0]["relatedCases"] = list(range(2, 77))
    load(empty_db_url, small_world(cases))

    error = refusal(empty_db_url, {"cases": [{"id": 500, "department": "Service", "relatedCases": [1]}]})

    assert error.path == "cases[0].relatedCases" and "case 1 would be related to 76 cases" in error.message


def test_a_document_that_is_not_a_mapping_is_refused(empty_db_url):
    with psycopg.connect(empty_db_url, autocommit=True) as conn, pytest.raises(LoadError) as caught:
        load_data(conn, ["departments"])

    assert caught.value.path == "(document)"


def test_a_file_that_is_not_yaml_is_refused_with_its_position(empty_db_url, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("departments:\n  - name: [unclosed\n", "utf-8")

    with pytest.raises(LoadError) as caught:
        load_file(empty_db_url, bad)

    assert caught.value.path.startswith("bad.yaml:")


def test_the_file_is_not_changed_by_validation(empty_db_url):
    document = spec_example()
    original = copy.deepcopy(document)

    load(empty_db_url, document)

    assert document == original


# -- values the service could not store or print back ---------------------------------

@pytest.mark.parametrize("due_date", [
    "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
    datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-14))),
], ids=["text after 9999 in UTC", "text before year 1 in UTC", "YAML timestamp after 9999 in UTC"])
def test_a_due_date_outside_the_years_1_to_9999_in_utc_is_refused_with_its_path(empty_db_url, due_date):
    error = refusal(empty_db_url, small_world([{"id": 1, "department": "Service", "dueDate": due_date}]))

    assert error.path == "cases[0].dueDate" and "0001 to 9999" in error.message
    assert row_counts(empty_db_url)["support_case"] == 0


def test_a_due_date_with_an_offset_postgres_does_not_take_is_stored_in_utc(empty_db_url):
    load(empty_db_url, small_world([{"id": 1, "department": "Service", "dueDate": "2030-01-01T20:00:00+20:00"}]))

    assert fetch(empty_db_url, "SELECT due_date FROM support_case") == [(datetime(2030, 1, 1, tzinfo=timezone.utc),)]


@pytest.mark.parametrize("change, path, message", [
    ({"caseData": {"Boolean6534": True, "Decimal6534": float("inf"), "Number6534": 1}},
     "cases[0].caseData.Decimal6534", "a finite decimal number"),
    ({"caseData": {"Boolean6534": True, "Decimal6534": 10**400, "Number6534": 1}},
     "cases[0].caseData.Decimal6534", "a double holds exactly"),
    ({"caseData": {"Boolean6534": True, "Decimal6534": 1.5, "Number6534": 2**63}},
     "cases[0].caseData.Number6534", "at most 64 bits"),
    ({"customAttributes": {"customer_rating": "١٠١٣"}}, "cases[0].customAttributes.customer_rating",
     "ASCII digits"),
    ({"customAttributes": {"customer_rating": "9223372036854775808"}}, "cases[0].customAttributes.customer_rating",
     "at most 64 bits"),
], ids=["infinite decimal", "decimal beyond a double", "integer beyond 64 bits", "non-ASCII digits",
        "integer text beyond 64 bits"])
def test_numbers_the_service_cannot_hold_are_refused_with_their_path(empty_db_url, change, path, message):
    document = spec_example()
    document["cases"][0].update(change)

    error = refusal(empty_db_url, document)

    assert error.path == path and message in error.message


def test_a_custom_text_over_1024_characters_is_refused_with_its_path(empty_db_url):
    document = spec_example()
    document["customAttributes"].append({"name": "note", "type": "string"})
    document["cases"][0]["customAttributes"]["note"] = "x" * 100_000

    error = refusal(empty_db_url, document)

    assert error.path == "cases[0].customAttributes.note" and "exceeds 1024 characters" in error.message


@pytest.mark.parametrize("text", ["customAttributes:\n  - {name: n, type: integer, values: [" + "1" * 5000 + "]}\n",
                                  "cases:\n  - {id: 1, department: Service, dueDate: 2030-02-30}\n"],
                         ids=["5,000-digit integer", "February 30"])
def test_a_yaml_value_python_cannot_build_is_refused_with_the_file(empty_db_url, tmp_path, text):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, "utf-8")

    with pytest.raises(LoadError) as caught:
        load_file(empty_db_url, bad)

    assert caught.value.path == str(bad) and "cannot be read" in caught.value.message


# -- Thalamus configuration: transitions, app visibility, touchpoint permissions -----

def thalamus_world() -> dict:
    document = small_world()
    document["statuses"] = [
        {"name": "Open", "state": "open", "initial": True, "next": ["In Progress", "Closed"]},
        {"name": "In Progress", "state": "open"},
        {"name": "Closed", "state": "closed", "next": []},
    ]
    document["categories"] = [
        {"code": "Reclamo", "name": "Reclamo", "types": [
            {"code": "Telefonico", "name": "Telefonico", "visibleInApp": False, "defaultAnswer": "We call back"},
            {"code": "Web", "name": "Web"}]},
        {"code": "Ventas", "name": "Ventas"},
    ]
    document["touchpoints"] = [{"code": "app", "token": "app-token", "categories": ["Reclamo"]},
                               {"code": "web", "token": "web-token"}]
    return document


def test_transitions_visibility_and_touchpoint_categories_load_with_their_defaults(empty_db_url):
    load(empty_db_url, thalamus_world())

    transitions = fetch(empty_db_url, "SELECT s.name, s.restricts_next, array_remove(array_agg(t.name ORDER BY t.name), NULL)"
                                      " FROM case_status s LEFT JOIN status_transition x ON x.from_status_id = s.id"
                                      " LEFT JOIN case_status t ON t.id = x.to_status_id GROUP BY s.id ORDER BY s.id")
    assert transitions == [("Open", True, ["Closed", "In Progress"]), ("In Progress", False, []), ("Closed", True, [])]
    assert fetch(empty_db_url, "SELECT code, visible_in_app, default_answer FROM case_type ORDER BY code") == [
        ("Telefonico", False, "We call back"), ("Web", True, "")]
    assert fetch(empty_db_url, "SELECT t.code, t.all_categories, array_remove(array_agg(c.code), NULL)"
                               " FROM touchpoint t LEFT JOIN touchpoint_category p ON p.touchpoint_code = t.code"
                               " LEFT JOIN category c ON c.id = p.category_id GROUP BY t.code ORDER BY t.code") == [
        ("app", False, ["Reclamo"]), ("web", True, [])]


def test_a_reload_without_next_or_categories_lifts_the_restrictions(empty_db_url):
    load(empty_db_url, thalamus_world())
    document = thalamus_world()
    del document["statuses"][0]["next"]
    del document["touchpoints"][0]["categories"]

    load(empty_db_url, document)

    assert fetch(empty_db_url, "SELECT count(*) FROM status_transition") == [(0,)]
    assert fetch(empty_db_url, "SELECT bool_and(all_categories) FROM touchpoint") == [(True,)]
    assert fetch(empty_db_url, "SELECT count(*) FROM touchpoint_category") == [(0,)]


def test_transitions_and_touchpoint_categories_name_what_exists(empty_db_url):
    document = thalamus_world()
    document["statuses"][0]["next"] = ["Closed", "Reopened"]
    document["touchpoints"][0]["categories"] = ["Reclamo", "Nada"]

    error = refusal(empty_db_url, document)

    assert error.problems == [
        ("statuses[0].next[1]", "status 'Reopened' does not exist"),
        ("touchpoints[0].categories[1]", "category 'Nada' does not exist"),
    ]
