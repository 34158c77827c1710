"""What a load needs from the database, the port of this use case;
``casemgr.db.loader.PostgresLoadStore`` provides it. Every call runs in the
load's one transaction, which the caller of ``load_document`` holds.

Entries travel as the plan holds them (``casemgr.service.loading.plan``),
each with its ``path`` in the file: a write the database refuses raises a
LoadError naming the entry being written, and the transaction rolls back.
Every upsert writes nothing when the stored row already matches, so a second
load of the same file changes nothing."""

from __future__ import annotations

from typing import Any, Iterable, Protocol

from casemgr.domain.model import CaseState
from casemgr.service.loading.catalog import Catalog
from casemgr.service.loading.plan import PlannedCase


class LoadStore(Protocol):
    def lock(self, case_ids: list[int]) -> list[int]:
        """Make loads take turns (two validated against the same snapshot could
        each pass and together break a rule), then lock, in ascending id order,
        the cases among ``case_ids`` that exist and their related cases; the
        ids of the cases locked."""
        ...

    def read_catalog(self, case_ids: list[int]) -> Catalog:
        """The stored rows the file may refer to or must not collide with; the
        relations of the stored cases among ``case_ids``."""
        ...

    # -- writes, each section referring only to earlier ones --------------------

    def advance_identity_sequences(self, largest_ids: dict[str, int | None]) -> None:
        """Move each id sequence past the largest id, stored or about to be
        loaded (``Plan.largest_ids``)."""
        ...

    def write_departments(self, departments: list[dict]) -> None:
        """The departments, then the shares of each (a share may name a
        department further down the file)."""
        ...

    def write_users(self, users: list[dict]) -> None:
        """The users (each with its ``password_hash``), then the foreign
        departments and permissions of each (a permission may name a user
        further down the file)."""
        ...

    def write_customers(self, customers: list[dict]) -> None:
        """The customers, each with its ``password_hash``."""
        ...

    def write_custom_attributes(self, custom_attributes: list[dict]) -> None: ...

    def write_statuses(self, statuses: list[dict], initial_status: str | None) -> None:
        """The statuses; ``initial_status``, when the file marks one, becomes
        the only initial status."""
        ...

    def write_resolutions(self, resolutions: list[dict]) -> None: ...

    def write_categories(self, categories: list[dict], case_types: list[dict]) -> None:
        """The categories, then each case type with its fields."""
        ...

    def write_touchpoints(self, touchpoints: list[dict]) -> None: ...

    def write_oauth_clients(self, oauth_clients: list[dict]) -> None:
        """The OAuth clients, each with its ``secret_hash``."""
        ...

    def write_cases(self, cases: list[PlannedCase]) -> set[int]:
        """The cases' rows, then their custom values and relations; a case that
        changed, and the other end of every relation added or removed, gets a
        new lastModified. The ids of the cases inserted or changed."""
        ...

    # -- the history of the cases the load created or changed --------------------

    def case_states(self, case_ids: Iterable[int]) -> dict[int, CaseState]:
        """The cases among ``case_ids`` as the rules see them, by id."""
        ...

    def custom_fields(self) -> list[dict[str, Any]]:
        """Every custom field as {id, name, case_type_id}: one without a case
        type is an eGain custom attribute, the others are Thalamus case data."""
        ...

    def insert_history(self, entries: list[dict[str, Any]]) -> None:
        """One history entry, with no author, per {case_id, last_modified,
        previous_last_modified, changes (domain ``FieldChange``s)}."""
        ...
