"""What the database already holds: the rows a file may refer to or must not
collide with, read in the load's transaction before validation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from casemgr.db.loader.queries import _run
from casemgr.domain.model import FieldDefinition


@dataclass
class _Catalog:
    """The rows a file may refer to or must not collide with, read in the
    load's transaction before validation."""

    departments: set[str]
    users: dict[str, dict]  # login -> {id, email (lower case), password_hash}
    customers: dict[int, dict]  # id -> {email (lower case), password_hash}
    custom_attributes: dict[str, FieldDefinition]
    statuses: dict[str, dict]  # name -> {state, is_initial}
    resolutions: set[str]
    categories: dict[str, bool]  # code -> is a system node
    case_fields: dict[tuple[str, str], dict[str, FieldDefinition]]  # (category, type) -> fields
    oauth_secret_hashes: dict[str, str]
    relations: dict[int, frozenset[int]]  # existing case (of those the file mentions) -> related ids


def _select(conn: psycopg.Connection, name: str, params: dict | None = None) -> list[dict]:
    return _run(conn, name, params or {}, "(database)")


def _read_catalog(conn: psycopg.Connection, case_ids: list[int]) -> _Catalog:
    categories: dict[str, bool] = {}
    case_fields: dict[tuple[str, str], dict[str, FieldDefinition]] = {}
    for row in _select(conn, "loader_existing_case_fields"):
        categories[row["category"]] = row["is_system"]
        if row["type"] is not None:
            fields = case_fields.setdefault((row["category"], row["type"]), {})
            if row["field"] is not None:
                fields[row["field"]] = FieldDefinition(row["field_id"], row["field"], row["data_type"])
    return _Catalog(
        departments={r["name"] for r in _select(conn, "loader_existing_departments")},
        users={r["login"]: r for r in _select(conn, "loader_existing_users")},
        customers={r["id"]: r for r in _select(conn, "loader_existing_customers")},
        custom_attributes={r["name"]: _definition(r) for r in _select(conn, "loader_existing_custom_attributes")},
        statuses={r["name"]: r for r in _select(conn, "loader_existing_statuses")},
        resolutions={r["name"] for r in _select(conn, "loader_existing_resolutions")},
        categories=categories,
        case_fields=case_fields,
        oauth_secret_hashes={
            r["client_id"]: r["secret_hash"] for r in _select(conn, "loader_existing_oauth_clients")
        },
        relations={
            r["case_id"]: frozenset(r["related_ids"])
            for r in _select(conn, "loader_existing_relations", {"ids": case_ids})
        },
    )


def _definition(row: dict) -> FieldDefinition:
    allowed = row["allowed_values"]
    return FieldDefinition(row["id"], row["name"], row["data_type"], tuple(allowed) if allowed is not None else None)


def _mentioned_case_ids(data: Any) -> list[int]:
    """Every case id the document names (as a case or a related case), read
    leniently: the ids are only needed to lock and look up those cases before
    the document is validated."""
    cases = data.get("cases") if isinstance(data, dict) else None
    ids: set[int] = set()
    for entry in cases if isinstance(cases, list) else ():
        if not isinstance(entry, dict):
            continue
        related = entry.get("relatedCases")
        for value in [entry.get("id"), *(related if isinstance(related, list) else ())]:
            if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63:
                ids.add(value)
    return sorted(ids)
