"""Case search: which cases a search asks for, in which order, which page.

Who may see a case is not decided here: a search answers only cases the
actor sees (``permissions.check_may_read_case``), filtered where the cases
are, in the database.

A search is bounded: its candidates are the cases the actor sees that one
of its filters matches, and it considers at most ``MAX_SEARCH_CANDIDATES``
of them. When each of its filters matches more, it is refused
(``SearchTooBroad``), never left to run for as long as the data makes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from casemgr.domain import errors
from casemgr.domain.readmodel import CaseView

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 75
# What a search may be ordered by; ties (and the default) are ordered by id.
SORT_KEYS = ("id", "lastModified", "dueDate", "severity", "subject")
# The most cases a search considers: every filter, the order and the page are
# applied to these alone. The worst search it allows (10,000 candidates,
# every one found, sorted by subject) takes about 80 ms of Postgres time on
# 2 cores, far from the 5 s statement timeout; a page shows 75 at most.
MAX_SEARCH_CANDIDATES = 10_000


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
    # Each filter matched more than MAX_SEARCH_CANDIDATES cases the actor
    # sees: nothing was ordered or paged (check_found refuses it).
    too_broad: bool = False


def check_search(search: CaseSearch) -> None:
    """A search names at least one filter: it is a way to find a customer's
    cases, never a way to list every case."""
    if not search.has_filter():
        raise errors.SearchFilterRequired(
            "A case search needs at least one filter: customer, email, phone or custom.<name>.",
            attribute="customer, email, phone or custom.<name>")
    if search.sort not in SORT_KEYS:
        raise ValueError(f"unknown sort key {search.sort!r}")


def check_found(page: SearchPage) -> SearchPage:
    """A search none of whose filters narrowed the cases to
    ``MAX_SEARCH_CANDIDATES`` is refused: the caller adds a narrower filter."""
    if page.too_broad:
        raise errors.SearchTooBroad(
            f"The search is too broad: each of its filters matches more than {MAX_SEARCH_CANDIDATES:,} cases "
            f"you see, and a search considers at most {MAX_SEARCH_CANDIDATES:,}. Narrow it with a filter that "
            "matches fewer: customer, email, phone or another custom.<name>.",
            limit=MAX_SEARCH_CANDIDATES)
    return page
