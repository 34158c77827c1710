"""One view per principal on every surface: what a customer (Thalamus party)
reads of a case is all its history, a conflict's explanation and every
other surface show it; no agent's login or id reaches it. And an edit that
changes nothing is no new version, so a stale edit after it is a conflict
that explains itself, never a 500."""

from __future__ import annotations

import pytest

from tests.api.clients import EgainV3Client, EgainV12Client
from tests.api.test_case_history import CATEGORY, HistoryReader, edit_through_every_api
from tests.api.test_conflict_details import details
from tests.api.thalamus_v4_client import ThalamusV4Client

PARTY = "john@example.com"
# What the party's read of a case shows, as the history names it.
READ_KEYS_AS_FIELDS = {"status": "status", "resolution": "resolution", "categoryCode": "category",
                       "typeCode": "type", "comments": "comments"}
AGENT_DETAILS = {"frank", "1001", "crm"}
EGAIN = {"v12": EgainV12Client, "v3": EgainV3Client}


def every_field_changed_by_agents(client) -> None:
    """Agents and a client token change fields the party sees and fields it
    does not, through every API; one entry changes only hidden fields."""
    edit_through_every_api(client)
    v12, v4 = EgainV12Client(client), ThalamusV4Client(client)
    hidden = {"description": "INTERNAL: do not refund", **v12.custom("note", "INTERNAL: do not refund")}
    assert v12.edit(1013, hidden).status_code == 204
    response = v4.update(1013, {**CATEGORY, "caseData": {"Boolean6534": False, "Decimal6534": 2.2,
                                                          "Number6534": 2500}})
    assert response.status_code == 201, response.get_data(as_text=True)


def party_may_see(field: str, read: dict) -> bool:
    if field.startswith("caseData."):
        return field.removeprefix("caseData.") in read["caseData"]
    return field == "case" or field in READ_KEYS_AS_FIELDS.values()


def test_a_partys_history_holds_no_field_and_no_actor_detail_its_read_does_not_show(client):
    every_field_changed_by_agents(client)
    read = ThalamusV4Client(client).read_case(1013, principal=PARTY)
    assert "subject" not in read and "customAttributes" not in read
    body = HistoryReader("v4", client).history(1013, principal=PARTY)
    entries = body["history"]
    fields = [c["field"] for e in entries for c in e["changes"]]
    assert fields and all(party_may_see(f, read) for f in fields), fields
    assert "INTERNAL" not in str(body)
    # Every field the read shows that agents changed is there, old and new values alike.
    assert {"status", "comments", "caseData.Boolean6534", "case"} <= set(fields)
    for entry in entries:
        author = entry["user"]
        assert author is None or author == {"id": None, "name": "Support team", "type": "staff"}, author
        assert not AGENT_DETAILS & set(map(str, (author or {}).values()))
    # The v12 edit that changed only the description and a note shows nothing
    # to the party, and is not counted: the v12 and v3 edits are gone.
    assert [e["api"] for e in entries] == ["v4", "v4", "load"]
    assert body["paginationInfo"]["count"] == 3


def test_an_agent_still_sees_every_field_and_every_author_of_the_same_history(client):
    every_field_changed_by_agents(client)
    entries = HistoryReader("v4", client).history(1013)["history"]
    assert [e["api"] for e in entries] == ["v4", "v12", "v4", "v3", "v12", "load"]
    assert {"description", "customAttributes.note", "subject"} <= {c["field"] for e in entries for c in e["changes"]}
    assert entries[1]["user"] == {"id": "1001", "name": "frank", "type": "user"}


def test_a_party_sees_its_own_changes_as_its_own(client):
    v4 = ThalamusV4Client(client)
    response = v4.update(1013, {**CATEGORY, "comments": [{"description": "Still broken"}]}, principal=PARTY)
    assert response.status_code == 201, response.get_data(as_text=True)
    entry = HistoryReader("v4", client).history(1013, principal=PARTY)["history"][0]
    assert entry["user"] == {"id": "2001", "name": "John Russel Tierney", "type": "customer"}


def test_a_partys_412_names_only_the_fields_its_read_shows(client):
    v4, v12 = ThalamusV4Client(client), EgainV12Client(client)
    etag = v4.read(1013, principal=PARTY).headers["ETag"]
    assert v12.edit(1013, {"subject": "Hidden from the customer"}).status_code == 204
    response = v4.update(1013, {**CATEGORY, "status": "In Progress"}, principal=PARTY)
    assert response.status_code == 201
    refused = v4.update(1013, {**CATEGORY, "status": "Open"}, principal=PARTY, **{"If-Match": etag})
    assert refused.status_code == 412
    assert refused.get_json()["changedFields"] == "status"
    # The agent who made the same refused update learns about both.
    refused = v4.update(1013, {**CATEGORY, "status": "Open"}, **{"If-Match": etag})
    assert refused.get_json()["changedFields"] == "subject,status"


# -- an edit that changes nothing ------------------------------------------------

def stale_edit(client, api: str, version: str, etag: str):
    if api in EGAIN:
        return EGAIN[api](client).edit(1013, {"subject": "Stale"}, last_modified=version)
    return ThalamusV4Client(client).update(1013, {**CATEGORY, "status": "Closed"}, **{"If-Match": etag})


@pytest.mark.parametrize("api", ["v12", "v3", "v4"])
def test_a_stale_edit_after_an_edit_that_changed_nothing_is_a_conflict_not_a_500(client, api):
    v4, v12 = ThalamusV4Client(client), EgainV12Client(client)
    before, etag = v12.last_modified(1013), v4.read(1013).headers["ETag"]
    assert v12.edit(1013, {"subject": "Phone replaced"}).status_code == 204
    # The same status again: nothing changes.
    unchanged = v4.update(1013, {**CATEGORY, "status": "Open"})
    assert unchanged.status_code == 201, unchanged.get_data(as_text=True)
    response = stale_edit(client, api, before, etag)
    assert response.status_code == (412 if api == "v4" else 409), response.get_data(as_text=True)
    if api == "v4":
        assert response.get_json()["changedFields"] == "subject"
    else:
        assert details(response)["changedFields"] == "subject"
        assert details(response)["changes"] == "1"


@pytest.mark.parametrize("api", ["v12", "v3", "v4"])
def test_an_edit_that_changes_nothing_is_not_a_new_version(client, api):
    v4, v12 = ThalamusV4Client(client), EgainV12Client(client)
    version, etag = v12.last_modified(1013), v4.read(1013).headers["ETag"]
    count = HistoryReader("v12", client).history(1013)["paginationInfo"]["count"]
    if api in EGAIN:
        same = {"subject": "Phone does not charge", "severity": {"value": "high"}}
        assert EGAIN[api](client).edit(1013, same, last_modified=version).status_code == 204
    else:
        response = v4.update(1013, {**CATEGORY, "status": "Open"}, **{"If-Match": etag})
        assert response.status_code == 201
        assert response.headers["ETag"] == etag
    assert v12.last_modified(1013) == version
    assert HistoryReader("v12", client).history(1013)["paginationInfo"]["count"] == count


def test_an_empty_entry_stored_before_edits_that_change_nothing_stopped_making_versions_is_not_shown(client, db):
    """Such entries stay stored (their versions stay known to a conflict's
    explanation), but they show nobody anything: not in a page, not in the
    count, not as a gap in the paging."""
    db.execute("INSERT INTO case_history (case_id, last_modified, previous_last_modified, api, actor_user_id, "
               "changes) SELECT id, last_modified + interval '1 ms', last_modified, 'thalamus-v4', 1001, '[]' "
               "FROM support_case WHERE id = 1013")
    body = HistoryReader("v12", client).history(1013)
    assert body["paginationInfo"]["count"] == 1 and [e["api"] for e in body["history"]] == ["load"]
    first = HistoryReader("v12", client).history(1013, "?$pagesize=1")
    assert [e["api"] for e in first["history"]] == ["load"]
