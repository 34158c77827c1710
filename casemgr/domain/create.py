"""Creating a case (Thalamus v4 ``POST /api/v4/cases``).

A new case is judged by the rules an edit of its classification, status,
resolution, comments and case data is judged by: ``decide_create`` calls the
very functions of ``casemgr.domain.edit``, so the two can never drift apart.
What only creation decides lives here: who may create, which department the
case lands in, and the status it starts in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from casemgr.domain import edit, errors, history, permissions
from casemgr.domain.model import (
    EDIT_CASE,
    UNSET,
    Actor,
    ActorKind,
    CaseField,
    CaseValues,
    Classification,
    FieldChange,
    NamedRef,
    _Unset,
    is_given,
)
from casemgr.domain.versions import to_millis


@dataclass(frozen=True)
class CreateCase:
    """A new case, whatever API it came through. Category and type are
    mandatory: ``""`` (the API's "missing") is refused with CodeRequired."""

    api: str
    category_code: str = ""
    type_code: str = ""
    status_name: str | _Unset = UNSET
    resolution_name: str | _Unset = UNSET
    comments: tuple[str, ...] = ()
    case_data: dict[str, Any] | _Unset = UNSET
    required_action: str = EDIT_CASE
    activity: str | None = None


@dataclass(frozen=True)
class CreationFacts:
    """What a new case is judged on, loaded in one round trip."""

    now: datetime
    party_department_id: int | None
    initial_status: NamedRef | None
    classification: Classification | None = None
    status: NamedRef | None = None
    resolution: NamedRef | None = None


@dataclass(frozen=True)
class NewCase:
    """What an accepted creation writes: the case's values (department,
    customer, category, type, status, resolution, lastClosed), its case data,
    its comments and the history entry that records the creation."""

    created_at: datetime
    values: CaseValues
    custom_values: dict[int, Any]
    comments: tuple[str, ...]
    changes: tuple[FieldChange, ...]
    activity: str | None = None


def check_request(cmd: CreateCase) -> None:
    """Rules that need no stored fact: both codes (each missing one is
    reported), the comments, the activity."""
    edit.decide_all(lambda: edit.check_classification_codes(cmd.category_code, cmd.type_code),
                    lambda: edit.check_comments(cmd.comments),
                    lambda: edit.check_activity(cmd.activity))


def decide_create(cmd: CreateCase, actor: Actor, facts: CreationFacts) -> NewCase:
    """Apply the creation rules in precedence order; return what to write."""
    permissions.check_may_create_case(actor, cmd.required_action)
    department_id = department_for_new_case(actor, facts)
    # Independent rules: every one of them that refuses is reported.
    (classification_values, case_data), (status_values, closing), resolution_values = edit.decide_all(
        lambda: edit.decide_classification(cmd.category_code, cmd.type_code, cmd.case_data, facts.classification),
        lambda: starting_status(cmd, facts),
        lambda: edit.decide_resolution(cmd.resolution_name, facts.resolution),
    )
    permissions.check_touchpoint_category(actor, classification_values[CaseField.CATEGORY], cmd.category_code)

    created_at = to_millis(facts.now)
    values = {
        CaseField.DEPARTMENT: department_id,
        CaseField.CUSTOMER: actor.customer_id,
        **classification_values,
        **status_values,
        **resolution_values,
        CaseField.LAST_CLOSED: created_at if closing else None,
    }
    return NewCase(
        created_at=created_at,
        values=values,
        custom_values=case_data,
        comments=cmd.comments,
        changes=creation_changes(values, case_data, facts),
        activity=cmd.activity,
    )


def starting_status(cmd: CreateCase, facts: CreationFacts) -> tuple[CaseValues, bool]:
    """The status named (null or absent: not named), else the initial one."""
    if is_given(cmd.status_name):
        return edit.decide_status(cmd.status_name, facts.status, was_open=True)
    return initial_status(facts)


def department_for_new_case(actor: Actor, facts: CreationFacts) -> int:
    """An operator's case lands in the operator's home department. A party
    (customer) belongs to no department, so its case lands in the party
    department: the department with the lowest id, the one a fresh
    installation creates first (ours: the sources are silent)."""
    if actor.kind is ActorKind.USER and actor.user is not None:
        return actor.user.home_department_id
    if facts.party_department_id is None:
        raise errors.InvalidValue("No department exists to hold a new case.", attribute="department")
    return facts.party_department_id


def initial_status(facts: CreationFacts) -> tuple[CaseValues, bool]:
    """Without a status name, a new case starts in the configured initial
    status (an open one)."""
    if facts.initial_status is None:
        raise errors.UnknownStatusName("No initial status is configured.", attribute="status")
    return {CaseField.STATUS: facts.initial_status.id}, facts.initial_status.state == "closed"


def creation_changes(values: CaseValues, case_data: dict[int, Any], facts: CreationFacts) -> tuple[FieldChange, ...]:
    """The history entry of a creation: "created", then every value the new
    case starts with (old value None), as an edit records its changes. The
    comments are recorded by the ids they get, when they are written."""
    names = {d.id: history.case_data_field(d.name) for d in facts.classification.fields} if facts.classification else {}
    return (
        FieldChange(history.CASE, None, history.CREATED),
        *history.field_changes({}, {f: v for f, v in values.items() if v is not None}),
        *history.value_changes({}, case_data, names),
    )
