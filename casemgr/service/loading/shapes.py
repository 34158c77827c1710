"""What a file may hold: its sections, and the keys each kind of entry may
have, each with its checker."""

from __future__ import annotations

from dataclasses import dataclass, field

from casemgr.domain.model import ACTIONS, PERMISSIONS, SEVERITIES
from casemgr.service.loading.checkers import (
    Checker, one_of, valid_bool, valid_email, valid_id, valid_label, valid_list, valid_mapping, valid_name,
    valid_phone, valid_secret, valid_text, valid_timestamp,
)

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
class Shape:
    """The keys an entry may have, each with its checker."""

    required: dict[str, Checker]
    optional: dict[str, Checker] = field(default_factory=dict)

    def keys(self) -> list[str]:
        return [*self.required, *self.optional]


DEPARTMENT = Shape({"name": valid_name}, {"sharedWith": valid_list})
SHARE = Shape({"department": valid_name}, {"activitySharing": valid_bool})
USER = Shape(
    {"login": valid_name, "password": valid_secret, "homeDepartment": valid_name},
    {"id": valid_id, "firstName": valid_label, "lastName": valid_label, "email": valid_email,
     "foreignDepartments": valid_list, "disabled": valid_bool, "licenses": valid_list, "actions": valid_list,
     "permissions": valid_list},
)
valid_action = one_of(ACTIONS)
PERMISSION = Shape({"permission": one_of(PERMISSIONS), "users": valid_list})
CUSTOMER = Shape({"name": valid_name},
                 {"id": valid_id, "firstName": valid_label, "email": valid_email, "phone": valid_phone,
                  "password": valid_secret})
CUSTOM_ATTRIBUTE = Shape({"name": valid_name, "type": one_of(DATA_TYPES)}, {"values": valid_list})
STATUS = Shape({"name": valid_name, "state": one_of(("open", "closed"))}, {"initial": valid_bool, "next": valid_list})
CATEGORY = Shape({"code": valid_name, "name": valid_name}, {"system": valid_bool, "types": valid_list})
CASE_TYPE = Shape({"code": valid_name, "name": valid_name},
                  {"fields": valid_list, "visibleInApp": valid_bool, "defaultAnswer": valid_text})
CASE_FIELD = Shape({"name": valid_name, "type": one_of(DATA_TYPES)})
TOUCHPOINT = Shape({"code": valid_name, "token": valid_secret}, {"categories": valid_list})
OAUTH_CLIENT = Shape({"clientId": valid_name, "secret": valid_secret}, {"scopes": valid_list})
CASE = Shape(
    {"id": valid_id, "department": valid_name},
    {"owner": valid_name, "customer": valid_id, "status": valid_name, "severity": one_of(SEVERITIES),
     "subject": valid_text, "description": valid_text, "solution": valid_text, "dueDate": valid_timestamp,
     "category": valid_name, "type": valid_name, "resolution": valid_name, "caseData": valid_mapping,
     "customAttributes": valid_mapping, "relatedCases": valid_list},
)
