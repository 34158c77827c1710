"""A case's history through every API: the same entries, newest first, in one
vocabulary, paged as eGain pages, visible to whoever may read the case and to
no one else, in JSON and (eGain) XML."""

from __future__ import annotations

import pytest

from casemgr.api.egain.xml import parse_xml
from tests.api.clients import EgainV3Client, EgainV12Client
from tests.api.thalamus_v4_client import INVALID_CASE, ThalamusV4Client, errors_of

CATEGORY = {"categoryCode": "Case6534", "typeCode": "Casetype6534"}
FRANK = {"id": "1001", "name": "frank", "type": "user"}


class HistoryReader:
    """Reads a case's history through one API, as ``name``."""

    def __init__(self, api: str, client):
        self.api, self.client = api, client
        self.v12, self.v3, self.v4 = EgainV12Client(client), EgainV3Client(client), ThalamusV4Client(client)

    def get(self, case_id, query: str = "", principal: str = "frank", **headers):
        if self.api == "v12":
            return self.client.get(f"/ws/v12/interaction/case/{case_id}/history{query}",
                                   headers=self.v12.headers(principal, **headers))
        if self.api == "v3":
            return self.client.get(f"/core/casemgr/v3/case/{case_id}/history{query}",
                                   headers=self.v3.headers(principal, **headers))
        return self.client.get(f"/api/v4/cases/{case_id}/history{query}", headers=self.v4.headers(principal, **headers))

    def history(self, case_id, query: str = "", principal: str = "frank") -> dict:
        response = self.get(case_id, query, principal)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()


@pytest.fixture(params=["v12", "v3", "v4"])
def reader(request, client):
    return HistoryReader(request.param, client)


def edit_through_every_api(client) -> None:
    """A v12 edit, a v3 client-token edit that links a case, a v4 update that
    adds a comment: three entries after the load's."""
    v12, v3, v4 = EgainV12Client(client), EgainV3Client(client), ThalamusV4Client(client)
    assert v12.edit(1013, {"subject": "Phone replaced", "severity": {"value": "urgent"}}).status_code == 204
    assert v3.edit(1013, {**v3.custom("region", "south"), **v3.link(1002)}, user="client").status_code == 204
    response = v4.update(1013, {**CATEGORY, "status": "In Progress", "comments": [{"description": "Called back"}]})
    assert response.status_code == 201, response.get_data(as_text=True)


def test_every_api_shows_who_changed_what_newest_first_in_one_vocabulary(reader, client):
    edit_through_every_api(client)
    comment_id = ThalamusV4Client(client).read_case(1013)["comments"][0]["id"]
    body = reader.history(1013)
    entries = body["history"]
    assert [e["api"] for e in entries] == ["v4", "v3", "v12", "load"]
    assert [e["user"] for e in entries] == [FRANK, {"id": "crm", "name": "crm", "type": "client"}, FRANK, None]
    assert [[(c["field"], c["oldValue"], c["newValue"]) for c in e["changes"]] for e in entries[:3]] == [
        [("status", "Open", "In Progress"), ("comments", None, str(comment_id))],
        [("customAttributes.region", None, "south"), ("relatedCases", None, "1002")],
        [("subject", "Phone does not charge", "Phone replaced"), ("severity", "high", "urgent")],
    ]
    assert entries[3]["changes"][0] == {"field": "case", "oldValue": None, "newValue": "created"}
    assert body["paginationInfo"] == {"count": 4, "pagenum": 1, "pagesize": 25}
    dates = [e["date"] for e in entries]
    assert dates == sorted(dates, reverse=True)
    assert entries[0]["lastModified"] == EgainV12Client(client).last_modified(1013)


def test_the_other_end_of_a_link_and_an_unlink_records_them_as_ids_added_and_removed(reader, client):
    v12 = EgainV12Client(client)
    both = {"relatedCases": {**v12.link(1002)["relatedCases"], **v12.unlink(1001)["relatedCases"]}}
    assert v12.edit(1013, both).status_code == 204
    edited = reader.history(1013)["history"][0]["changes"]
    assert edited == [{"field": "relatedCases", "oldValue": "1001", "newValue": "1002"}]
    linked = reader.history(1002)["history"][0]
    unlinked = reader.history(1001)["history"][0]
    assert (linked["api"], linked["changes"]) == ("v12", [{"field": "relatedCases", "oldValue": None,
                                                           "newValue": "1013"}])
    assert unlinked["changes"] == [{"field": "relatedCases", "oldValue": "1013", "newValue": None}]


def test_a_creation_records_its_values_and_the_ids_of_its_comments(reader, client):
    v4 = ThalamusV4Client(client)
    created = v4.create({"categoryCode": "Reclamo", "typeCode": "Telefonico", "caseData": {"Linea": "555-0199"},
                         "comments": [{"description": "First"}, {"description": "Second"}]}).get_json()["case"]
    (entry,) = reader.history(created["id"])["history"]
    changes = {c["field"]: c["newValue"] for c in entry["changes"]}
    assert changes["case"] == "created"
    assert changes["category"] == "Reclamo" and changes["type"] == "Telefonico"
    assert changes["caseData.Linea"] == "555-0199"
    assert changes["comments"] == ",".join(str(c["id"]) for c in created["comments"])


def test_pages_hold_pagesize_entries_newest_first_and_count_them_all(reader, client):
    v12 = EgainV12Client(client)
    for number in range(4):
        assert v12.edit(1013, {"subject": f"edit {number}"}).status_code == 204
    subjects = {}
    for page in (1, 2, 3, 4):
        body = reader.history(1013, f"?$pagesize=2&$pagenum={page}")
        assert body["paginationInfo"] == {"count": 5, "pagenum": page, "pagesize": 2}
        subjects[page] = [next((c["newValue"] for c in e["changes"] if c["field"] == "subject"), None)
                          for e in body["history"]]
    assert subjects == {1: ["edit 3", "edit 2"], 2: ["edit 1", "edit 0"], 3: ["Phone does not charge"], 4: []}


@pytest.mark.parametrize("query, attribute, code", [
    ("?$pagesize=76", "$pagesize", "400-152"),
    ("?$pagesize=0", "$pagesize", "400-152"),
    ("?$pagenum=0", "$pagenum", "400-152"),
    ("?$pagenum=two", "$pagenum", "400-152"),
    ("?sort=date", None, "400-101"),
])
def test_a_page_out_of_bounds_or_an_unknown_parameter_is_refused(reader, query, attribute, code):
    response = reader.get(1013, query)
    assert response.status_code == 400, response.get_data(as_text=True)
    if reader.api == "v4":
        key = attribute or "query"
        # Out of range is a value no rule accepts; not a whole number, a value of the wrong format.
        expected = "InvalidFormat" if query == "?$pagenum=two" else "InvalidValue"
        assert response.get_json()["errors"][key] == (expected if attribute else "UnsupportedParameter")
    else:
        body = response.get_json()
        assert body["code"] == code
        if attribute:
            assert {"key": "attribute", "value": attribute} in body["details"]


def test_a_dead_credential_is_401_before_a_bad_page(client):
    reader = HistoryReader("v12", client)
    response = client.get("/ws/v12/interaction/case/1013/history?$pagesize=500",
                          headers={"X-egain-session": "not-a-session"})
    assert response.status_code == 401
    assert reader.get(1013, "?$pagesize=500").status_code == 400


@pytest.mark.parametrize("api, principal, case_id", [
    ("v12", "carol", 1013),  # a Legal user, a Service case
    ("v12", "frank", 1006),  # the other way round
    ("v12", "frank", 9999),  # no such case
    ("v3", "carol", 1013),
    ("v3", "frank", 9999),
])
def test_egain_answers_a_case_the_user_may_not_read_as_its_read_does_404(client, api, principal, case_id):
    reader = HistoryReader(api, client)
    read = (reader.v12 if api == "v12" else reader.v3).read(case_id, principal)
    assert read.status_code == 404
    response = reader.get(case_id, principal=principal)
    assert response.status_code == 404
    assert response.get_json()["code"] == "404-9001"


def test_a_client_token_reads_every_cases_history(client):
    reader = HistoryReader("v3", client)
    assert reader.history(1006, principal="client")["history"][0]["api"] == "load"


@pytest.mark.parametrize("principal, case_id", [
    ("mary@example.com", 1013),  # a party, another party's case
    ("carol", 1013),  # an operator outside the case's departments
    ("frank", 9999),
])
def test_thalamus_answers_a_case_the_principal_may_not_read_as_invalid_id(client, principal, case_id):
    reader = HistoryReader("v4", client)
    assert errors_of(reader.v4.read(case_id, principal)) == INVALID_CASE
    assert errors_of(reader.get(case_id, principal=principal)) == INVALID_CASE


def test_a_party_reads_the_history_of_its_own_case(client):
    reader = HistoryReader("v4", client)
    assert reader.history(1013, principal="john@example.com")["paginationInfo"]["count"] == 1


@pytest.mark.parametrize("api", ["v12", "v3"])
def test_the_xml_history_says_what_the_json_history_says(client, api):
    edit_through_every_api(client)
    reader = HistoryReader(api, client)
    as_json = reader.history(1013)
    response = reader.get(1013, Accept="application/xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert b"<caseHistory " in response.get_data()
    as_xml = parse_xml(response.get_data())
    assert as_xml["paginationInfo"] == {k: str(v) for k, v in as_json["paginationInfo"].items()}
    assert len(as_xml["history"]) == len(as_json["history"])
    for shown, entry in zip(as_xml["history"], as_json["history"]):
        assert (shown["date"], shown["lastModified"], shown["api"]) == (
            entry["date"], entry["lastModified"], entry["api"])
        assert shown.get("user") == entry["user"]
        # XML has no null: an empty value is left out.
        assert shown["changes"] == [{k: v for k, v in c.items() if v is not None} for c in entry["changes"]]


def test_v12_serves_the_history_under_the_system_context_root_too(client):
    v12 = EgainV12Client(client)
    plain = client.get("/ws/v12/interaction/case/1013/history", headers=v12.headers("frank"))
    system = client.get("/system/ws/v12/interaction/case/1013/history", headers=v12.headers("frank"))
    assert system.status_code == 200
    assert system.get_json() == plain.get_json()
