"""Reading a case's history, and what a conflict tells about it.

Whoever may read a case may read its history, with the same refusals as a
read: the credential check and the page travel as one message, and a case
the reader may not see is answered like one that does not exist.
"""

from __future__ import annotations

from casemgr.domain import errors, permissions
from casemgr.domain.history import ConflictExplanation, HistoryPage, PageRequest
from casemgr.service.auth import Authenticator
from casemgr.service.credentials import Credentials


class HistoryService:
    def __init__(self, authenticator: Authenticator):
        self._auth = authenticator

    def case_history(self, credentials: Credentials, case_id: int, page: PageRequest) -> HistoryPage | None:
        """A page of the case's history, newest first; None when there is no
        such case or the credentials' principal may not read it."""
        with self._auth.unit_of_work(credentials, writes_case_data=False, single_statement=True) as (uow, actor_of):
            stored = uow.history.queue_case_history(case_id, page.size, page.skip)
            actor = actor_of()  # sends the check and the page, in one message
            found = stored()
        if found.case is None or not permissions.may_read_case(actor, found.case):
            return None
        return HistoryPage(found.entries, found.count, page)


def explain_conflict(uow, stale: errors.StaleCase) -> ConflictExplanation:
    """What changed since the version a refused edit named, read in the
    edit's own transaction while it holds the case's lock: the refusal path
    pays this query, the success path never does."""
    case_id = stale.facts.get("case_id")
    if stale.expected is None or case_id is None:
        return ConflictExplanation(known=False)
    return uow.history.changes_since(case_id, stale.expected)
