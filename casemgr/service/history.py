"""Reading a case's history, and what a conflict tells about it.

Whoever may read a case may read its history, with the same refusals as a
read: a case the reader may not see is answered like one that does not
exist. What the reader sees of each entry, and which entries it sees at
all, is its view (``casemgr.domain.visibility``), as for every surface.
"""

from __future__ import annotations

from casemgr.domain import errors
from casemgr.domain.history import ConflictExplanation, HistoryPage, PageRequest
from casemgr.domain.visibility import PrincipalView, view_of
from casemgr.service.unit_of_work import UnitsOfWork
from casemgr.service.credentials import Credentials
from casemgr.service.fairshare import ReadSlots


class HistoryService:
    def __init__(self, units: UnitsOfWork, read_slots: ReadSlots):
        self._units = units
        self._read_slots = read_slots

    def case_history(self, credentials: Credentials, case_id: int, page: PageRequest) -> HistoryPage | None:
        """A page of the case's history as the principal sees it
        (``casemgr.domain.visibility``), newest first; None when there is no
        such case or the principal may not read it. Two messages: which
        entries are paged depends on who the credentials turn out to be."""
        with self._units(credentials, transaction=False) as uow:
            actor = uow.actor
            view = view_of(actor)
            with self._read_slots.taken_by(actor):
                found = uow.history.queue_case_history(case_id, page.size, page.skip, view.fields)()
        if found.case is None or not view.sees_case(found.case):
            return None
        return HistoryPage(view.entries(found.entries), found.count, page)


def explain_conflict(uow, stale: errors.StaleCase, view: PrincipalView) -> ConflictExplanation:
    """What changed since the version a refused edit named, as the refused
    principal sees it, read in the edit's own transaction while it holds
    the case's lock: the refusal path pays this query, the success path
    never does."""
    case_id = stale.facts.get("case_id")
    if stale.expected is None or case_id is None:
        return ConflictExplanation(known=False)
    return view.conflict(uow.history.changes_since(case_id, stale.expected))
