"""A case as eGain shows it (its summary, or more with ``$attribute``), built
from the one read model."""

from __future__ import annotations

from typing import Callable

from casemgr.api.egain import attributes
from casemgr.api.wire import format_datetime
from casemgr.domain.readmodel import CaseView
from casemgr.domain.values import format_field_value

LastModifiedShape = Callable[[CaseView], object]


def last_modified_object(view: CaseView) -> dict:
    """v12: {"date": …, "user": {"id", "name"}}."""
    shown: dict = {"date": format_datetime(view.last_modified)}
    if view.last_modified_by is not None:
        shown["user"] = {"id": str(view.last_modified_by), "name": view.last_modified_by_login}
    return shown


def last_modified_string(view: CaseView) -> str:
    """v3: a plain date-time string."""
    return format_datetime(view.last_modified)


def case_representation(view: CaseView, case_url: str, last_modified: LastModifiedShape,
                        shown: frozenset[str] = attributes.EVERYTHING) -> dict:
    """``case_url`` is the API's case URL prefix, e.g. /system/ws/v12/interaction/case/;
    ``shown`` the attributes asked for (``attributes.requested``)."""
    whole = _whole_case(view, case_url, last_modified)
    return whole if shown is attributes.EVERYTHING else {k: v for k, v in whole.items() if k in shown}


def _whole_case(view: CaseView, case_url: str, last_modified: LastModifiedShape) -> dict:
    shown: dict = {
        "id": str(view.id),
        "link": [{"rel": "self", "href": f"{case_url}{view.id}"}],
        "department": {"id": str(view.department_id), "name": view.department_name},
        "status": {"value": view.status_state, "displayValue": view.status_name},
    }
    if view.severity:
        shown["severity"] = {"value": view.severity, "displayValue": view.severity.capitalize()}
    for name in ("subject", "description", "solution"):
        if getattr(view, name) is not None:
            shown[name] = getattr(view, name)
    if view.due_date is not None:
        shown["dueDate"] = format_datetime(view.due_date)
    if view.owner_id is not None:
        shown["owner"] = {"user": {
            "id": str(view.owner_id), "name": view.owner_login,
            "firstName": view.owner_first_name, "lastName": view.owner_last_name,
        }}
    if view.customer_id is not None:
        shown["customer"] = {"id": str(view.customer_id), "customerName": view.customer_name}
    shown["lastModified"] = last_modified(view)
    if view.last_closed is not None:
        shown["lastClosed"] = {"date": format_datetime(view.last_closed)}
    if view.related_ids:
        shown["relatedCases"] = {"link": [{"rel": "case", "href": f"{case_url}{i}"} for i in view.related_ids]}
    if view.custom_attributes:
        shown["customAttributes"] = {"customAttribute": [
            {"attribName": v.name, "attribValues": {"attribValue": [{"value": format_field_value(v.value)}]}}
            for v in view.custom_attributes
        ]}
    return shown
