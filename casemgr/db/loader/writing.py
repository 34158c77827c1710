"""Writing the plan, in dependency order, with the named upserts."""

from __future__ import annotations

import psycopg

from casemgr.db.jsonvalues import to_jsonb
from casemgr.db.repositories import case_state_from_json, change_to_json
from casemgr.db.loader.plan import _Plan, _PlannedCase
from casemgr.db.loader.queries import _run
from casemgr.config import Settings
from casemgr.domain import history
from casemgr.domain.model import CaseState
from casemgr.service.passwords import PasswordHashing

_hashing: PasswordHashing | None = None


def _password_hashing() -> PasswordHashing:
    """The hashing of CASEMGR_PASSWORD_HASH_PROFILE, built on first use: the
    loader runs from the command line, outside any app."""
    global _hashing
    if _hashing is None:
        _hashing = PasswordHashing(Settings.from_env().password_hash_profile)
    return _hashing


def _write(conn: psycopg.Connection, plan: _Plan, locked_case_ids: list[int]) -> None:
    """Write in dependency order: each section refers only to earlier ones,
    or to its own entries in a second pass once all of them exist. Every
    case the load creates or changes gets a history entry; ``locked_case_ids``
    are the cases it may change, locked before validation."""
    _run(conn, "advance_identity_sequences", plan.largest_ids(), "(identity sequences)")
    for entry in plan.departments:
        _run(conn, "upsert_department", entry, entry["path"])
    for entry in plan.departments:
        _run(conn, "replace_department_shares", entry, f"{entry['path']}.sharedWith")
    _write_users(conn, plan.users)
    for entry in plan.customers:
        _run(conn, "upsert_customer", {**entry, "password_hash": _kept_hash(entry)}, entry["path"])
    for entry in plan.custom_attributes:
        _run(conn, "upsert_custom_attribute", entry, entry["path"])
    _write_statuses(conn, plan)
    for entry in plan.resolutions:
        _run(conn, "upsert_resolution", entry, entry["path"])
    for entry in plan.categories:
        _run(conn, "upsert_category", entry, entry["path"])
    for entry in plan.case_types:
        _run(conn, "upsert_case_type", entry, entry["path"])
        _run(conn, "upsert_case_fields", {**entry, "type": entry["code"]}, f"{entry['path']}.fields")
    for entry in plan.touchpoints:
        _run(conn, "upsert_touchpoint", entry, entry["path"])
    for entry in plan.oauth_clients:
        _run(conn, "upsert_oauth_client", {**entry, "secret_hash": _kept_hash(entry, "secret")}, entry["path"])
    before = _case_states(conn, locked_case_ids)
    touched = _write_cases(conn, plan.cases)
    _record_history(conn, before, touched)


def _kept_hash(entry: dict, secret_key: str = "password") -> str | None:
    """The stored Argon2 hash when it still matches the file's password, so a
    reload writes nothing; a fresh hash otherwise."""
    secret = entry[secret_key]
    if secret is None:
        return None
    hashing = _password_hashing()
    if entry["existing_hash"] and hashing.matches(entry["existing_hash"], secret):
        return entry["existing_hash"]
    return hashing.hash(secret)


def _write_users(conn: psycopg.Connection, users: list[dict]) -> None:
    for entry in users:
        _run(conn, "upsert_user", {**entry, "password_hash": _kept_hash(entry)}, entry["path"])
    for entry in users:  # permissions name users that may come later in the file
        _run(conn, "replace_user_foreign_departments",
             {"login": entry["login"], "departments": entry["foreign_departments"]},
             f"{entry['path']}.foreignDepartments")
        _run(conn, "replace_user_permissions", entry, f"{entry['path']}.permissions")


def _write_statuses(conn: psycopg.Connection, plan: _Plan) -> None:
    if plan.initial_status is not None:
        _run(conn, "clear_other_initial_status", {"name": plan.initial_status}, "statuses")
    for entry in plan.statuses:
        _run(conn, "upsert_status", entry, entry["path"])


def _write_cases(conn: psycopg.Connection, cases: list[_PlannedCase]) -> set[int]:
    """Rows first (relations need both ends), then values and relations. A case
    whose row, values or relations changed gets a new lastModified, and so does
    the other end of every relation added or removed; an unchanged case keeps it.
    Returns the cases inserted or changed."""
    changed: set[int] = set()
    inserted: set[int] = set()
    for case in cases:
        for row in _run(conn, "upsert_case", case.row, case.path):
            (inserted if row["inserted"] else changed).add(row["id"])
    for case in cases:
        values = {"case_id": case.id, "attributes": to_jsonb(case.attributes), "case_data": to_jsonb(case.case_data)}
        if _run(conn, "replace_case_custom_values", values, case.path)[0]["changed"]:
            changed.add(case.id)
        relations = {"case_id": case.id, "related_ids": case.related}
        others = [row["other"] for row in _run(conn, "replace_case_relations", relations, f"{case.path}.relatedCases")]
        if others:
            changed.update([case.id, *others])
    _run(conn, "bump_last_modified", {"ids": sorted(changed - inserted)}, "cases")
    return changed | inserted


def _case_states(conn: psycopg.Connection, case_ids) -> dict[int, CaseState]:
    rows = _run(conn, "get_case_states", {"ids": sorted(case_ids)}, "cases")
    return {state.id: state for state in (case_state_from_json(row["case_row"]) for row in rows)}


def _record_history(conn: psycopg.Connection, before: dict[int, CaseState], touched: set[int]) -> None:
    """One entry per case created or changed, with what changed in it (a
    case created: every value it starts with). No author: the load did it."""
    if not touched:
        return
    names = {row["id"]: history.custom_attribute_field(row["name"]) if row["case_type_id"] is None
             else history.case_data_field(row["name"]) for row in _run(conn, "list_custom_fields", {}, "cases")}
    entries = []
    for case_id, after in sorted(_case_states(conn, touched).items()):
        previous = before.get(case_id)
        changes = history.case_changes(previous, after, names)
        if changes:
            entries.append({"case_id": case_id, "last_modified": after.last_modified,
                            "previous_last_modified": previous.last_modified if previous else None,
                            "changes": [change_to_json(c) for c in changes]})
    _run(conn, "insert_load_history", {"api": history.LOAD, "entries": to_jsonb(entries)}, "cases")
