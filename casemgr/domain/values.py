"""Typed custom values: eGain sends every custom attribute as a string,
Thalamus sends case data as JSON values. Both land in one typed store."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from casemgr.domain.model import FieldDefinition

_INTEGER = re.compile(r"-?\d{1,18}")


def parse_field_value(definition: FieldDefinition, raw: str) -> Any:
    """The typed value of an eGain string, or None when it is not of the type."""
    kind = definition.data_type
    if kind == "string":
        return raw
    if kind == "integer":
        return int(raw) if _INTEGER.fullmatch(raw) else None
    if kind == "decimal":
        try:
            number = Decimal(raw)
        except InvalidOperation:
            return None
        return float(number) if number.is_finite() else None
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw.lower())
    if kind == "date":
        try:
            return date.fromisoformat(raw).isoformat()
        except ValueError:
            return None
    return None


def python_type_matches(definition: FieldDefinition, value: Any) -> bool:
    """Whether a JSON value (Thalamus caseData) is of the field's data type."""
    kind = definition.data_type
    if isinstance(value, bool):
        return kind == "boolean"
    if kind == "integer":
        return isinstance(value, int) and abs(value) < 10**18
    if kind == "decimal":
        return isinstance(value, (int, float)) and value == value and abs(value) < 1e300
    if kind == "string":
        return isinstance(value, str) and len(value) <= 1024
    if kind == "date":
        if not isinstance(value, str):
            return False
        try:
            date.fromisoformat(value)
        except ValueError:
            return False
        return True
    return False


def format_field_value(value: Any) -> str:
    """A stored value as eGain shows it: a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)
