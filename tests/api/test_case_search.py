"""eGain v12 case search: GET /ws/v12/interaction/case?customer=…&email=…&phone=…&custom.<name>=…,
with eGain's paging and sorting, only ever showing cases the user may read."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from casemgr.domain.search import MAX_SEARCH_CANDIDATES
from tests.api.clients import EgainV12Client, EgainV12XmlClient, egain_body

SUMMARY = {"id", "link", "department", "status", "severity", "subject", "customer", "lastModified"}


def found(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [case["id"] for case in response.get_json()["case"]]


def refused(response, code: str) -> dict:
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == code, body
    return body


@pytest.fixture(params=["v12", "v12-xml"])
def egain(request, client):
    return {"v12": EgainV12Client, "v12-xml": EgainV12XmlClient}[request.param](client)


# -- filters -------------------------------------------------------------------

@pytest.mark.parametrize("query", [
    "customer=2001", "email=john@example.com", "email=JOHN@Example.COM", "phone=%2B15550100",
    "customer=2001&email=john@example.com&phone=%2B15550100",
])
def test_a_customers_cases_are_found_by_id_email_or_phone(egain, query):
    response = egain.search(query)
    assert found(response) == ["1001", "1013"]
    assert response.get_json()["paginationInfo"] in (
        {"count": 2, "pagenum": 1, "pagesize": 25},
        {"count": "2", "pagenum": "1", "pagesize": "25"})  # XML text


def test_a_custom_attribute_value_finds_its_cases(egain):
    assert found(egain.search("custom.customer_rating=5")) == ["1013"]
    assert found(egain.search("custom.region=north")) == ["1007"]


@pytest.mark.parametrize("sent", ["1e-07", "1e22", "5e-324", "-2.5", "0.30000000000000004", "1.5e-05"])
def test_a_decimal_is_found_as_a_read_shows_it(v12, sent):
    assert v12.edit(1013, v12.custom("amount", sent)).status_code == 204
    shown = {a["attribName"]: a["attribValues"]["attribValue"][0]["value"]
             for a in v12.read_case(1013)["customAttributes"]["customAttribute"]}["amount"]
    assert found(v12.search(f"custom.amount={quote(shown)}")) == ["1013"]


def test_every_filter_given_must_hold(v12, db):
    db.execute("UPDATE support_case SET customer_id = 2002 WHERE id = 1007")
    assert found(v12.search("customer=2001&custom.customer_rating=5")) == ["1013"]
    assert found(v12.search("customer=2002&custom.region=north")) == ["1007"]
    assert v12.search("customer=2002&custom.customer_rating=5").status_code == 204
    assert v12.search("email=mary@example.com&phone=%2B15550100").status_code == 204
    assert v12.search("custom.customer_rating=5&custom.region=north").status_code == 204


@pytest.mark.parametrize("query", [
    "customer=9999", "email=john@example", "email=ohn@example.com", "phone=15550100", "custom.customer_rating=05",
    "custom.region=North", "custom.note=",
])
def test_nothing_found_is_204_with_no_body(v12, query):
    """Exact matches only: a part of an address, another spelling of a number, another case of a value."""
    response = v12.search(query)
    assert response.status_code == 204
    assert response.data == b""
    assert "Content-Type" not in response.headers


def test_the_search_shows_the_summary_unless_attribute_asks_for_more(egain):
    summary = egain.search("customer=2001").get_json()["case"]
    everything = egain.search("customer=2001&$attribute=all").get_json()["case"]
    some = egain.search("customer=2001&$attribute=description,custom").get_json()["case"]
    assert all(set(case) <= SUMMARY for case in summary) and set(summary[1]) == SUMMARY
    assert {"description", "owner", "relatedCases", "customAttributes"} <= set(everything[1])
    assert set(some[1]) == SUMMARY | {"description", "customAttributes"}


def test_the_xml_answer_is_egains_cases_with_pagination_info(v12):
    response = v12.search("customer=2001", Accept="application/xml")
    assert response.mimetype == "application/xml"
    assert response.data.count(b"<case ") == 2
    assert b"<ns2:paginationInfo><ns2:count>2</ns2:count><ns2:pagenum>1</ns2:pagenum>" in response.data


def test_the_search_answers_under_the_system_context_root_too(v12):
    response = v12.client.get("/system/ws/v12/interaction/case?customer=2001", headers=v12.headers("frank"))
    assert found(response) == ["1001", "1013"]


# -- refusals ----------------------------------------------------------------------

def test_a_search_without_any_filter_is_refused(v12):
    body = refused(v12.search("$pagesize=10"), "400-9003")
    assert "customer" in body["developerMessage"]
    refused(v12.search(""), "400-9003")


@pytest.mark.parametrize("query, unsupported", [
    ("customer=2001&status=open", "status"), ("name=John", "name"), ("customer=2001&custom.=x", "custom."),
    ("customer=2001&$range=1", "$range"),
])
def test_an_unknown_filter_is_400_101(v12, query, unsupported):
    body = refused(v12.search(query), "400-101")
    assert body["details"] == [{"key": "parameters", "value": unsupported}]


def test_an_unknown_custom_attribute_is_400_9017(v12):
    body = refused(v12.search("custom.colour=red"), "400-9017")
    assert {"key": "attribute", "value": "custom.colour"} in body["details"]


@pytest.mark.parametrize("query, parameter", [
    ("customer=x", "customer"), ("customer=2001&$pagenum=0", "$pagenum"), ("customer=2001&$pagenum=x", "$pagenum"),
    ("customer=2001&$pagesize=0", "$pagesize"), ("customer=2001&$pagesize=76", "$pagesize"),
    ("customer=2001&$pagesize=-1", "$pagesize"), ("customer=2001&customer=2002", "customer"),
])
def test_a_malformed_value_or_a_repeated_parameter_is_400_152(v12, query, parameter):
    body = refused(v12.search(query), "400-152")
    assert {"key": "attribute", "value": parameter} in body["details"]


def test_sort_and_order_take_egains_names_only(v12):
    body = refused(v12.search("customer=2001&$sort=owner"), "400-196")
    assert body["details"] == [{"key": "$sort", "value": "id,lastModified,dueDate,severity,subject"}]
    body = refused(v12.search("customer=2001&$sort=id&$order=up"), "400-196")
    assert body["details"] == [{"key": "$order", "value": "asc,desc"}]


def test_order_without_sort_is_refused(v12):
    body = refused(v12.search("customer=2001&$order=desc"), "400-9003")
    assert {"key": "attribute", "value": "$sort"} in body["details"]


def test_a_dead_session_is_401_before_any_fault_of_the_query(client):
    response = client.get("/ws/v12/interaction/case?status=open&$order=desc",
                          headers={"X-egain-session": "dead", "Accept": "application/json"})
    assert response.status_code == 401
    assert response.get_json()["code"] == "401-101"


def test_a_search_without_accept_answers_xml(v12):
    response = v12.client.get("/ws/v12/interaction/case?customer=2001",
                              headers={"X-egain-session": v12.session("frank")})
    assert response.mimetype == "application/xml"
    assert [case["id"] for case in egain_body(response)["case"]] == ["1001", "1013"]


# -- paging and sorting --------------------------------------------------------------

# Cases of customer 2002 (Mary) in Service: id, subject, severity, due date.
SORTABLE = [
    (9201, "delta", "high", "2031-03-01"),
    (9202, "alpha", None, None),
    (9203, "charlie", "urgent", "2031-01-01"),
    (9204, "bravo", "low", "2031-02-01"),
    (9205, None, "medium", None),
]


@pytest.fixture
def marys_cases(db):
    for case_id, subject, severity, due in SORTABLE:
        db.execute(
            """INSERT INTO support_case (id, department_id, status_id, customer_id, subject, severity, due_date)
               VALUES (%s, (SELECT id FROM department WHERE name = 'Service'),
                       (SELECT id FROM case_status WHERE name = 'Open'), 2002, %s, %s, %s::timestamptz)""",
            (case_id, subject, severity, due))
    # 1008 is Mary's too (severity low, no due date); a subject in lower case
    # like the others, so the order does not depend on the collation.
    db.execute("UPDATE support_case SET subject = 'echo' WHERE id = 1008")
    # lastModified in the opposite order of the ids, 1008 the latest
    db.execute("""UPDATE support_case SET last_modified = timestamptz '2030-01-01' - make_interval(days => (id - 9200)::int)
                  WHERE customer_id = 2002""")
    return ["1008"] + [str(case_id) for case_id, *_ in SORTABLE]


def test_the_default_order_is_by_id(v12, marys_cases):
    assert found(v12.search("customer=2002")) == marys_cases


# Ties and cases without the value: by id, in the same direction; no value comes last.
@pytest.mark.parametrize("sort, ascending, descending", [
    ("id", ["1008", "9201", "9202", "9203", "9204", "9205"], ["9205", "9204", "9203", "9202", "9201", "1008"]),
    ("subject", ["9202", "9204", "9203", "9201", "1008", "9205"], ["1008", "9201", "9203", "9204", "9202", "9205"]),
    ("severity", ["1008", "9204", "9205", "9201", "9203", "9202"], ["9203", "9201", "9205", "9204", "1008", "9202"]),
    ("dueDate", ["9203", "9204", "9201", "1008", "9202", "9205"], ["9201", "9204", "9203", "9205", "9202", "1008"]),
    ("lastModified", ["9205", "9204", "9203", "9202", "9201", "1008"],
     ["1008", "9201", "9202", "9203", "9204", "9205"]),
])
def test_each_sort_in_both_orders(v12, marys_cases, sort, ascending, descending):
    assert found(v12.search(f"customer=2002&$sort={sort}")) == ascending
    assert found(v12.search(f"customer=2002&$sort={sort}&$order=asc")) == ascending
    assert found(v12.search(f"customer=2002&$sort={sort}&$order=desc")) == descending


def test_pages_split_the_cases_and_count_them_all(v12, marys_cases):
    pages = []
    for number in (1, 2, 3):
        response = v12.search(f"customer=2002&$pagesize=2&$pagenum={number}")
        assert response.get_json()["paginationInfo"] == {"count": 6, "pagenum": number, "pagesize": 2}
        pages += found(response)
    assert pages == marys_cases
    assert v12.search("customer=2002&$pagesize=2&$pagenum=4").status_code == 204


def test_a_page_holds_at_most_75_cases(v12, db):
    db.execute("""INSERT INTO support_case (department_id, status_id, customer_id)
                  SELECT (SELECT id FROM department WHERE name = 'Service'),
                         (SELECT id FROM case_status WHERE name = 'Open'), 2002
                  FROM generate_series(1, 80)""")
    assert len(found(v12.search("customer=2002"))) == 25
    full = v12.search("customer=2002&$pagesize=75")
    assert len(found(full)) == 75
    assert full.get_json()["paginationInfo"]["count"] == 81


# -- only what the user may read ------------------------------------------------------

# John's cases in every kind of department: 1013 and 1001 (Service), and these.
JOHNS_ELSEWHERE = {1004: "Sales", 1005: "Billing", 1006: "Legal"}


@pytest.fixture
def johns_cases_everywhere(db):
    db.execute("UPDATE support_case SET customer_id = 2001 WHERE id = ANY(%s)", (list(JOHNS_ELSEWHERE),))
    db.execute("INSERT INTO case_custom_value (case_id, custom_field_id, value) "
               "SELECT id, (SELECT id FROM custom_field WHERE name = 'note'), '\"shared note\"'::jsonb "
               "FROM support_case")


@pytest.mark.parametrize("user, expected", [
    ("frank", ["1001", "1004", "1013"]),  # Service; Sales shares with it with activity sharing
    ("bob", ["1001", "1004", "1013"]),  # Sales; a foreign user of Service
    ("carol", ["1006"]),  # Legal
    ("dora", ["1005"]),  # Billing
])
def test_a_user_finds_only_the_cases_of_departments_they_see(v12, johns_cases_everywhere, user, expected):
    assert found(v12.search("customer=2001", user=user)) == expected


@pytest.mark.parametrize("query", ["customer=2001", "email=john@example.com", "custom.note=shared%20note",
                                   "phone=%2B15550100&$sort=subject&$order=desc"])
@pytest.mark.parametrize("user", ["frank", "alice", "bob", "carol", "dora", "viewer"])
def test_the_search_finds_exactly_the_cases_a_read_by_id_shows(v12, db, johns_cases_everywhere, user, query):
    """One definition of who sees a case: the search's filter in SQL and the
    read's rule in the domain give the same answer, case by case."""
    matching = [row[0] for row in db.execute(
        "SELECT c.id FROM support_case c LEFT JOIN customer cu ON cu.id = c.customer_id "
        "WHERE cu.id = 2001 OR %s LIKE 'custom.note%%' ORDER BY c.id", (query,))]
    readable = {str(case_id) for case_id in matching if v12.read(case_id, user=user).status_code == 200}
    unreadable = {str(case_id) for case_id in matching} - readable
    response = v12.search(f"{query}&$pagesize=75", user=user)
    shown = set(found(response)) if response.status_code == 200 else set()
    assert shown == readable
    assert not shown & unreadable
    if shown:
        assert response.get_json()["paginationInfo"]["count"] == len(readable)


def test_the_credential_check_then_the_search_are_two_messages_to_the_database(v12, monkeypatch):
    """The search takes one of the principal's read slots (fair share), so
    it waits for the credential check to name the principal: two messages,
    the check with the custom attribute names, then the search."""
    from casemgr.db.statements import Statements

    v12.search("customer=2001")  # every statement prepared on this connection already
    sent = []
    original = Statements._send

    def counting(self, last):
        sent.append(last.name)
        return original(self, last)

    monkeypatch.setattr(Statements, "_send", counting)
    assert found(v12.search("customer=2001&custom.customer_rating=5")) == ["1013"]
    assert sent == ["unknown_custom_attributes", "search_cases"]


# -- a bounded search -----------------------------------------------------------------

LIMIT = MAX_SEARCH_CANDIDATES


def add_cases(db, customer: int, department: str, count: int, region: str = "south") -> None:
    """``count`` cases of a customer in a department, each with a region."""
    db.execute("""INSERT INTO support_case (department_id, status_id, customer_id, subject)
                  SELECT (SELECT id FROM department WHERE name = %s),
                         (SELECT id FROM case_status WHERE name = 'Open'), %s, 'Bulk ' || g
                  FROM generate_series(1, %s) g""", (department, customer, count))
    db.execute("""INSERT INTO case_custom_value (case_id, custom_field_id, value)
                  SELECT c.id, (SELECT id FROM custom_field WHERE name = 'region'), to_jsonb(%s::text)
                  FROM support_case c WHERE c.subject LIKE 'Bulk %%'
                  ON CONFLICT DO NOTHING""", (region,))


def too_broad(response) -> dict:
    body = refused(response, "400-9030")
    assert {"key": "maxCandidates", "value": str(LIMIT)} in body["details"]
    assert "filter" in body["developerMessage"]
    return body


def test_a_search_considers_at_most_the_documented_number_of_cases_the_user_sees(egain, db):
    """Mary's 1008 and as many more as make the limit: every one is found and
    counted; one more, and a search by her alone is too broad, whatever its
    order or page, while a filter that narrows it still answers."""
    add_cases(db, 2002, "Service", LIMIT - 1)
    response = egain.search("customer=2002&$sort=subject&$order=desc&$pagesize=75&$pagenum=2")
    assert len(found(response)) == 75
    assert response.get_json()["paginationInfo"]["count"] in (LIMIT, str(LIMIT))

    add_cases(db, 2002, "Service", 2)
    for query in ("customer=2002", "customer=2002&$sort=subject&$order=desc", "customer=2002&$pagenum=3",
                  "email=mary@example.com", "phone=%2B15550199", "custom.region=south",
                  "customer=2002&custom.region=south"):
        too_broad(egain.search(query))
    # A narrower filter answers: after the customer's, the custom attributes
    # are tried in turn until one matches few enough.
    db.execute("INSERT INTO case_custom_value (case_id, custom_field_id, value) "
               "SELECT 1008, id, CASE name WHEN 'region' THEN '\"south\"'::jsonb ELSE '7' END FROM custom_field "
               "WHERE name IN ('region', 'customer_rating') AND case_type_id IS NULL")
    assert found(egain.search("customer=2002&custom.region=south&custom.customer_rating=7")) == ["1008"]
    assert found(egain.search("custom.customer_rating=7&email=mary@example.com")) == ["1008"]
    assert egain.search("custom.region=north&custom.customer_rating=7").status_code == 204


def test_the_system_context_root_answers_the_same_400(v12, db):
    add_cases(db, 2002, "Service", LIMIT)
    response = v12.client.get("/system/ws/v12/interaction/case?customer=2002", headers=v12.headers("frank"))
    too_broad(response)


@pytest.mark.parametrize("user, answer", [("frank", ["1008"]), ("carol", None)])
def test_cases_the_user_does_not_see_never_count(v12, db, user, answer):
    """More than the limit of Mary's cases in Legal: frank (Service) finds
    his one as if they were not there; carol (Legal), who sees them, is
    told to narrow her search."""
    add_cases(db, 2002, "Legal", LIMIT + 1)
    response = v12.search("customer=2002&$sort=subject", user=user)
    if answer is None:
        too_broad(response)
    else:
        assert found(response) == answer
        assert v12.search("custom.region=south", user=user).status_code == 204
