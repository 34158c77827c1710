"""Section check for cases: their references, values and relations."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from casemgr.domain.edit import custom_attribute_value
from casemgr.domain.errors import DomainError, InvalidValue
from casemgr.domain.model import MAX_RELATED_CASES
from casemgr.domain.values import field_value_from_json
from casemgr.service.loading.checkers import describe, valid_id
from casemgr.service.loading.plan import PlannedCase
from casemgr.service.loading.shapes import CASE
from casemgr.service.loading.validator import Validator


def check_cases(v: Validator, items: Any) -> None:
    entries = [(p, e) for p, e in v.entries("cases", items, CASE) if v.first_definition("case", e["id"], f"{p}.id")]
    v.case_ids.update(e["id"] for _, e in entries)
    for path, entry in entries:  # related cases may be defined further down
        attributes, case_data = _case_values(v, path, entry)
        v.plan.cases.append(PlannedCase(
            path=path, id=entry["id"], row=_case_row(v, path, entry), attributes=attributes,
            case_data=case_data, listed=_listed_relations(v, path, entry),
        ))
    _relate_both_ends(v)


def _case_row(v: Validator, path: str, entry: dict) -> dict:
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
        # "" removes a text, as in an edit: stored as NULL.
        "subject": entry["subject"] or None, "description": entry["description"] or None,
        "solution": entry["solution"] or None, "due_date": entry["dueDate"],
        "category": entry["category"], "type": entry["type"], "resolution": entry["resolution"],
    }


def _check_classification(v: Validator, path: str, entry: dict) -> None:
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


def _case_values(v: Validator, path: str, entry: dict) -> tuple[dict[str, Any], dict[str, Any]]:
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


def _custom_attribute_value(v: Validator, path: str, name: Any, raw: Any) -> Any:
    """An eGain custom attribute: a configured name, and a string value held to
    the same rules as an edit (enumeration, characters, type). "" is no value."""
    definition = v.custom_attributes.get(name)
    if definition is None:
        v.add(path, f"custom attribute {name!r} does not exist")
        return None
    if not isinstance(raw, str):
        v.add(path, f"expected a string (quote it), got {describe(raw)}")
        return None
    if raw == "":
        return None
    try:
        return custom_attribute_value(definition, raw)
    except DomainError as exc:
        v.add(path, exc.message)
        return None


def _case_data(v: Validator, path: str, entry: dict) -> dict[str, Any]:
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
        try:
            data[name] = field_value_from_json(fields[name], value)
        except InvalidValue as exc:
            v.add(f"{path}.caseData.{name}", exc.message)
    for name in fields:
        if name not in entry["caseData"]:
            v.add(f"{path}.caseData.{name}", "is required: caseData must hold every field of the type")
    return data


def _listed_relations(v: Validator, path: str, entry: dict) -> set[int]:
    listed = set()
    for item_path, other in v.items(f"{path}.relatedCases", entry["relatedCases"], valid_id):
        if other == entry["id"]:
            v.add(item_path, "a case cannot be related to itself")
        elif v.exists(item_path, "case", other, v.case_ids):
            listed.add(other)
    return listed


def _relate_both_ends(v: Validator) -> None:
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
