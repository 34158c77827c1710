"""The plan: what validation found to write."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class PlannedCase:
    path: str
    id: int
    row: dict
    attributes: dict[str, Any]
    case_data: dict[str, Any]
    listed: set[int]  # relatedCases as the file gives them
    related: list[int] = field(default_factory=list)  # listed, plus file cases that list this one


@dataclass
class Plan:
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
    cases: list[PlannedCase] = field(default_factory=list)

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
