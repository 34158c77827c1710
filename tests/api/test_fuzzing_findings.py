"""What contract fuzzing found, held in place: each answer the spec promises."""

from __future__ import annotations

import pytest

from tests.api.thalamus_v4_client import TOUCHPOINT, basic


def test_an_empty_accept_language_is_refused_on_v12_like_any_unsupported_value(v12):
    response = v12.read(1013, **{"Accept-Language": ""})
    assert response.status_code == 406
    assert response.get_json()["code"] == "406-100"


@pytest.mark.parametrize("value", ["AAA", "true", ""])
def test_force_login_is_yes_or_no_and_nothing_else(v12, value):
    response = v12.client.post(f"/ws/v12/authentication/user/login?forceLogin={value}",
                               json={"userName": "frank", "password": "frank-pass"},
                               headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["code"] == "400-152"
    assert v12.client.post("/ws/v12/authentication/user/login?forceLogin=no",
                           json={"userName": "frank", "password": "frank-pass"}).status_code == 204


def test_a_method_the_thalamus_category_listing_lacks_is_405_not_a_case_lookup(client):
    response = client.put("/api/v4/cases/typecategory", json={}, headers={**TOUCHPOINT, **basic("frank")})
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert response.get_json()["errors"]["method"] == "NotAllowed"


def test_a_method_the_v3_closed_case_edit_lacks_is_405_not_a_read_of_case_closed(v3):
    response = v3.client.get("/core/casemgr/v3/case/closed", headers=v3.headers("frank"))
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"PATCH", "OPTIONS"}


def test_a_thalamus_case_id_that_is_not_a_number_is_still_invalid_id(client):
    response = client.get("/api/v4/cases/abc", headers={**TOUCHPOINT, **basic("frank")})
    assert response.status_code == 400
    assert response.get_json()["errors"]["case"] == "invalidId"


def test_the_oauth_token_endpoint_ignores_parameters_it_does_not_know(client):
    """RFC 6749 section 3.2; the spec says so (additionalProperties)."""
    response = client.post("/oauth2/token", data={"grant_type": "client_credentials", "client_id": "crm",
                                                   "client_secret": "crm-secret", "extra": "42"})
    assert response.status_code == 200
