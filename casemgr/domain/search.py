"""Case search: which cases a search asks for, in which order, which page.

Who may see a case is not decided here: a search answers only cases the
actor sees (``permissions.check_may_read_case``), filtered where the cases
are, in the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from casemgr.domain import errors
from casemgr.domain.readmodel import CaseView

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 75
# What a search may be ordered by; ties (and the default) are ordered by id.
SORT_KEYS = ("id", "last_modified", "due_date", "severity", "subject")


@dataclass(frozen=True)
class CaseSearch:
    """Every filter given must hold; each is an exact match."""

    customer_id: int | None = None
    email: str | None = None
    phone: str | None = None
    # (custom attribute name, value as a read shows it)
    custom: tuple[tuple[str, str], ...] = ()
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    sort: str = "id"
    descending: bool = False

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    def has_filter(self) -> bool:
        return self.customer_id is not None or self.email is not None or self.phone is not None or bool(self.custom)


@dataclass(frozen=True)
class SearchPage:
    """One page of the cases found, and how many were found in all."""

    cases: list[CaseView]
    total: int


def check_search(search: CaseSearch) -> None:
    """A search names at least one filter: it is a way to find a customer's
    cases, never a way to list every case."""
    if not search.has_filter():
        raise errors.SearchFilterRequired(
            "A case search needs at least one filter: customer, email, phone or custom.<name>.",
            attribute="customer, email, phone or custom.<name>")
    if search.sort not in SORT_KEYS:
        raise ValueError(f"unknown sort key {search.sort!r}")
