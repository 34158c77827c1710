"""Section checks for departments, users and customers."""

from __future__ import annotations

from typing import Any

from casemgr.service.loading.checkers import valid_name
from casemgr.service.loading.shapes import CUSTOMER, DEPARTMENT, PERMISSION, SHARE, USER, valid_action
from casemgr.service.loading.validator import Validator, distinct


def check_departments(v: Validator, items: Any) -> None:
    entries = [(p, e) for p, e in v.entries("departments", items, DEPARTMENT)
               if v.first_definition("department", e["name"], p)]
    v.departments.update(e["name"] for _, e in entries)
    for path, entry in entries:  # shares may name departments defined further down
        names, flags = [], []
        for share_path, share in v.entries(f"{path}.sharedWith", entry["sharedWith"], SHARE):
            other = share["department"]
            if other == entry["name"]:
                v.add(f"{share_path}.department", "a department cannot share with itself")
            elif v.exists(f"{share_path}.department", "department", other, v.departments) and other not in names:
                names.append(other)
                flags.append(bool(share["activitySharing"]))
        v.plan.departments.append({"path": path, "name": entry["name"], "shared_with": names,
                                   "activity_sharing": flags})


def check_users(v: Validator, items: Any) -> None:
    entries = [(p, e) for p, e in v.entries("users", items, USER) if v.first_definition("user", e["login"], p)]
    v.logins.update(e["login"] for _, e in entries)
    file_logins = {e["login"] for _, e in entries}
    # An e-mail is taken by a stored user the file does not describe, or by an earlier entry.
    emails = {u["email"]: login for login, u in v.catalog.users.items() if u["email"] and login not in file_logins}
    for path, entry in entries:
        _check_user_identity(v, path, entry, emails)
        v.exists(f"{path}.homeDepartment", "department", entry["homeDepartment"], v.departments)
        foreign = [name for p, name in v.items(f"{path}.foreignDepartments", entry["foreignDepartments"], valid_name)
                   if v.exists(p, "department", name, v.departments)]
        permissions, targets = _user_permissions(v, path, entry["permissions"])
        existing = v.catalog.users.get(entry["login"])
        v.plan.users.append({
            "path": path, "id": entry["id"], "login": entry["login"], "password": entry["password"],
            "existing_hash": existing["password_hash"] if existing else None,
            "first_name": entry["firstName"] or "", "last_name": entry["lastName"] or "",
            "email": entry["email"], "home_department": entry["homeDepartment"],
            "disabled": bool(entry["disabled"]),
            "licenses": distinct(v.items(f"{path}.licenses", entry["licenses"], valid_name)),
            "actions": distinct(v.items(f"{path}.actions", entry["actions"], valid_action)),
            "foreign_departments": sorted(set(foreign)), "permissions": permissions, "targets": targets,
        })


def _check_user_identity(v: Validator, path: str, entry: dict, emails: dict[str, str]) -> None:
    """An explicit id must not contradict the stored user nor belong to another;
    an e-mail belongs to one user."""
    login, user_id = entry["login"], entry["id"]
    stored = v.catalog.users.get(login)
    if user_id is not None:
        holder = next((name for name, u in v.catalog.users.items() if u["id"] == user_id), None)
        if stored is not None and stored["id"] != user_id:
            v.add(f"{path}.id", f"user {login!r} already exists with id {stored['id']}")
        elif holder is not None and holder != login:
            v.add(f"{path}.id", f"id {user_id} already belongs to user {holder!r}")
        else:
            v.first_definition("user id", user_id, f"{path}.id")
    if entry["email"]:
        holder = emails.setdefault(entry["email"].lower(), login)
        if holder != login:
            v.add(f"{path}.email", f"e-mail {entry['email']!r} already belongs to user {holder!r}")


def _user_permissions(v: Validator, path: str, items: Any) -> tuple[list[str], list[str]]:
    """The user's permissions as parallel lists of permission and target login."""
    pairs: dict[tuple[str, str], None] = {}
    for entry_path, entry in v.entries(f"{path}.permissions", items, PERMISSION):
        for target_path, login in v.items(f"{entry_path}.users", entry["users"], valid_name):
            if v.exists(target_path, "user", login, v.logins):
                pairs[(entry["permission"], login)] = None
    return [p for p, _ in pairs], [t for _, t in pairs]


def check_customers(v: Validator, items: Any) -> None:
    entries = list(v.entries("customers", items, CUSTOMER))
    by_email = {c["email"]: cid for cid, c in v.catalog.customers.items() if c["email"]}
    file_ids = {e["id"] for _, e in entries if e["id"] is not None}
    # An e-mail is taken by a stored customer the file does not describe, or by an earlier entry.
    emails = {email: cid for email, cid in by_email.items() if cid not in file_ids}
    for path, entry in entries:
        email = entry["email"].lower() if entry["email"] else None
        customer_id = entry["id"] if entry["id"] is not None else by_email.get(email)
        if entry["id"] is None and email is None:
            v.add(path, "needs an id or an email: customers are matched by id, else by email")
            continue
        key = customer_id if customer_id is not None else email
        if not v.first_definition("customer", key, f"{path}.id" if entry["id"] is not None else f"{path}.email"):
            continue
        if email is not None and emails.setdefault(email, key) != key:
            v.add(f"{path}.email", f"e-mail {entry['email']!r} already belongs to customer {emails[email]}")
        if customer_id is not None:
            v.customer_ids.add(customer_id)
        stored = v.catalog.customers.get(customer_id)
        v.plan.customers.append({
            "path": path, "id": entry["id"], "name": entry["name"], "first_name": entry["firstName"] or "",
            "email": entry["email"], "phone": entry["phone"], "password": entry["password"],
            "existing_hash": stored["password_hash"] if stored else None,
        })
