"""Case use cases: edit, close, read. One transaction each.

Every API's edit ends in ``edit_case``: lock the case (and every case it links
or unlinks), load the facts, let the domain decide, write the change and its
history. A refusal raises before anything of the case is written, so a refused
request never leaves a partial write; its transaction commits only the use of
the session that checked in with it (``SessionCheck``), and a failure rolls
everything back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from casemgr.domain import edit, errors, permissions
from casemgr.domain.model import MAX_CASES_PER_READ, Actor, EditCase
from casemgr.domain.readmodel import CaseView
from casemgr.domain.versions import etag_for
from casemgr.service.auth import SessionCheck
from casemgr.service.errors import ServiceUnavailable
from casemgr.service.ports import UnitOfWorkFactory


@dataclass(frozen=True)
class EditResult:
    case_id: int
    last_modified: datetime

    @property
    def etag(self) -> str:
        return etag_for(self.case_id, self.last_modified)


class CaseService:
    def __init__(self, unit_of_work: UnitOfWorkFactory):
        self._unit_of_work = unit_of_work

    def edit_case(self, caller: Actor | SessionCheck, cmd: EditCase) -> EditResult:
        """``caller``: an actor already authenticated, or a session this
        edit's transaction checks in its first statement."""
        try:
            edit.check_request(cmd)
        except errors.DomainError:
            _authenticated(caller)  # a dead session's 401 comes first
            raise
        # Batched: BEGIN, the session check, the locks and the facts go in
        # one round trip, the write and COMMIT in a second. The facts
        # statement still starts only once the statement before it holds the
        # locks.
        refusal: errors.DomainError | None = None
        try:
            with self._unit_of_work(batched=True) as uow:
                try:
                    return _apply_edit(uow, caller, cmd)
                except errors.DomainError as refused:
                    # Nothing of the case was written: commit the session's
                    # use, so a refused edit keeps its session alive like any
                    # other request.
                    refusal = refused
        except ServiceUnavailable:
            if refusal is None:
                raise
            # Committing only the session's use failed: the refusal stands.
        raise refusal

    def close_cases(self, actor: Actor, case_ids: list[int], api: str) -> list[EditResult]:
        """Close open cases, all or none: each status becomes the first
        configured status whose state is closed (Close Case action needed).
        Cases are closed in ascending id order, the order every edit locks in."""
        if len(case_ids) > MAX_CASES_PER_READ:
            raise errors.TooManyCaseIds(
                f"At most {MAX_CASES_PER_READ} cases may be closed at once.", limit=MAX_CASES_PER_READ
            )
        with self._unit_of_work() as uow:
            closed = uow.cases.first_closed_status()
            name = closed.name if closed else ""
            return [
                _apply_edit(uow, actor, EditCase(case_id=case_id, api=api, required_action="Close Case",
                                                 status_name=name))
                for case_id in sorted(set(case_ids))
            ]

    def read_cases(self, actor: Actor, case_ids: list[int], newest_comments: int = 0) -> list[CaseView]:
        """The cases among ``case_ids`` that exist and the actor may see, each
        with its ``newest_comments`` newest comments: a read that shows no
        comment loads none, however many a case holds."""
        if len(case_ids) > MAX_CASES_PER_READ:
            raise errors.TooManyCaseIds(
                f"At most {MAX_CASES_PER_READ} case ids may be read at once.", limit=MAX_CASES_PER_READ
            )
        with self._unit_of_work() as uow:
            views = uow.cases.case_views(list(dict.fromkeys(case_ids)), newest_comments)
        return [v for v in views if _may_read(actor, v)]

    def read_case(self, actor: Actor, case_id: int, newest_comments: int = 0) -> CaseView:
        views = self.read_cases(actor, [case_id], newest_comments)
        if not views:
            raise errors.CaseNotFound(f"Case {case_id} does not exist.", case_id=case_id)
        return views[0]

    def custom_attribute_definitions(self):
        with self._unit_of_work() as uow:
            return uow.cases.custom_attributes()


def _apply_edit(uow, caller: Actor | SessionCheck, cmd: EditCase) -> EditResult:
    """The one write path: lock, load facts, decide, write — inside the
    caller's unit of work."""
    actor_of = _lock_cases_as(uow, caller, cmd.ids_to_lock())
    # Only the reference facts depend on the actor: the common edit sends
    # its session check, locks and facts in one message.
    facts = uow.cases.load_edit_facts(cmd, actor_of() if cmd.needs_reference_facts() else None)
    actor = actor_of()
    update = edit.decide_edit(cmd, actor, facts)
    last_modified = uow.cases.apply_update(update, actor, cmd.api)
    return EditResult(cmd.case_id, last_modified)


def _lock_cases_as(uow, caller: Actor | SessionCheck, case_ids: list[int]) -> Callable[[], Actor]:
    """Queues the locks (and the session check, for a SessionCheck); the
    returned function answers the actor once that has been sent."""
    if isinstance(caller, SessionCheck):
        return caller.locking_cases(uow, case_ids)
    uow.cases.lock_cases(case_ids)
    return lambda: caller


def _authenticated(caller: Actor | SessionCheck) -> Actor:
    return caller.standalone() if isinstance(caller, SessionCheck) else caller


def _may_read(actor: Actor, view: CaseView) -> bool:
    try:
        permissions.check_may_read_case(actor, view)
    except errors.DomainError:
        return False
    return True
