"""A conflict that explains itself: a 409 or 412 says which fields changed
since the version the client sent, and how many changes there were, in the
history's vocabulary, whatever API made them; a version the case never had
is said to be unknown."""

from __future__ import annotations

import pytest

from casemgr.db.statements import Statements
from tests.api.clients import EgainV3Client, EgainV12Client, EgainV12XmlClient
from tests.api.thalamus_v4_client import ThalamusV4Client, errors_of

CATEGORY = {"categoryCode": "Case6534", "typeCode": "Casetype6534"}
CLIENTS = {"v12": EgainV12Client, "v3": EgainV3Client, "v12-xml": EgainV12XmlClient}


@pytest.fixture(params=list(CLIENTS))
def egain(request, client):
    return CLIENTS[request.param](client)


def details(response) -> dict:
    return {d["key"]: d["value"] for d in response.get_json()["details"]}


def test_a_409_names_the_fields_other_apis_changed_since_the_clients_version(egain, client):
    version = egain.last_modified(1013)
    v3, v4 = EgainV3Client(client), ThalamusV4Client(client)
    assert v3.edit(1013, {"severity": {"value": "urgent"}, **v3.custom("region", "south")},
                   user="client").status_code == 204
    assert v4.update(1013, {**CATEGORY, "status": "In Progress",
                            "comments": [{"description": "Called back"}]}).status_code == 201
    response = egain.edit(1013, {"subject": "mine"}, last_modified=version)
    assert response.status_code == 409
    assert details(response) == {"lastModified": egain.last_modified(1013),
                                 "changedFields": "severity,status,comments,customAttributes.region",
                                 "changes": "2"}


def test_a_client_whose_fields_do_not_overlap_can_send_its_edit_again_without_a_read(egain, client):
    version = egain.last_modified(1013)
    assert EgainV3Client(client).edit(1013, {"severity": {"value": "urgent"}}).status_code == 204
    refused = egain.edit(1013, {"subject": "mine"}, last_modified=version)
    explained = details(refused)
    assert "subject" not in explained["changedFields"].split(",")
    assert egain.edit(1013, {"subject": "mine"}, last_modified=explained["lastModified"]).status_code == 204


def test_a_stale_if_match_on_egain_is_412_with_the_same_explanation(egain, client):
    etag = egain.read(1013).headers["ETag"]
    assert ThalamusV4Client(client).update(1013, {**CATEGORY, "resolution": "Resolved"}).status_code == 201
    response = egain.edit(1013, {"subject": "mine"}, last_modified=None, **{"If-Match": etag})
    assert response.status_code == 412
    assert details(response)["changedFields"] == "resolution"
    assert details(response)["changes"] == "1"


def test_a_version_the_case_never_had_is_said_to_be_unknown(egain):
    response = egain.edit(1013, {"subject": "mine"}, last_modified="2020-01-01T00:00:00.000Z")
    assert response.status_code == 409
    assert details(response)["changedFields"] == "unknown"
    assert details(response)["changes"] == "unknown"


def test_thalamus_412_names_the_fields_changed_since_its_etag(client):
    v4, v12 = ThalamusV4Client(client), EgainV12Client(client)
    etag = v4.read(1013).headers["ETag"]
    assert v12.edit(1013, {"subject": "by v12", **v12.link(1002)}).status_code == 204
    assert EgainV3Client(client).edit(1013, {"solution": "by v3"}).status_code == 204
    response = v4.update(1013, {**CATEGORY, "status": "In Progress"}, **{"If-Match": etag})
    body = errors_of(response, 412)
    assert body["errors"]["etag"] == "PreconditionFailed"
    assert body["changedFields"] == "subject,solution,relatedCases"


def test_thalamus_names_an_etag_of_another_case_unknown(client):
    v4 = ThalamusV4Client(client)
    other = v4.read(1001).headers["ETag"]
    body = errors_of(v4.update(1013, {**CATEGORY, "status": "In Progress"}, **{"If-Match": other}), 412)
    assert body["changedFields"] == "unknown"


def test_only_a_refused_edit_pays_a_message_for_the_explanation(v12, monkeypatch):
    """The success path sends what it sent before (two messages: BEGIN with
    the session check, locks and facts; the writes with COMMIT); the 409 one
    more, in the same transaction, for what changed."""
    version = v12.last_modified(1013)
    v12.session("frank")
    messages = []
    send = Statements._send

    def counted(self, last):
        messages.append(last.name)
        return send(self, last)

    monkeypatch.setattr(Statements, "_send", counted)
    assert v12.edit(1013, {"subject": "first"}, last_modified=version).status_code == 204
    accepted, messages[:] = list(messages), []
    assert v12.edit(1013, {"subject": "second"}, last_modified=version).status_code == 409
    assert len(accepted) == 2
    assert len(messages) == 3
    assert "get_changes_since" in messages
