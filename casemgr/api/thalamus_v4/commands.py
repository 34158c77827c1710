"""A v4 case body (already shape-checked) → the API-neutral command."""

from __future__ import annotations

from casemgr.domain.create import CreateCase
from casemgr.domain.model import UNSET, EditCase, StateRequirement


def edit_command(case_id: int, body: dict, *, api: str, if_match: str | None, activity: str | None) -> EditCase:
    """v4 edits open and closed cases alike (a status may close or reopen
    one); the version check is opt-in, through If-Match."""
    return EditCase(
        case_id=case_id,
        api=api,
        expected_etag=_etag(if_match),
        expected_last_modified=None,
        state_requirement=StateRequirement.ANY,
        activity=activity,
        **_case_fields(body),
    )


def create_command(body: dict, *, api: str, activity: str | None) -> CreateCase:
    return CreateCase(api=api, activity=activity, **_case_fields(body))


# Every write below honours If-Match as the update does (RFC 9110 section
# 13.1.1): each answers with the case's ETag, so a client may hold it.

def add_note_command(case_id: int, body: dict, *, api: str, activity: str | None,
                     if_match: str | None = None) -> EditCase:
    """A note is a comment added by an edit: the rules of any comment hold
    (a closed case takes none)."""
    return EditCase(case_id=case_id, api=api, state_requirement=StateRequirement.ANY, activity=activity,
                    expected_etag=_etag(if_match), comments=(body["description"],))


def update_note_command(case_id: int, comment_id: int, body: dict, *, api: str, activity: str | None,
                        if_match: str | None = None) -> EditCase:
    return EditCase(case_id=case_id, api=api, state_requirement=StateRequirement.ANY, activity=activity,
                    expected_etag=_etag(if_match), comment_edits=((comment_id, body["description"]),))


def transition_command(case_id: int, status_name: str, *, api: str, activity: str | None,
                       if_match: str | None = None) -> EditCase:
    """Thalamus: "a status change cannot be performed if the case is already
    in a Closed state": an open case only."""
    return EditCase(case_id=case_id, api=api, state_requirement=StateRequirement.OPEN, activity=activity,
                    expected_etag=_etag(if_match), status_name=status_name)


def assignment_command(case_id: int, email: str, *, api: str, activity: str | None,
                       if_match: str | None = None) -> EditCase:
    """An owner change by e-mail, judged by the rules of every owner change
    (the case open, Transfer and Pull Activities, the owner's departments)."""
    return EditCase(case_id=case_id, api=api, state_requirement=StateRequirement.OPEN, activity=activity,
                    expected_etag=_etag(if_match), owner_email=email)


def _case_fields(body: dict) -> dict:
    # A missing (or null) code reaches the domain as "", which it refuses
    # with CodeRequired: the two codes are mandatory on every call.
    return {
        "category_code": body.get("categoryCode") or "",
        "type_code": body.get("typeCode") or "",
        # null is "not given": Thalamus's SDK sends it for both when its caller gives none.
        "status_name": _given(body.get("status")),
        "resolution_name": _given(body.get("resolution")),
        "comments": tuple(comment["description"] for comment in body.get("comments", ())),
        "case_data": body.get("caseData", UNSET),
    }


def _given(value):
    return UNSET if value is None else value


def _etag(if_match: str | None) -> str | None:
    """``If-Match: *`` matches any version of an existing case: no check."""
    if if_match is None or if_match.strip() == "*":
        return None
    return if_match.strip()
