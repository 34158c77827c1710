"""Thalamus v4 storage: new cases and the catalogue of types by category."""

from __future__ import annotations

from datetime import datetime

from casemgr.db.jsonvalues import to_jsonb
from casemgr.db.repositories import (
    NamedQueries,
    case_columns,
    given_or_none,
    change_to_json,
    classification_from_json,
    field_from_json,
    named_ref_from_json,
)
from casemgr.domain.create import CreateCase, CreationFacts, NewCase
from casemgr.domain.model import Actor
from casemgr.domain.readmodel import TypeCategoryView


class PgThalamusRepository(NamedQueries):
    def load_creation_facts(self, cmd: CreateCase) -> CreationFacts:
        row = self._one("get_creation_facts", {
            "category_code": cmd.category_code or None,
            "type_code": cmd.type_code or None,
            "status_name": given_or_none(cmd.status_name),
            "resolution_name": given_or_none(cmd.resolution_name),
        })
        return CreationFacts(
            now=row["now"],
            party_department_id=row["party_department_id"],
            initial_status=named_ref_from_json(row["initial_status"]),
            classification=classification_from_json(row["classification"]),
            status=named_ref_from_json(row["status"]),
            resolution=named_ref_from_json(row["resolution"]),
        )

    def insert_case(self, new_case: NewCase, actor: Actor, api: str) -> tuple[int, datetime]:
        columns = case_columns(new_case.values)
        row = self._one("insert_case", {
            "department_id": columns["department_id"],
            "customer_id": columns.get("customer_id"),
            "status_id": columns["status_id"],
            "resolution_id": columns.get("resolution_id"),
            "category_id": columns.get("category_id"),
            "case_type_id": columns.get("case_type_id"),
            "created_at": new_case.created_at,
            "last_closed": columns.get("last_closed"),
            "custom_values": to_jsonb({str(k): v for k, v in new_case.custom_values.items()}),
            "comments": list(new_case.comments),
            "api": api,
            "actor_user_id": actor.user_id,
            "actor_customer_id": actor.customer_id,
            "actor_client_id": actor.client_id,
            "changes": to_jsonb([change_to_json(c) for c in new_case.changes]),
            "activity": new_case.activity,
        })
        return row["id"], row["last_modified"]

    def type_categories(self, type_code: str | None, category_code: str | None) -> list[TypeCategoryView]:
        rows = self._all("list_type_categories", {"type_code": type_code, "category_code": category_code})
        return [TypeCategoryView(**{**row, "fields": tuple(field_from_json(f) for f in row["fields"])})
                for row in rows]

