"""Section checks for the configuration: custom attributes, statuses,
resolutions, categories and their case types, touchpoints and OAuth clients."""

from __future__ import annotations

from typing import Any

from casemgr.domain.errors import InvalidValue
from casemgr.domain.model import FieldDefinition
from casemgr.domain.values import parse_field_value
from casemgr.service.credentials import hash_secret
from casemgr.service.loading.checkers import describe, valid_name
from casemgr.service.loading.shapes import (
    CASE_FIELD, CASE_TYPE, CATEGORY, CUSTOM_ATTRIBUTE, DEFAULT_OAUTH_SCOPES, OAUTH_CLIENT, STATUS, TOUCHPOINT,
)
from casemgr.service.loading.validator import Validator, distinct


def check_custom_attributes(v: Validator, items: Any) -> None:
    for position, (path, entry) in enumerate(v.entries("customAttributes", items, CUSTOM_ATTRIBUTE)):
        name, data_type = entry["name"], entry["type"]
        if not v.first_definition("custom attribute", name, f"{path}.name"):
            continue
        definition = FieldDefinition(0, name, data_type)
        values = None
        if entry["values"] is not None:
            values = [value for value_path, value in v.items(f"{path}.values", entry["values"], valid_name)
                      if _parses(v, value_path, definition, value)]
            values = list(dict.fromkeys(values))
        v.custom_attributes[name] = FieldDefinition(0, name, data_type, tuple(values) if values is not None else None)
        v.plan.custom_attributes.append({"path": path, "name": name, "data_type": data_type,
                                         "allowed_values": values, "position": position})


def _parses(v: Validator, path: str, definition: FieldDefinition, raw: str) -> bool:
    try:
        parse_field_value(definition, raw)
    except InvalidValue as exc:
        v.add(path, exc.message)
        return False
    return True


def check_statuses(v: Validator, items: Any) -> None:
    planned = []
    for path, entry in v.entries("statuses", items, STATUS):
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
        planned.append((path, entry["next"]))
        v.plan.statuses.append({"path": path, "name": name, "state": entry["state"], "initial": initial,
                                "next": None})
    # Transitions may name statuses that come later in the file.
    for (path, names), status in zip(planned, v.plan.statuses):
        if names is not None:
            status["next"] = [name for name_path, name in v.items(f"{path}.next", names, valid_name)
                              if v.exists(name_path, "status", name, v.statuses)]
            status["next"] = list(dict.fromkeys(status["next"]))


def check_resolutions(v: Validator, items: Any) -> None:
    if items is not None and not isinstance(items, list):
        v.add("resolutions", f"expected a list of names, got {describe(items)}")
        return
    for path, name in v.items("resolutions", items, valid_name):
        if v.first_definition("resolution", name, path):
            v.resolutions.add(name)
            v.plan.resolutions.append({"path": path, "name": name})


def check_categories(v: Validator, items: Any) -> None:
    for path, entry in v.entries("categories", items, CATEGORY):
        code = entry["code"]
        if not v.first_definition("category", code, f"{path}.code"):
            continue
        v.categories[code] = bool(entry["system"])
        v.plan.categories.append({"path": path, "code": code, "name": entry["name"], "system": bool(entry["system"])})
        for type_path, case_type in v.entries(f"{path}.types", entry["types"], CASE_TYPE):
            if v.first_definition(f"type of category {code!r}", case_type["code"], f"{type_path}.code"):
                _check_case_type(v, type_path, code, case_type)


def _check_case_type(v: Validator, path: str, category: str, entry: dict) -> None:
    fields = v.case_fields.setdefault((category, entry["code"]), {})
    names, data_types = [], []
    for field_path, field_entry in v.entries(f"{path}.fields", entry["fields"], CASE_FIELD):
        name = field_entry["name"]
        if v.first_definition(f"field of type {entry['code']!r}", (category, entry["code"], name), field_path):
            fields[name] = FieldDefinition(0, name, field_entry["type"])
            names.append(name)
            data_types.append(field_entry["type"])
    v.plan.case_types.append({"path": path, "category": category, "code": entry["code"], "name": entry["name"],
                              "names": names, "data_types": data_types,
                              "visible_in_app": entry["visibleInApp"] is not False,
                              "default_answer": entry["defaultAnswer"] or ""})


def check_touchpoints(v: Validator, items: Any) -> None:
    """A touchpoint, and the categories it may act on: absent, every one."""
    for path, entry in v.entries("touchpoints", items, TOUCHPOINT):
        if not v.first_definition("touchpoint", entry["code"], f"{path}.code"):
            continue
        categories = None
        if entry["categories"] is not None:
            categories = distinct((category_path, code) for category_path, code
                                  in v.items(f"{path}.categories", entry["categories"], valid_name)
                                  if v.exists(category_path, "category", code, v.categories))
        v.plan.touchpoints.append({"path": path, "code": entry["code"], "token_hash": hash_secret(entry["token"]),
                                   "all_categories": categories is None, "categories": categories or []})


def check_oauth_clients(v: Validator, items: Any) -> None:
    for path, entry in v.entries("oauthClients", items, OAUTH_CLIENT):
        client_id = entry["clientId"]
        if not v.first_definition("OAuth client", client_id, f"{path}.clientId"):
            continue
        scopes = DEFAULT_OAUTH_SCOPES
        if entry["scopes"] is not None:
            scopes = distinct(v.items(f"{path}.scopes", entry["scopes"], valid_name))
        v.plan.oauth_clients.append({
            "path": path, "client_id": client_id, "secret": entry["secret"], "scopes": list(scopes),
            "existing_hash": v.catalog.oauth_secret_hashes.get(client_id),
        })
