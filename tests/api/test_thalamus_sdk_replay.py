"""Thalamus's public PHP SDK (v4.1.4, its HTTP layer v2.0.1), replayed call by
call: the requests exactly as it builds them, and of each answer exactly what
it reads.

How the SDK builds a request (ThalamusHelper::getFullPath, ThalamusRequest::execute):
``?touchpoint=T&token=K`` first in the query string, any query of the call
after it; ``User-Agent: thalamus-sdk-php-v2.0.1`` and ``Accept-Encoding: *``
(a bare header: curl is not asked to decode, so a gzip answer would reach
json_decode as is); after login, HTTP Basic on every call (no cookie); a
write's body is PHP's json_encode of an array that always holds the optional
members, as null; redirects are not followed.

How it reads an answer: any ``errors`` member means failure, whatever the
status; a success body must be a JSON object; writes read its top-level
``case``, the single read the whole body, the list its ``cases`` array;
error maps are read as strings."""

from __future__ import annotations

import base64
import json

import pytest

TOUCHPOINT, TOKEN = "web", "web-token"
SDK_HEADERS = {"User-Agent": "thalamus-sdk-php-v2.0.1", "Accept-Encoding": "*"}


class PhpSdk:
    """The SDK's wire behaviour, over the test client."""

    def __init__(self, client):
        self.client = client
        self.basic: dict = {}

    def url(self, service_path: str) -> str:
        touchpoint_and_token = f"?touchpoint={TOUCHPOINT}&token={TOKEN}"
        if "?" in service_path:
            path, params = service_path.split("?", 1)
            return f"/api/v4{path}{touchpoint_and_token}&{params}"
        return f"/api/v4{service_path}{touchpoint_and_token}"

    def execute(self, method: str, service_path: str, params: dict | None = None):
        headers = {**SDK_HEADERS, **self.basic}
        data = None
        if method != "GET":
            # json_encode's defaults: "/" escaped, nulls kept, members in insertion order.
            data = json.dumps(params, separators=(",", ":")).replace("/", "\\/")
            headers["Content-Type"] = "application/json"
        return self.client.open(self.url(service_path), method=method, headers=headers, data=data)

    # -- Thalamus.php ---------------------------------------------------------------

    def login(self, principal: str, password: str):
        response = self.execute("POST", "/signin", {"principal": principal, "password": password})
        pair = f"{principal}:{password}".encode()
        self.basic = {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        return response

    def logout(self):
        response = self.execute("GET", "/logout")
        self.basic = {}
        return response

    def get_cases(self, case_id: int | None = None):
        return self.execute("GET", "/cases/" if case_id is None else f"/cases/{case_id}")

    def get_case_status(self):
        return self.execute("GET", "/cases/status")

    def get_type_category(self):
        return self.execute("GET", "/cases/typecategory?visibility=app")

    def _case_params(self, category, type_code, description, status, resolution, case_data) -> dict:
        params = {"categoryCode": category, "typeCode": type_code, "status": status, "resolution": resolution}
        if case_data:
            params["caseData"] = case_data
        if description:
            params["comments"] = [{"description": description}]
        return params

    def create_case(self, category, type_code, description="", status=None, resolution=None, case_data=None):
        return self.execute("POST", "/cases", self._case_params(category, type_code, description, status,
                                                                resolution, case_data))

    def update_case(self, case_id, category, type_code, description="", status=None, resolution=None,
                    case_data=None):
        return self.execute("PUT", f"/cases/{case_id}", self._case_params(category, type_code, description, status,
                                                                           resolution, case_data))

    def update_status_case(self, case_id, status_name=None):
        return self.execute("PUT", f"/cases/{case_id}/transitions", {"statusName": status_name})

    def assign_case(self, case_id, email=None):
        return self.execute("PUT", f"/cases/{case_id}/assignment", {"email": email})

    # -- Model/Caso.php -------------------------------------------------------------

    def add_note(self, case_id, description):
        return self.execute("POST", f"/cases/{case_id}/notes", {"description": description})

    def update_note(self, case_id, note_id, description):
        return self.execute("PUT", f"/cases/{case_id}/notes", {"id": note_id, "description": description})


def sdk_success(response) -> dict | None:
    """What ThalamusRequest::execute accepts as a success, and the decoded body."""
    assert response.status_code < 300, (response.status_code, response.get_data(as_text=True))
    assert "Content-Encoding" not in response.headers, "the SDK would json_decode a compressed body"
    raw = response.get_data(as_text=True)
    if raw in ("", "true", "false"):
        return None
    decoded = json.loads(raw)
    assert isinstance(decoded, dict), "ThalamusResponse takes an object, never an array"
    assert decoded.get("errors") is None, "any errors member is a failure to the SDK"
    return decoded


def sdk_failure(response) -> dict:
    """A ThalamusClientException: 400, and an errors map of strings."""
    assert response.status_code == 400, response.get_data(as_text=True)
    errors = json.loads(response.get_data(as_text=True))["errors"]
    assert all(isinstance(key, str) and isinstance(value, str) for key, value in errors.items())
    return errors


CASO_FIELDS = {"id", "categoryCode", "categoryName", "typeCode", "status", "resolution", "comments", "caseData"}


def assert_caso(case: dict) -> None:
    """What Model/Caso.php reads: its scalars, comments as a list of Note
    (id, caseInstanceId, description), caseData as an object."""
    assert CASO_FIELDS <= set(case)
    assert isinstance(case["comments"], list) and isinstance(case["caseData"], dict)
    for note in case["comments"]:
        assert {"id", "caseInstanceId", "description"} <= set(note) and note["caseInstanceId"] == case["id"]


@pytest.fixture
def sdk(client):
    return PhpSdk(client)


def test_an_operator_session_of_the_php_sdk_from_login_to_logout(sdk):
    assert sdk_success(sdk.login("frank", "frank-pass"))["context"]["simpleProfile"]["firstname"] == "Frank"

    # createCase with nothing optional: status and resolution sent as null.
    created = sdk_success(sdk.create_case("Reclamo", "Telefonico"))
    case_id = created["case"]["id"]
    assert created["case"]["status"] == "Open"
    assert_caso(created["case"])
    # createCase with a description and case data (a long one: an answer worth compressing).
    full = sdk_success(sdk.create_case("Reclamo", "Telefonico", "x" * 1000, None, None, {"Linea": "555/0100"}))
    assert full["case"]["caseData"] == {"Linea": "555/0100"}
    assert [c["description"] for c in full["case"]["comments"]] == ["x" * 1000]

    updated = sdk_success(sdk.update_case(case_id, "Reclamo", "Telefonico", "Called back"))
    assert updated["case"]["id"] == case_id and updated["case"]["status"] == "Open"

    single = sdk_success(sdk.get_cases(case_id))  # the whole body is the Caso
    assert single["id"] == case_id
    assert_caso(single)

    sdk_success(sdk.add_note(case_id, "This is a note!"))
    note_id = sdk_success(sdk.get_cases(case_id))["comments"][-1]["id"]
    sdk_success(sdk.update_note(case_id, note_id, "Corrected"))
    assert sdk_success(sdk.get_cases(case_id))["comments"][-1]["description"] == "Corrected"

    statuses = sdk_success(sdk.get_case_status())["caseStatuses"]
    assert {s["statusName"]: s["finalState"] for s in statuses} == {"Open": False, "In Progress": False,
                                                                     "Closed": True}
    catalogue = sdk_success(sdk.get_type_category())["caseTypeCategories"]
    assert ("Reclamo", "Telefonico") in {(e["caseCategoryCode"], e["caseTypeCode"]) for e in catalogue}

    moved = sdk_success(sdk.update_status_case(case_id, "In Progress"))
    assert moved["case"]["status"] == "In Progress"
    assigned = sdk_success(sdk.assign_case(case_id, "alice@example.com"))
    assert assigned["case"]["id"] == case_id

    # An operator's new case is unowned: frank takes the second one, so his list shows it.
    sdk_success(sdk.assign_case(full["case"]["id"], "frank@example.com"))
    listed = sdk_success(sdk.get_cases())["cases"]  # getThalamusModelList(Caso, 'cases')
    assert isinstance(listed, list) and full["case"]["id"] in [c["id"] for c in listed]
    assert case_id not in [c["id"] for c in listed]  # alice owns it now
    for case in listed:
        assert_caso(case)

    sdk_success(sdk.logout())


def test_a_party_session_of_the_php_sdk_reads_its_cases_and_an_empty_list_is_an_array(sdk, db):
    sdk.login("mary@example.com", "mary-pass")
    assert [c["id"] for c in sdk_success(sdk.get_cases())["cases"]] == [1008]
    db.execute("UPDATE case_type SET visible_in_app = false WHERE code = 'Telefonico'")
    assert sdk_success(sdk.get_cases()) == {"cases": []}


def test_the_sdks_nulls_and_wrong_calls_are_client_errors_it_can_read(sdk):
    sdk.login("frank", "frank-pass")
    assert sdk_failure(sdk.update_status_case(1013))["statusName"] == "Required"
    assert sdk_failure(sdk.assign_case(1013))["email"] == "missing"
    assert sdk_failure(sdk.update_status_case(1007, "Open"))["statusName"] == "statusIsAlreadyClose"
    assert sdk_failure(sdk.update_note(1013, 999999, "x"))["comment"] == "InvalidId"
    assert sdk_failure(sdk.get_cases(999999))["case"].lower() == "invalidid"  # CASES_INVALID_ID, case-insensitively
    assert sdk_failure(sdk.create_case(None, None)) == {
        "category": "CodeRequired", "execution.category": "execution.category: categoryCode is required.",
        "type": "CodeRequired", "execution.type": "execution.type: typeCode is required."}
