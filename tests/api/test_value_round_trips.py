"""The value round trips through the real stack: HTTP, the domain, Postgres
(jsonb, timestamptz) and back. Whatever value is sent, the answer is 204 and
the next read shows the same value, or 400 with the invalid-value code; never
a 500, never a value that comes back different."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.clients import EgainV12Client
from tests.api.thalamus_v4_client import ThalamusV4Client

# The app and its database are set up once per test function, and each example
# is a whole edit on the same case: that the state carries over is the point.
ROUND_TRIP = settings(max_examples=60, derandomize=True, database=None, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
NUMBER_TEXT = st.one_of(
    st.from_regex(r"\A-?[0-9]{1,22}(\.[0-9]{1,22})?([eE][+-]?[0-9]{1,3})?\Z"),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
REFUSED_VALUE = ("400-152",)
JSON_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def shown_custom_values(v12: EgainV12Client) -> dict[str, str]:
    case = v12.read_case(1013)
    return {a["attribName"]: a["attribValues"]["attribValue"][0]["value"]
            for a in case.get("customAttributes", {}).get("customAttribute", ())}


@ROUND_TRIP
@given(text=NUMBER_TEXT)
def test_a_decimal_custom_attribute_is_read_back_as_the_number_sent_or_refused(v12, text):
    response = v12.edit(1013, v12.custom("amount", text))
    if response.status_code == 400:
        assert response.get_json()["code"] in REFUSED_VALUE
        return
    assert response.status_code == 204, response.get_data(as_text=True)
    assert Decimal(shown_custom_values(v12)["amount"]) == Decimal(text)


@ROUND_TRIP
@given(text=NUMBER_TEXT)
def test_an_integer_custom_attribute_is_read_back_as_sent_or_refused(v12, text):
    response = v12.edit(1013, v12.custom("customer_rating", text))
    if response.status_code == 400:
        assert response.get_json()["code"] in REFUSED_VALUE
        return
    assert response.status_code == 204, response.get_data(as_text=True)
    assert int(shown_custom_values(v12)["customer_rating"]) == int(text)


@ROUND_TRIP
@given(moment=st.datetimes(min_value=datetime(2027, 1, 1), max_value=datetime(9999, 12, 31, 23, 59)),
       minutes=st.integers(min_value=-1439, max_value=1439))
def test_a_due_date_is_read_back_as_the_same_moment_or_refused(v12, moment, minutes):
    sent = moment.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    response = v12.edit(1013, {"dueDate": sent.isoformat()})
    if response.status_code == 400:
        assert response.get_json()["code"] in REFUSED_VALUE
        assert moment - datetime.max > timedelta(minutes=minutes)  # in UTC it lies after the year 9999
        return
    assert response.status_code == 204, response.get_data(as_text=True)
    shown = datetime.fromisoformat(v12.read_case(1013)["dueDate"])
    assert shown == sent.replace(microsecond=sent.microsecond // 1000 * 1000)


@ROUND_TRIP
@given(text=NUMBER_TEXT.filter(JSON_NUMBER.fullmatch))
def test_a_thalamus_decimal_is_read_back_as_the_number_sent_or_refused(client, text):
    v4 = ThalamusV4Client(client)
    body = json.dumps({"categoryCode": "Case6534", "typeCode": "Casetype6534",
                       "caseData": {"Boolean6534": True, "Decimal6534": 0, "Number6534": 1}})
    body = body.replace('"Decimal6534": 0', f'"Decimal6534": {text}')
    response = client.put("/api/v4/cases/1013", data=body, content_type="application/json",
                          headers=v4.headers("frank"))
    if response.status_code == 400:
        assert response.get_json()["errors"]["caseData.Decimal6534"] == "invalidCaseField"
        return
    assert response.status_code == 201, response.get_data(as_text=True)
    # the answer is read after the write: what was stored, as Thalamus shows it
    shown = json.loads(response.get_data(), parse_float=Decimal, parse_int=Decimal)["case"]["caseData"]
    assert shown["Decimal6534"] == Decimal(text)
