"""The loader's database side. The use case (validate a YAML document, then
write it) is ``casemgr.service.loading``; here are the store it writes
through, ``PostgresLoadStore``, and the entry points that run it in one
transaction: ``load_file`` (a file, on its own connection) and ``load_data``
(a parsed document, on the caller's connection).

Every named query of ``sql/queries/loader.sql`` runs for one entry of the
file, so a database error becomes a LoadError naming that entry (the
transaction then rolls back).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import psycopg
from psycopg.rows import dict_row

from casemgr.config import Settings
from casemgr.db.jsonvalues import to_jsonb
from casemgr.db.repositories import case_state_from_json, change_to_json
from casemgr.db.sql import query
from casemgr.domain import history
from casemgr.domain.model import CaseState, FieldDefinition
from casemgr.service.loading import Catalog, LoadError, PlannedCase, load_document, read_document
from casemgr.service.passwords import PasswordHashing

__all__ = ["PostgresLoadStore", "load_data", "load_file"]


def load_file(conninfo: str, path: Path) -> dict[str, int]:
    """Load a YAML file into the database at ``conninfo``; the number of
    entries per section."""
    data = read_document(Path(path))
    with psycopg.connect(conninfo, autocommit=True) as conn:
        return load_data(conn, data)


def load_data(conn: psycopg.Connection, data: Any) -> dict[str, int]:
    """Validate ``data`` (a parsed YAML document) and write it, all in one
    transaction (a savepoint when ``conn`` is already in one)."""
    with conn.transaction():
        return load_document(PostgresLoadStore(conn), data, _password_hashing)


_hashing: PasswordHashing | None = None


def _password_hashing() -> PasswordHashing:
    """The hashing of CASEMGR_PASSWORD_HASH_PROFILE, built on first use: the
    loader runs from the command line, outside any app."""
    global _hashing
    if _hashing is None:
        _hashing = PasswordHashing(Settings.from_env().password_hash_profile)
    return _hashing


class PostgresLoadStore:
    """``casemgr.service.loading.LoadStore`` on one connection, inside the
    load's transaction."""

    def __init__(self, conn: psycopg.Connection):
        self._conn = conn

    def _run(self, name: str, params: dict, path: str) -> list[dict]:
        """Run a named query for the entry at ``path``; a database error becomes a
        LoadError naming that entry (the transaction then rolls back)."""
        try:
            with self._conn.cursor(row_factory=dict_row) as cur:
                cur.execute(query(name), params)
                return cur.fetchall() if cur.description else []
        except psycopg.Error as exc:
            diag = exc.diag
            detail = f" ({diag.message_detail})" if diag.message_detail else ""
            message = diag.message_primary or str(exc).strip() or type(exc).__name__
            raise LoadError([(path, f"the database refused it: {message}{detail}")]) from exc

    def lock(self, case_ids: list[int]) -> list[int]:
        self._run("loader_lock", {}, "(load)")
        return [row["id"] for row in self._run("loader_lock_cases", {"ids": case_ids}, "cases")]

    # -- what already exists ----------------------------------------------------

    def _select(self, name: str, params: dict | None = None) -> list[dict]:
        return self._run(name, params or {}, "(database)")

    def read_catalog(self, case_ids: list[int]) -> Catalog:
        categories: dict[str, bool] = {}
        case_fields: dict[tuple[str, str], dict[str, FieldDefinition]] = {}
        for row in self._select("loader_existing_case_fields"):
            categories[row["category"]] = row["is_system"]
            if row["type"] is not None:
                fields = case_fields.setdefault((row["category"], row["type"]), {})
                if row["field"] is not None:
                    fields[row["field"]] = FieldDefinition(row["field_id"], row["field"], row["data_type"])
        return Catalog(
            departments={r["name"] for r in self._select("loader_existing_departments")},
            users={r["login"]: r for r in self._select("loader_existing_users")},
            customers={r["id"]: r for r in self._select("loader_existing_customers")},
            custom_attributes={r["name"]: _definition(r) for r in self._select("loader_existing_custom_attributes")},
            statuses={r["name"]: r for r in self._select("loader_existing_statuses")},
            resolutions={r["name"] for r in self._select("loader_existing_resolutions")},
            categories=categories,
            case_fields=case_fields,
            oauth_secret_hashes={
                r["client_id"]: r["secret_hash"] for r in self._select("loader_existing_oauth_clients")
            },
            relations={
                r["case_id"]: frozenset(r["related_ids"])
                for r in self._select("loader_existing_relations", {"ids": case_ids})
            },
        )

    # -- writes, with the named upserts -------------------------------------------

    def advance_identity_sequences(self, largest_ids: dict[str, int | None]) -> None:
        self._run("advance_identity_sequences", largest_ids, "(identity sequences)")

    def write_departments(self, departments: list[dict]) -> None:
        for entry in departments:
            self._run("upsert_department", entry, entry["path"])
        for entry in departments:
            self._run("replace_department_shares", entry, f"{entry['path']}.sharedWith")

    def write_users(self, users: list[dict]) -> None:
        for entry in users:
            self._run("upsert_user", entry, entry["path"])
        for entry in users:  # permissions name users that may come later in the file
            self._run("replace_user_foreign_departments",
                      {"login": entry["login"], "departments": entry["foreign_departments"]},
                      f"{entry['path']}.foreignDepartments")
            self._run("replace_user_permissions", entry, f"{entry['path']}.permissions")

    def write_customers(self, customers: list[dict]) -> None:
        for entry in customers:
            self._run("upsert_customer", entry, entry["path"])

    def write_custom_attributes(self, custom_attributes: list[dict]) -> None:
        for entry in custom_attributes:
            self._run("upsert_custom_attribute", entry, entry["path"])

    def write_statuses(self, statuses: list[dict], initial_status: str | None) -> None:
        if initial_status is not None:
            self._run("clear_other_initial_status", {"name": initial_status}, "statuses")
        for entry in statuses:
            self._run("upsert_status", entry, entry["path"])
        for entry in statuses:  # transitions name statuses that may come later in the file
            self._run("replace_status_transitions", {"name": entry["name"], "next": entry["next"]},
                      f"{entry['path']}.next")

    def write_resolutions(self, resolutions: list[dict]) -> None:
        for entry in resolutions:
            self._run("upsert_resolution", entry, entry["path"])

    def write_categories(self, categories: list[dict], case_types: list[dict]) -> None:
        for entry in categories:
            self._run("upsert_category", entry, entry["path"])
        for entry in case_types:
            self._run("upsert_case_type", entry, entry["path"])
            self._run("upsert_case_fields", {**entry, "type": entry["code"]}, f"{entry['path']}.fields")

    def write_touchpoints(self, touchpoints: list[dict]) -> None:
        for entry in touchpoints:
            self._run("upsert_touchpoint", entry, entry["path"])
            self._run("replace_touchpoint_categories", entry, f"{entry['path']}.categories")

    def write_oauth_clients(self, oauth_clients: list[dict]) -> None:
        for entry in oauth_clients:
            self._run("upsert_oauth_client", entry, entry["path"])

    def write_cases(self, cases: list[PlannedCase]) -> set[int]:
        """Rows first (relations need both ends), then values and relations. A case
        whose row, values or relations changed gets a new lastModified, and so does
        the other end of every relation added or removed; an unchanged case keeps it.
        Returns the cases inserted or changed."""
        changed: set[int] = set()
        inserted: set[int] = set()
        for case in cases:
            for row in self._run("upsert_case", case.row, case.path):
                (inserted if row["inserted"] else changed).add(row["id"])
        for case in cases:
            values = {"case_id": case.id, "attributes": to_jsonb(case.attributes),
                      "case_data": to_jsonb(case.case_data)}
            if self._run("replace_case_custom_values", values, case.path)[0]["changed"]:
                changed.add(case.id)
            relations = {"case_id": case.id, "related_ids": case.related}
            others = [row["other"] for row in
                      self._run("replace_case_relations", relations, f"{case.path}.relatedCases")]
            if others:
                changed.update([case.id, *others])
        self._run("bump_last_modified", {"ids": sorted(changed - inserted)}, "cases")
        return changed | inserted

    # -- the history ------------------------------------------------------------

    def case_states(self, case_ids: Iterable[int]) -> dict[int, CaseState]:
        rows = self._run("get_case_states", {"ids": sorted(case_ids)}, "cases")
        return {state.id: state for state in (case_state_from_json(row["case_row"]) for row in rows)}

    def custom_fields(self) -> list[dict[str, Any]]:
        return self._run("list_custom_fields", {}, "cases")

    def insert_history(self, entries: list[dict[str, Any]]) -> None:
        rows = [{**entry, "changes": [change_to_json(change) for change in entry["changes"]]} for entry in entries]
        self._run("insert_load_history", {"api": history.LOAD, "entries": to_jsonb(rows)}, "cases")


def _definition(row: dict) -> FieldDefinition:
    allowed = row["allowed_values"]
    return FieldDefinition(row["id"], row["name"], row["data_type"], tuple(allowed) if allowed is not None else None)
