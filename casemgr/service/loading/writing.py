"""Writing the plan, in dependency order, through the store."""

from __future__ import annotations

from typing import Callable

from casemgr.domain import history
from casemgr.domain.model import CaseState
from casemgr.service.loading.plan import Plan
from casemgr.service.loading.store import LoadStore
from casemgr.service.passwords import PasswordHashing


def write_plan(store: LoadStore, plan: Plan, locked_case_ids: list[int],
               hashing: Callable[[], PasswordHashing]) -> None:
    """Write in dependency order: each section refers only to earlier ones,
    or to its own entries in a second pass once all of them exist. Every
    case the load creates or changes gets a history entry; ``locked_case_ids``
    are the cases it may change, locked before validation. ``hashing`` is
    asked for only when the file holds a password or secret."""
    store.advance_identity_sequences(plan.largest_ids())
    store.write_departments(plan.departments)
    store.write_users([{**entry, "password_hash": _kept_hash(hashing, entry)} for entry in plan.users])
    store.write_customers([{**entry, "password_hash": _kept_hash(hashing, entry)} for entry in plan.customers])
    store.write_custom_attributes(plan.custom_attributes)
    store.write_statuses(plan.statuses, plan.initial_status)
    store.write_resolutions(plan.resolutions)
    store.write_categories(plan.categories, plan.case_types)
    store.write_touchpoints(plan.touchpoints)
    store.write_oauth_clients([{**entry, "secret_hash": _kept_hash(hashing, entry, "secret")}
                               for entry in plan.oauth_clients])
    before = store.case_states(locked_case_ids)
    touched = store.write_cases(plan.cases)
    _record_history(store, before, touched)


def _kept_hash(hashing: Callable[[], PasswordHashing], entry: dict, secret_key: str = "password") -> str | None:
    """The stored Argon2 hash when it still matches the file's password, so a
    reload writes nothing; a fresh hash otherwise."""
    secret = entry[secret_key]
    if secret is None:
        return None
    if entry["existing_hash"] and hashing().matches(entry["existing_hash"], secret):
        return entry["existing_hash"]
    return hashing().hash(secret)


def _record_history(store: LoadStore, before: dict[int, CaseState], touched: set[int]) -> None:
    """One entry per case created or changed, with what changed in it (a
    case created: every value it starts with). No author: the load did it."""
    if not touched:
        return
    names = {field["id"]: history.custom_attribute_field(field["name"]) if field["case_type_id"] is None
             else history.case_data_field(field["name"]) for field in store.custom_fields()}
    entries = []
    for case_id, after in sorted(store.case_states(touched).items()):
        previous = before.get(case_id)
        changes = history.case_changes(previous, after, names)
        if changes:
            entries.append({"case_id": case_id, "last_modified": after.last_modified,
                            "previous_last_modified": previous.last_modified if previous else None,
                            "changes": changes})
    store.insert_history(entries)
