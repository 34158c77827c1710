"""Who may act on a case. Each check raises the error that names its rule.

A user is held to every check; an OAuth client token (no user) to none of them
(eGain: "Client Application: No additional permission required"); a customer
(Thalamus party) only to owning the case. The names of the actions and
permissions are ``ACTIONS`` and ``PERMISSIONS`` of ``casemgr.domain.model``.
"""

from __future__ import annotations

from casemgr.domain import errors
from casemgr.domain.model import Actor, ActorKind, CaseReach, CaseState, LinkedCaseFacts, UserFacts
from casemgr.domain.readmodel import CaseView


def check_touchpoint_reach(actor: Actor, case: CaseState | CaseView | CaseReach) -> None:
    """Through a Thalamus touchpoint, a case of a category the touchpoint is
    permitted (``TouchpointScope``), whoever the principal is: a touchpoint
    without permission on a case reaches it no more than a user without
    one does."""
    if not actor.touchpoint_scope.reaches(case.category_id):
        raise errors.CaseOutsideTouchpoint(
            f"Case {case.id} is of a category this touchpoint is not permitted.", case_id=case.id)


def check_touchpoint_category(actor: Actor, category_id: int | None, category_code: str) -> None:
    """A case classified into a category the touchpoint is not permitted is
    refused like an unknown category (Thalamus: "the touchpoint is not
    authorized" is InvalidCode)."""
    if category_id is not None and not actor.touchpoint_scope.reaches(category_id):
        raise errors.InvalidCategoryOrType(
            f"Category '{category_code}' does not exist or is not permitted to this touchpoint.",
            attribute="categoryCode")


def check_may_touch_case(actor: Actor, case: CaseState | CaseView | CaseReach, actions: tuple[str, ...]) -> None:
    """The caller holds every one of the actions and reaches the case (first
    403 group)."""
    check_touchpoint_reach(actor, case)
    if actor.kind is ActorKind.CUSTOMER:
        if case.customer_id != actor.customer_id:
            raise errors.CaseNotVisibleToCustomer(f"Case {case.id} is not a case of this customer.", case_id=case.id)
        return
    user = actor.user
    if user is None:
        return
    for action in actions:
        check_action(user, action)
    if case.department_id not in user.department_ids:
        raise errors.CaseOutsideUserDepartments(
            f"User is not allowed to access case {case.id}: it belongs to no department of the user.",
            case_id=case.id,
        )


def check_may_read_case(actor: Actor, case: CaseState | CaseView | CaseReach) -> None:
    """Reading needs no action, only sight: a user sees the cases of the
    departments ``UserFacts.visible_department_ids`` names, a customer its
    own cases, an OAuth client every case. The one definition of who sees
    a case: every surface asks it through casemgr.domain.visibility, and
    the queries that find cases in bulk take its sight as parameters."""
    if actor.kind is ActorKind.CUSTOMER:
        check_may_touch_case(actor, case, actions=())
        return
    check_touchpoint_reach(actor, case)
    if actor.user is not None and case.department_id not in actor.user.visible_department_ids:
        raise errors.CaseOutsideUserDepartments(
            f"User is not allowed to access case {case.id}.", case_id=case.id
        )


def may_read_case(actor: Actor, case: CaseState | CaseView | CaseReach) -> bool:
    try:
        check_may_read_case(actor, case)
    except errors.DomainError:
        return False
    return True


def readable_departments(actor: Actor) -> frozenset[int] | None:
    """The departments whose cases the actor may read, as check_may_read_case
    has it (the user's visible departments); None: every case (an OAuth
    client). A customer reads only its own cases, by case, not by
    department: an empty set here."""
    if actor.kind is ActorKind.CUSTOMER:
        return frozenset()
    return actor.user.visible_department_ids if actor.user is not None else None


def check_may_create_case(actor: Actor, action: str) -> None:
    """A user creates a case with the action an edit needs (there is no
    separate create action); a customer (party) creates its own cases."""
    if actor.user is not None:
        check_action(actor.user, action)


def check_action(user: UserFacts, action: str) -> None:
    if action and action not in user.actions:
        raise errors.ActionNotAllowed(f"User not allowed to perform action '{action}'.", action=action)


def check_may_name_owner(actor: Actor) -> None:
    """A customer assigns nobody (Thalamus: the assignment is an operator's
    call): refused with the first 403 group, before the owner is looked at,
    so a party learns nothing of the operators."""
    if actor.kind is ActorKind.CUSTOMER:
        raise errors.ActionNotAllowed("A party may not assign a case.", action="assignment")


def check_may_assign(actor: Actor, case: CaseState, new_owner: UserFacts) -> None:
    """Assigning to another user: Transfer Activities on that user, and the
    case lies in one of that user's departments."""
    user = actor.user
    if user is None or new_owner.id == user.id:
        return
    if new_owner.id not in user.may_transfer_to:
        raise errors.TransferNotPermitted(
            f"User is not allowed to transfer activities to user {new_owner.id}.", user_id=new_owner.id
        )
    if case.department_id not in new_owner.department_ids:
        raise errors.CaseOutsideOwnerDepartments(
            f"Case {case.id} belongs to no department of user {new_owner.id}.", user_id=new_owner.id
        )


def check_may_pull(actor: Actor, case: CaseState) -> None:
    """If the current owner is someone else than the caller, the caller
    holds Pull Activities on that owner. eGain's documentation of the edit
    states it for every edit, not only for reassignment, and so does this
    check."""
    user = actor.user
    if user is None or case.owner_id is None or case.owner_id == user.id:
        return
    if case.owner_id not in user.may_pull_from:
        raise errors.PullNotPermitted(
            f"User is not allowed to pull activities from user {case.owner_id}.", user_id=case.owner_id
        )


def check_may_relate(actor: Actor, linked: LinkedCaseFacts, sharing_departments: frozenset[int]) -> None:
    """A newly linked case lies in the user's home or foreign departments, or in
    a department that shares with the user's home department with activity
    sharing on. Unlinking needs no such reach: the relation already exists."""
    user = actor.user
    if user is None:
        return
    if linked.department_id in user.department_ids or linked.department_id in sharing_departments:
        return
    raise errors.RelatedCaseNotPermitted(
        f"User is not allowed to relate case {linked.id}.", case_id=linked.id
    )
