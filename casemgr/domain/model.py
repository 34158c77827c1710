"""Value types: who acts, what a case is, and the one API-neutral edit command."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SEVERITIES = ("urgent", "high", "medium", "low")
MAX_TEXT_LENGTH = 1024
MAX_RELATED_CASES = 75
MAX_CASES_PER_READ = 75
# Comments only ever grow: one request adds at most this many, and a case read
# (Thalamus, the only API that shows comments) shows this many of the newest,
# with the total, so no answer grows with the case's history.
MAX_COMMENTS_PER_REQUEST = 100
COMMENTS_SHOWN = 100
# Thalamus's activity, recorded with the history entry of a write.
MAX_ACTIVITY_LENGTH = 255

# The actions a user may hold, and the permissions a user holds on another
# user: the names the rules check (casemgr.domain.permissions), and so the
# only ones a load accepts. A name the rules never check would be a user who
# silently gets 403 on every call it was meant to allow.
EDIT_CASE = "Edit Case"
CLOSE_CASE = "Close Case"
MANAGE_CLOSED_CASE = "Manage Closed Case"
ACTIONS = (EDIT_CASE, CLOSE_CASE, MANAGE_CLOSED_CASE)
TRANSFER_ACTIVITIES = "Transfer Activities"  # may make the user the owner of a case
PULL_ACTIVITIES = "Pull Activities"  # may edit (and take) the cases the user owns
PERMISSIONS = (TRANSFER_ACTIVITIES, PULL_ACTIVITIES)


class _Unset(enum.Enum):
    """An attribute the request did not mention (distinct from an empty value)."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET = _Unset.UNSET


def is_given(value: Any) -> bool:
    return value is not UNSET


class ActorKind(enum.Enum):
    USER = "user"
    CLIENT = "client"  # an OAuth client token: no user, no user permission checks
    CUSTOMER = "customer"  # a Thalamus party


@dataclass(frozen=True)
class UserFacts:
    """A user as the rules see it: departments, actions and permissions."""

    id: int
    login: str
    first_name: str = ""
    last_name: str = ""
    email: str | None = None
    disabled: bool = False
    licenses: frozenset[str] = frozenset()
    actions: frozenset[str] = frozenset()
    home_department_id: int = 0
    foreign_department_ids: frozenset[int] = frozenset()
    may_transfer_to: frozenset[int] = frozenset()
    may_pull_from: frozenset[int] = frozenset()
    # Departments that share with the home department with activity sharing on.
    shared_department_ids: frozenset[int] = frozenset()

    @property
    def department_ids(self) -> frozenset[int]:
        """Where the user works: the home and the foreign departments (edits)."""
        return self.foreign_department_ids | {self.home_department_id}

    @property
    def visible_department_ids(self) -> frozenset[int]:
        """Whose cases the user sees (reads and case search), as eGain states
        it for both: the home and foreign departments, and every department
        that shares with the home department with activity sharing on. Case
        search filters by the same set in SQL (sql/queries/search.sql)."""
        return self.department_ids | self.shared_department_ids

    @property
    def licensed(self) -> bool:
        return bool(self.licenses)


@dataclass(frozen=True)
class TouchpointScope:
    """The categories a Thalamus touchpoint may act on: ``category_ids``
    None, every one (no permission configured: the default)."""

    category_ids: frozenset[int] | None = None

    def reaches(self, category_id: int | None) -> bool:
        """A case or classification of a category the touchpoint is
        permitted; a restricted touchpoint reaches no unclassified case."""
        return self.category_ids is None or category_id in self.category_ids


EVERY_CATEGORY = TouchpointScope()


@dataclass(frozen=True)
class Actor:
    """Who makes a request: a user, an OAuth client, or a customer; on
    Thalamus, through a touchpoint whose ``touchpoint`` scope bounds what it
    reaches (None: no touchpoint, every category)."""

    kind: ActorKind
    user: UserFacts | None = None
    client_id: str | None = None
    customer_id: int | None = None
    customer_name: str = ""
    customer_email: str | None = None
    touchpoint: TouchpointScope | None = None

    @property
    def touchpoint_scope(self) -> TouchpointScope:
        return self.touchpoint or EVERY_CATEGORY

    @classmethod
    def for_user(cls, user: UserFacts, client_id: str | None = None) -> "Actor":
        return cls(ActorKind.USER, user=user, client_id=client_id)

    @classmethod
    def for_client(cls, client_id: str) -> "Actor":
        return cls(ActorKind.CLIENT, client_id=client_id)

    @classmethod
    def for_customer(cls, customer_id: int, name: str = "", email: str | None = None) -> "Actor":
        return cls(ActorKind.CUSTOMER, customer_id=customer_id, customer_name=name, customer_email=email)

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user else None

    @property
    def principal(self) -> tuple:
        """Who this is, whichever API and credential it came through."""
        if self.user is not None:
            return (ActorKind.USER, self.user.id)
        if self.kind is ActorKind.CUSTOMER:
            return (ActorKind.CUSTOMER, self.customer_id)
        return (self.kind, self.client_id)


class CaseField(enum.Enum):
    """A field of the case that a creation or an edit writes, by its name in
    the domain's vocabulary: the one the history records it under
    (``casemgr.domain.history``) and the APIs show. Where each is stored is
    the database adapter's business (``casemgr.db.repositories``)."""

    DEPARTMENT = "department"
    CUSTOMER = "customer"
    SUBJECT = "subject"
    DESCRIPTION = "description"
    SOLUTION = "solution"
    SEVERITY = "severity"
    DUE_DATE = "dueDate"
    OWNER = "owner"  # a user's id
    STATUS = "status"  # a status's id
    RESOLUTION = "resolution"  # a resolution's id
    CATEGORY = "category"  # a category's id
    TYPE = "type"  # a case type's id
    # Never recorded in the history: lastClosed follows from the status, and
    # an entry carries its own lastModified and author.
    LAST_CLOSED = "lastClosed"
    LAST_MODIFIED = "lastModified"
    LAST_MODIFIED_BY = "lastModifiedBy"  # a user's id; None: no user (a client or a customer)


# The case's own values a creation or an edit writes, by field.
CaseValues = dict[CaseField, Any]


class StateRequirement(enum.Enum):
    """Which status state an edit needs: eGain edits open cases, the closed-case
    edit closed ones, Thalamus either (it may reopen or close by status)."""

    OPEN = "open"
    CLOSED = "closed"
    ANY = "any"


@dataclass(frozen=True)
class EditCase:
    """One edit, whatever API it came through.

    ``UNSET`` means "not mentioned: leave as it is". For the string attributes
    ``""`` removes the value; for ``due_date`` ``None`` removes it.
    """

    case_id: int
    api: str
    expected_last_modified: datetime | None = None
    expected_etag: str | None = None
    state_requirement: StateRequirement = StateRequirement.OPEN
    due_date: datetime | None | _Unset = UNSET
    owner_id: int | _Unset = UNSET
    severity: str | _Unset = UNSET
    subject: str | _Unset = UNSET
    description: str | _Unset = UNSET
    solution: str | _Unset = UNSET
    link: tuple[int, ...] = ()
    unlink: tuple[int, ...] = ()
    custom_attributes: tuple[tuple[str, str], ...] = ()
    # Thalamus v4
    category_code: str | _Unset = UNSET
    type_code: str | _Unset = UNSET
    status_name: str | _Unset = UNSET
    resolution_name: str | _Unset = UNSET
    comments: tuple[str, ...] = ()
    case_data: dict[str, Any] | _Unset = UNSET
    # Thalamus: a new owner by e-mail (the assignment), comments rewritten
    # (comment id, new text), and the activity the history entry records.
    owner_email: str | _Unset = UNSET
    comment_edits: tuple[tuple[int, str], ...] = ()
    activity: str | None = None

    TEXT_ATTRIBUTES = ("subject", "description", "solution")

    def attributes_beyond_custom(self) -> list[str]:
        """The attributes mentioned besides custom attributes, by the names
        the APIs give them (whether a close names more than the status:
        ``edit.closes_only``)."""
        named = {
            "dueDate": self.due_date, "owner": self.owner_id, "severity": self.severity, "subject": self.subject,
            "description": self.description, "solution": self.solution, "categoryCode": self.category_code,
            "typeCode": self.type_code, "status": self.status_name, "resolution": self.resolution_name,
            "caseData": self.case_data, "email": self.owner_email,
        }
        mentioned = [name for name, value in named.items() if is_given(value)]
        mentioned += [name for name, value in (("link", self.link), ("unlink", self.unlink),
                                               ("comments", self.comments or self.comment_edits)) if value]
        return mentioned

    def mentions_anything(self) -> bool:
        singles = (
            self.due_date, self.owner_id, self.severity, self.subject, self.description,
            self.solution, self.category_code, self.type_code, self.status_name,
            self.resolution_name, self.case_data, self.owner_email,
        )
        collections = (self.link, self.unlink, self.custom_attributes, self.comments, self.comment_edits)
        return any(is_given(v) for v in singles) or any(collections)

    def needs_reference_facts(self) -> bool:
        """Whether the edit is judged on rows other than the case's own: a new
        owner, related cases, custom attribute definitions, a classification,
        a status or a resolution. An edit that names none of them (the common
        one: subject, description, solution, severity, due date) needs only
        the case and the time."""
        singles = (self.owner_id, self.owner_email, self.category_code, self.type_code, self.status_name,
                   self.resolution_name)
        return any(is_given(v) for v in singles) or bool(
            self.link or self.unlink or self.custom_attributes or self.comment_edits)

    def facts_depend_on_actor(self) -> bool:
        """Only a link's reach depends on who edits (the departments sharing
        with the actor's home department): every other edit's facts are read
        in the same message as its credential check."""
        return bool(self.link)

    def ids_to_lock(self) -> list[int]:
        """Every case whose related-case count the edit may change, in the
        order all edits lock them (ascending id), so that two edits never wait
        for each other in a cycle."""
        return sorted({self.case_id, *self.link, *self.unlink})


@dataclass(frozen=True)
class FieldDefinition:
    """A custom attribute (eGain, global) or a case data field (Thalamus, per type)."""

    id: int
    name: str
    data_type: str  # string | integer | decimal | boolean | date
    allowed_values: tuple[str, ...] | None = None


@dataclass(frozen=True)
class CaseState:
    """A case as stored, with what the rules need to judge an edit."""

    id: int
    department_id: int
    owner_id: int | None
    customer_id: int | None
    status_id: int
    status_name: str
    status_state: str
    severity: str | None
    subject: str | None
    description: str | None
    solution: str | None
    due_date: datetime | None
    category_id: int | None
    case_type_id: int | None
    resolution_id: int | None
    last_modified: datetime
    last_closed: datetime | None
    related_ids: frozenset[int] = frozenset()
    custom_values: dict[int, Any] = field(default_factory=dict)  # field id -> value

    @property
    def is_open(self) -> bool:
        return self.status_state == "open"

    def field_values(self) -> CaseValues:
        """The case's fields by name: what an edit's or a load's changes are
        measured against (``casemgr.domain.history``), in the order a load
        records them."""
        return {
            CaseField.DEPARTMENT: self.department_id, CaseField.CUSTOMER: self.customer_id,
            CaseField.SUBJECT: self.subject, CaseField.DESCRIPTION: self.description,
            CaseField.SOLUTION: self.solution, CaseField.SEVERITY: self.severity, CaseField.DUE_DATE: self.due_date,
            CaseField.OWNER: self.owner_id, CaseField.STATUS: self.status_id, CaseField.RESOLUTION: self.resolution_id,
            CaseField.CATEGORY: self.category_id, CaseField.TYPE: self.case_type_id,
            CaseField.LAST_CLOSED: self.last_closed, CaseField.LAST_MODIFIED: self.last_modified,
        }


@dataclass(frozen=True)
class LinkedCaseFacts:
    """A case at the other end of a link or unlink, locked with the edited case."""

    id: int
    department_id: int
    related_ids: frozenset[int]
    last_modified: datetime


@dataclass(frozen=True)
class Classification:
    """Thalamus category and type, as found by their codes."""

    category_id: int | None = None
    category_is_system: bool = False
    type_id: int | None = None
    fields: tuple[FieldDefinition, ...] = ()


@dataclass(frozen=True)
class NamedRef:
    id: int
    name: str
    state: str | None = None


@dataclass(frozen=True)
class CommentFacts:
    """A comment an edit rewrites, as stored."""

    id: int
    case_id: int
    description: str
    author_customer_id: int | None


@dataclass(frozen=True)
class EditFacts:
    """Everything an edit is judged on, loaded in one transaction with the
    case row locked."""

    now: datetime
    case: CaseState | None
    new_owner: UserFacts | None = None
    linked_cases: dict[int, LinkedCaseFacts] = field(default_factory=dict)
    departments_sharing_activities: frozenset[int] = frozenset()
    custom_attributes: dict[str, FieldDefinition] = field(default_factory=dict)
    classification: Classification | None = None
    status: NamedRef | None = None
    resolution: NamedRef | None = None
    # The statuses the case's current status may move to; None: any.
    next_status_ids: frozenset[int] | None = None
    # The comments the edit rewrites that exist (of any case), by id.
    comments: dict[int, CommentFacts] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class CaseUpdate:
    """What an accepted edit writes: the case's values it sets (``values``:
    only the fields it writes, lastModified and lastModifiedBy among them),
    relation changes, custom values, comments, and the history entry that
    describes it."""

    case_id: int
    last_modified: datetime
    values: CaseValues
    link: tuple[int, ...]
    unlink: tuple[int, ...]
    custom_values_set: dict[int, Any]
    custom_values_removed: tuple[int, ...]
    comments: tuple[str, ...]
    changes: tuple[FieldChange, ...]
    # The version the edit replaces: recorded with the history entry.
    previous_last_modified: datetime | None = None
    other_ends: tuple["OtherEndUpdate", ...] = ()
    # Comments rewritten: (comment id, new text).
    comment_edits: tuple[tuple[int, str], ...] = ()
    activity: str | None = None

    @property
    def changes_nothing(self) -> bool:
        """Nothing to write: the case stays the version it is."""
        return not self.values

    def writes_only_case_row(self) -> bool:
        """No relation, custom value, comment or other case changes: the case
        row and its history entry are all there is to write."""
        return not (self.link or self.unlink or self.custom_values_set or self.custom_values_removed
                    or self.comments or self.comment_edits or self.other_ends)


@dataclass(frozen=True)
class OtherEndUpdate:
    """A case whose relations changed because another case linked or unlinked
    it: its representation changed, so it gets a new lastModified and a
    history entry of its own."""

    case_id: int
    last_modified: datetime
    previous_last_modified: datetime
    change: FieldChange


@dataclass(frozen=True)
class CaseReach:
    """Who a case belongs to, as far as reading it goes: its department and
    its customer."""

    id: int
    department_id: int
    customer_id: int | None
    category_id: int | None = None
