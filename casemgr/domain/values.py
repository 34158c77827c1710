"""Typed values: what the service can store and print back unchanged.

eGain sends every custom attribute as a string, Thalamus sends case data as
JSON values (and the loader as YAML values); all of them land in one typed
store (jsonb) and are read back from it. A value is accepted only when it
comes back equal, so every parser here either returns the value to store or
raises ``errors.InvalidValue`` (``errors.ValueTooLong`` for a text over the
limit). Nothing else escapes: no overflow, no infinity, no crash.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from casemgr.domain import errors
from casemgr.domain.model import MAX_TEXT_LENGTH, FieldDefinition

# Integers are 64-bit, as every client language and the store's readers hold them.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# ASCII digits only: \d would also take ١٠١٣ (Arabic-Indic) and store it as 1013.
_INTEGER = re.compile(r"-?[0-9]{1,19}")
_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BOOLEANS = {"true": True, "false": False}


def _shown(raw: Any) -> str:
    """A refused value as an error message quotes it: never 100,000 characters."""
    try:
        text = str(raw)
    except ValueError:  # an int too long for Python to print
        return f"an integer of {raw.bit_length()} bits"
    return text if len(text) <= 40 else f"{text[:40]}… ({len(text)} characters)"


def _invalid(raw: Any, attribute: str, expected: str) -> errors.InvalidValue:
    return errors.InvalidValue(
        f"Invalid value '{_shown(raw)}' for '{attribute}': expected {expected}.", attribute=attribute,
        expected=expected,
    )


# -- eGain: every value is a string ------------------------------------------

def parse_field_value(definition: FieldDefinition, raw: str, attribute: str | None = None) -> Any:
    """The typed value of an eGain string, as it is stored."""
    attribute = attribute or definition.name
    kind = definition.data_type
    if kind == "string":
        return checked_text(raw, attribute)
    if len(raw) > MAX_TEXT_LENGTH:  # no number, date or boolean is this long: spare the parsers
        raise _invalid(raw, attribute, definition.data_type)
    if kind == "integer":
        if not _INTEGER.fullmatch(raw):
            raise _invalid(raw, attribute, "an integer (ASCII digits, an optional leading minus)")
        return checked_integer(int(raw), attribute)
    if kind == "decimal":
        if not _DECIMAL.fullmatch(raw):
            raise _invalid(raw, attribute, "a decimal number")
        return checked_decimal(raw, attribute)
    if kind == "boolean":
        if raw.lower() not in _BOOLEANS:
            raise _invalid(raw, attribute, "true or false")
        return _BOOLEANS[raw.lower()]
    if kind == "date":
        return checked_date(raw, attribute)
    raise _invalid(raw, attribute, f"a value of type {kind}")


# -- Thalamus and the loader: JSON (or YAML) values ---------------------------

def field_value_from_json(definition: FieldDefinition, value: Any, attribute: str | None = None) -> Any:
    """The typed value of a JSON value (Thalamus caseData), as it is stored.
    Numbers may come as int, float or Decimal (the API parses JSON numbers
    into Decimal, so that the number as written is what is judged)."""
    attribute = attribute or definition.name
    kind = definition.data_type
    if kind == "boolean" and isinstance(value, bool):
        return value
    if isinstance(value, bool):
        raise _invalid(value, attribute, f"a value of type {kind}")
    if kind == "integer" and isinstance(value, int):
        return checked_integer(value, attribute)
    if kind == "decimal" and isinstance(value, (int, float, Decimal)):
        return checked_decimal(value, attribute)
    if kind == "string" and isinstance(value, str):
        return checked_text(value, attribute)
    if kind == "date" and isinstance(value, str):
        return checked_date(value, attribute)
    raise _invalid(value, attribute, f"a value of type {kind}")


# -- the rules of each type ----------------------------------------------------

def checked_text(text: str, attribute: str) -> str:
    """A text holds at most 1024 characters, like every text of a case."""
    if len(text) > MAX_TEXT_LENGTH:
        raise errors.ValueTooLong(
            f"Value of '{attribute}' exceeds {MAX_TEXT_LENGTH} characters.", attribute=attribute, limit=MAX_TEXT_LENGTH
        )
    return text


def checked_integer(number: int, attribute: str) -> int:
    if not INT64_MIN <= number <= INT64_MAX:
        raise _invalid(number, attribute, "an integer of at most 64 bits")
    return number


def checked_decimal(number: int | float | str | Decimal, attribute: str) -> float:
    """A decimal is stored as a double, the number type of JSON clients. It is
    accepted when that double prints back as the very number given: which
    refuses NaN and infinity, magnitudes beyond ±1.8e308, a non-zero value
    that would round to zero, and more significant digits than a double keeps
    (about 17), instead of storing something else than was sent."""
    try:
        exact = number if isinstance(number, Decimal) else Decimal(str(number) if isinstance(number, float) else number)
    except (InvalidOperation, ValueError):  # an exponent beyond what Decimal holds
        raise _invalid(number, attribute, "a decimal number") from None
    if not exact.is_finite():
        raise _invalid(number, attribute, "a finite decimal number")
    stored = float(exact)
    if stored in (float("inf"), float("-inf")) or Decimal(repr(stored)) != exact:
        raise _invalid(number, attribute,
                       "a decimal number that a double holds exactly (at most 17 significant digits, "
                       "within ±1.8e308)")
    return stored


def checked_date(text: str, attribute: str) -> str:
    """A calendar date, YYYY-MM-DD, stored in that form."""
    if not _DATE.fullmatch(text):
        raise _invalid(text, attribute, "a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise _invalid(text, attribute, "a date (YYYY-MM-DD)") from None


def parse_moment(text: str, attribute: str) -> datetime:
    """An ISO-8601 date-time, with or without fractions of a second, with any
    UTC offset ('Z' too); without an offset it is UTC. It must be a moment the
    service can store and print (``checked_moment``)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise _invalid(text, attribute, "an ISO-8601 date-time") from None
    return checked_moment(moment, attribute)


def checked_moment(moment: datetime, attribute: str) -> datetime:
    """A moment the service can store and print, in UTC: its UTC form must lie
    within years 1 to 9999 (Python's datetime range, inside Postgres's
    timestamptz range), so it always prints as YYYY-MM-DDTHH:MM:SS.sssZ. A
    moment without an offset is taken as UTC. The moment comes back in UTC
    because Postgres takes no offset beyond ±15:59, where ISO-8601 allows ±23:59."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        raise errors.InvalidValue(
            f"Invalid value '{_shown(moment.isoformat())}' for '{attribute}': expected a date-time within the "
            "years 0001 to 9999 in UTC.", attribute=attribute,
        ) from None


# -- reading back ---------------------------------------------------------------

def stored_field_value(data_type: str, value: Any) -> Any:
    """A value as read from the store. A decimal comes back as the double it
    was stored as: the store prints a large one without its exponent
    (1e+22 as 10000000000000000000000), which JSON readers take for an int."""
    if data_type == "decimal" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


_EXPONENT_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?[eE][+-]?[0-9]+")


def stored_text_of_shown(shown: str) -> str:
    """The text the store holds for a custom value that a read shows as
    ``shown``, so that case search finds what a read shows. A decimal is
    shown as Python writes a float (1e-07, 1e+22) and held as Postgres writes
    a number, never with an exponent (0.0000001, 10000000000000000000000);
    every other value is held as it is shown."""
    if _EXPONENT_NUMBER.fullmatch(shown):
        return format(Decimal(shown), "f")
    return shown


def format_field_value(value: Any) -> str:
    """A stored value as eGain shows it: a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)
