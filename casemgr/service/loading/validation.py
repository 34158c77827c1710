"""Validation: the whole document, section by section, into a plan or a
LoadError with every problem found."""

from __future__ import annotations

from typing import Any, Callable

from casemgr.service.loading.cases import check_cases
from casemgr.service.loading.catalog import Catalog
from casemgr.service.loading.checkers import describe
from casemgr.service.loading.configuration import (
    check_categories, check_custom_attributes, check_oauth_clients, check_resolutions, check_statuses,
    check_touchpoints,
)
from casemgr.service.loading.directory import check_customers, check_departments, check_users
from casemgr.service.loading.errors import LoadError
from casemgr.service.loading.plan import Plan
from casemgr.service.loading.shapes import SECTIONS
from casemgr.service.loading.validator import Validator


def validate(data: Any, catalog: Catalog) -> Plan:
    """The plan to write ``data``, or a LoadError with every problem found."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise LoadError([("(document)", f"expected a mapping of sections, got {describe(data)}")])
    v = Validator(catalog)
    for key in data:
        if key not in SECTIONS:
            v.add(str(key), f"unknown section; expected one of: {', '.join(SECTIONS)}")
    for check, section in _SECTION_CHECKS:
        check(v, data.get(section))
    if v.problems:
        raise LoadError(v.problems)
    return v.plan


_SECTION_CHECKS: tuple[tuple[Callable[[Validator, Any], None], str], ...] = (
    (check_departments, "departments"),
    (check_users, "users"),
    (check_customers, "customers"),
    (check_custom_attributes, "customAttributes"),
    (check_statuses, "statuses"),
    (check_resolutions, "resolutions"),
    (check_categories, "categories"),
    (check_touchpoints, "touchpoints"),
    (check_oauth_clients, "oauthClients"),
    (check_cases, "cases"),
)
