"""What the database already holds: the rows a file may refer to or must not
collide with, read in the load's transaction before validation (by the
store, ``LoadStore.read_catalog``)."""

from __future__ import annotations

from dataclasses import dataclass

from casemgr.domain.model import FieldDefinition


@dataclass
class Catalog:
    """The rows a file may refer to or must not collide with, read in the
    load's transaction before validation."""

    departments: set[str]
    users: dict[str, dict]  # login -> {id, email (lower case), password_hash}
    customers: dict[int, dict]  # id -> {email (lower case), password_hash}
    custom_attributes: dict[str, FieldDefinition]
    statuses: dict[str, dict]  # name -> {state, is_initial}
    resolutions: set[str]
    categories: dict[str, bool]  # code -> is a system node
    case_fields: dict[tuple[str, str], dict[str, FieldDefinition]]  # (category, type) -> fields
    oauth_secret_hashes: dict[str, str]
    relations: dict[int, frozenset[int]]  # existing case (of those the file mentions) -> related ids
