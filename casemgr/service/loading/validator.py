"""The validator: walks the document, collects problems with their paths, and
knows what exists once the file is applied."""

from __future__ import annotations

from typing import Any, Iterator

from casemgr.service.loading.catalog import Catalog
from casemgr.service.loading.checkers import Checker, Invalid, describe
from casemgr.service.loading.errors import Problem
from casemgr.service.loading.plan import Plan
from casemgr.service.loading.shapes import Shape


class Validator:
    """Collects problems while walking the document, and what is known to
    exist once the file is applied (the database's rows plus the file's)."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.problems: list[Problem] = []
        self.plan = Plan()
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

    def entries(self, path: str, items: Any, shape: Shape) -> Iterator[tuple[str, dict]]:
        """The usable entries of a list, each with its path; an entry that is
        not a mapping or lacks a required key is reported and skipped."""
        if items is None:
            return
        if not isinstance(items, list):
            self.add(path, f"expected a list, got {describe(items)}")
            return
        for index, item in enumerate(items):
            entry = self.entry(f"{path}[{index}]", item, shape)
            if entry is not None:
                yield f"{path}[{index}]", entry

    def entry(self, path: str, item: Any, shape: Shape) -> dict | None:
        """The entry's values by key (None for an absent optional key), or None
        when it is unusable. Unknown keys are refused, never ignored."""
        if not isinstance(item, dict):
            self.add(path, f"expected a mapping, got {describe(item)}")
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
                except Invalid as exc:
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
            except Invalid as exc:
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


def distinct(items: Iterator[tuple[str, Any]]) -> list:
    """The values of ``items`` (as ``Validator.items`` yields them), each once, in order."""
    return list(dict.fromkeys(value for _, value in items))
