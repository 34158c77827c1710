"""Extreme values and unbounded growth, through every API they can enter by.

A value the service cannot store and print back is a 400 with the API's own
error body, and nothing is written; the largest values it can hold are stored
and read back equal. Comments grow a case by at most 100 per request, and no
read grows with them: eGain never loads them, Thalamus shows the newest 100.
"""

from __future__ import annotations

import json

import pytest

from tests.api.thalamus_v4_client import ThalamusV4Client, errors_of
from tests.rows import add_comments

MIB = 1024 * 1024
OUT_OF_RANGE_DATES = ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59.999-00:01"]
UNSTORABLE_DECIMALS = ["1e400", "-1e400", "1" * 1000, "1." + "1" * 1000, "1e-400", "NaN", "Infinity",
                       "1e99999999999999999999", "١٠١٣"]
UNSTORABLE_INTEGERS = ["9223372036854775808", "-9223372036854775809", "1" * 1000, "١٠١٣", "１２", "+5", "1e3"]
CASE_DATA = {"Boolean6534": True, "Decimal6534": 2.2, "Number6534": 2500}


def refused(response, code: str) -> dict:
    body = response.get_json()
    assert response.status_code == 400, response.get_data(as_text=True)
    assert body["code"] == code, body
    return body


@pytest.fixture
def v4(client):
    return ThalamusV4Client(client)


# -- eGain: dates, numbers and texts the service cannot store are 400 ----------

@pytest.mark.parametrize("due_date", OUT_OF_RANGE_DATES)
def test_a_due_date_beyond_what_prints_as_yyyy_is_an_invalid_value(egain, unchanged, due_date):
    refused(egain.edit(1013, {"dueDate": due_date}), "400-152")
    unchanged.check()


def test_a_last_modified_beyond_what_prints_as_yyyy_is_an_invalid_value(egain, unchanged):
    refused(egain.edit(1013, {"subject": "x"}, last_modified="9999-12-31T23:59:59-14:00"), "400-152")
    unchanged.check()


def test_the_last_due_date_that_prints_is_stored_and_read_back(egain):
    assert egain.edit(1013, {"dueDate": "9999-12-31T23:59:59.999Z"}).status_code == 204
    assert egain.read_case(1013)["dueDate"] == "9999-12-31T23:59:59.999Z"


@pytest.mark.parametrize("value", UNSTORABLE_DECIMALS, ids=lambda v: v[:12])
def test_a_decimal_a_double_cannot_hold_as_written_is_an_invalid_value(egain, unchanged, value):
    body = refused(egain.edit(1013, egain.custom("amount", value)), "400-152")
    assert len(body["developerMessage"]) < 300  # a 1,000-digit value is not echoed back whole
    unchanged.check()


@pytest.mark.parametrize("value", UNSTORABLE_INTEGERS, ids=lambda v: v[:12])
def test_an_integer_outside_64_bits_or_not_in_ascii_digits_is_an_invalid_value(egain, unchanged, value):
    refused(egain.edit(1013, egain.custom("customer_rating", value)), "400-152")
    unchanged.check()


@pytest.mark.parametrize("name, sent, shown", [
    ("customer_rating", "9223372036854775807", "9223372036854775807"),
    ("customer_rating", "-9223372036854775808", "-9223372036854775808"),
    ("amount", "1e308", "1e+308"),
    ("amount", "1e22", "1e+22"),
    ("amount", "5e-324", "5e-324"),
    ("amount", "0.30000000000000004", "0.30000000000000004"),
    ("amount", "-2.5", "-2.5"),
    ("visited", "9999-12-31", "9999-12-31"),
    ("vip", "TRUE", "true"),
])
def test_the_extreme_values_a_type_holds_are_read_back_equal(egain, name, sent, shown):
    assert egain.edit(1013, egain.custom(name, sent)).status_code == 204
    shown_values = {a["attribName"]: a["attribValues"]["attribValue"][0]["value"]
                    for a in egain.read_case(1013)["customAttributes"]["customAttribute"]}
    assert shown_values[name] == shown


def test_a_custom_text_holds_1024_characters_and_no_more(egain, unchanged):
    refused(egain.edit(1013, egain.custom("note", "x" * 100_000)), "400-9009")
    refused(egain.edit(1013, egain.custom("note", "x" * 1025)), "400-9009")
    unchanged.check()
    assert egain.edit(1013, egain.custom("note", "x" * 1024)).status_code == 204


@pytest.mark.parametrize("name", ["amount", "customer_rating", "note"])
def test_a_custom_value_over_1024_characters_is_too_long_before_the_version_is_checked(egain, unchanged, name):
    """A length is judged with the request's other lengths, before the case is
    read: a 5,000-digit number is refused even with a stale lastModified."""
    stale = "2015-07-30T13:07:40.000Z"
    refused(egain.edit(1013, egain.custom(name, "1" * 5000), last_modified=stale), "400-9009")
    unchanged.check()


@pytest.mark.parametrize("changes", [
    {"customAttributes": {"customAttribute": [
        {"attribName": "amount", "attribValues": {"attribValue": [{"value": "1e400"}]}}]}},
    {"customAttributes": {"customAttribute": [
        {"attribName": "note", "attribValues": {"attribValue": [{"value": "x" * 100_000}]}}]}},
], ids=["decimal", "long text"])
def test_the_closed_case_edit_refuses_the_same_values(v3, unchanged, changes):
    response = v3.edit(1007, changes, path="/closed")
    assert response.status_code == 400 and response.get_json()["code"] in ("400-152", "400-9009")
    refused(v3.edit(1007, {"customAttributes": {"customAttribute": [
        {"attribName": "region", "attribValues": {"attribValue": [{"value": "south"}]}}]}},
        path="/closed", last_modified="9999-12-31T23:59:59-14:00"), "400-152")
    unchanged.check()


# -- Thalamus: case data numbers come as JSON numbers, judged as written ----------

def raw_case_body(field: str, number_text: str, **extra) -> bytes:
    """A v4 body whose caseData field holds a JSON number exactly as written."""
    body = {"categoryCode": "Case6534", "typeCode": "Casetype6534", "caseData": {**CASE_DATA, field: 0}, **extra}
    return json.dumps(body).replace(f'"{field}": 0', f'"{field}": {number_text}').encode()


@pytest.mark.parametrize("field, number", [
    ("Decimal6534", "1e400"), ("Decimal6534", "-1e400"), ("Decimal6534", "1" * 5000),
    ("Decimal6534", "1." + "1" * 5000), ("Decimal6534", "1e-400"), ("Decimal6534", "1e99999999999999999999"),
    ("Number6534", "9223372036854775808"), ("Number6534", "-9223372036854775809"), ("Number6534", "1" * 5000),
], ids=lambda v: v[:12])
def test_a_case_data_number_the_service_cannot_hold_is_invalid_case_field(v4, client, unchanged, field, number):
    for method, path in (("put", "/api/v4/cases/1013"), ("post", "/api/v4/cases")):
        response = getattr(client, method)(path, data=raw_case_body(field, number), content_type="application/json",
                                           headers=v4.headers("frank"))
        assert errors_of(response)["errors"][f"caseData.{field}"] == "invalidCaseField", (method, number[:20])
    unchanged.check()


def test_a_case_data_text_over_1024_characters_is_too_long(v4, unchanged):
    body = {"categoryCode": "Reclamo", "typeCode": "Telefonico", "caseData": {"Linea": "5" * 100_000}}
    assert errors_of(v4.update(1008, body))["errors"]["caseData.Linea"] == "TooLong"
    assert errors_of(v4.create(body))["errors"]["caseData.Linea"] == "TooLong"
    unchanged.check()


def test_the_extreme_case_data_numbers_are_read_back_equal(v4, client):
    body = raw_case_body("Decimal6534", "1e308").replace(b'"Number6534": 2500', b'"Number6534": 9223372036854775807')
    response = client.put("/api/v4/cases/1013", data=body, content_type="application/json",
                          headers=v4.headers("frank"))
    assert response.status_code == 201, response.get_data(as_text=True)
    data = v4.read_case(1013)["caseData"]
    assert (data["Decimal6534"], data["Number6534"]) == (1e308, 9223372036854775807)


# -- comments: bounded per request, bounded per read -------------------------------

def comments(count: int, text: str = "a comment") -> list[dict]:
    return [{"description": text} for _ in range(count)]


def test_at_most_100_comments_per_request(v4, unchanged):
    for send in (lambda b: v4.update(1013, b), v4.create):
        answer = errors_of(send({"categoryCode": "Case6534", "typeCode": "Casetype6534",
                                 "comments": comments(101)}))
        assert answer["errors"]["comments"] == "LimitExceeded"
    unchanged.check()
    response = v4.update(1013, {"categoryCode": "Case6534", "typeCode": "Casetype6534", "comments": comments(100)})
    assert response.status_code == 201
    assert response.get_json()["case"]["commentCount"] == 100


def test_a_comment_over_1024_characters_is_too_long(v4, unchanged):
    body = {"categoryCode": "Case6534", "typeCode": "Casetype6534",
            "comments": [*comments(5), {"description": "x" * 1025}]}
    assert errors_of(v4.update(1013, body))["errors"]["comments[5].description"] == "TooLong"
    assert errors_of(v4.create(body))["errors"]["comments[5].description"] == "TooLong"
    unchanged.check()


@pytest.mark.parametrize("character", ["x", "\U0001F600", "\x01"], ids=["ascii", "emoji", "control"])
def test_a_case_with_1000_long_comments_reads_under_one_mib_with_the_newest_100(v4, db, character):
    add_comments(db, 1013, 1000, character * 1024)
    newest = db.execute("SELECT id FROM case_comment WHERE case_id = 1013 ORDER BY id DESC LIMIT 100").fetchall()

    read = v4.read(1013)
    put = v4.update(1013, {"categoryCode": "Case6534", "typeCode": "Casetype6534",
                           "comments": comments(1, character * 1024)})

    assert read.status_code == 200 and put.status_code == 201
    assert len(read.get_data()) < MIB and len(put.get_data()) < MIB
    case = read.get_json()  # the case object itself
    assert [c["id"] for c in case["comments"]] == sorted(row[0] for row in newest)
    assert case["commentCount"] == 1000
    assert put.get_json()["case"]["commentCount"] == 1001
    assert put.get_json()["case"]["comments"][-1]["description"] == character * 1024


def test_an_egain_read_is_the_same_however_many_comments_the_case_holds(egain, db):
    before = egain.read(1013)
    add_comments(db, 1013, 1000, "x" * 1024)
    after = egain.read(1013)
    assert after.status_code == 200
    assert after.get_data() == before.get_data()
