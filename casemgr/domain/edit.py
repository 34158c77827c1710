"""The edit rules, one function per rule, for every API.

``check_request`` judges the command alone (before any case is read);
``decide_edit`` judges it against the facts loaded with the case row locked
and returns the ``CaseUpdate`` to write. The order of the calls in
``decide_edit`` *is* the order of faults (docs/errors.md), so a request with
several faults always gets the same answer.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from casemgr.domain import errors, history, permissions
from casemgr.domain.model import (
    MAX_ACTIVITY_LENGTH,
    MAX_COMMENTS_PER_REQUEST,
    MAX_RELATED_CASES,
    MAX_TEXT_LENGTH,
    SEVERITIES,
    CLOSE_CASE,
    EDIT_CASE,
    MANAGE_CLOSED_CASE,
    Actor,
    CaseField,
    CaseState,
    CaseUpdate,
    CaseValues,
    Classification,
    EditCase,
    EditFacts,
    FieldChange,
    FieldDefinition,
    NamedRef,
    OtherEndUpdate,
    StateRequirement,
    UNSET,
    _Unset,
    is_given,
)
from casemgr.domain.values import checked_moment, field_value_from_json, parse_field_value
from casemgr.domain.versions import etag_for, next_last_modified, to_millis, version_of_etag


# -- the request alone -----------------------------------------------------

def check_request(cmd: EditCase) -> None:
    """Rules that need no stored fact: 3, 6, 7, the request's own link count
    and date-times the service can store and print."""
    check_something_to_change(cmd)
    check_moments(cmd)
    check_text_lengths(cmd)
    check_severity(cmd)
    check_link_lists(cmd)
    check_activity(cmd.activity)
    if is_given(cmd.category_code) or is_given(cmd.type_code):
        check_classification_codes(cmd.category_code, cmd.type_code)


def check_activity(activity: str | None) -> None:
    """Thalamus's activity, recorded with the entry: a name of at most 255
    characters."""
    if activity is not None and not 1 <= len(activity) <= MAX_ACTIVITY_LENGTH:
        raise errors.InvalidValue(
            f"Value of 'activity' must hold 1 to {MAX_ACTIVITY_LENGTH} characters.", attribute="activity")


def check_classification_codes(category_code: str | _Unset, type_code: str | _Unset) -> None:
    """Thalamus: category and type come together, both codes given; each
    missing one is reported (the same rule ``decide_classification``
    applies, here before anything is read, so both are named at once)."""
    errors.refuse_all([
        *([errors.CategoryCodeRequired("categoryCode is required.", attribute="categoryCode")]
          if not category_code else []),
        *([errors.TypeCodeRequired("typeCode is required.", attribute="typeCode")] if not type_code else []),
    ])

def check_moments(cmd: EditCase) -> None:
    """A due date (or lastModified) beyond what the service can store and
    print is an invalid value, not a crash while printing it."""
    if isinstance(cmd.due_date, datetime):
        checked_moment(cmd.due_date, "dueDate")
    if cmd.expected_last_modified is not None:
        checked_moment(cmd.expected_last_modified, "lastModified")


def check_something_to_change(cmd: EditCase) -> None:
    """Rule 3: at least one attribute besides id and lastModified."""
    if not cmd.mentions_anything():
        raise errors.NothingToChange("At least one attribute of the case must be provided for modification.")


def check_text_lengths(cmd: EditCase) -> None:
    """Rule 6: subject, description, solution (and Thalamus comments) ≤ 1024
    characters; and every custom attribute value, whatever its type: a text
    holds no more, and no number, date or boolean is written this long."""
    texts = [(name, getattr(cmd, name)) for name in EditCase.TEXT_ATTRIBUTES]
    texts += [(f"customAttributes.{name}", raw) for name, raw in cmd.custom_attributes]
    for name, value in texts:
        if is_given(value) and len(value) > MAX_TEXT_LENGTH:
            raise errors.ValueTooLong(
                f"Value of '{name}' exceeds {MAX_TEXT_LENGTH} characters.", attribute=name, limit=MAX_TEXT_LENGTH
            )
    check_comments(cmd.comments)
    check_comments(tuple(text for _, text in cmd.comment_edits))


def check_comments(comments: tuple[str, ...]) -> None:
    """Rule 6 for Thalamus comments: each holds text, at most 1024 characters;
    and one request adds at most 100 of them, so no request grows a case by
    more than about 100 KB."""
    if len(comments) > MAX_COMMENTS_PER_REQUEST:
        raise errors.TooManyComments(
            f"At most {MAX_COMMENTS_PER_REQUEST} comments may be added in one request, not {len(comments)}.",
            attribute="comments", limit=MAX_COMMENTS_PER_REQUEST,
        )
    for index, text in enumerate(comments):
        name = f"comments[{index}].description"
        if len(text) > MAX_TEXT_LENGTH:
            raise errors.ValueTooLong(
                f"Value of '{name}' exceeds {MAX_TEXT_LENGTH} characters.", attribute=name, limit=MAX_TEXT_LENGTH
            )
        if not text.strip():
            raise errors.InvalidValue(f"Value of '{name}' must not be empty.", attribute=name)


def check_severity(cmd: EditCase) -> None:
    """Rule 7: severity.value ∈ urgent | high | medium | low."""
    if is_given(cmd.severity) and cmd.severity not in SEVERITIES:
        raise errors.InvalidEnumValue(
            f"Invalid value '{cmd.severity}' for 'severity'. Expected one of: {', '.join(SEVERITIES)}.",
            attribute="severity", value=cmd.severity, expected=SEVERITIES,
        )


def check_link_lists(cmd: EditCase) -> None:
    """Rule 9, the part the request alone decides: no more than 75 cases to
    relate, no case both linked and unlinked."""
    if len(set(cmd.link)) > MAX_RELATED_CASES:
        raise errors.RelatedCaseLimitExceeded(
            f"Limit exceeded for 'relatedCases': at most {MAX_RELATED_CASES} cases.",
            attribute="relatedCases", limit=MAX_RELATED_CASES, case_id=cmd.case_id,
        )
    both = sorted(set(cmd.link) & set(cmd.unlink))
    if both:
        raise errors.InvalidValue(
            f"Case {both[0]} is both linked and unlinked in one request.", attribute="relatedCases"
        )


# -- the request against the stored facts -----------------------------------

def decide_edit(cmd: EditCase, actor: Actor, facts: EditFacts) -> CaseUpdate:
    """Apply every rule in precedence order; return what to write."""
    case = require_case(cmd.case_id, facts.case)
    permissions.check_may_touch_case(actor, case, actions_needed(cmd, case, facts))
    if is_given(cmd.owner_id) or is_given(cmd.owner_email):
        permissions.check_may_name_owner(actor)
    check_state(cmd, case)
    check_version(cmd, case)

    check_due_date(cmd, facts.now)
    cmd = resolve_owner_email(cmd, facts)
    check_new_owner(cmd, actor, facts)
    new_related = decide_relations(cmd, case, facts)
    custom_set, custom_removed = decide_custom_attributes(cmd, facts.custom_attributes)
    # Independent rules: every one of them that refuses is reported.
    (classification_values, data_set), (status_values, closing), resolution_values = decide_all(
        lambda: decide_classification(cmd.category_code, cmd.type_code, cmd.case_data, facts.classification),
        lambda: decide_status(cmd.status_name, facts.status, was_open=case.is_open,
                              current_status_id=case.status_id, next_status_ids=facts.next_status_ids),
        lambda: decide_resolution(cmd.resolution_name, facts.resolution),
    )
    status_values.update(resolution_values)
    if CaseField.CATEGORY in classification_values:
        permissions.check_touchpoint_category(actor, classification_values[CaseField.CATEGORY], cmd.category_code)
    comment_edits = decide_comment_edits(cmd, actor, case, facts)

    if is_given(cmd.owner_id) and facts.new_owner is not None:
        permissions.check_may_assign(actor, case, facts.new_owner)
    permissions.check_may_pull(actor, case)
    for case_id in sorted(new_related - case.related_ids):
        permissions.check_may_relate(actor, facts.linked_cases[case_id], facts.departments_sharing_activities)

    last_modified = next_last_modified(case.last_modified, facts.now)
    values = {
        **plain_values(cmd),
        **classification_values,
        **status_values,
        CaseField.LAST_MODIFIED: last_modified,
        CaseField.LAST_MODIFIED_BY: actor.user_id,
    }
    if closing:
        values[CaseField.LAST_CLOSED] = last_modified
    custom_set = {**custom_set, **data_set}
    return build_update(cmd, actor, case, facts, values, new_related, custom_set, custom_removed, comment_edits)


def decide_all(*rules):
    """Runs every rule and answers their results in order; when some
    refuse, raises them all (``errors.Refusals``), in the order of the rules."""
    results, refusals = [], []
    for rule in rules:
        try:
            results.append(rule())
        except errors.Refusals as several:
            refusals.extend(several.refusals)
        except errors.DomainError as refusal:
            refusals.append(refusal)
    errors.refuse_all(refusals)
    return results


def resolve_owner_email(cmd: EditCase, facts: EditFacts) -> EditCase:
    """Thalamus's assignment names the new owner by e-mail: the operator who
    has it (loaded with the facts), judged from here on as an owner named
    by id is."""
    if not is_given(cmd.owner_email):
        return cmd
    if facts.new_owner is None:
        raise errors.OwnerNotFound(f"No operator has the e-mail '{cmd.owner_email}'.", user_id=cmd.owner_email)
    return replace(cmd, owner_id=facts.new_owner.id, owner_email=UNSET)


def decide_comment_edits(cmd: EditCase, actor: Actor, case: CaseState,
                         facts: EditFacts) -> tuple[tuple[int, str, str], ...]:
    """Comments rewritten: each a comment of the case (a customer: one it
    wrote itself; a comment of anyone else is as unknown to it as one of
    another case). Answers (id, old text, new text) of those that change."""
    edits = []
    for comment_id, text in cmd.comment_edits:
        stored = facts.comments.get(comment_id)
        if stored is None or stored.case_id != case.id or (
                actor.customer_id is not None and stored.author_customer_id != actor.customer_id):
            raise errors.CommentNotFound(f"Comment {comment_id} is not a comment of case {case.id}.",
                                         comment_id=comment_id, case_id=case.id)
        if stored.description != text:
            edits.append((comment_id, stored.description, text))
    return tuple(edits)

def require_case(case_id: int, case: CaseState | None) -> CaseState:
    """Rule 1: a case with the given id exists."""
    if case is None:
        raise errors.CaseNotFound(f"Case {case_id} does not exist.", case_id=case_id)
    return case


def actions_needed(cmd: EditCase, case: CaseState, facts: EditFacts) -> tuple[str, ...]:
    """The actions a user needs for this change, decided from the change
    itself, whatever API carries it:

    - closing (a status whose state is closed) needs Close Case; and Edit
      Case too when the request names more than the status (a category and
      type the case already has aside: a Thalamus update always names them);
    - any change to a closed case needs Manage Closed Case, and so does the
      edit that only a closed case takes (eGain v3's closed-case edit);
    - reopening (a closed case moved to a status whose state is open) is a
      change to a closed case, so it needs Manage Closed Case, and Edit
      Case for the open case it makes and the rest of the request. eGain
      offers no reopening; Manage Closed Case is eGain's action for
      whatever happens to a closed case, and Close Case alone is the right
      to end work, not to take it up again;
    - any other change needs Edit Case.

    An edit that takes only open cases (eGain's) needs what it would need
    on an open case: ``check_state`` then refuses a closed one as eGain
    does, to whoever holds that."""
    if cmd.state_requirement is StateRequirement.CLOSED:
        return (MANAGE_CLOSED_CASE,)
    new_state = new_status_state(cmd, facts.status)
    if case.is_open or cmd.state_requirement is StateRequirement.OPEN:
        if new_state == "closed":
            return (CLOSE_CASE,) if closes_only(cmd, case, facts.classification) else (CLOSE_CASE, EDIT_CASE)
        return (EDIT_CASE,)
    if new_state == "open":
        return (MANAGE_CLOSED_CASE, EDIT_CASE)
    return (MANAGE_CLOSED_CASE,)


def new_status_state(cmd: EditCase, status: NamedRef | None) -> str | None:
    """The state of the status the edit moves the case to; None: it names
    none (or one that does not exist, refused later)."""
    return status.state if status is not None and is_given(cmd.status_name) else None


def closes_only(cmd: EditCase, case: CaseState, classification: Classification | None) -> bool:
    """The request names nothing but the status, besides the category and
    type the case already has."""
    named = [a for a in cmd.attributes_beyond_custom() if a not in ("status", "categoryCode", "typeCode")]
    keeps_classification = classification is None or (
        (classification.category_id, classification.type_id) == (case.category_id, case.case_type_id))
    return not named and not cmd.custom_attributes and keeps_classification


def check_state(cmd: EditCase, case: CaseState) -> None:
    """Rule 2: the case's status state is open (closed for the closed-case edit)."""
    if cmd.state_requirement is StateRequirement.OPEN and not case.is_open:
        raise errors.CaseNotOpen(f"Case {case.id} is not open.", case_id=case.id)
    if cmd.state_requirement is StateRequirement.CLOSED and case.is_open:
        raise errors.CaseNotClosed(f"Case {case.id} is not closed.", case_id=case.id)


def check_version(cmd: EditCase, case: CaseState) -> None:
    """Rule 4: the client edits the version it read (lastModified, or If-Match)."""
    current = to_millis(case.last_modified)
    if cmd.expected_etag is not None and cmd.expected_etag != etag_for(case.id, current):
        raise errors.PreconditionFailed(
            "The case was modified since the ETag given in If-Match.", current=current, case_id=case.id,
            expected=version_of_etag(cmd.expected_etag, case.id),
        )
    if cmd.expected_last_modified is not None and to_millis(cmd.expected_last_modified) != current:
        raise errors.StaleCase(
            "The lastModified date of the case in the request does not match its lastModified date on the server.",
            current=current, case_id=case.id, expected=to_millis(cmd.expected_last_modified),
        )


def check_due_date(cmd: EditCase, now: datetime) -> None:
    """Rule 5: a due date given with a value lies in the future."""
    if isinstance(cmd.due_date, datetime) and cmd.due_date <= now:
        raise errors.DueDateNotInFuture("Value of 'dueDate' must be a future date.", attribute="dueDate")


def check_new_owner(cmd: EditCase, actor: Actor, facts: EditFacts) -> None:
    """Rule 8: another user as owner exists, is not disabled and is licensed."""
    if not is_given(cmd.owner_id) or cmd.owner_id == actor.user_id:
        return
    owner = facts.new_owner
    if owner is None:
        raise errors.OwnerNotFound(f"User {cmd.owner_id} does not exist.", user_id=cmd.owner_id)
    if owner.disabled:
        raise errors.OwnerDisabled(f"User {owner.id} is disabled.", user_id=owner.id)
    if not owner.licensed:
        raise errors.OwnerUnlicensed(f"User {owner.id} has no user license.", user_id=owner.id)


def decide_relations(cmd: EditCase, case: CaseState, facts: EditFacts) -> frozenset[int]:
    """Rule 9: linked cases exist, are not the case itself, and after the
    change neither end is related to more than 75 cases."""
    for case_id in (*cmd.link, *cmd.unlink):
        if case_id == case.id:
            raise errors.RelatedCaseIsSelf(f"Case {case.id} cannot be related to itself.", case_id=case_id)
        if case_id not in facts.linked_cases:
            raise errors.RelatedCaseNotFound(f"Related case {case_id} does not exist.", case_id=case_id)
    new_related = (case.related_ids | set(cmd.link)) - set(cmd.unlink)
    check_relation_limit(case.id, new_related)
    for case_id in sorted(new_related - case.related_ids):
        other = facts.linked_cases[case_id]
        check_relation_limit(case_id, other.related_ids | {case.id})
    return frozenset(new_related)


def check_relation_limit(case_id: int, related: frozenset[int] | set[int]) -> None:
    if len(related) > MAX_RELATED_CASES:
        raise errors.RelatedCaseLimitExceeded(
            f"Limit exceeded for 'relatedCases': case {case_id} would be related to "
            f"{len(related)} cases, at most {MAX_RELATED_CASES} are allowed.",
            attribute="relatedCases", limit=MAX_RELATED_CASES, case_id=case_id,
        )


_ALLOWED_CUSTOM_CHARACTERS = re.compile(r"""[A-Za-z0-9@ :._\-&,()?#='"\u0080-\U0010FFFF]*""")


def decide_custom_attributes(
    cmd: EditCase, definitions: dict[str, FieldDefinition]
) -> tuple[dict[int, Any], tuple[int, ...]]:
    """Rule 10: configured names, enumerated values, allowed characters.
    ``""`` removes a value."""
    to_set: dict[int, Any] = {}
    to_remove: list[int] = []
    for name, raw in cmd.custom_attributes:
        definition = definitions.get(name)
        if definition is None:
            raise errors.UnknownCustomAttribute(
                f"Custom attribute '{name}' is not configured.", attribute=name
            )
        if raw == "":
            to_remove.append(definition.id)
            continue
        to_set[definition.id] = custom_attribute_value(definition, raw)
    return to_set, tuple(to_remove)


def custom_attribute_value(definition: FieldDefinition, raw: str) -> Any:
    """Rule 10 for one value: in its enumeration when it has one; a text of at
    most 1024 allowed characters; else a value of its type that the store
    gives back unchanged. The typed value to store."""
    attribute = f"customAttributes.{definition.name}"
    if definition.allowed_values is not None:
        if raw not in definition.allowed_values:
            raise errors.InvalidEnumValue(
                f"Invalid value '{raw}' for '{definition.name}'. "
                f"Expected one of: {', '.join(definition.allowed_values)}.",
                attribute=attribute, value=raw, expected=definition.allowed_values,
            )
        return parse_field_value(definition, raw, attribute)
    value = parse_field_value(definition, raw, attribute)
    if definition.data_type == "string" and not _ALLOWED_CUSTOM_CHARACTERS.fullmatch(raw):
        raise errors.CustomAttributeCharacters(
            f"Value of custom attribute '{definition.name}' contains characters that are not allowed.",
            attribute=attribute,
        )
    return value


def decide_classification(
    category_code: str | _Unset,
    type_code: str | _Unset,
    case_data: dict[str, Any] | _Unset,
    found: Classification | None,
) -> tuple[CaseValues, dict[int, Any]]:
    """Thalamus: category and type by code, not a system node, the type in the
    category; caseData holds every field of the type with a value of its type.
    ``found`` is what the codes name in storage (None: no such category)."""
    if not is_given(category_code) and not is_given(type_code):
        return {}, {}
    if not category_code:
        raise errors.CategoryCodeRequired("categoryCode is required.", attribute="categoryCode")
    if not type_code:
        raise errors.TypeCodeRequired("typeCode is required.", attribute="typeCode")
    if found is None or found.category_id is None:
        raise errors.InvalidCategoryOrType(
            f"Category '{category_code}' does not exist.", attribute="categoryCode"
        )
    if found.category_is_system:
        raise errors.CategoryIsSystemNode(
            f"Category '{category_code}' is a system node and cannot hold cases.", attribute="categoryCode"
        )
    if found.type_id is None:
        raise errors.InvalidCategoryOrType(
            f"Type '{type_code}' does not exist in category '{category_code}'.", attribute="typeCode"
        )
    data = decide_case_data(case_data, found.fields)
    return {CaseField.CATEGORY: found.category_id, CaseField.TYPE: found.type_id}, data


def decide_case_data(case_data: dict[str, Any] | _Unset, fields: tuple[FieldDefinition, ...]) -> dict[int, Any]:
    """Thalamus: caseData, when given, holds every field of the type, each with
    a value of the field's data type, and no other field."""
    if not is_given(case_data):
        return {}
    by_name = {f.name: f for f in fields}
    for name in case_data:
        if name not in by_name:
            raise errors.InvalidCaseField(f"'{name}' is not a field of this case type.", field=name)
    values: dict[int, Any] = {}
    for definition in fields:
        if definition.name not in case_data:
            raise errors.InvalidCaseField(
                f"Field '{definition.name}' of the case type is missing from caseData.", field=definition.name
            )
        values[definition.id] = case_field_value(definition, case_data[definition.name])
    return values


def case_field_value(definition: FieldDefinition, value: Any) -> Any:
    """One caseData value, as it is stored. A text over the limit is TooLong,
    like every text; any other misfit is the field's invalidCaseField."""
    try:
        return field_value_from_json(definition, value, f"caseData.{definition.name}")
    except errors.ValueTooLong:
        raise
    except errors.InvalidValue as refused:
        expected = refused.facts.get("expected", f"a value of type {definition.data_type}")
        raise errors.InvalidCaseField(f"Field '{definition.name}' expects {expected}.", field=definition.name) from None


def decide_status(status_name: str | _Unset, found: NamedRef | None, *, was_open: bool,
                  current_status_id: int | None = None,
                  next_status_ids: frozenset[int] | None = None) -> tuple[CaseValues, bool]:
    """Status by configured name, one the configured transitions lead to
    from the case's status (``next_status_ids``; None: any; staying in the
    same status is no transition). Moving an open case to a status whose
    state is closed closes it: the second value says so (the caller sets
    lastClosed)."""
    if not is_given(status_name):
        return {}, False
    if found is None:
        raise errors.UnknownStatusName(f"Status '{status_name}' does not exist.", attribute="status")
    if next_status_ids is not None and found.id != current_status_id and found.id not in next_status_ids:
        raise errors.StatusTransitionNotAllowed(
            f"Status '{found.name}' cannot follow the case's current status.", attribute="status")
    return {CaseField.STATUS: found.id}, found.state == "closed" and was_open


def decide_resolution(resolution_name: str | _Unset, found: NamedRef | None) -> CaseValues:
    """Resolution by configured name."""
    if not is_given(resolution_name):
        return {}
    if found is None:
        raise errors.UnknownResolutionName(
            f"Resolution '{resolution_name}' does not exist.", attribute="resolution"
        )
    return {CaseField.RESOLUTION: found.id}


# -- the write --------------------------------------------------------------

def plain_values(cmd: EditCase) -> CaseValues:
    """The values of the directly editable attributes; "" removes a text."""
    texts = {CaseField.SUBJECT: cmd.subject, CaseField.DESCRIPTION: cmd.description, CaseField.SOLUTION: cmd.solution}
    values: CaseValues = {name: value or None for name, value in texts.items() if is_given(value)}
    others = {CaseField.DUE_DATE: cmd.due_date, CaseField.OWNER: cmd.owner_id, CaseField.SEVERITY: cmd.severity}
    values.update((name, value) for name, value in others.items() if is_given(value))
    return values


def build_update(
    cmd: EditCase,
    actor: Actor,
    case: CaseState,
    facts: EditFacts,
    values: CaseValues,
    new_related: frozenset[int],
    custom_set: dict[int, Any],
    custom_removed: tuple[int, ...],
    comment_edits: tuple[tuple[int, str, str], ...] = (),
) -> CaseUpdate:
    changes = history.field_changes(case.field_values(), values)
    field_names = {d.id: history.custom_attribute_field(d.name) for d in facts.custom_attributes.values()}
    if facts.classification is not None:
        field_names.update({d.id: history.case_data_field(d.name) for d in facts.classification.fields})
    removed = tuple(f for f in custom_removed if f in case.custom_values)
    changes += history.value_changes(
        {f: case.custom_values.get(f) for f in (*custom_set, *removed)}, custom_set, field_names)
    linked = tuple(sorted(new_related - case.related_ids))
    unlinked = tuple(sorted(case.related_ids - new_related))
    changes += history.relation_change(case.related_ids, new_related)
    changes += [FieldChange(history.comment_field(comment_id), old, new) for comment_id, old, new in comment_edits]
    if not case.is_open and new_status_state(cmd, facts.status) != "open":
        check_closed_case_keeps(changes, cmd.comments)
    if not changes and not cmd.comments:
        return unchanged(case)
    # Comments are recorded by the ids they get, when they are written.
    return CaseUpdate(
        case_id=case.id,
        last_modified=values[CaseField.LAST_MODIFIED],
        values=values,
        link=linked,
        unlink=unlinked,
        custom_values_set=custom_set,
        custom_values_removed=removed,
        comments=cmd.comments,
        changes=tuple(changes),
        previous_last_modified=case.last_modified,
        other_ends=other_end_updates(case.id, linked, unlinked, facts),
        comment_edits=tuple((comment_id, new) for comment_id, _, new in comment_edits),
        activity=cmd.activity,
    )


def check_closed_case_keeps(changes: list[FieldChange], comments: tuple[str, ...]) -> None:
    """A closed case that stays closed may have only its custom values
    changed (eGain's custom attributes, Thalamus's case data), on every API:
    a status, a resolution, a comment or any other field waits until the
    case is reopened. Named but unchanged values are no change."""
    for change in changes:
        if change.field.startswith(history.COMMENT_PREFIX):
            raise errors.NotChangeableWhenClosed(
                "Only custom values may change on a closed case, not 'comments'.", attribute="comments")
        if not change.field.startswith((history.CUSTOM_ATTRIBUTES, history.CASE_DATA)):
            raise errors.NotChangeableWhenClosed(
                f"Only custom values may change on a closed case, not '{change.field}'.", attribute=change.field)
    if comments:
        raise errors.NotChangeableWhenClosed(
            "Only custom values may change on a closed case, not 'comments'.", attribute="comments")


def unchanged(case: CaseState) -> CaseUpdate:
    """An edit that changes nothing is not a new version: the case keeps its
    lastModified (so no other client's version goes stale for nothing), and
    no history entry is written (there is nothing to explain). The edit
    still succeeds: every rule before this one held."""
    return CaseUpdate(case_id=case.id, last_modified=case.last_modified, values={}, link=(), unlink=(),
                      custom_values_set={}, custom_values_removed=(), comments=(), changes=(),
                      previous_last_modified=case.last_modified)


def other_end_updates(case_id: int, linked, unlinked, facts: EditFacts) -> tuple[OtherEndUpdate, ...]:
    updates = []
    for other_id in sorted((*linked, *unlinked)):
        other = facts.linked_cases[other_id]
        after = other.related_ids | {case_id} if other_id in linked else other.related_ids - {case_id}
        updates.append(OtherEndUpdate(
            case_id=other_id,
            last_modified=next_last_modified(other.last_modified, facts.now),
            previous_last_modified=other.last_modified,
            change=history.relation_change(other.related_ids, after)[0],
        ))
    return tuple(updates)
