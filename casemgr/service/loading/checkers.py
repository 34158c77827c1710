"""Value checkers: each returns the (normalized) value or raises Invalid."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Callable

from casemgr.domain.errors import InvalidValue
from casemgr.domain.model import MAX_TEXT_LENGTH
from casemgr.domain.values import checked_moment, parse_moment


class Invalid(ValueError):
    """A value of the wrong type or out of range; the message says what is expected."""


Checker = Callable[[Any], Any]


def describe(value: Any) -> str:
    """A value's YAML kind, for messages."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, (datetime, date)):
        return "a date"
    return {dict: "a mapping", list: "a list", str: "a string"}.get(type(value), type(value).__name__)


def _string(max_length: int, min_length: int = 0) -> Checker:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise Invalid(f"expected a string, got {describe(value)}")
        if len(value) < min_length:
            raise Invalid("must not be empty")
        if len(value) > max_length:
            raise Invalid(f"is {len(value)} characters long; at most {max_length} are allowed")
        return value
    return check


valid_name = _string(255, 1)
valid_label = _string(255)
valid_email = _string(320, 1)
valid_secret = _string(1024, 1)
valid_text = _string(MAX_TEXT_LENGTH)


_PHONE = re.compile(r"\+?[0-9]{1,31}")


def valid_phone(value: Any) -> str:
    """Unformatted, as eGain's case search matches it (and the database's
    check holds): digits after an optional +. YAML reads an unquoted
    +15550100 as a number, dropping the + and any leading zero: only a
    string is taken."""
    if not isinstance(value, str):
        raise Invalid(f"expected a quoted phone number such as \"+15550100\", got {describe(value)}")
    if not _PHONE.fullmatch(value):
        raise Invalid(f"{value!r} is not an unformatted phone number: digits only, after an optional +, "
                      "at most 32 characters")
    return value


def one_of(allowed: dict[str, str] | tuple[str, ...]) -> Checker:
    """One of the allowed names, exactly: the rules compare names as they are
    written, so ``Edit case`` would be a name no rule ever grants."""
    mapping = allowed if isinstance(allowed, dict) else {a: a for a in allowed}

    def check(value: Any) -> str:
        if isinstance(value, str) and value in mapping:
            return mapping[value]
        spelled = next((name for name in mapping if isinstance(value, str) and name.lower() == value.lower()), None)
        hint = f" (did you mean {spelled!r}?)" if spelled else ""
        raise Invalid(f"{value!r} is not one of: {', '.join(mapping)}{hint}")
    return check


def valid_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"expected true or false, got {describe(value)}")
    return value


def valid_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise Invalid(f"expected a positive integer id, got {value!r}")
    return value


def valid_list(value: Any) -> list:
    if not isinstance(value, list):
        raise Invalid(f"expected a list, got {describe(value)}")
    return value


def valid_mapping(value: Any) -> dict:
    if not isinstance(value, dict):
        raise Invalid(f"expected a mapping, got {describe(value)}")
    return value


def valid_timestamp(value: Any) -> datetime:
    """ISO-8601 text, or what YAML made of it (a datetime, or a date for a bare
    day); without an offset it is UTC."""
    try:  # the rule of every date-time the APIs take: one the service can store and print
        if isinstance(value, str):
            return parse_moment(value, "dueDate")
        if isinstance(value, datetime):
            return checked_moment(value, "dueDate")
        if isinstance(value, date):
            return checked_moment(datetime(value.year, value.month, value.day), "dueDate")
    except InvalidValue as exc:
        raise Invalid(exc.message) from None
    raise Invalid(f"expected an ISO-8601 date-time, got {describe(value)}")
