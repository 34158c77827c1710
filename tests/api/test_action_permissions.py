"""One set of action permissions whatever the API: closing needs Close Case,
a change to a closed case Manage Closed Case, reopening Manage Closed Case
and Edit Case, any other change Edit Case, on every API that offers the
change. frank holds every action; alice only Edit Case; viewer none. A
refusal writes nothing."""

from __future__ import annotations

import pytest

from tests.api.clients import EgainV3Client, EgainV12Client
from tests.api.test_case_history import CATEGORY
from tests.api.thalamus_v4_client import ThalamusV4Client, errors_of

# Both in Service: 1002 open and unowned; 1013 frank's, with a category and
# case data, closed by frank before each test.
OPEN_CASE, CLOSED_CASE = 1002, 1013


@pytest.fixture(autouse=True)
def closed_case(client):
    assert EgainV12Client(client).close(CLOSED_CASE).status_code == 204


def close(client, api: str, user: str):
    if api == "v12":
        return EgainV12Client(client).close(OPEN_CASE, user=user)
    if api == "v3":
        return EgainV3Client(client).close(OPEN_CASE, user=user)
    return ThalamusV4Client(client).update(OPEN_CASE, {**CATEGORY, "status": "Closed"}, principal=user)


def change_closed(client, api: str, user: str):
    if api == "v3":
        v3 = EgainV3Client(client)
        return client.patch("/core/casemgr/v3/case/closed", headers=v3.headers(user), json=v3.edit_body(
            CLOSED_CASE, v3.custom("region", "south"), last_modified=v3.last_modified(CLOSED_CASE)))
    return ThalamusV4Client(client).update(CLOSED_CASE, {**CATEGORY, "caseData": {
        "Boolean6534": False, "Decimal6534": 1.5, "Number6534": 7}}, principal=user)


def reopen(client, api: str, user: str):
    return ThalamusV4Client(client).update(CLOSED_CASE, {**CATEGORY, "status": "Open"}, principal=user)


def ordinary_edit(client, api: str, user: str):
    if api == "v4":
        return ThalamusV4Client(client).update(OPEN_CASE, {**CATEGORY, "comments": [{"description": "Hi"}]},
                                               principal=user)
    egain = EgainV12Client(client) if api == "v12" else EgainV3Client(client)
    return egain.edit(OPEN_CASE, {"subject": "Edited"}, user=user)


# (change, the APIs that offer it, the actions it needs)
CHANGES = {
    "close": (close, ("v12", "v3", "v4"), {"Close Case"}),
    "change a closed case": (change_closed, ("v3", "v4"), {"Manage Closed Case"}),
    "reopen": (reopen, ("v4",), {"Manage Closed Case", "Edit Case"}),
    "ordinary edit": (ordinary_edit, ("v12", "v3", "v4"), {"Edit Case"}),
}
ACTIONS = {"frank": {"Edit Case", "Close Case", "Manage Closed Case"}, "alice": {"Edit Case"}, "viewer": set()}
MATRIX = [(change, api, user) for change, (_, apis, _) in CHANGES.items() for api in apis for user in ACTIONS]


def version(client, case_id: int) -> str:
    return EgainV12Client(client).last_modified(case_id)


def refused_for_the_action(response, api: str) -> bool:
    if api == "v4":
        return response.status_code == 400 and errors_of(response)["errors"].get("case") == "invalidId"
    return response.status_code == 403 and response.get_json()["code"] == "403-178"


@pytest.mark.parametrize("change, api, user", MATRIX)
def test_every_api_decides_the_same_on_every_action_dependent_change(client, change, api, user):
    attempt, _, needed = CHANGES[change]
    case_id = OPEN_CASE if change in ("close", "ordinary edit") else CLOSED_CASE
    before = version(client, case_id)
    response = attempt(client, api, user)
    if needed <= ACTIONS[user]:
        assert response.status_code in (200, 201, 204), response.get_data(as_text=True)
        assert version(client, case_id) != before
    else:
        assert refused_for_the_action(response, api), response.get_data(as_text=True)
        assert version(client, case_id) == before


def test_an_edit_case_user_is_refused_close_closed_change_and_reopen_and_the_case_is_unchanged(client):
    v4 = ThalamusV4Client(client)
    before = {case_id: v4.read_case(case_id) for case_id in (OPEN_CASE, CLOSED_CASE)}
    for change in ("close", "change a closed case", "reopen"):
        attempt, apis, _ = CHANGES[change]
        for api in apis:
            assert refused_for_the_action(attempt(client, api, "alice"), api), (change, api)
    assert {case_id: v4.read_case(case_id) for case_id in (OPEN_CASE, CLOSED_CASE)} == before
    assert [e["api"] for e in client.get(f"/api/v4/cases/{CLOSED_CASE}/history",
                                         headers=v4.headers("frank")).get_json()["history"]] == ["v12", "load"]


def test_a_closed_case_that_stays_closed_takes_only_custom_values_on_every_api(client):
    v4 = ThalamusV4Client(client)
    for body, field in (({"resolution": "Resolved"}, "resolution"), ({"status": "Closed", "comments": [{"description": "x"}]},
                                                                 "comments"), ({"comments": [{"description": "x"}]}, "comments")):
        response = v4.update(CLOSED_CASE, {**CATEGORY, **body})
        assert response.status_code == 400
        assert errors_of(response)["errors"][field] == "Unsupported"
    v3 = EgainV3Client(client)
    response = client.patch("/core/casemgr/v3/case/closed", headers=v3.headers("frank"), json=v3.edit_body(
        CLOSED_CASE, {"subject": "x", **v3.custom("region", "south")}, last_modified=v3.last_modified(CLOSED_CASE)))
    assert response.status_code == 400 and response.get_json()["code"] == "400-9004"
    # An eGain edit takes open cases only, whoever sends it.
    assert EgainV12Client(client).edit(CLOSED_CASE, {"subject": "x"}).get_json()["code"] == "400-9007"


def test_the_v3_closed_case_edit_takes_if_match_alone(client):
    v3, v4 = EgainV3Client(client), ThalamusV4Client(client)
    etag = v4.read(CLOSED_CASE).headers["ETag"]
    body = {"id": str(CLOSED_CASE), **v3.custom("region", "south")}
    response = client.patch("/core/casemgr/v3/case/closed", json=body, headers=v3.headers("frank", **{"If-Match": etag}))
    assert response.status_code == 204, response.get_data(as_text=True)
    stale = client.patch("/core/casemgr/v3/case/closed", json=body, headers=v3.headers("frank", **{"If-Match": etag}))
    assert stale.status_code == 412
    missing = client.patch("/core/casemgr/v3/case/closed", json=body, headers=v3.headers("frank"))
    assert missing.status_code == 400 and missing.get_json()["code"] == "400-9003"
