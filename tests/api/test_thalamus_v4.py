"""Thalamus v4 update and read: the 201 body, every documented error with
its exact body, comments, closing, If-Match, and the same case seen by v12."""

from __future__ import annotations

import pytest

from tests.api.clients import EgainV12Client
from tests.rows import snapshot
from tests.api.thalamus_v4_client import INVALID_CASE, ThalamusV4Client, error_body, errors_of

SEED_BODY = {
    "categoryCode": "Case6534",
    "typeCode": "Casetype6534",
    "status": "Created",
    "resolution": "Resolved",
    "comments": [],
    "caseData": {"Boolean6534": True, "Decimal6534": 2.2, "Number6534": 2500},
}
FRANK_CONTEXT = {"simpleProfile": {"firstname": "Frank", "email": "frank@example.com"}}


@pytest.fixture
def v4(client):
    return ThalamusV4Client(client)


@pytest.fixture
def created_status(db):
    """Thalamus's documented example names a status "Created"; the test
    world gains it."""
    db.execute("INSERT INTO case_status (name, state) VALUES ('Created', 'open')")


def body(**changes) -> dict:
    """The documented example body with some elements changed; None leaves
    one out."""
    merged = {**SEED_BODY, "status": "Open", **changes}
    return {key: value for key, value in merged.items() if value is not None}


# -- success ---------------------------------------------------------------

def test_the_seed_example_body_answers_201_with_the_context_and_the_updated_case(v4, created_status, db):
    response = v4.update(1013, SEED_BODY)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json() == {
        "context": FRANK_CONTEXT,
        "case": {
            "id": 1013, "categoryCode": "Case6534", "categoryName": "Case 6534", "typeCode": "Casetype6534",
            "status": "Created", "resolution": "Resolved", "comments": [], "commentCount": 0,
            "caseData": {"Boolean6534": True, "Decimal6534": 2.2, "Number6534": 2500},
        },
    }
    assert response.headers["ETag"] == v4.read(1013).headers["ETag"]
    history = db.execute("SELECT api, actor_user_id, changes FROM case_history WHERE case_id = 1013 AND api <> 'load'").fetchall()
    assert [(api, user) for api, user, _ in history] == [("thalamus-v4", 1001)]
    assert {c["field"] for c in history[0][2]} == {"status", "resolution"}


def test_category_type_and_case_data_change_together(v4):
    response = v4.update(1013, {"categoryCode": "Reclamo", "typeCode": "Telefonico", "caseData": {"Linea": "555-0199"}})
    assert response.status_code == 201, response.get_data(as_text=True)
    case = response.get_json()["case"]
    assert (case["categoryCode"], case["typeCode"], case["caseData"]) == ("Reclamo", "Telefonico", {"Linea": "555-0199"})
    assert v4.read_case(1013) == case


def test_comments_are_appended_in_order_and_returned(v4, db):
    first = v4.update(1013, body(comments=[{"description": "Called the customer"}, {"description": "Sent a part"}]))
    assert first.status_code == 201, first.get_data(as_text=True)
    second = v4.update(1013, body(comments=[{"description": "Part arrived"}]))
    comments = second.get_json()["case"]["comments"]
    assert [(c["caseInstanceId"], c["description"]) for c in comments] == [
        (1013, "Called the customer"), (1013, "Sent a part"), (1013, "Part arrived")]
    assert [c["id"] for c in comments] == [row[0] for row in db.execute(
        "SELECT id FROM case_comment WHERE case_id = 1013 ORDER BY id")]


def test_a_status_whose_state_is_closed_sets_last_closed_as_v12_shows_it(v4, v12):
    assert "lastClosed" not in v12.read_case(1013)
    response = v4.update(1013, body(status="Closed"))
    assert response.status_code == 201, response.get_data(as_text=True)
    shown = v12.read_case(1013)
    assert shown["lastClosed"]["date"] == shown["lastModified"]["date"]
    assert shown["status"]["value"] == "closed"


def test_a_closed_case_can_be_reopened_through_its_status(v4, v12):
    response = v4.update(1007, {"categoryCode": "Reclamo", "typeCode": "Telefonico", "status": "Open"})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert v12.read_case(1007)["status"]["value"] == "open"


def test_an_update_through_v4_moves_the_last_modified_v12_sees_so_a_stale_v12_edit_gets_409(client, v4):
    v12 = EgainV12Client(client)
    before = v12.last_modified(1013)
    assert v4.update(1013, body(resolution="Tecnica")).status_code == 201
    assert v12.last_modified(1013) != before
    stale = v12.edit(1013, {"subject": "Too late"}, last_modified=before)
    assert stale.status_code == 409
    assert stale.get_json()["code"] == "409-100"


def test_a_party_reads_and_updates_its_own_case(v4):
    response = v4.update(1013, body(comments=[{"description": "It charges again"}]), principal="john@example.com")
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["context"] == {"simpleProfile": {"firstname": "John", "email": "john@example.com"}}
    assert v4.read(1013, principal="john@example.com").status_code == 200


def test_reading_a_case_answers_the_case_object_itself_and_its_etag(v4):
    response = v4.read(1008)
    assert response.status_code == 200
    assert response.get_json() == {
        "id": 1008, "categoryCode": "Reclamo", "categoryName": "Reclamo", "typeCode": "Telefonico",
        "status": "In Progress", "resolution": None, "comments": [], "commentCount": 0,
        "caseData": {"Linea": "555-0100"},
    }
    assert response.headers["ETag"].startswith('"1008-')


# -- the documented errors ------------------------------------------------

SEED_ERRORS = {
    "category-code-missing": (
        body(categoryCode=None),
        error_body("category", "CodeRequired", "categoryCode is required.")),
    "type-code-missing": (
        body(typeCode=None),
        error_body("type", "CodeRequired", "typeCode is required.")),
    "unknown-category": (
        body(categoryCode="Nope"),
        error_body("categoryOrType", "InvalidCode", "Category 'Nope' does not exist.")),
    "unknown-type": (
        body(typeCode="Nope"),
        error_body("categoryOrType", "InvalidCode", "Type 'Nope' does not exist in category 'Case6534'.")),
    "type-of-another-category": (
        body(typeCode="Telefonico"),
        error_body("categoryOrType", "InvalidCode", "Type 'Telefonico' does not exist in category 'Case6534'.")),
    "unknown-status": (
        body(status="Created"),
        error_body("status", "InvalidName", "Status 'Created' does not exist.")),
    "unknown-resolution": (
        body(resolution="Fixed"),
        error_body("resolution", "InvalidName", "Resolution 'Fixed' does not exist.")),
    "case-data-field-missing": (
        body(caseData={"Boolean6534": True, "Decimal6534": 2.2}),
        error_body("caseData.Number6534", "invalidCaseField",
                   "Field 'Number6534' of the case type is missing from caseData.")),
    "case-data-field-of-the-wrong-type": (
        body(caseData={"Boolean6534": True, "Decimal6534": 2.2, "Number6534": "2500"}),
        error_body("caseData.Number6534", "invalidCaseField", "Field 'Number6534' expects a value of type integer.")),
    "case-data-field-unknown": (
        body(caseData={**SEED_BODY["caseData"], "Linea": "x"}),
        error_body("caseData.Linea", "invalidCaseField", "'Linea' is not a field of this case type.")),
    "system-category": (
        body(categoryCode="Sistema", typeCode="Interno", caseData=None),
        error_body("category", "CategorySystemNode", "Category 'Sistema' is a system node and cannot hold cases.")),
}


@pytest.mark.parametrize("request_body, expected", SEED_ERRORS.values(), ids=SEED_ERRORS.keys())
def test_each_seed_error_answers_400_with_its_exact_body_and_changes_nothing(v4, unchanged, request_body, expected):
    assert errors_of(v4.update(1013, request_body)) == expected
    unchanged.check()


@pytest.mark.parametrize("case_id", ["999999", "abc"], ids=["unknown", "not-a-number"])
def test_an_unknown_case_id_is_invalid_id(v4, unchanged, case_id):
    assert errors_of(v4.update(case_id, body())) == INVALID_CASE
    assert errors_of(v4.read(case_id)) == INVALID_CASE
    unchanged.check()


def test_unknown_body_elements_are_refused(v4, unchanged):
    response = v4.update(1013, body(subject="Mass assignment"))
    assert errors_of(response) == error_body("subject", "Unsupported", "Unsupported element 'subject' in request body.")
    unchanged.check()


@pytest.mark.parametrize("changes, key, text", [
    ({"comments": "Called back"}, "comments", "Invalid value for 'comments': expected a list."),
    ({"comments": ["Called back"]}, "comments[0]", "Invalid value for 'comments[0]': expected an object with "
                                                   "'description'."),
    ({"caseData": [2500]}, "caseData", "Invalid value for 'caseData': expected an object."),
], ids=["comments-as-string", "comment-as-string", "case-data-as-list"])
def test_a_value_of_the_wrong_shape_is_named_as_sent_with_what_is_expected(v4, unchanged, changes, key, text):
    assert errors_of(v4.update(1013, body(**changes))) == error_body(key, "InvalidFormat", text)
    unchanged.check()


# -- reach: no existence leak ----------------------------------------------

@pytest.mark.parametrize("principal, case_id", [
    ("john@example.com", 1008),  # a party and another party's case
    ("carol", 1013),  # an operator outside the case's departments
], ids=["party-b-case", "operator-outside-departments"])
def test_a_case_out_of_the_principals_reach_is_invalid_id_for_read_and_update(v4, unchanged, principal, case_id):
    assert errors_of(v4.read(case_id, principal=principal)) == INVALID_CASE
    assert errors_of(v4.update(case_id, body(categoryCode="Reclamo", typeCode="Telefonico", caseData=None),
                               principal=principal)) == INVALID_CASE
    unchanged.check()


@pytest.mark.parametrize("principal", ["viewer", "grace"], ids=["without-edit-case-action", "without-pull-on-owner"])
def test_an_operator_who_may_see_but_not_edit_the_case_gets_invalid_id(v4, unchanged, principal):
    assert errors_of(v4.update(1013, body(), principal=principal)) == INVALID_CASE
    unchanged.check()


# -- If-Match ---------------------------------------------------------------

def test_a_matching_if_match_updates_and_answers_the_new_etag(v4):
    etag = v4.read(1013).headers["ETag"]
    response = v4.update(1013, body(resolution="Tecnica"), **{"If-Match": etag})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["ETag"] not in (None, etag)
    assert response.headers["ETag"] == v4.read(1013).headers["ETag"]


def test_a_stale_if_match_is_412_and_changes_nothing(v4, db):
    stale = v4.read(1013).headers["ETag"]
    current = v4.update(1013, body(resolution="Tecnica")).headers["ETag"]
    before = snapshot(db)
    response = v4.update(1013, body(resolution="Resolved"), **{"If-Match": stale})
    assert errors_of(response, 412) == {
        **error_body("etag", "PreconditionFailed", "The case was modified since the ETag given in If-Match."),
        "changedFields": "resolution"}
    assert response.headers["ETag"] == current
    assert snapshot(db) == before


# -- the form of the request ----------------------------------------------

def test_a_body_that_is_not_json_is_refused(v4, unchanged):
    headers = v4.headers("frank")
    xml = v4.client.put("/api/v4/cases/1013", data="<case/>", content_type="application/xml", headers=headers)
    assert errors_of(xml, 415)["errors"]["contentType"] == "UnsupportedMediaType"
    broken = v4.client.put("/api/v4/cases/1013", data="{", content_type="application/json", headers=headers)
    assert errors_of(broken) == error_body("body", "InvalidJson", "Request body is not valid JSON.")
    empty = v4.client.put("/api/v4/cases/1013", headers=headers)
    assert errors_of(empty) == error_body("body", "Required", "Request body is empty.")
    unchanged.check()


def test_an_unknown_v4_path_answers_in_the_v4_error_shape(v4):
    assert errors_of(v4.client.get("/api/v4/nothing-here", headers=v4.headers("frank")), 404)["errors"]["path"] \
        == "NotFound"


def test_null_status_and_resolution_are_not_given_as_the_thalamus_sdk_sends_them(v4):
    """Thalamus's PHP SDK sends "status": null and "resolution": null when its
    caller gives none: the case keeps both (a new case starts in the initial
    status), as if they were absent."""
    before = v4.read_case(1013)
    sdk = {"categoryCode": "Case6534", "typeCode": "Casetype6534", "status": None, "resolution": None,
           "comments": [{"description": "Sent through the SDK"}]}
    updated = v4.update(1013, sdk)
    assert updated.status_code == 201, updated.get_data(as_text=True)
    case = updated.get_json()["case"]
    assert (case["status"], case["resolution"]) == (before["status"], before["resolution"])
    assert case["commentCount"] == before["commentCount"] + 1
    created = v4.create({**sdk, "caseData": before["caseData"]})
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()["case"]["status"] == "Open"
