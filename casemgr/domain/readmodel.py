"""What a case looks like when it is read: the one read model every API's
representation is built from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from casemgr.domain.model import FieldDefinition


@dataclass(frozen=True)
class CustomValue:
    name: str
    value: Any
    case_type_id: int | None  # None for eGain custom attributes


@dataclass(frozen=True)
class Comment:
    id: int
    description: str
    created_at: datetime


@dataclass(frozen=True)
class CaseView:
    id: int
    department_id: int
    department_name: str
    owner_id: int | None
    owner_login: str | None
    owner_first_name: str | None
    owner_last_name: str | None
    customer_id: int | None
    customer_name: str | None
    status_name: str
    status_state: str
    severity: str | None
    subject: str | None
    description: str | None
    solution: str | None
    due_date: datetime | None
    last_modified: datetime
    last_modified_by: int | None
    last_modified_by_login: str | None
    last_closed: datetime | None
    created_at: datetime
    related_ids: tuple[int, ...]
    category_code: str | None
    category_name: str | None
    type_code: str | None
    type_name: str | None
    resolution_name: str | None
    custom_values: tuple[CustomValue, ...] = ()
    # The newest comments the read asked for (oldest first), and how many the case holds.
    comments: tuple[Comment, ...] = field(default_factory=tuple)
    comment_count: int = 0
    category_id: int | None = None

    @property
    def custom_attributes(self) -> tuple[CustomValue, ...]:
        """eGain's customAttributes: the global attributes only."""
        return tuple(v for v in self.custom_values if v.case_type_id is None)

    @property
    def case_data(self) -> dict[str, Any]:
        """Thalamus caseData: the values of the case type's fields."""
        return {v.name: v.value for v in self.custom_values if v.case_type_id is not None}


@dataclass(frozen=True)
class TypeCategoryView:
    """Thalamus: one case type of one category, as the catalogue of
    ``GET /api/v4/cases/typecategory`` lists it."""

    category_id: int
    category_code: str
    category_name: str
    category_is_system: bool
    type_code: str
    type_name: str
    visible_in_app: bool
    default_answer: str
    # The type's case data fields: what caseData must hold.
    fields: tuple[FieldDefinition, ...] = ()


@dataclass(frozen=True)
class StatusView:
    """Thalamus: a configured status (``GET /api/v4/cases/status``)."""

    name: str
    initial: bool
    final: bool
