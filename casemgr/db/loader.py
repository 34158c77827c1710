"""Load departments, users, customers, configuration and cases from YAML (SPEC 7).

A load is one transaction in two phases. First the whole document is
validated, against itself and against the rows already in the database, and
every problem is collected with the path of its entry (``users[3].homeDepartment``);
one problem and nothing is written. Then every entry is written with an upsert
keyed by its natural key that writes nothing when the stored row already
matches, so loading the same file twice gives the same state and leaves
``lastModified`` alone. A database error while writing rolls everything back
and names the entry being written.

The SQL is in ``sql/queries/loader.sql``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import psycopg
import yaml
from psycopg.rows import dict_row

from casemgr.db.jsonvalues import to_jsonb
from casemgr.db.sql import query
from casemgr.domain.edit import check_custom_value
from casemgr.domain.errors import DomainError
from casemgr.domain.model import MAX_RELATED_CASES, MAX_TEXT_LENGTH, SEVERITIES, FieldDefinition
from casemgr.domain.values import parse_field_value, python_type_matches
from casemgr.service.auth import hash_password, hash_secret, password_matches

SECTIONS = (
    "departments", "users", "customers", "customAttributes", "statuses", "resolutions",
    "categories", "touchpoints", "oauthClients", "cases",
)
DEFAULT_OAUTH_SCOPES = ("core.casemgr.manage", "app.core.casemgr.manage")
PERMISSIONS = ("Transfer Activities", "Pull Activities")
# The file speaks Thalamus ("number") as well as eGain ("integer"); the
# database has one name per type.
DATA_TYPES = {
    "string": "string", "integer": "integer", "number": "integer",
    "decimal": "decimal", "boolean": "boolean", "date": "date",
}

Problem = tuple[str, str]


class LoadError(Exception):
    """A file that cannot be loaded. ``problems`` lists every problem found as
    (path, message); ``path`` and ``message`` are the first one's."""

    def __init__(self, problems: list[Problem]):
        if not problems:
            raise ValueError("a LoadError needs at least one problem")
        self.problems = list(problems)
        self.path, self.message = self.problems[0]
        super().__init__("\n".join(f"{path}: {message}" for path, message in self.problems))


# -- public API --------------------------------------------------------------

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
        _run(conn, "loader_lock", {}, "(load)")
        case_ids = _mentioned_case_ids(data)
        _run(conn, "loader_lock_cases", {"ids": case_ids}, "cases")
        plan = validate(data, _read_catalog(conn, case_ids))
        _write(conn, plan)
    return plan.counts()


def read_document(path: Path) -> Any:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError([(str(path), f"cannot read the file: {exc}")]) from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path.name}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise LoadError([(where, f"not valid YAML: {getattr(exc, 'problem', None) or exc}")]) from exc


# -- value checkers: return the (normalized) value or raise _Invalid -----------

class _Invalid(ValueError):
    """A value of the wrong type or out of range; the message says what is expected."""


Checker = Callable[[Any], Any]


def _describe(value: Any) -> str:
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
            raise _Invalid(f"expected a string, got {_describe(value)}")
        if len(value) < min_length:
            raise _Invalid("must not be empty")
        if len(value) > max_length:
            raise _Invalid(f"is {len(value)} characters long; at most {max_length} are allowed")
        return value
    return check


_name = _string(255, 1)
_label = _string(255)
_email = _string(320, 1)
_secret = _string(1024, 1)
_text = _string(MAX_TEXT_LENGTH)


def _choice(allowed: dict[str, str] | tuple[str, ...]) -> Checker:
    mapping = allowed if isinstance(allowed, dict) else {a: a for a in allowed}

    def check(value: Any) -> str:
        if value not in mapping:
            raise _Invalid(f"{value!r} is not one of: {', '.join(mapping)}")
        return mapping[value]
    return check


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"expected true or false, got {_describe(value)}")
    return value


def _id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise _Invalid(f"expected a positive integer id, got {value!r}")
    return value


def _list(value: Any) -> list:
    if not isinstance(value, list):
        raise _Invalid(f"expected a list, got {_describe(value)}")
    return value


def _mapping(value: Any) -> dict:
    if not isinstance(value, dict):
        raise _Invalid(f"expected a mapping, got {_describe(value)}")
    return value


def _timestamp(value: Any) -> datetime:
    """ISO-8601 text, or what YAML made of it (a datetime, or a date for a bare
    day); without an offset it is UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise _Invalid(f"{value!r} is not an ISO-8601 date-time") from None
    else:
        raise _Invalid(f"expected an ISO-8601 date-time, got {_describe(value)}")
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class _Shape:
    """The keys an entry may have, each with its checker."""

    required: dict[str, Checker]
    optional: dict[str, Checker] = field(default_factory=dict)

    def keys(self) -> list[str]:
        return [*self.required, *self.optional]


_DEPARTMENT = _Shape({"name": _name}, {"sharedWith": _list})
_SHARE = _Shape({"department": _name}, {"activitySharing": _bool})
_USER = _Shape(
    {"login": _name, "password": _secret, "homeDepartment": _name},
    {"id": _id, "firstName": _label, "lastName": _label, "email": _email, "foreignDepartments": _list,
     "disabled": _bool, "licenses": _list, "actions": _list, "permissions": _list},
)
_PERMISSION = _Shape({"permission": _choice(PERMISSIONS), "users": _list})
_CUSTOMER = _Shape({"name": _name}, {"id": _id, "firstName": _label, "email": _email, "password": _secret})
_CUSTOM_ATTRIBUTE = _Shape({"name": _name, "type": _choice(DATA_TYPES)}, {"values": _list})
_STATUS = _Shape({"name": _name, "state": _choice(("open", "closed"))}, {"initial": _bool})
_CATEGORY = _Shape({"code": _name, "name": _name}, {"system": _bool, "types": _list})
_TYPE = _Shape({"code": _name, "name": _name}, {"fields": _list})
_FIELD = _Shape({"name": _name, "type": _choice(DATA_TYPES)})
_TOUCHPOINT = _Shape({"code": _name, "token": _secret})
_OAUTH_CLIENT = _Shape({"clientId": _name, "secret": _secret}, {"scopes": _list})
_CASE = _Shape(
    {"id": _id, "department": _name},
    {"owner": _name, "customer": _id, "status": _name, "severity": _choice(SEVERITIES),
     "subject": _text, "description": _text, "solution": _text, "dueDate": _timestamp,
     "category": _name, "type": _name, "resolution": _name, "caseData": _mapping,
     "customAttributes": _mapping, "relatedCases": _list},
)


# -- what the database already holds -------------------------------------------

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


# -- the plan: what validation found to write -----------------------------------

@dataclass
class _PlannedCase:
    path: str
    id: int
    row: dict
    attributes: dict[str, Any]
    case_data: dict[str, Any]
    listed: set[int]  # relatedCases as the file gives them
    related: list[int] = field(default_factory=list)  # listed, plus file cases that list this one


@dataclass
class _Plan:
    departments: list[dict] = field(default_factory=list)
    users: list[dict] = field(default_factory=list)
    customers: list[dict] = field(default_factory=list)
    custom_attributes: list[dict] = field(default_factory=list)
    statuses: list[dict] = field(default_factory=list)
    initial_status: str | None = None  # the status the file marks initial
    resolutions: list[dict] = field(default_factory=list)
    categories: list[dict] = field(default_factory=list)
    case_types: list[dict] = field(default_factory=list)
    touchpoints: list[dict] = field(default_factory=list)
    oauth_clients: list[dict] = field(default_factory=list)
    cases: list[_PlannedCase] = field(default_factory=list)

    def largest_ids(self) -> dict[str, int | None]:
        """The largest explicit id per identity table."""
        return {
            "app_user": max((u["id"] for u in self.users if u["id"] is not None), default=None),
            "customer": max((c["id"] for c in self.customers if c["id"] is not None), default=None),
            "support_case": max((c.id for c in self.cases), default=None),
        }

    def counts(self) -> dict[str, int]:
        return {
            "departments": len(self.departments), "users": len(self.users), "customers": len(self.customers),
            "customAttributes": len(self.custom_attributes), "statuses": len(self.statuses),
            "resolutions": len(self.resolutions), "categories": len(self.categories),
            "touchpoints": len(self.touchpoints), "oauthClients": len(self.oauth_clients),
            "cases": len(self.cases),
        }


# -- validation ---------------------------------------------------------------------

class _Validator:
    """Collects problems while walking the document, and what is known to
    exist once the file is applied (the database's rows plus the file's)."""

    def __init__(self, catalog: _Catalog):
        self.catalog = catalog
        self.problems: list[Problem] = []
        self.plan = _Plan()
        self._defined: dict[tuple[str, Any], str] = {}
        self.departments = set(catalog.departments)
        self.logins = set(catalog.users)
        self.customer_ids = set(catalog.customers)
        self.custom_attributes = dict(catalog.custom_attributes)
        self.statuses = {name: row["state"] for name, row in catalog.statuses.items()}
        self.initial_status = next((n for n, r in catalog.statuses.items() if r["is_initial"]), None)
        self.resolutions = set(catalog.resolutions)
        self.categories = dict(catalog.categories)
        self.case_fields = {key: dict(fields) for key, fields in catalog.case_fields.items()}
        self.case_ids = set(catalog.relations)

    def add(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def entries(self, path: str, items: Any, shape: _Shape) -> Iterator[tuple[str, dict]]:
        """The usable entries of a list, each with its path; an entry that is
        not a mapping or lacks a required key is reported and skipped."""
        if items is None:
            return
        if not isinstance(items, list):
            self.add(path, f"expected a list, got {_describe(items)}")
            return
        for index, item in enumerate(items):
            entry = self.entry(f"{path}[{index}]", item, shape)
            if entry is not None:
                yield f"{path}[{index}]", entry

    def entry(self, path: str, item: Any, shape: _Shape) -> dict | None:
        """The entry's values by key (None for an absent optional key), or None
        when it is unusable. Unknown keys are refused, never ignored."""
        if not isinstance(item, dict):
            self.add(path, f"expected a mapping, got {_describe(item)}")
            return None
        values: dict[str, Any] = dict.fromkeys(shape.keys())
        usable = True
        for key, value in item.items():
            checker = shape.required.get(key) or shape.optional.get(key)
            if checker is None:
                self.add(f"{path}.{key}", f"unknown key; expected one of: {', '.join(shape.keys())}")
            elif value is not None:
                try:
                    values[key] = checker(value)
                except _Invalid as exc:
                    self.add(f"{path}.{key}", str(exc))
                    usable = usable and key not in shape.required
        for key in shape.required:
            if item.get(key) is None:
                self.add(f"{path}.{key}", "is required")
                usable = False
        return values if usable else None

    def items(self, path: str, items: Any, checker: Checker) -> Iterator[tuple[str, Any]]:
        """The valid elements of a list of plain values, each with its path."""
        for index, value in enumerate(items or ()):
            try:
                yield f"{path}[{index}]", checker(value)
            except _Invalid as exc:
                self.add(f"{path}[{index}]", str(exc))

    def first_definition(self, kind: str, key: Any, path: str) -> bool:
        """Whether this is the file's only entry for ``key``; a second one is refused."""
        earlier = self._defined.setdefault((kind, key), path)
        if earlier != path:
            self.add(path, f"{kind} {key!r} is already defined at {earlier}")
            return False
        return True

    def exists(self, path: str, kind: str, key: Any, known: set | dict) -> bool:
        if key in known:
            return True
        self.add(path, f"{kind} {key!r} does not exist")
        return False


def validate(data: Any, catalog: _Catalog) -> _Plan:
    """The plan to write ``data``, or a LoadError with every problem found."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise LoadError([("(document)", f"expected a mapping of sections, got {_describe(data)}")])
    v = _Validator(catalog)
    for key in data:
        if key not in SECTIONS:
            v.add(str(key), f"unknown section; expected one of: {', '.join(SECTIONS)}")
    for check, section in _SECTION_CHECKS:
        check(v, data.get(section))
    if v.problems:
        raise LoadError(v.problems)
    return v.plan


def _check_departments(v: _Validator, items: Any) -> None:
    entries = [(p, e) for p, e in v.entries("departments", items, _DEPARTMENT)
               if v.first_definition("department", e["name"], p)]
    v.departments.update(e["name"] for _, e in entries)
    for path, entry in entries:  # shares may name departments defined further down
        names, flags = [], []
        for share_path, share in v.entries(f"{path}.sharedWith", entry["sharedWith"], _SHARE):
            other = share["department"]
            if other == entry["name"]:
                v.add(f"{share_path}.department", "a department cannot share with itself")
            elif v.exists(f"{share_path}.department", "department", other, v.departments) and other not in names:
                names.append(other)
                flags.append(bool(share["activitySharing"]))
        v.plan.departments.append({"path": path, "name": entry["name"], "shared_with": names,
                                   "activity_sharing": flags})


def _check_users(v: _Validator, items: Any) -> None:
    entries = [(p, e) for p, e in v.entries("users", items, _USER) if v.first_definition("user", e["login"], p)]
    v.logins.update(e["login"] for _, e in entries)
    file_logins = {e["login"] for _, e in entries}
    # An e-mail is taken by a stored user the file does not describe, or by an earlier entry.
    emails = {u["email"]: login for login, u in v.catalog.users.items() if u["email"] and login not in file_logins}
    for path, entry in entries:
        _check_user_identity(v, path, entry, emails)
        v.exists(f"{path}.homeDepartment", "department", entry["homeDepartment"], v.departments)
        foreign = [name for p, name in v.items(f"{path}.foreignDepartments", entry["foreignDepartments"], _name)
                   if v.exists(p, "department", name, v.departments)]
        permissions, targets = _user_permissions(v, path, entry["permissions"])
        existing = v.catalog.users.get(entry["login"])
        v.plan.users.append({
            "path": path, "id": entry["id"], "login": entry["login"], "password": entry["password"],
            "existing_hash": existing["password_hash"] if existing else None,
            "first_name": entry["firstName"] or "", "last_name": entry["lastName"] or "",
            "email": entry["email"], "home_department": entry["homeDepartment"],
            "disabled": bool(entry["disabled"]),
            "licenses": _distinct(v.items(f"{path}.licenses", entry["licenses"], _name)),
            "actions": _distinct(v.items(f"{path}.actions", entry["actions"], _name)),
            "foreign_departments": sorted(set(foreign)), "permissions": permissions, "targets": targets,
        })


def _distinct(items: Iterator[tuple[str, Any]]) -> list:
    return list(dict.fromkeys(value for _, value in items))


def _check_user_identity(v: _Validator, path: str, entry: dict, emails: dict[str, str]) -> None:
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


def _user_permissions(v: _Validator, path: str, items: Any) -> tuple[list[str], list[str]]:
    """The user's permissions as parallel lists of permission and target login."""
    pairs: dict[tuple[str, str], None] = {}
    for entry_path, entry in v.entries(f"{path}.permissions", items, _PERMISSION):
        for target_path, login in v.items(f"{entry_path}.users", entry["users"], _name):
            if v.exists(target_path, "user", login, v.logins):
                pairs[(entry["permission"], login)] = None
    return [p for p, _ in pairs], [t for _, t in pairs]


def _check_customers(v: _Validator, items: Any) -> None:
    entries = list(v.entries("customers", items, _CUSTOMER))
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
            "email": entry["email"], "password": entry["password"],
            "existing_hash": stored["password_hash"] if stored else None,
        })


def _check_custom_attributes(v: _Validator, items: Any) -> None:
    for position, (path, entry) in enumerate(v.entries("customAttributes", items, _CUSTOM_ATTRIBUTE)):
        name, data_type = entry["name"], entry["type"]
        if not v.first_definition("custom attribute", name, f"{path}.name"):
            continue
        definition = FieldDefinition(0, name, data_type)
        values = None
        if entry["values"] is not None:
            values = [value for value_path, value in v.items(f"{path}.values", entry["values"], _name)
                      if _parses(v, value_path, definition, value)]
            values = list(dict.fromkeys(values))
        v.custom_attributes[name] = FieldDefinition(0, name, data_type, tuple(values) if values is not None else None)
        v.plan.custom_attributes.append({"path": path, "name": name, "data_type": data_type,
                                         "allowed_values": values, "position": position})


def _parses(v: _Validator, path: str, definition: FieldDefinition, raw: str) -> bool:
    if parse_field_value(definition, raw) is None:
        v.add(path, f"{raw!r} is not a value of type {definition.data_type}")
        return False
    return True


def _check_statuses(v: _Validator, items: Any) -> None:
    for path, entry in v.entries("statuses", items, _STATUS):
        name = entry["name"]
        if not v.first_definition("status", name, f"{path}.name"):
            continue
        initial = bool(entry["initial"])
        if initial and v.plan.initial_status is not None:
            v.add(f"{path}.initial", f"status {v.plan.initial_status!r} is already the initial status")
        elif initial:
            v.plan.initial_status = v.initial_status = name
        elif v.initial_status == name:
            v.initial_status = None
        v.statuses[name] = entry["state"]
        v.plan.statuses.append({"path": path, "name": name, "state": entry["state"], "initial": initial})


def _check_resolutions(v: _Validator, items: Any) -> None:
    if items is not None and not isinstance(items, list):
        v.add("resolutions", f"expected a list of names, got {_describe(items)}")
        return
    for path, name in v.items("resolutions", items, _name):
        if v.first_definition("resolution", name, path):
            v.resolutions.add(name)
            v.plan.resolutions.append({"path": path, "name": name})


def _check_categories(v: _Validator, items: Any) -> None:
    for path, entry in v.entries("categories", items, _CATEGORY):
        code = entry["code"]
        if not v.first_definition("category", code, f"{path}.code"):
            continue
        v.categories[code] = bool(entry["system"])
        v.plan.categories.append({"path": path, "code": code, "name": entry["name"], "system": bool(entry["system"])})
        for type_path, case_type in v.entries(f"{path}.types", entry["types"], _TYPE):
            if v.first_definition(f"type of category {code!r}", case_type["code"], f"{type_path}.code"):
                _check_case_type(v, type_path, code, case_type)


def _check_case_type(v: _Validator, path: str, category: str, entry: dict) -> None:
    fields = v.case_fields.setdefault((category, entry["code"]), {})
    names, data_types = [], []
    for field_path, field_entry in v.entries(f"{path}.fields", entry["fields"], _FIELD):
        name = field_entry["name"]
        if v.first_definition(f"field of type {entry['code']!r}", (category, entry["code"], name), field_path):
            fields[name] = FieldDefinition(0, name, field_entry["type"])
            names.append(name)
            data_types.append(field_entry["type"])
    v.plan.case_types.append({"path": path, "category": category, "code": entry["code"], "name": entry["name"],
                              "names": names, "data_types": data_types})


def _check_touchpoints(v: _Validator, items: Any) -> None:
    for path, entry in v.entries("touchpoints", items, _TOUCHPOINT):
        if v.first_definition("touchpoint", entry["code"], f"{path}.code"):
            v.plan.touchpoints.append({"path": path, "code": entry["code"], "token_hash": hash_secret(entry["token"])})


def _check_oauth_clients(v: _Validator, items: Any) -> None:
    for path, entry in v.entries("oauthClients", items, _OAUTH_CLIENT):
        client_id = entry["clientId"]
        if not v.first_definition("OAuth client", client_id, f"{path}.clientId"):
            continue
        scopes = DEFAULT_OAUTH_SCOPES
        if entry["scopes"] is not None:
            scopes = _distinct(v.items(f"{path}.scopes", entry["scopes"], _name))
        v.plan.oauth_clients.append({
            "path": path, "client_id": client_id, "secret": entry["secret"], "scopes": list(scopes),
            "existing_hash": v.catalog.oauth_secret_hashes.get(client_id),
        })


def _check_cases(v: _Validator, items: Any) -> None:
    entries = [(p, e) for p, e in v.entries("cases", items, _CASE) if v.first_definition("case", e["id"], f"{p}.id")]
    v.case_ids.update(e["id"] for _, e in entries)
    for path, entry in entries:  # related cases may be defined further down
        attributes, case_data = _case_values(v, path, entry)
        v.plan.cases.append(_PlannedCase(
            path=path, id=entry["id"], row=_case_row(v, path, entry), attributes=attributes,
            case_data=case_data, listed=_listed_relations(v, path, entry),
        ))
    _relate_both_ends(v)


def _case_row(v: _Validator, path: str, entry: dict) -> dict:
    """The case's columns by name, each reference checked."""
    v.exists(f"{path}.department", "department", entry["department"], v.departments)
    if entry["owner"] is not None:
        v.exists(f"{path}.owner", "user", entry["owner"], v.logins)
    if entry["customer"] is not None:
        v.exists(f"{path}.customer", "customer", entry["customer"], v.customer_ids)
    status = entry["status"]
    if status is None and v.initial_status is None:
        v.add(f"{path}.status", "is required: no status is marked initial")
    elif status is not None:
        v.exists(f"{path}.status", "status", status, v.statuses)
    if entry["resolution"] is not None:
        v.exists(f"{path}.resolution", "resolution", entry["resolution"], v.resolutions)
    _check_classification(v, path, entry)
    return {
        "id": entry["id"], "department": entry["department"], "owner": entry["owner"],
        "customer_id": entry["customer"], "status": status or v.initial_status, "severity": entry["severity"],
        # "" removes a text (SPEC 2, rule 6): stored as NULL.
        "subject": entry["subject"] or None, "description": entry["description"] or None,
        "solution": entry["solution"] or None, "due_date": entry["dueDate"],
        "category": entry["category"], "type": entry["type"], "resolution": entry["resolution"],
    }


def _check_classification(v: _Validator, path: str, entry: dict) -> None:
    """Category and type go together, the type belongs to the category, and a
    system category holds no case."""
    category, case_type = entry["category"], entry["type"]
    if category is None and case_type is None:
        return
    if category is None or case_type is None:
        missing = "category" if category is None else "type"
        v.add(f"{path}.{missing}", "is required when " + ("type" if category is None else "category") + " is given")
    elif v.exists(f"{path}.category", "category", category, v.categories):
        if v.categories[category]:
            v.add(f"{path}.category", f"category {category!r} is a system node and cannot hold cases")
        elif (category, case_type) not in v.case_fields:
            v.add(f"{path}.type", f"type {case_type!r} does not exist in category {category!r}")


def _case_values(v: _Validator, path: str, entry: dict) -> tuple[dict[str, Any], dict[str, Any]]:
    """The typed custom attribute values and case data of a case."""
    attributes = {}
    for name, raw in (entry["customAttributes"] or {}).items():
        value = _custom_attribute_value(v, f"{path}.customAttributes.{name}", name, raw)
        if value is not None:
            attributes[name] = value
    case_data = {}
    if entry["caseData"] is not None:
        case_data = _case_data(v, path, entry)
    return attributes, case_data


def _custom_attribute_value(v: _Validator, path: str, name: Any, raw: Any) -> Any:
    """An eGain custom attribute: a configured name, and a string value held to
    the same rules as an edit (enumeration, characters, type). "" is no value."""
    definition = v.custom_attributes.get(name)
    if definition is None:
        v.add(path, f"custom attribute {name!r} does not exist")
        return None
    if not isinstance(raw, str):
        v.add(path, f"expected a string (quote it), got {_describe(raw)}")
        return None
    if raw == "":
        return None
    try:
        check_custom_value(definition, raw)
    except DomainError as exc:
        v.add(path, exc.message)
        return None
    return parse_field_value(definition, raw)


def _case_data(v: _Validator, path: str, entry: dict) -> dict[str, Any]:
    """Thalamus case data: every field of the case's type, each of its type."""
    fields = v.case_fields.get((entry["category"], entry["type"]))
    if fields is None:
        if entry["category"] is None and entry["type"] is None:
            v.add(f"{path}.caseData", "needs the case's category and type")
        return {}
    data = {}
    for name, value in entry["caseData"].items():
        if name not in fields:
            v.add(f"{path}.caseData.{name}", f"{name!r} is not a field of type {entry['type']!r}")
            continue
        if isinstance(value, date) and not isinstance(value, datetime):
            value = value.isoformat()  # YAML reads a bare day as a date
        if python_type_matches(fields[name], value):
            data[name] = value
        else:
            v.add(f"{path}.caseData.{name}", f"expected a value of type {fields[name].data_type}, got {value!r}")
    for name in fields:
        if name not in entry["caseData"]:
            v.add(f"{path}.caseData.{name}", "is required: caseData must hold every field of the type")
    return data


def _listed_relations(v: _Validator, path: str, entry: dict) -> set[int]:
    listed = set()
    for item_path, other in v.items(f"{path}.relatedCases", entry["relatedCases"], _id):
        if other == entry["id"]:
            v.add(item_path, "a case cannot be related to itself")
        elif v.exists(item_path, "case", other, v.case_ids):
            listed.add(other)
    return listed


def _relate_both_ends(v: _Validator) -> None:
    """The relation is symmetric: a case of the file is related to the cases it
    lists and to the file's cases that list it, and to nothing else. Both ends
    of every relation stay within the limit of 75."""
    in_file = {case.id: case for case in v.plan.cases}
    listed_by: dict[int, set[int]] = defaultdict(set)
    for case in v.plan.cases:
        for other in case.listed:
            listed_by[other].add(case.id)
    for case in v.plan.cases:
        case.related = sorted(case.listed | listed_by[case.id])
        if len(case.related) > MAX_RELATED_CASES:
            v.add(f"{case.path}.relatedCases",
                  f"case {case.id} would be related to {len(case.related)} cases; at most {MAX_RELATED_CASES}")
    for other, listers in sorted(listed_by.items()):
        if other in in_file:
            continue
        kept = {n for n in v.catalog.relations.get(other, ()) if n not in in_file}
        total = len(kept | listers)
        if total > MAX_RELATED_CASES:
            first = next(case for case in v.plan.cases if case.id in listers)
            v.add(f"{first.path}.relatedCases",
                  f"case {other} would be related to {total} cases; at most {MAX_RELATED_CASES}")


_SECTION_CHECKS: tuple[tuple[Callable[[_Validator, Any], None], str], ...] = (
    (_check_departments, "departments"),
    (_check_users, "users"),
    (_check_customers, "customers"),
    (_check_custom_attributes, "customAttributes"),
    (_check_statuses, "statuses"),
    (_check_resolutions, "resolutions"),
    (_check_categories, "categories"),
    (_check_touchpoints, "touchpoints"),
    (_check_oauth_clients, "oauthClients"),
    (_check_cases, "cases"),
)


# -- writing ------------------------------------------------------------------------

def _run(conn: psycopg.Connection, name: str, params: dict, path: str) -> list[dict]:
    """Run a named query for the entry at ``path``; a database error becomes a
    LoadError naming that entry (the transaction then rolls back)."""
    try:
        with conn.cursor(row_factory=dict_row) as cur:
            cur.execute(query(name), params)
            return cur.fetchall() if cur.description else []
    except psycopg.Error as exc:
        diag = exc.diag
        detail = f" ({diag.message_detail})" if diag.message_detail else ""
        message = diag.message_primary or str(exc).strip() or type(exc).__name__
        raise LoadError([(path, f"the database refused it: {message}{detail}")]) from exc


def _write(conn: psycopg.Connection, plan: _Plan) -> None:
    """Write in dependency order: each section refers only to earlier ones,
    or to its own entries in a second pass once all of them exist."""
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
    _write_cases(conn, plan.cases)


def _kept_hash(entry: dict, secret_key: str = "password") -> str | None:
    """The stored Argon2 hash when it still matches the file's password, so a
    reload writes nothing; a fresh hash otherwise."""
    secret = entry[secret_key]
    if secret is None:
        return None
    if entry["existing_hash"] and password_matches(entry["existing_hash"], secret):
        return entry["existing_hash"]
    return hash_password(secret)


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


def _write_cases(conn: psycopg.Connection, cases: list[_PlannedCase]) -> None:
    """Rows first (relations need both ends), then values and relations. A case
    whose row, values or relations changed gets a new lastModified, and so does
    the other end of every relation added or removed; an unchanged case keeps it."""
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
