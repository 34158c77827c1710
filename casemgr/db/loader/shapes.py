"""What a file may hold: its sections, and the keys each kind of entry may
have, each with its checker."""

from __future__ import annotations

from dataclasses import dataclass, field

from casemgr.db.loader.checkers import (
    Checker, _bool, _choice, _email, _id, _label, _list, _mapping, _name, _phone, _secret, _text, _timestamp,
)
from casemgr.domain.model import ACTIONS, PERMISSIONS, SEVERITIES

SECTIONS = (
    "departments", "users", "customers", "customAttributes", "statuses", "resolutions",
    "categories", "touchpoints", "oauthClients", "cases",
)
DEFAULT_OAUTH_SCOPES = ("core.casemgr.manage", "app.core.casemgr.manage")
# The file speaks Thalamus ("number") as well as eGain ("integer"); the
# database has one name per type.
DATA_TYPES = {
    "string": "string", "integer": "integer", "number": "integer",
    "decimal": "decimal", "boolean": "boolean", "date": "date",
}


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
_ACTION = _choice(ACTIONS)
_PERMISSION = _Shape({"permission": _choice(PERMISSIONS), "users": _list})
_CUSTOMER = _Shape({"name": _name},
                   {"id": _id, "firstName": _label, "email": _email, "phone": _phone, "password": _secret})
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
