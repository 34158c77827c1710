"""Validation: the whole document, section by section, into a plan or a
LoadError with every problem found."""

from __future__ import annotations

from typing import Any, Callable

from casemgr.db.loader.cases import _check_cases
from casemgr.db.loader.catalog import _Catalog
from casemgr.db.loader.checkers import _describe
from casemgr.db.loader.configuration import (
    _check_categories, _check_custom_attributes, _check_oauth_clients, _check_resolutions, _check_statuses,
    _check_touchpoints,
)
from casemgr.db.loader.directory import _check_customers, _check_departments, _check_users
from casemgr.db.loader.errors import LoadError
from casemgr.db.loader.plan import _Plan
from casemgr.db.loader.shapes import SECTIONS
from casemgr.db.loader.validator import _Validator


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
