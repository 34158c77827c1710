"""Thalamus v4 calls beyond the update and creation, as its documentation
and its PHP SDK use them: the case list, the status and type catalogues,
notes, transitions, assignment, touchpoint permissions, the activity, and
every error of a request at once."""

from __future__ import annotations

import logging

import pytest

from casemgr.service.credentials import hash_secret
from tests.api.thalamus_v4_client import BASE, INVALID_CASE, ThalamusV4Client, basic, errors_of

APP_TOUCHPOINT = {"Thalamus-Touchpoint": "app", "Thalamus-Token": "app-token"}


@pytest.fixture
def v4(client):
    return ThalamusV4Client(client)


@pytest.fixture
def reclamo_touchpoint(db):
    """A touchpoint permitted the category Reclamo only (case 1008 is of it)."""
    db.execute("INSERT INTO touchpoint (code, token_hash, all_categories) VALUES ('app', %s, false)",
               (hash_secret("app-token"),))
    db.execute("INSERT INTO touchpoint_category SELECT 'app', id FROM category WHERE code = 'Reclamo'")


def get(v4, path: str, principal: str | None = "frank", **headers):
    return v4.client.get(f"{BASE}{path}", headers=v4.headers(principal, **headers))


def put(v4, path: str, body: dict, principal: str | None = "frank", **headers):
    return v4.client.put(f"{BASE}{path}", json=body, headers=v4.headers(principal, **headers))


def post(v4, path: str, body: dict, principal: str | None = "frank", **headers):
    return v4.client.post(f"{BASE}{path}", json=body, headers=v4.headers(principal, **headers))


def ids(response) -> list[int]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [case["id"] for case in response.get_json()["cases"]]


def history_of(v4, case_id: int, principal: str = "frank") -> list[dict]:
    response = get(v4, f"/cases/{case_id}/history", principal)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["history"]


# -- the case list ----------------------------------------------------------

def test_an_operator_lists_the_cases_it_owns_newest_first_with_or_without_the_trailing_slash(v4):
    created = v4.create({"categoryCode": "Reclamo", "typeCode": "Telefonico", "caseData": {"Linea": "1"}})
    new_id = created.get_json()["case"]["id"]
    assert v4.client.put(f"{BASE}/cases/{new_id}/assignment", json={"email": "frank@example.com"},
                         headers=v4.headers("frank")).status_code == 201

    listed = ids(get(v4, "/cases/"))

    assert listed[0] == new_id
    assert sorted(listed[1:]) == [1001, 1007, 1008, 1013]
    assert ids(get(v4, "/cases")) == listed


@pytest.mark.parametrize("party, expected", [("john@example.com", [1001, 1013]), ("mary@example.com", [1008])])
def test_a_party_lists_its_own_cases(v4, party, expected):
    assert sorted(ids(get(v4, "/cases/", party))) == expected


def test_the_list_is_paged_and_an_empty_page_is_an_empty_list(v4):
    first = ids(get(v4, "/cases/?$pagesize=2"))
    second = ids(get(v4, "/cases/?$pagesize=2&$pagenum=2"))
    assert len(first) == len(second) == 2 and not set(first) & set(second)
    empty = get(v4, "/cases/?$pagenum=9")
    assert empty.get_json() == {"cases": []}


def test_an_operator_who_owns_nothing_gets_an_empty_list(v4):
    assert get(v4, "/cases/", "grace").get_json() == {"cases": []}


def test_cases_of_a_type_not_visible_in_the_app_are_left_out_of_the_list_only(v4, db):
    db.execute("UPDATE case_type SET visible_in_app = false WHERE code = 'Telefonico'")
    assert get(v4, "/cases/", "mary@example.com").get_json() == {"cases": []}
    assert 1008 not in ids(get(v4, "/cases/"))
    assert v4.read(1008).status_code == 200


# -- the catalogues ---------------------------------------------------------

def test_the_case_statuses_say_which_is_initial_and_which_final(v4):
    response = get(v4, "/cases/status", principal=None)
    assert response.status_code == 200
    assert response.get_json() == {"caseStatuses": [
        {"statusName": "Open", "initial": True, "finalState": False},
        {"statusName": "In Progress", "initial": False, "finalState": False},
        {"statusName": "Closed", "initial": False, "finalState": True}]}


def type_codes(response) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [(e["caseCategoryCode"], e["caseTypeCode"]) for e in response.get_json()["caseTypeCategories"]]


def test_the_type_catalogue_filters_by_app_visibility_and_codes(v4, db):
    db.execute("UPDATE case_type SET visible_in_app = false WHERE code = 'Telefonico'")
    every = [("Case6534", "Casetype6534"), ("Reclamo", "Telefonico")]
    assert type_codes(get(v4, "/cases/typecategory", None)) == every
    assert type_codes(get(v4, "/cases/typecategory?visibility=all", None)) == every
    assert type_codes(get(v4, "/cases/typecategory?visibility=app", None)) == [("Case6534", "Casetype6534")]
    assert type_codes(get(v4, "/cases/typecategory?caseTypeCode=Telefonico&caseCategoryCode=Reclamo", None)) \
        == [("Reclamo", "Telefonico")]
    assert type_codes(get(v4, "/cases/typecategory?caseCategoryCode=Nope", None)) == []
    refused = errors_of(get(v4, "/cases/typecategory?visibility=web", None))
    assert refused["errors"]["visibility"] == "InvalidFormat"


# -- touchpoint permissions -------------------------------------------------

def test_a_touchpoint_permitted_some_categories_reaches_their_cases_only(v4, reclamo_touchpoint, unchanged):
    assert ids(get(v4, "/cases/", **APP_TOUCHPOINT)) == [1008]
    assert type_codes(get(v4, "/cases/typecategory", None, **APP_TOUCHPOINT)) == [("Reclamo", "Telefonico")]
    assert v4.read(1008, **APP_TOUCHPOINT).status_code == 200
    assert errors_of(v4.read(1013, **APP_TOUCHPOINT)) == INVALID_CASE
    update = {"categoryCode": "Case6534", "typeCode": "Casetype6534", "status": "In Progress"}
    assert errors_of(v4.update(1013, update, **APP_TOUCHPOINT)) == INVALID_CASE
    assert errors_of(post(v4, "/cases/1013/notes", {"description": "n"}, **APP_TOUCHPOINT)) == INVALID_CASE
    assert errors_of(put(v4, "/cases/1013/transitions", {"statusName": "Closed"}, **APP_TOUCHPOINT)) == INVALID_CASE
    refused = errors_of(v4.create(update, **APP_TOUCHPOINT))
    assert refused["errors"]["categoryOrType"] == "InvalidCode"
    moved = errors_of(v4.update(1008, update, **APP_TOUCHPOINT))  # out of its categories by an update
    assert moved["errors"]["categoryOrType"] == "InvalidCode"
    unchanged.check()


# -- notes -------------------------------------------------------------------

def test_a_note_is_a_comment_added_and_rewritten_through_the_edit_with_its_history(v4):
    added = post(v4, "/cases/1013/notes", {"description": "This is a note!"})
    assert added.status_code == 201, added.get_data(as_text=True)
    comment = added.get_json()["comment"]
    assert comment == {"id": comment["id"], "caseInstanceId": 1013, "description": "This is a note!"}
    assert "context" in added.get_json()

    rewritten = put(v4, "/cases/1013/notes", {"id": str(comment["id"]), "description": "Corrected"})
    assert rewritten.status_code == 201, rewritten.get_data(as_text=True)
    assert rewritten.get_json()["comment"]["description"] == "Corrected"

    assert [c["description"] for c in v4.read_case(1013)["comments"]] == ["Corrected"]
    newest, older = history_of(v4, 1013)[:2]
    assert newest["changes"] == [{"field": f"comments.{comment['id']}", "oldValue": "This is a note!",
                                  "newValue": "Corrected"}]
    assert older["changes"] == [{"field": "comments", "oldValue": None, "newValue": str(comment["id"])}]


@pytest.fixture
def frank_comment(db) -> int:
    """A comment frank wrote on case 1001."""
    return db.execute("INSERT INTO case_comment (case_id, description, author_user_id)"
                      " VALUES (1001, 'Frank''s', 1001) RETURNING id").fetchone()[0]


def test_a_comment_of_another_case_or_of_someone_else_is_comment_invalid_id(v4, frank_comment, unchanged):
    other_case = errors_of(put(v4, "/cases/1013/notes", {"id": frank_comment, "description": "x"}))
    assert other_case["errors"]["comment"] == "InvalidId"
    party = errors_of(put(v4, "/cases/1001/notes", {"id": frank_comment, "description": "x"}, "john@example.com"))
    assert party["errors"]["comment"] == "InvalidId"
    not_an_id = errors_of(put(v4, "/cases/1001/notes", {"id": "first", "description": "x"}))
    assert not_an_id["errors"]["comment"] == "InvalidId"
    unchanged.check()


def test_a_closed_case_takes_no_note_and_a_case_out_of_reach_is_invalid_id(v4, unchanged):
    closed = errors_of(post(v4, "/cases/1007/notes", {"description": "late"}))
    assert closed["errors"]["comments"] == "Unsupported"
    assert errors_of(post(v4, "/cases/1006/notes", {"description": "n"})) == INVALID_CASE
    unchanged.check()


# -- transitions ---------------------------------------------------------------

@pytest.fixture
def open_leads_to_in_progress(db):
    db.execute("UPDATE case_status SET restricts_next = true WHERE name = 'Open'")
    db.execute("INSERT INTO status_transition SELECT f.id, t.id FROM case_status f, case_status t"
               " WHERE f.name = 'Open' AND t.name = 'In Progress'")


def test_a_transition_the_configuration_allows_answers_201_with_the_case(v4, open_leads_to_in_progress):
    response = put(v4, "/cases/1013/transitions", {"statusName": "In Progress"})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["case"]["status"] == "In Progress"
    assert set(response.get_json()) == {"context", "case"}


@pytest.mark.parametrize("case_id, body, code", [
    (1013, {"statusName": "Closed"}, "invalid"),  # not a next status of Open
    (1013, {"statusName": "Nope"}, "invalid"),
    (1007, {"statusName": "Open"}, "statusIsAlreadyClose"),
    (1013, {"statusName": None}, "Required"),
    (1013, {}, "Required"),
], ids=["not-next", "unknown", "closed-case", "null", "missing"])
def test_a_transition_is_refused_with_the_documented_codes(v4, open_leads_to_in_progress, unchanged, case_id, body,
                                                           code):
    assert errors_of(put(v4, f"/cases/{case_id}/transitions", body))["errors"]["statusName"] == code
    unchanged.check()


def test_the_configured_transitions_bind_an_update_too(v4, open_leads_to_in_progress, unchanged):
    refused = errors_of(v4.update(1013, {"categoryCode": "Case6534", "typeCode": "Casetype6534", "status": "Closed"}))
    assert refused["errors"]["status"] == "invalid"
    unchanged.check()


# -- assignment ------------------------------------------------------------------

def test_an_operator_assigns_a_case_by_email(v4, db):
    response = put(v4, "/cases/1013/assignment", {"email": "Alice@Example.com"})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert set(response.get_json()) == {"context", "case"}
    assert db.execute("SELECT owner_id FROM support_case WHERE id = 1013").fetchone()[0] == 1002
    assert history_of(v4, 1013)[0]["changes"] == [{"field": "owner", "oldValue": "1001", "newValue": "1002"}]


@pytest.mark.parametrize("principal, body, key, code", [
    ("frank", {"email": "nobody@example.com"}, "email", "operatorNotValid"),
    ("frank", {"email": None}, "email", "missing"),
    ("frank", {}, "email", "missing"),
    ("frank", {"email": "alice@example.com", "groupName": "Tier 2"}, "email", "invalid"),
    ("frank", {"groupName": "Tier 2"}, "groupName", "invalidName"),
    ("alice", {"email": "frank@example.com"}, "email", "isNotAuthorized"),  # no Transfer Activities on frank
    ("john@example.com", {"email": "alice@example.com"}, "case", "invalidId"),  # a party assigns nobody
], ids=["unknown", "null", "absent", "both", "group", "no-transfer", "party"])
def test_an_assignment_is_refused_with_the_documented_codes(v4, unchanged, principal, body, key, code):
    case_id = 1003 if principal == "alice" else 1013
    refused = errors_of(put(v4, f"/cases/{case_id}/assignment", body, principal))
    assert refused["errors"][key] == code
    unchanged.check()


# -- the activity ------------------------------------------------------------------

def test_the_activity_is_recorded_and_shown_to_whoever_sees_the_author(v4):
    by_query = post(v4, "/cases/1013/notes?activity=portal-complaint", {"description": "n"})
    assert by_query.status_code == 201
    by_header = post(v4, "/cases/1013/notes", {"description": "m"}, "john@example.com",
                     **{"Thalamus-Activity": "app-chat"})
    assert by_header.status_code == 201

    operator_view = history_of(v4, 1013)
    assert [e.get("activity") for e in operator_view[:2]] == ["app-chat", "portal-complaint"]
    party_view = history_of(v4, 1013, "john@example.com")
    assert party_view[0]["activity"] == "app-chat"
    assert "activity" not in party_view[1]  # the support team's entry: its author and activity are hidden


LONG_ACTIVITY = "a" * 256


@pytest.mark.parametrize("where", ["query", "header"])
def test_an_activity_longer_than_255_characters_is_refused_on_a_write_and_nothing_is_written(v4, unchanged, where):
    # The other place holds a valid activity: each is judged, not only the one the call would use.
    query, header = (LONG_ACTIVITY, "app-chat") if where == "query" else ("app-chat", LONG_ACTIVITY)
    refused = errors_of(post(v4, f"/cases/1013/notes?activity={query}", {"description": "n"},
                             **{"Thalamus-Activity": header}))
    assert refused["errors"]["activity"] == "InvalidFormat"
    assert "execution.activity" in refused["errors"]
    unchanged.check()


@pytest.mark.parametrize("where", ["query", "header"])
@pytest.mark.parametrize("method, path, body, principal", [
    ("POST", "/signin", {"principal": "frank", "password": "frank-pass"}, None),
    ("GET", "/logout", None, None),
    ("GET", "/cases/status", None, None),
    ("GET", "/cases/typecategory", None, None),
    ("GET", "/cases/", None, "frank"),
    ("GET", "/cases/1013", None, "frank"),
    ("GET", "/cases/1013/history", None, "frank"),
])
def test_every_call_refuses_an_activity_longer_than_255_characters(v4, method, path, body, principal, where):
    """The spec declares the activity on every call: a read, which ignores it,
    refuses it as a write does, and the signin opens no session."""
    query = f"?activity={LONG_ACTIVITY}" if where == "query" else ""
    headers = v4.headers(principal, **({"Thalamus-Activity": LONG_ACTIVITY} if where == "header" else {}))
    response = v4.client.open(f"{BASE}{path}{query}", method=method, json=body, headers=headers)
    assert errors_of(response)["errors"]["activity"] == "InvalidFormat"
    assert "Set-Cookie" not in response.headers


def test_an_activity_of_255_characters_is_recorded(v4):
    assert post(v4, "/cases/1013/notes", {"description": "n"}, **{"Thalamus-Activity": "a" * 255}).status_code == 201
    assert history_of(v4, 1013)[0]["activity"] == "a" * 255


def test_a_wrong_token_is_answered_before_an_overlong_activity(v4):
    response = v4.client.get(f"{BASE}/cases/status?activity={LONG_ACTIVITY}",
                             headers={"Thalamus-Touchpoint": "web", "Thalamus-Token": "wrong"})
    assert errors_of(response, 401)["errors"]["token"] == "InvalidToken"


# -- every error at once, and the general codes -----------------------------------

def test_a_creation_without_both_codes_reports_both(v4, unchanged):
    refused = errors_of(v4.create({"status": None, "resolution": None}))
    assert {key: code for key, code in refused["errors"].items() if not key.startswith("execution.")} == {
        "category": "CodeRequired", "type": "CodeRequired"}
    unchanged.check()


def test_an_update_with_several_wrong_values_reports_each(v4, unchanged):
    refused = errors_of(v4.update(1013, {"categoryCode": "Case6534", "typeCode": "Casetype6534", "status": "Nope",
                                         "resolution": "Nope", "caseData": {"Number6534": "many"}}))
    codes = {key: code for key, code in refused["errors"].items() if not key.startswith("execution.")}
    assert codes == {"caseData.Boolean6534": "invalidCaseField", "status": "InvalidName", "resolution": "InvalidName"}
    unchanged.check()


def test_a_body_with_several_shape_faults_reports_each_and_egain_still_answers_the_first(v4, v12, unchanged):
    refused = errors_of(v4.update(1013, {"categoryCode": 5, "typeCode": [], "status": True}))
    codes = {key: code for key, code in refused["errors"].items() if not key.startswith("execution.")}
    assert codes == {"categoryCode": "InvalidFormat", "typeCode": "InvalidFormat", "status": "InvalidFormat"}
    egain = v12.edit(1013, {"subject": 5, "severity": "high"})
    assert egain.status_code == 400
    assert egain.get_json()["code"] == "400-152"
    assert egain.get_json()["details"] == [{"key": "attribute", "value": "severity"}]
    unchanged.check()


# -- transport: no compression for "*", no token in the log -----------------------

def test_a_client_that_accepts_any_encoding_gets_the_body_as_is_and_one_naming_gzip_gets_gzip(v4):
    assert post(v4, "/cases/1013/notes", {"description": "x" * 1024}).status_code == 201  # worth compressing
    as_is = get(v4, "/cases/", **{"Accept-Encoding": "*"})
    assert as_is.status_code == 200 and "Content-Encoding" not in as_is.headers
    assert as_is.get_json()["cases"]
    gzipped = get(v4, "/cases/", **{"Accept-Encoding": "gzip"})
    assert gzipped.headers.get("Content-Encoding") == "gzip"


def test_the_request_log_never_records_the_token_of_the_query(v4, caplog):
    caplog.set_level(logging.INFO, logger="casemgr.requests")
    response = v4.client.get(f"{BASE}/cases/?touchpoint=web&token=web-token&activity=secret-activity",
                             headers=basic("frank"))
    assert response.status_code == 200
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name == "casemgr.requests")
    assert "/api/v4/cases/" in logged
    assert "web-token" not in logged and "secret-activity" not in logged


def test_touchpoint_and_token_may_come_in_the_query_before_the_others(v4):
    response = v4.client.get(f"{BASE}/cases/typecategory?touchpoint=web&token=web-token&visibility=app")
    assert type_codes(response) == [("Case6534", "Casetype6534"), ("Reclamo", "Telefonico")]


# -- If-Match on every write ---------------------------------------------------

@pytest.mark.parametrize("write", ["add-note", "rewrite-note", "transition", "assignment"])
def test_a_stale_if_match_on_a_note_a_transition_or_an_assignment_is_412_and_changes_nothing(v4, write):
    """Each answers with the case's ETag, so each honours If-Match as the
    update does: a client holding an old version overwrites nobody."""
    stale = v4.read(1013).headers["ETag"]
    note = post(v4, "/cases/1013/notes", {"description": "moves the version"})
    assert note.status_code == 201, note.get_data(as_text=True)
    current = v4.read(1013).headers["ETag"]
    response = {
        "add-note": lambda: post(v4, "/cases/1013/notes", {"description": "stale"}, **{"If-Match": stale}),
        "rewrite-note": lambda: put(v4, "/cases/1013/notes", {"id": note.get_json()["comment"]["id"],
                                                              "description": "stale"}, **{"If-Match": stale}),
        "transition": lambda: put(v4, "/cases/1013/transitions", {"statusName": "In Progress"},
                                  **{"If-Match": stale}),
        "assignment": lambda: put(v4, "/cases/1013/assignment", {"email": "alice@example.com"},
                                  **{"If-Match": stale}),
    }[write]()
    assert response.status_code == 412, response.get_data(as_text=True)
    assert v4.read(1013).headers["ETag"] == current


def test_text_no_column_holds_is_a_refusal_never_a_500(v4):
    """A NUL in an HTTP Basic user name or a touchpoint names nobody: 401;
    in an activity it is a value the contract refuses: 400."""
    touchpoint = {"Thalamus-Touchpoint": "web", "Thalamus-Token": "web-token"}
    assert v4.client.get(f"{BASE}/cases/1013", headers={**touchpoint, **basic("fr\x00ank", "frank-pass")}) \
        .status_code == 401
    assert v4.client.get(f"{BASE}/cases/1013", headers={**touchpoint, "Thalamus-Touchpoint": "we\x00b",
                                                        **basic("frank")}).status_code == 401
    response = put(v4, "/cases/1013/transitions", {"statusName": "In Progress"}, **{"Thalamus-Activity": "a\x00b"})
    assert errors_of(response, 400)["errors"]["activity"] == "InvalidFormat"
