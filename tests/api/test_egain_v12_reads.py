"""v12 reads, close and the custom attribute definitions."""

from __future__ import annotations

import re


def test_a_case_reads_in_the_shape_of_the_spec(v12):
    response = v12.read(1013, attributes="all")
    assert response.status_code == 200
    assert re.fullmatch(r'"1013-\d+"', response.headers["ETag"])
    case = response.get_json()["case"][0]
    assert case["id"] == "1013"
    assert case["link"] == [{"rel": "self", "href": "/system/ws/v12/interaction/case/1013"}]
    assert case["department"]["name"] == "Service"
    assert case["status"] == {"value": "open", "displayValue": "Open"}
    assert case["severity"] == {"value": "high", "displayValue": "High"}
    assert case["owner"]["user"] == {"id": "1001", "name": "frank", "firstName": "Frank", "lastName": "Robert"}
    assert case["customer"] == {"id": "2001", "customerName": "John Russel Tierney"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", case["lastModified"]["date"])
    assert case["relatedCases"] == {"link": [{"rel": "case", "href": "/system/ws/v12/interaction/case/1001"}]}


def test_several_cases_read_in_the_order_asked(v12):
    cases = v12.read([1002, 1013, 1001]).get_json()["case"]
    assert [c["id"] for c in cases] == ["1002", "1013", "1001"]


def test_reading_only_missing_cases_is_404(v12):
    response = v12.read([999998, 999999])
    assert response.status_code == 404
    assert response.get_json()["code"] == "404-9001"


def test_reading_more_than_75_cases_is_refused(v12):
    response = v12.read(list(range(1, 77)))
    assert response.status_code == 400
    assert response.get_json()["code"] == "400-9019"


def test_a_case_outside_the_users_departments_is_not_shown(v12):
    assert v12.read(1006, user="frank").status_code == 404
    assert v12.read(1006, user="carol").status_code == 200


def test_closing_a_case_sets_its_closed_status_and_last_closed(v12, db):
    response = v12.close(1002)
    assert response.status_code == 204
    case = v12.read_case(1002)
    assert case["status"] == {"value": "closed", "displayValue": "Closed"}
    assert case["lastClosed"]["date"] == case["lastModified"]["date"]
    assert v12.edit(1002, {"subject": "closed now"}).get_json()["code"] == "400-9007"


def test_closing_needs_the_close_case_action(v12):
    response = v12.close(1002, user="alice")
    assert response.status_code == 403
    assert response.get_json()["code"] == "403-178"
    assert v12.read_case(1002)["status"]["value"] == "open"


def test_the_custom_attribute_definitions_are_listed(v12):
    response = v12.client.get("/ws/v12/interaction/case/attributes?$attribute=custom",
                              headers=v12.headers("frank"))
    assert response.status_code == 200
    listed = {a["attribName"]: a for a in response.get_json()["customAttribute"]}
    assert set(listed) == {"customer_rating", "region", "note", "amount", "visited", "vip"}
    assert listed["amount"]["attribType"] == "decimal"
    assert listed["region"]["attribValues"] == {"attribValue": [{"value": "north"}, {"value": "south"}]}


def test_no_custom_attributes_configured_is_204(v12, db):
    db.execute("DELETE FROM custom_field WHERE case_type_id IS NULL")
    response = v12.client.get("/ws/v12/interaction/case/attributes?$attribute=custom",
                              headers=v12.headers("frank"))
    assert response.status_code == 204
