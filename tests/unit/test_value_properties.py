"""Property-based tests of the value parsers: whatever a client sends, the
parser answers a value or the domain's invalid-value error, never a crash;
and what it accepts is stored and read back equal.

The parsers are the real ones: ``casemgr.domain.values`` (custom attributes,
case data, date-times), the API's JSON number handling (``wire.parse_json``)
and the one text form of a moment (``format_timestamp``)."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casemgr.api.wire import parse_json
from casemgr.db.jsonvalues import to_jsonb
from casemgr.domain import errors
from casemgr.domain.model import MAX_TEXT_LENGTH, FieldDefinition
from casemgr.domain.values import (
    INT64_MAX,
    INT64_MIN,
    field_value_from_json,
    format_field_value,
    parse_field_value,
    parse_moment,
    stored_field_value,
)
from casemgr.domain.versions import format_timestamp, to_millis

# Fixed seed and no example database: the same examples on every run and machine.
PROPERTY = settings(max_examples=300, derandomize=True, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

TYPES = ("string", "integer", "decimal", "boolean", "date")
FIELDS = {kind: FieldDefinition(1, f"{kind}_field", kind) for kind in TYPES}

# Text that looks like what each parser expects, and text that looks like nothing.
NUMBER_TEXT = st.from_regex(r"\A-?[0-9]{0,25}(\.[0-9]{0,25})?([eE][+-]?[0-9]{1,5})?\Z")
LOOKALIKE_TEXT = st.one_of(
    NUMBER_TEXT,
    st.from_regex(r"\A[0-9]{1,6}-[0-9]{1,2}-[0-9]{1,2}\Z"),
    st.sampled_from(["1e400", "-1e400", "1" * 5000, "1." + "1" * 5000, "NaN", "inf", "-0", "١٠١٣", "１２",
                     "9223372036854775808", "-9223372036854775809", "TRUE", "False", "x" * 1025,
                     "9999-12-31", "0000-01-01", "2024-02-30", "2024-W01-1", "20240101"]),
    st.text(max_size=40),
)
JSON_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.decimals(), st.text(max_size=40),
    st.text(max_size=1030, min_size=1020), st.dates().map(date.isoformat),
)
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6)


def stored_and_read_back(value):
    """A value through the store's JSON, as the repositories write it and
    psycopg reads it back. jsonb keeps a number as a numeric and prints it
    without an exponent (1e+22 comes back as 10000000000000000000000)."""
    text = to_jsonb(value).dumps(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = format(Decimal(text), "f")
    return json.loads(text)


# -- whatever comes, a value or the invalid-value error ------------------------

@PROPERTY
@given(kind=st.sampled_from(TYPES), raw=LOOKALIKE_TEXT)
def test_an_egain_string_is_a_value_or_an_invalid_value(kind, raw):
    try:
        value = parse_field_value(FIELDS[kind], raw)
    except errors.InvalidValue:
        return
    assert kind == "string" or raw.isascii()  # ١٠١٣ is not 1013
    read_back = stored_field_value(kind, stored_and_read_back(value))
    assert parse_field_value(FIELDS[kind], format_field_value(read_back)) == value


@PROPERTY
@given(kind=st.sampled_from(TYPES), value=JSON_VALUES)
def test_a_json_case_data_value_is_a_value_or_an_invalid_value(kind, value):
    try:
        stored = field_value_from_json(FIELDS[kind], value)
    except errors.InvalidValue:
        return
    assert stored_field_value(kind, stored_and_read_back(stored)) == stored


@PROPERTY
@given(text=st.one_of(
    st.text(max_size=40),
    st.datetimes().map(datetime.isoformat),
    st.builds(lambda moment, minutes: moment.replace(tzinfo=timezone(timedelta(minutes=minutes))).isoformat(),
              st.datetimes(), st.integers(min_value=-1439, max_value=1439)),
    st.sampled_from(["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "2030-01-01T24:00:00Z"]),
))
def test_a_date_time_is_a_moment_or_an_invalid_value(text):
    try:
        moment = parse_moment(text, "dueDate")
    except errors.InvalidValue:
        return
    assert moment.tzinfo is not None
    assert len(format_timestamp(moment)) == len("2030-01-01T00:00:00.000Z")


# -- what is accepted is read back equal ---------------------------------------

@PROPERTY
@given(number=st.integers())
def test_an_integer_is_accepted_exactly_when_64_bits_hold_it_and_reads_back_equal(number):
    try:
        value = parse_field_value(FIELDS["integer"], str(number))
    except errors.InvalidValue:
        assert not INT64_MIN <= number <= INT64_MAX
        return
    assert INT64_MIN <= number <= INT64_MAX
    shown = format_field_value(stored_field_value("integer", stored_and_read_back(value)))
    assert shown == str(number)
    assert field_value_from_json(FIELDS["integer"], json.loads(shown)) == number


@PROPERTY
@given(text=st.one_of(NUMBER_TEXT, st.floats(allow_nan=False, allow_infinity=False).map(repr),
                      st.decimals(allow_nan=False, allow_infinity=False).map(str)))
def test_a_decimal_that_is_accepted_reads_back_as_the_same_number(text):
    try:
        value = parse_field_value(FIELDS["decimal"], text)
    except errors.InvalidValue:
        return
    shown = format_field_value(stored_field_value("decimal", stored_and_read_back(value)))
    assert Decimal(shown) == Decimal(text)
    if JSON_NUMBER.fullmatch(text):  # the same number through Thalamus: JSON in, the same double out
        assert field_value_from_json(FIELDS["decimal"], parse_json(f"[{text}]".encode())[0]) == value


@PROPERTY
@given(number=st.floats(allow_nan=False, allow_infinity=False))
def test_every_finite_double_is_a_decimal_the_store_keeps(number):
    value = parse_field_value(FIELDS["decimal"], repr(number))
    assert stored_field_value("decimal", stored_and_read_back(value)) == number


@pytest.mark.parametrize("text", ["1e400", "-1e400", "1" * 5000, "1." + "1" * 5000, "1e-400", "NaN", "Infinity",
                                  "1e99999999999999999999", "0.12345678901234567890"])
def test_a_decimal_a_double_cannot_hold_as_written_is_refused(text):
    with pytest.raises(errors.InvalidValue):
        parse_field_value(FIELDS["decimal"], text)
    with pytest.raises(errors.InvalidValue):
        field_value_from_json(FIELDS["decimal"], parse_json(f"[{text}]".encode())[0])


@PROPERTY
@given(day=st.dates())
def test_a_date_reads_back_as_written(day):
    text = day.isoformat()
    value = parse_field_value(FIELDS["date"], text)
    assert format_field_value(stored_and_read_back(value)) == text
    assert field_value_from_json(FIELDS["date"], text) == text


@PROPERTY
@given(raw=st.sampled_from(["true", "false", "TRUE", "False", "tRuE"]))
def test_a_boolean_reads_back_as_its_lower_case_word(raw):
    value = parse_field_value(FIELDS["boolean"], raw)
    assert format_field_value(stored_and_read_back(value)) == raw.lower()


@PROPERTY
@given(text=st.text(max_size=MAX_TEXT_LENGTH + 20))
def test_a_text_up_to_1024_characters_reads_back_as_written(text):
    try:
        value = parse_field_value(FIELDS["string"], text)
    except errors.ValueTooLong:
        assert len(text) > MAX_TEXT_LENGTH
        return
    assert len(text) <= MAX_TEXT_LENGTH
    assert stored_and_read_back(value) == text


@PROPERTY
@given(moment=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
       minutes=st.integers(min_value=-1439, max_value=1439))
def test_a_moment_prints_and_parses_back_to_itself_at_millisecond_precision(moment, minutes):
    sent = moment.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    parsed = parse_moment(sent.isoformat(), "dueDate")
    printed = format_timestamp(parsed)
    assert parse_moment(printed, "dueDate") == to_millis(sent)
    assert printed == format_timestamp(parse_moment(printed, "dueDate"))
