"""A query parameter given twice is refused on every endpoint, the history
pages and the change feed included: 400-152 (Thalamus: the parameter's
InvalidValue), never the first value read and the second dropped. Only a
dead credential comes first."""

from __future__ import annotations

import pytest

from tests.api.clients import EgainV3Client, EgainV12Client
from tests.api.thalamus_v4_client import TOUCHPOINT, ThalamusV4Client

V12, V3 = "/ws/v12", "/core/casemgr/v3"

# (API, method, path with the parameter twice, user, the parameter)
REPEATED = [
    ("v12", "POST", f"{V12}/authentication/user/login?forceLogin=yes&forceLogin=no", None, "forceLogin"),
    ("v12", "GET", f"{V12}/interaction/case?customer=2001&customer=2002", "frank", "customer"),
    ("v12", "GET", f"{V12}/interaction/case?email=a@example.com&$pagenum=1&$pagenum=2", "frank", "$pagenum"),
    ("v12", "GET", f"{V12}/interaction/case/1013?$attribute=all&$attribute=all", "frank", "$attribute"),
    ("v12", "GET", f"{V12}/interaction/case/attributes?$attribute=custom&$attribute=custom", "frank", "$attribute"),
    ("v12", "GET", f"{V12}/interaction/case/1013/history?$pagenum=1&$pagenum=2", "frank", "$pagenum"),
    ("v12", "GET", f"{V12}/interaction/case/1013/history?$pagesize=5&$pagesize=10", "frank", "$pagesize"),
    ("v3", "GET", f"{V3}/case/1013?$attribute=all&$attribute=description", "frank", "$attribute"),
    ("v3", "GET", f"{V3}/case/attributes?$attribute=custom&$attribute=all", "frank", "$attribute"),
    ("v3", "GET", f"{V3}/case/1013/history?$pagenum=2&$pagenum=1", "frank", "$pagenum"),
    ("v3", "GET", f"{V3}/changes?limit=1&limit=1000", "client", "limit"),
    ("v3", "GET", f"{V3}/webhooks/1/deliveries?limit=1&limit=2", "client", "limit"),
    ("v4", "GET", "/api/v4/cases/1013/history?$pagenum=1&$pagenum=2", "frank", "$pagenum"),
    ("v4", "GET", "/api/v4/cases/1013/history?$pagesize=1&$pagesize=2", "frank", "$pagesize"),
    ("v4", "GET", "/api/v4/cases/1013?touchpoint=web&touchpoint=web&token=web-token", "frank", "touchpoint"),
]


def send(client, api: str, method: str, path: str, user: str | None):
    if api == "v12":
        v12 = EgainV12Client(client)
        body = {"userName": "frank", "password": "frank-pass"} if method == "POST" else None
        return client.open(path, method=method, json=body, headers=v12.headers(user))
    if api == "v3":
        return client.open(path, method=method, headers=EgainV3Client(client).headers(user))
    return client.open(path, method=method, headers=ThalamusV4Client(client).headers(user))


@pytest.mark.parametrize("api, method, path, user, parameter", REPEATED,
                         ids=[f"{api} {path.split('?')[0]} {parameter}" for api, _, path, _, parameter in REPEATED])
def test_a_parameter_given_twice_is_400_152_on_every_endpoint(client, unchanged, api, method, path, user, parameter):
    response = send(client, api, method, path, user)
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    if api == "v4":
        assert body["errors"][parameter] == "InvalidFormat"
        assert body["errors"][f"execution.{parameter}"] == (
            f"execution.{parameter}: Query parameter '{parameter}' may be given once.")
    else:
        assert body["code"] == "400-152"
        assert {"key": "attribute", "value": parameter} in body["details"]
        assert body["developerMessage"] == f"Query parameter '{parameter}' may be given once."
    unchanged.check()


def test_the_feed_refuses_two_cursors_rather_than_reading_from_the_first(client):
    v3 = EgainV3Client(client)
    first = client.get(f"{V3}/changes?limit=1", headers=v3.headers("client")).get_json()["next"]
    response = client.get(f"{V3}/changes?after={first}&after={first}", headers=v3.headers("client"))
    assert response.status_code == 400
    assert response.get_json()["code"] == "400-152"
    assert {"key": "attribute", "value": "after"} in response.get_json()["details"]


def test_a_repeated_parameter_of_an_edit_is_refused_and_changes_nothing(client, unchanged):
    v12 = EgainV12Client(client)
    response = client.put(f"{V12}/interaction/case?$attribute=all&$attribute=all", json={"id": "1013"},
                          headers=v12.headers("frank"))
    # an edit takes no parameter at all: 400-101 comes first
    assert response.status_code == 400 and response.get_json()["code"] == "400-101"
    unchanged.check()


def test_the_v12_logout_refuses_parameters_like_every_other_call(client):
    v12 = EgainV12Client(client)
    headers = v12.headers("frank")
    refused = client.delete(f"{V12}/authentication/user/logout?forceLogin=yes", headers=headers)
    assert refused.status_code == 400 and refused.get_json()["code"] == "400-101"
    # the session was not ended by the refused call
    assert client.get(f"{V12}/interaction/case/1013", headers=headers).status_code == 200
    assert client.delete(f"{V12}/authentication/user/logout", headers=headers).status_code == 204


def test_a_dead_credential_is_401_before_a_repeated_parameter(client):
    response = client.get(f"{V12}/interaction/case/1013/history?$pagenum=1&$pagenum=2",
                          headers={"X-egain-session": "made-up.AAAAAAAAAAAAAAAAAAAAAA", "Accept": "application/json"})
    assert response.status_code == 401
    response = client.get("/api/v4/cases/1013/history?$pagenum=1&$pagenum=2", headers=TOUCHPOINT)
    assert response.status_code == 401


@pytest.mark.parametrize("form", [
    "grant_type=client_credentials&grant_type=password&client_id=crm&client_secret=crm-secret",
    "grant_type=client_credentials&client_id=crm&client_secret=crm-secret&scope=a&scope=b",
], ids=["grant_type", "scope"])
def test_the_token_endpoint_refuses_a_repeated_parameter_as_invalid_request(client, form):
    """RFC 6749 section 3.2: parameters MUST NOT be included more than once."""
    response = client.post("/oauth2/token", data=form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"
    assert "may be given once" in response.get_json()["error_description"]
