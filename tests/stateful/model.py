"""The model the sequences are checked against: every case of the test world
with the fields the model tracks, its history (one entry per version), and
what every request should answer, seen through each principal's view.

Versions are the one thing the model cannot predict (the database's clock
makes them): an accepted change appends an entry whose ``last_modified`` is
unknown until the next check reads it, and the check then holds it to be
greater than the version before; every case the step did not change must
keep its version exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from tests.stateful.world import (
    CASE_IDS,
    CLOSE_CASE,
    CLOSE_STATUS,
    CLOSED_STATUSES,
    CUSTOMERS,
    EDIT_CASE,
    MANAGE_CLOSED_CASE,
    TYPES,
    USERS,
    WORLD,
    Principal,
)

OWN_FIELDS = ("subject", "severity", "status", "resolution", "category", "type")
CUSTOM, CASE_DATA = "customAttributes.", "caseData."


def text(value: Any) -> str | None:
    """A value as the history writes it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def ids_text(ids) -> str | None:
    return ",".join(str(i) for i in sorted(ids)) or None


def ids_of(value: str | None) -> set[int]:
    return {int(i) for i in value.split(",")} if value else set()


def etag(case_id: int, last_modified: str) -> str:
    moment = datetime.strptime(last_modified, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    millis = (moment - datetime(1970, 1, 1, tzinfo=timezone.utc)) // (moment.resolution * 1000)
    return f'"{case_id}-{millis}"'


def tracked(name: str) -> bool:
    """The history fields the model tracks (and a replay must give back)."""
    return name in (*OWN_FIELDS, "relatedCases", "comments") or name.startswith((CUSTOM, CASE_DATA))


# -- requests -------------------------------------------------------------------

@dataclass(frozen=True)
class EgainEdit:
    """What an eGain edit names; None or empty: not sent."""

    subject: str | None = None
    severity: str | None = None
    custom: tuple[tuple[str, str], ...] = ()  # "" removes
    link: tuple[int, ...] = ()
    unlink: tuple[int, ...] = ()

    def body(self, href_prefix: str) -> dict:
        body: dict[str, Any] = {}
        if self.subject is not None:
            body["subject"] = self.subject
        if self.severity is not None:
            body["severity"] = {"value": self.severity}
        if self.custom:
            body["customAttributes"] = {"customAttribute": [
                {"attribName": name, "attribValues": {"attribValue": [{"value": value}]}}
                for name, value in self.custom]}
        relations = {}
        for verb, ids in (("link", self.link), ("unlink", self.unlink)):
            if ids:
                relations[verb] = [{"rel": "case", "href": f"{href_prefix}{i}"} for i in ids]
        if relations:
            body["relatedCases"] = relations
        return body


@dataclass(frozen=True)
class ThalamusUpdate:
    """A Thalamus update besides its category and type (the case's own, always)."""

    status: str | None = None
    resolution: str | None = None
    comments: tuple[str, ...] = ()
    case_data: tuple[tuple[str, Any], ...] | None = None

    def body(self, category: str, type_code: str) -> dict:
        body: dict[str, Any] = {"categoryCode": category, "typeCode": type_code}
        if self.status is not None:
            body["status"] = self.status
        if self.resolution is not None:
            body["resolution"] = self.resolution
        if self.comments:
            body["comments"] = [{"description": c} for c in self.comments]
        if self.case_data is not None:
            body["caseData"] = dict(self.case_data)
        return body


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str  # eGain's code; Thalamus "<key>:<code>"


OK = None  # an outcome that is no refusal


# -- the cases ------------------------------------------------------------------

@dataclass
class Entry:
    api: str
    author: dict | None
    changes: dict[str, tuple[str | None, str | None]]
    last_modified: str | None = None  # the version it made (None until read)


@dataclass
class CaseModel:
    id: int
    department: str
    customer: int | None
    owner: int | None
    subject: str | None
    severity: str | None
    status: str
    resolution: str | None
    category: str | None
    type: str | None
    custom: dict[str, str]
    case_data: dict[str, Any]
    related: set[int]
    fixed_type: tuple[str, str]  # what every Thalamus update names
    comments: list[tuple[int, str]] = field(default_factory=list)
    last_modified_by: int | None = None
    entries: list[Entry] = field(default_factory=list)

    @property
    def version(self) -> str:
        return self.entries[-1].last_modified

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    def tracked_state(self) -> dict[str, Any]:
        """The tracked fields as the history's text, as a replay gives them."""
        state: dict[str, Any] = {name: getattr(self, name) for name in OWN_FIELDS}
        state.update({CUSTOM + n: v for n, v in self.custom.items()})
        state.update({CASE_DATA + n: text(v) for n, v in self.case_data.items()})
        state["relatedCases"] = frozenset(self.related)
        state["comments"] = frozenset(i for i, _ in self.comments)
        return {k: v for k, v in state.items() if v is not None and v != frozenset()}


def replay(entries: list[dict]) -> tuple[dict[str, Any], list[str]]:
    """The tracked state a history (oldest first, as the API shows entries)
    gives, and every entry whose oldValue is not what the field held then."""
    state: dict[str, Any] = {}
    inconsistent = []
    for entry in entries:
        for change in entry["changes"]:
            name, old, new = change["field"], change["oldValue"], change["newValue"]
            if name == "relatedCases":
                held = state.get(name, frozenset())
                if not ids_of(old) <= held or ids_of(new) & held:
                    inconsistent.append(f"{entry['lastModified']} {name} {old!r}->{new!r} on {sorted(held)}")
                state[name] = (held - ids_of(old)) | ids_of(new)
            elif name == "comments":
                state[name] = state.get(name, frozenset()) | ids_of(new)
            else:
                if state.get(name) != old:
                    inconsistent.append(f"{entry['lastModified']} {name} {old!r}->{new!r} on {state.get(name)!r}")
                state[name] = new
    return {k: v for k, v in state.items() if tracked(k) and v is not None and v != frozenset()}, inconsistent


def world_cases() -> dict[int, CaseModel]:
    types = sorted(TYPES)
    cases = {}
    for position, case in enumerate(sorted(WORLD["cases"], key=lambda c: c["id"])):
        category, type_code = case.get("category"), case.get("type")
        cases[case["id"]] = CaseModel(
            id=case["id"], department=case["department"], customer=case.get("customer"),
            owner=USERS[case["owner"]]["id"] if case.get("owner") else None,
            subject=case.get("subject"), severity=case.get("severity"), status=case["status"],
            resolution=case.get("resolution"), category=category, type=type_code,
            custom={n: str(v) for n, v in case.get("customAttributes", {}).items()},
            case_data=dict(case.get("caseData", {})), related=set(case.get("relatedCases", [])),
            fixed_type=(category, type_code) if category else types[position % len(types)],
        )
    for case in list(cases.values()):  # a relation holds at both ends
        for other in case.related:
            cases[other].related.add(case.id)
    return cases


# -- what a request should answer -------------------------------------------------

def actions_needed(case: CaseModel, requirement: str, new_status: str | None = None,
                   closes_only: bool = False) -> tuple[str, ...]:
    """The actions a user needs, from the change itself (whatever API):
    closing needs Close Case, and Edit Case too unless the request names
    nothing but the status (besides the category and type the case already
    has); any change to a closed case Manage Closed Case, and so does the
    closed-case edit (``requirement`` "closed"); reopening Manage Closed
    Case and Edit Case; anything else Edit Case. An edit that takes only
    open cases (``requirement`` "open": eGain's edit and close) needs what it
    would need on an open case, and is then refused for a closed case's state."""
    if requirement == "closed":
        return (MANAGE_CLOSED_CASE,)
    new_state = None if new_status is None else ("closed" if new_status in CLOSED_STATUSES else "open")
    if case.is_open or requirement == "open":
        if new_state == "closed":
            return (CLOSE_CASE,) if closes_only else (CLOSE_CASE, EDIT_CASE)
        return (EDIT_CASE,)
    if new_state == "open":
        return (MANAGE_CLOSED_CASE, EDIT_CASE)
    return (MANAGE_CLOSED_CASE,)


def reach_refusal(p: Principal, case: CaseModel, actions: tuple[str, ...], api: str) -> Refusal | None:
    """The first 403 group (actions, department; a party's own case)."""
    invalid = Refusal(400, "case:invalidId")
    if p.kind == "party":
        return None if case.customer == p.customer_id else invalid
    if p.kind == "client":
        return None
    if not set(actions) <= p.actions:
        return invalid if api == "v4" else Refusal(403, "403-178")
    if case.department not in p.departments:
        return invalid if api == "v4" else Refusal(403, "403-105")
    return None


def late_refusal(p: Principal, case: CaseModel, links: tuple[int, ...], cases: dict[int, CaseModel],
                 api: str) -> Refusal | None:
    """The last 403 group: Pull Activities on another owner, reach of a newly linked case."""
    if p.kind != "agent":
        return None
    if case.owner is not None and case.owner != p.user_id and case.owner not in p.pulls_from:
        return Refusal(400, "case:invalidId") if api == "v4" else Refusal(403, "403-9004")
    for other in links:
        if other not in case.related and cases[other].department not in p.visible:
            return Refusal(403, "403-9005")
    return None


def egain_edit_outcome(p: Principal, case: CaseModel, edit: EgainEdit, cases, *, stale: bool, if_match: bool,
                       closed_case_edit: bool = False) -> Refusal | None:
    """README's precedence: 403 (action, department) → 400 case state →
    409/412 → value rules (none fail here) → 403 (pull, related reach)."""
    refused = reach_refusal(p, case, actions_needed(case, "closed" if closed_case_edit else "open"), p.api)
    if refused:
        return refused
    if closed_case_edit and case.is_open:
        return Refusal(400, "400-9008")
    if not closed_case_edit and not case.is_open:
        return Refusal(400, "400-9007")
    if stale:
        return Refusal(412, "412-9001") if if_match else Refusal(409, "409-100")
    return late_refusal(p, case, edit.link, cases, p.api)


def close_outcome(p: Principal, case: CaseModel, cases) -> Refusal | None:
    refused = reach_refusal(p, case, actions_needed(case, "open", CLOSE_STATUS, closes_only=True), p.api)
    if refused:
        return refused
    if not case.is_open:
        return Refusal(400, "400-9007")
    return late_refusal(p, case, (), cases, p.api)


def thalamus_outcome(p: Principal, case: CaseModel, cases, update: ThalamusUpdate, *,
                     stale: bool) -> Refusal | None:
    """v4 edits open and closed cases; every refusal about reach is invalidId.
    A closed case that stays closed may have only its case data changed:
    any other change (the category and type it is given, a status, a
    resolution, a comment) is that field's Unsupported."""
    closes_only = (update.resolution is None and not update.comments and update.case_data is None
                   and (case.category, case.type) == case.fixed_type)
    refused = reach_refusal(p, case, actions_needed(case, "any", update.status, closes_only), "v4")
    if refused:
        return refused
    if stale:
        return Refusal(412, "etag:PreconditionFailed")
    refused = late_refusal(p, case, (), cases, "v4")
    if refused:
        return refused
    reopens = update.status is not None and update.status not in CLOSED_STATUSES
    if not case.is_open and not reopens:
        beyond = [name for name in thalamus_changes(case, update) if not name.startswith(CASE_DATA)]
        if beyond or update.comments:
            return Refusal(400, f"{(beyond or ['comments'])[0]}:Unsupported")
    return None


# -- what an accepted request changes -----------------------------------------------

def egain_changes(case: CaseModel, edit: EgainEdit, cases) -> dict[int, dict]:
    """The history entry each case gets (the edited case, and the other end of
    each link and unlink), by case id; no entry for a case nothing changes of."""
    changes: dict[str, tuple] = {}
    for name, new in (("subject", edit.subject), ("severity", edit.severity)):
        if new is not None and (new or None) != getattr(case, name):
            changes[name] = (getattr(case, name), new or None)
    for name, value in edit.custom:
        old = case.custom.get(name)
        if (value or None) != old:
            changes[CUSTOM + name] = (old, value or None)
    related = (case.related | set(edit.link)) - set(edit.unlink)
    added, removed = related - case.related, case.related - related
    if added or removed:
        changes["relatedCases"] = (ids_text(removed), ids_text(added))
    entries = {case.id: changes} if changes else {}
    for other in added:
        entries[other] = {"relatedCases": (None, str(case.id))}
    for other in removed:
        entries[other] = {"relatedCases": (str(case.id), None)}
    return entries


def thalamus_changes(case: CaseModel, update: ThalamusUpdate) -> dict[str, tuple]:
    """The entry of an update (its comments' ids are known once it is answered)."""
    category, type_code = case.fixed_type
    changes: dict[str, tuple] = {}
    for name, new in (("category", category), ("type", type_code), ("status", update.status),
                      ("resolution", update.resolution)):
        if new is not None and new != getattr(case, name):
            changes[name] = (getattr(case, name), new)
    for name, value in (update.case_data or ()):
        old = text(case.case_data.get(name))
        if old != text(value):
            changes[CASE_DATA + name] = (old, text(value))
    return changes


def apply(case: CaseModel, changes: dict[str, tuple], p: Principal, typed_data: dict[str, Any] | None = None,
          comments: list[tuple[int, str]] = ()) -> None:
    """Makes the model's case what the entry says, and appends the entry."""
    for name, (old, new) in changes.items():
        if name in OWN_FIELDS:
            setattr(case, name, new)
        elif name.startswith(CUSTOM):
            key = name[len(CUSTOM):]
            if new is None:
                case.custom.pop(key, None)
            else:
                case.custom[key] = new
        elif name.startswith(CASE_DATA):
            case.case_data[name[len(CASE_DATA):]] = typed_data[name[len(CASE_DATA):]]
        elif name == "relatedCases":
            case.related = (case.related - ids_of(old)) | ids_of(new)
    if comments:
        case.comments.extend(comments)
        changes = {**changes, "comments": (None, ids_text(i for i, _ in comments))}
    case.last_modified_by = p.user_id
    case.entries.append(Entry(p.api, p.author, changes))


def close_changes(case: CaseModel) -> dict[str, tuple]:
    return {"status": (case.status, CLOSE_STATUS)}


# -- what a principal sees ------------------------------------------------------------

def entry_as_seen(entry: Entry, p: Principal) -> dict | None:
    changes = {name: values for name, values in entry.changes.items() if p.sees_field(name)}
    if not changes:
        return None
    return {"lastModified": entry.last_modified, "api": entry.api, "user": p.author_as_seen(entry.author),
            "changes": changes}


def history_as_seen(case: CaseModel, p: Principal) -> list[dict]:
    """Newest first, as every API shows it."""
    seen = (entry_as_seen(e, p) for e in reversed(case.entries))
    return [e for e in seen if e is not None]


def changed_since(case: CaseModel, version: str, p: Principal) -> tuple[set[str], int]:
    """A 409/412's changedFields and changes for ``p``: the entries after
    ``version`` that show ``p`` something, and their fields ``p`` sees."""
    index = next(i for i, e in enumerate(case.entries) if e.last_modified == version)
    seen = [entry_as_seen(e, p) for e in case.entries[index + 1:]]
    seen = [e for e in seen if e is not None]
    return {name for e in seen for name in e["changes"]}, len(seen)


def egain_expected(case: CaseModel, api: str, href_prefix: str) -> dict:
    """An eGain read ($attribute=all) of the case, in ``egain_shown``'s terms."""
    shown = {
        "department": case.department,
        "status": ("closed" if case.status in CLOSED_STATUSES else "open", case.status),
        "severity": case.severity,
        "subject": case.subject,
        "owner": case.owner,
        "customer": case.customer,
        "relatedCases": sorted(case.related),
        "hrefPrefix": href_prefix if case.related else None,
        "customAttributes": dict(case.custom),
        "lastModified": case.version,
    }
    if api == "v12":
        shown["lastModifiedBy"] = case.last_modified_by
    return shown


def egain_shown(shown: dict, api: str) -> dict:
    links = shown.get("relatedCases", {}).get("link", [])
    prefixes = {link["href"].rsplit("/", 1)[0] + "/" for link in links}
    result = {
        "department": shown["department"]["name"],
        "status": (shown["status"]["value"], shown["status"]["displayValue"]),
        "severity": shown.get("severity", {}).get("value"),
        "subject": shown.get("subject"),
        "owner": int(shown["owner"]["user"]["id"]) if "owner" in shown else None,
        "customer": int(shown["customer"]["id"]) if "customer" in shown else None,
        "relatedCases": sorted(int(link["href"].rsplit("/", 1)[1]) for link in links),
        "hrefPrefix": prefixes.pop() if len(prefixes) == 1 else (sorted(prefixes) or None),
        "customAttributes": {a["attribName"]: a["attribValues"]["attribValue"][0]["value"]
                             for a in shown.get("customAttributes", {}).get("customAttribute", [])},
        "lastModified": shown["lastModified"]["date"] if api == "v12" else shown["lastModified"],
    }
    if api == "v12":
        user = shown["lastModified"].get("user")
        result["lastModifiedBy"] = int(user["id"]) if user else None
    return result


THALAMUS_CASE_KEYS = {"id", "categoryCode", "categoryName", "typeCode", "status", "resolution", "comments",
                      "commentCount", "caseData"}


def thalamus_expected(case: CaseModel) -> dict:
    return {
        "id": case.id, "categoryCode": case.category, "typeCode": case.type, "status": case.status,
        "resolution": case.resolution,
        "comments": [{"id": i, "caseInstanceId": case.id, "description": d} for i, d in case.comments],
        "commentCount": len(case.comments), "caseData": dict(case.case_data),
    }


def thalamus_shown(shown: dict) -> dict:
    return {k: v for k, v in shown.items() if k != "categoryName"}


def search_matches(case: CaseModel, query: tuple[str, str]) -> bool:
    name, value = query
    if name == "customer":
        return case.customer is not None and str(case.customer) == value
    if name == "email":
        return case.customer is not None and CUSTOMERS[case.customer]["email"] == value
    return case.custom.get(name.removeprefix("custom.")) == value


def new_model() -> dict[int, CaseModel]:
    cases = world_cases()
    assert tuple(sorted(cases)) == CASE_IDS
    return cases
