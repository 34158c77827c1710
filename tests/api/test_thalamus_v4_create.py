"""Thalamus v4 creation: the body of the update, the same rules and errors."""

from __future__ import annotations

import pytest

from tests.api.thalamus_v4_client import INVALID_CASE, ThalamusV4Client, error_body, errors_of

NEW_CASE = {
    "categoryCode": "Case6534",
    "typeCode": "Casetype6534",
    "resolution": "Unresolved",
    "comments": [{"description": "Opened from the web form"}],
    "caseData": {"Boolean6534": False, "Decimal6534": 0.5, "Number6534": 7},
}


@pytest.fixture
def v4(client):
    return ThalamusV4Client(client)


def stored(db, case_id: int) -> dict:
    row = db.execute(
        """SELECT d.name, c.customer_id, s.name, c.owner_id, c.last_closed IS NOT NULL, c.last_modified_by
           FROM support_case c JOIN department d ON d.id = c.department_id JOIN case_status s ON s.id = c.status_id
           WHERE c.id = %s""", (case_id,)).fetchone()
    return dict(zip(("department", "customer", "status", "owner", "closed", "modified_by"), row))


def test_an_operator_creates_a_case_in_its_home_department_visible_through_get(v4, db):
    response = v4.create(NEW_CASE)
    assert response.status_code == 201, response.get_data(as_text=True)
    case = response.get_json()["case"]
    assert case["id"] > 1013
    assert case == {
        "id": case["id"], "categoryCode": "Case6534", "categoryName": "Case 6534", "typeCode": "Casetype6534",
        "status": "Open", "resolution": "Unresolved",
        "comments": [{"id": case["comments"][0]["id"], "caseInstanceId": case["id"],
                      "description": "Opened from the web form"}],
        "commentCount": 1,
        "caseData": {"Boolean6534": False, "Decimal6534": 0.5, "Number6534": 7},
    }
    read = v4.read(case["id"])
    assert read.get_json() == case
    assert read.headers["ETag"] == response.headers["ETag"]
    assert stored(db, case["id"]) == {"department": "Service", "customer": None, "status": "Open", "owner": None,
                                      "closed": False, "modified_by": 1001}


def test_the_creation_is_recorded_in_history(v4, db):
    case_id = v4.create(NEW_CASE).get_json()["case"]["id"]
    (api, user, changes), = db.execute(
        "SELECT api, actor_user_id, changes FROM case_history WHERE case_id = %s", (case_id,)).fetchall()
    assert (api, user) == ("thalamus-v4", 1001)
    assert changes[0] == {"field": "case", "old": None, "new": "created"}
    assert {c["field"] for c in changes} >= {"department", "status", "category", "type", "caseData.Number6534",
                                             "comments"}


def test_a_party_creates_its_own_case_in_the_first_department(v4, db):
    response = v4.create(NEW_CASE, principal="john@example.com")
    assert response.status_code == 201, response.get_data(as_text=True)
    case_id = response.get_json()["case"]["id"]
    assert stored(db, case_id)["department"] == "Service"
    assert stored(db, case_id)["customer"] == 2001
    assert v4.read(case_id, principal="john@example.com").status_code == 200
    assert errors_of(v4.read(case_id, principal="mary@example.com")) == INVALID_CASE


def test_creating_with_a_closed_status_sets_last_closed(v4, db):
    response = v4.create({**NEW_CASE, "status": "Closed"})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert stored(db, response.get_json()["case"]["id"])["closed"] is True


def test_a_case_created_through_v4_is_the_same_case_in_v12(v4, v12):
    case_id = v4.create(NEW_CASE).get_json()["case"]["id"]
    assert v12.read_case(case_id)["id"] == str(case_id)


REFUSALS = {
    "category-code-missing": ({"typeCode": "Casetype6534"},
                              error_body("category", "CodeRequired", "categoryCode is required.")),
    "type-code-missing": ({"categoryCode": "Case6534"},
                          error_body("type", "CodeRequired", "typeCode is required.")),
    "unknown-type": ({"categoryCode": "Case6534", "typeCode": "Telefonico"},
                     error_body("categoryOrType", "InvalidCode",
                                "Type 'Telefonico' does not exist in category 'Case6534'.")),
    "system-category": ({"categoryCode": "Sistema", "typeCode": "Interno"},
                        error_body("category", "CategorySystemNode",
                                   "Category 'Sistema' is a system node and cannot hold cases.")),
    "unknown-status": ({**NEW_CASE, "status": "Created"},
                       error_body("status", "InvalidName", "Status 'Created' does not exist.")),
    "case-data-field-missing": ({**NEW_CASE, "caseData": {"Boolean6534": True, "Decimal6534": 1.0}},
                                error_body("caseData.Number6534", "invalidCaseField",
                                           "Field 'Number6534' of the case type is missing from caseData.")),
    "unknown-element": ({**NEW_CASE, "id": 5},
                        error_body("id", "Unsupported", "Unsupported element 'id' in request body.")),
}


@pytest.mark.parametrize("request_body, expected", REFUSALS.values(), ids=REFUSALS.keys())
def test_an_invalid_body_is_refused_with_the_errors_of_the_update(v4, unchanged, request_body, expected):
    assert errors_of(v4.create(request_body)) == expected
    unchanged.check()


def test_an_operator_without_the_edit_case_action_creates_nothing(v4, unchanged):
    assert errors_of(v4.create(NEW_CASE, principal="viewer")) == INVALID_CASE
    unchanged.check()
