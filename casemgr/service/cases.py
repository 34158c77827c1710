"""Case use cases: edit, close, read. One transaction each.

Every API's edit ends in ``edit_case``: lock the case (and every case it links
or unlinks), load the facts, let the domain decide, write the change and its
history. A refusal raises before anything is written, and the transaction is
rolled back, so a refused request never leaves a partial write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from casemgr.domain import edit, errors, permissions
from casemgr.domain.model import MAX_CASES_PER_READ, Actor, EditCase
from casemgr.domain.readmodel import CaseView
from casemgr.domain.versions import etag_for
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

    def edit_case(self, actor: Actor, cmd: EditCase) -> EditResult:
        edit.check_request(cmd)
        # Batched: BEGIN, the locks and the facts go in one round trip, the
        # write and COMMIT in a second. The facts statement still starts only
        # once the lock statement before it holds the locks.
        with self._unit_of_work(batched=True) as uow:
            return _apply_edit(uow, actor, cmd)

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

    def read_cases(self, actor: Actor, case_ids: list[int]) -> list[CaseView]:
        """The cases among ``case_ids`` that exist and the actor may see."""
        if len(case_ids) > MAX_CASES_PER_READ:
            raise errors.TooManyCaseIds(
                f"At most {MAX_CASES_PER_READ} case ids may be read at once.", limit=MAX_CASES_PER_READ
            )
        with self._unit_of_work() as uow:
            views = uow.cases.case_views(list(dict.fromkeys(case_ids)))
        return [v for v in views if _may_read(actor, v)]

    def read_case(self, actor: Actor, case_id: int) -> CaseView:
        views = self.read_cases(actor, [case_id])
        if not views:
            raise errors.CaseNotFound(f"Case {case_id} does not exist.", case_id=case_id)
        return views[0]

    def custom_attribute_definitions(self):
        with self._unit_of_work() as uow:
            return uow.cases.custom_attributes()


def _apply_edit(uow, actor: Actor, cmd: EditCase) -> EditResult:
    """The one write path: lock, load facts, decide, write — inside the
    caller's unit of work."""
    uow.cases.lock_cases(cmd.ids_to_lock())
    facts = uow.cases.load_edit_facts(cmd, actor)
    update = edit.decide_edit(cmd, actor, facts)
    last_modified = uow.cases.apply_update(update, actor, cmd.api)
    return EditResult(cmd.case_id, last_modified)


def _may_read(actor: Actor, view: CaseView) -> bool:
    try:
        permissions.check_may_read_case(actor, view)
    except errors.DomainError:
        return False
    return True
