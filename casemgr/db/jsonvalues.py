"""JSON as it travels to and from Postgres (history entries, typed values)."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from psycopg.types.json import Jsonb

from casemgr.domain.versions import format_timestamp


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value)
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def to_jsonb(value: Any) -> Jsonb:
    return Jsonb(value, dumps=lambda obj: json.dumps(obj, default=_default, ensure_ascii=False))


def columns_to_jsonb(columns: dict[str, Any]) -> Jsonb:
    """Column values for jsonb_populate_record: timestamps in full ISO form,
    not the millisecond form of history entries, so each is stored exactly
    as given (a due date may carry microseconds), and in UTC, because
    Postgres takes no offset beyond ±15:59."""
    return to_jsonb({name: value.astimezone(timezone.utc).isoformat() if isinstance(value, datetime) else value
                     for name, value in columns.items()})


def parse_timestamp(value: str | datetime | None) -> datetime | None:
    """Timestamps inside row_to_json output arrive as ISO strings."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)
