"""What an eGain read shows: the summary by default, more with $attribute,
the same ETag whatever is shown; v12's XML default; v3's attribute list;
and who sees which case."""

from __future__ import annotations

import pytest

from tests.api.clients import EgainV3Client, EgainV12Client, egain_body

SUMMARY = {"id", "link", "department", "status", "severity", "subject", "customer", "lastModified"}
# Case 1013 of the test world has every attribute but lastClosed.
EVERYTHING_OF_1013 = SUMMARY | {"description", "dueDate", "owner", "relatedCases", "customAttributes"}


def read_one(egain, attributes=None, case_id=1013):
    response = egain.read(case_id, attributes=attributes)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response, response.get_json()["case"][0]


def test_a_read_without_attribute_shows_the_summary(egain):
    _, case = read_one(egain)
    assert set(case) == SUMMARY
    assert case["subject"] == "Phone does not charge"
    assert case["customer"] == {"id": "2001", "customerName": "John Russel Tierney"}


def test_attribute_all_shows_every_attribute(egain):
    _, case = read_one(egain, "all")
    assert set(case) == EVERYTHING_OF_1013
    assert case["description"] == "Customer reports the phone does not charge"
    assert case["owner"]["user"]["name"] == "frank"
    assert case["customAttributes"] == {"customAttribute": [
        {"attribName": "customer_rating", "attribValues": {"attribValue": [{"value": "5"}]}}]}


@pytest.mark.parametrize("asked, added", [
    ("description", {"description"}),
    ("description,custom", {"description", "customAttributes"}),
    ("customAttributes,owner,dueDate", {"customAttributes", "owner", "dueDate"}),
    ("subject", set()),
    ("lastClosed", set()),  # 1013 was never closed: nothing to show
    ("all,description", EVERYTHING_OF_1013 - SUMMARY),
])
def test_a_list_of_names_adds_those_attributes_to_the_summary(egain, asked, added):
    _, case = read_one(egain, asked)
    assert set(case) == SUMMARY | added


def test_attribute_is_one_comma_separated_value(v12):
    response = v12.client.get("/ws/v12/interaction/case/1013?$attribute=description&$attribute=custom",
                              headers=v12.headers("frank"))
    assert response.status_code == 400
    assert response.get_json()["code"] == "400-152"


def test_the_etag_is_the_same_whatever_is_shown(egain):
    tags = {read_one(egain, asked)[0].headers["ETag"] for asked in (None, "all", "description")}
    assert len(tags) == 1


@pytest.mark.parametrize("asked", ["everything", "description,bogus", "", "Description", "all, description"])
def test_an_unknown_attribute_name_is_400_with_the_names_it_takes(egain, unchanged, asked):
    response = egain.read(1013, attributes=asked)
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == "400-196"
    [detail] = body["details"]
    assert detail["key"] == "$attribute"
    assert {"all", "custom", "description", "owner", "relatedCases", "customAttributes"} <= set(
        detail["value"].split(","))
    unchanged.check()


def test_several_cases_each_show_what_was_asked(egain):
    cases = egain.read([1013, 1001], attributes="relatedCases").get_json()["case"]
    assert [c["id"] for c in cases] == ["1013", "1001"]
    assert all("relatedCases" in c and "description" not in c for c in cases)


def test_the_system_context_root_reads_the_same_summary(v12):
    response = v12.client.get("/system/ws/v12/interaction/case/1013?$attribute=description",
                              headers=v12.headers("frank"))
    assert set(response.get_json()["case"][0]) == SUMMARY | {"description"}


# -- XML -----------------------------------------------------------------------

def test_the_xml_summary_and_the_whole_xml_case(v12):
    headers = v12.headers("frank", Accept="application/xml")
    summary = v12.client.get("/ws/v12/interaction/case/1013", headers=headers)
    whole = v12.client.get("/ws/v12/interaction/case/1013?$attribute=all", headers=headers)
    assert summary.mimetype == whole.mimetype == "application/xml"
    assert b'<case id="1013">' in summary.data and b"<description>" not in summary.data
    assert b"<description>Customer reports the phone does not charge</description>" in whole.data
    assert b"<ns2:attribName>customer_rating</ns2:attribName>" in whole.data
    assert set(egain_body(summary)["case"][0]) == SUMMARY
    assert set(egain_body(whole)["case"][0]) == EVERYTHING_OF_1013
    assert summary.headers["ETag"] == whole.headers["ETag"]


def test_an_unknown_attribute_name_in_xml_lists_the_names_too(v12):
    response = v12.client.get("/ws/v12/interaction/case/1013?$attribute=bogus",
                              headers=v12.headers("frank", Accept="application/xml"))
    assert response.status_code == 400
    assert b"<key>$attribute</key>" in response.data
    assert egain_body(response)["details"][0]["value"].startswith("all,")


# -- the media type a request without Accept gets --------------------------------

def test_v12_answers_xml_to_a_request_without_accept(v12):
    response = v12.client.get("/ws/v12/interaction/case/1013", headers={"X-egain-session": v12.session("frank")})
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert egain_body(response)["case"][0]["id"] == "1013"


def test_v12_refuses_in_xml_a_request_without_accept(v12):
    response = v12.client.get("/ws/v12/interaction/case/1013")
    assert response.status_code == 401
    assert response.mimetype == "application/xml"
    assert b"<code>401-101</code>" in response.data


@pytest.mark.parametrize("accept, media_type", [
    ("*/*", "application/json"),
    ("application/*", "application/json"),
    ("application/json", "application/json"),
    ("application/xml", "application/xml"),
    ("text/html, application/xml;q=0.9, */*;q=0.8", "application/xml"),
])
def test_v12_answers_what_accept_asks_for(v12, accept, media_type):
    response = v12.client.get("/ws/v12/interaction/case/1013", headers=v12.headers("frank", Accept=accept))
    assert response.status_code == 200
    assert response.mimetype == media_type


def test_v3_keeps_json_for_a_request_without_accept(client):
    v3 = EgainV3Client(client)
    headers = {k: v for k, v in v3.headers("frank").items() if k != "Accept"}
    response = client.get("/core/casemgr/v3/case/1013", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/json"


# -- v3's custom attribute definitions -------------------------------------------

V3_ATTRIBUTES = "/core/casemgr/v3/case/attributes"


@pytest.mark.parametrize("asked", ["custom", "all"])
def test_v3_lists_the_custom_attributes_in_egains_shape(v3, asked):
    response = v3.client.get(f"{V3_ATTRIBUTES}?$attribute={asked}", headers=v3.headers("frank"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["resource"] == "case"
    listed = {a["attribName"]: a for a in body["attribute"]}
    assert set(listed) == {"customer_rating", "region", "note", "amount", "visited", "vip"}  # the test world's
    assert listed["customer_rating"]["attribType"] == "integer"
    assert listed["region"]["attribValues"] == {"attribValue": [{"value": "north"}, {"value": "south"}]}


def test_v3_and_v12_list_the_same_definitions(v3, v12):
    v3_list = v3.client.get(f"{V3_ATTRIBUTES}?$attribute=custom", headers=v3.headers("client")).get_json()
    v12_list = v12.client.get("/ws/v12/interaction/case/attributes?$attribute=custom",
                              headers=v12.headers("frank")).get_json()
    assert v3_list["attribute"] == v12_list["customAttribute"]


def test_v3_lists_them_in_xml_too(v3):
    response = v3.client.get(f"{V3_ATTRIBUTES}?$attribute=custom", headers=v3.headers("frank", Accept="application/xml"))
    assert response.status_code == 200
    assert response.data.count(b"<attribute>") == 6
    assert b"<resource>case</resource>" in response.data


def test_v3_with_no_custom_attribute_configured_is_204(v3, db):
    db.execute("DELETE FROM custom_field WHERE case_type_id IS NULL")
    response = v3.client.get(f"{V3_ATTRIBUTES}?$attribute=custom", headers=v3.headers("frank"))
    assert response.status_code == 204
    assert response.data == b""


@pytest.mark.parametrize("query, code", [("", "400-152"), ("?$attribute=other", "400-152"),
                                         ("?$attribute=custom&x=1", "400-101")])
def test_v3_attributes_takes_attribute_custom_only(v3, query, code):
    response = v3.client.get(f"{V3_ATTRIBUTES}{query}", headers=v3.headers("frank"))
    assert response.status_code == 400
    assert response.get_json()["code"] == code


def test_v3_attributes_needs_a_token(client):
    response = client.get(f"{V3_ATTRIBUTES}?$attribute=custom", headers={"Accept-Language": "en-US"})
    assert response.status_code == 401


def test_v3_attributes_is_not_read_as_a_case_id(v3):
    response = v3.client.put(f"{V3_ATTRIBUTES}/close", headers=v3.headers("frank"))
    assert response.status_code == 404


# -- who sees which case ---------------------------------------------------------

@pytest.mark.parametrize("api", [EgainV12Client, EgainV3Client])
@pytest.mark.parametrize("case_id, seen", [
    (1013, True),   # Service: frank's home department
    (1004, True),   # Sales: shares with Service, with activity sharing
    (1005, False),  # Billing: shares with Service, without activity sharing
    (1006, False),  # Legal: not shared
])
def test_a_user_sees_the_cases_of_departments_sharing_activities_with_home(client, api, case_id, seen):
    response = api(client).read(case_id)
    assert response.status_code == (200 if seen else 404)


def test_seeing_a_shared_case_does_not_allow_editing_it(v12, unchanged):
    response = v12.edit(1004, {"subject": "not mine to edit"})
    assert response.status_code == 403
    assert response.get_json()["code"] == "403-105"
    unchanged.check()

