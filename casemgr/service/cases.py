"""Case use cases: edit, close, read. One transaction each.

Every use case takes the request's ``Credentials`` and resolves them in its
own unit of work, in the first message it sends (``Authenticator``). Every
API's edit ends in ``edit_case``: check the credentials, lock the case (and
every case it links or unlinks), load the facts, let the domain decide, write
the change and its history. A refusal raises before anything of the case is
written, so a refused request never leaves a partial write; its transaction
commits only the use of the session that came with it, and a failure rolls
everything back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from casemgr.domain import edit, errors
from casemgr.domain.history import PageRequest
from casemgr.domain.model import MAX_CASES_PER_READ, Actor, EditCase
from casemgr.domain.readmodel import CaseView, StatusView
from casemgr.domain.search import CaseSearch, SearchPage, check_found, check_search
from casemgr.domain.versions import etag_for
from casemgr.domain.visibility import view_of
from casemgr.service.unit_of_work import UnitOfWork, UnitsOfWork
from casemgr.service.credentials import Credentials
from casemgr.service.fairshare import ReadSlots
from casemgr.service.history import explain_conflict


@dataclass(frozen=True)
class EditResult:
    case_id: int
    last_modified: datetime
    actor: Actor | None = None
    # The case as written, when the caller asked for it (Thalamus answers with it).
    view: CaseView | None = None

    @property
    def etag(self) -> str:
        return etag_for(self.case_id, self.last_modified)


@dataclass(frozen=True)
class CasesRead:
    actor: Actor
    cases: list[CaseView]


@dataclass(frozen=True)
class OwnCasesPage:
    """A page of a principal's own cases, newest first."""

    actor: Actor
    cases: list[CaseView]
    page: PageRequest


class CaseService:
    def __init__(self, units: UnitsOfWork, read_slots: ReadSlots):
        self._units = units
        self._read_slots = read_slots

    def edit_case(self, credentials: Credentials, cmd: EditCase, *, answer_with_view: bool = False,
                  newest_comments: int = 0) -> EditResult:
        """``answer_with_view``: the case as written comes back too (with its
        ``newest_comments`` newest comments), read in the round trip that
        commits."""
        edit.check_request(cmd)
        # BEGIN, the credential check, the locks and the facts go in one
        # round trip, the write and COMMIT in a second. The facts statement
        # still starts only once the statement before it holds the locks.
        with self._units(credentials) as uow:
            try:
                result = _apply_edit(uow, cmd)
            except errors.DomainError:
                # Nothing of the case was written: the refused edit keeps
                # its session alive like any other request.
                uow.keep_session_alive()
                raise
            # Read in the message that commits: no second transaction.
            view = uow.cases.queue_case_view(cmd.case_id, newest_comments) if answer_with_view else None
            uow.commit()
        return replace(result, view=view()) if view else result

    def close_cases(self, credentials: Credentials, case_ids: list[int], api: str) -> list[EditResult]:
        """Close open cases, all or none: each status becomes the first
        configured status whose state is closed (Close Case action needed).
        Cases are closed in ascending id order, the order every edit locks in."""
        _refuse_too_many(case_ids, "closed")
        with self._units(credentials) as uow:
            closed = uow.cases.first_closed_status()
            name = closed.name if closed else ""
            results = [_apply_edit(uow, EditCase(case_id=case_id, api=api, status_name=name))
                       for case_id in sorted(set(case_ids))]
            uow.commit()
        return results

    def read_cases(self, credentials: Credentials, case_ids: list[int], newest_comments: int = 0) -> CasesRead:
        """The cases among ``case_ids`` that exist and the actor may see, each
        with its ``newest_comments`` newest comments (a read that shows no
        comment loads none, however many a case holds): the credential check
        and the read in one message to the database."""
        _refuse_too_many(case_ids, "read")
        with self._units(credentials, transaction=False) as uow:
            views = uow.cases.case_views(list(dict.fromkeys(case_ids)), newest_comments)
            actor = uow.actor
        view = view_of(actor)
        return CasesRead(actor, [v for v in views if view.sees_case(v)])

    def read_case(self, credentials: Credentials, case_id: int, newest_comments: int = 0) -> CasesRead:
        read = self.read_cases(credentials, [case_id], newest_comments)
        if not read.cases:
            raise errors.CaseNotFound(f"Case {case_id} does not exist.", case_id=case_id)
        return read

    def own_cases(self, credentials: Credentials, page: PageRequest, newest_comments: int = 0) -> OwnCasesPage:
        """A page of the principal's own cases, newest first (Thalamus's
        case list): the visibility policy names them
        (``PrincipalView.own_cases``), the database finds and pages them,
        and the policy has the last word on each. Two messages: the
        credential check, then, holding one of the principal's read slots,
        the page."""
        with self._units(credentials, transaction=False) as uow:
            actor = uow.actor
            view = view_of(actor)
            sight = view.own_cases()
            if sight is None:
                return OwnCasesPage(actor, [], page)
            with self._read_slots.taken_by(actor):
                found = uow.cases.own_cases(sight, page.size, page.skip, newest_comments)
        return OwnCasesPage(actor, [case for case in found if view.owns_case(case)], page)

    def statuses(self, credentials: Credentials) -> list[StatusView]:
        """The configured statuses, in the order they were configured."""
        with self._units(credentials, transaction=False) as uow:
            return uow.cases.statuses()

    def search_cases(self, credentials: Credentials, search: CaseSearch) -> SearchPage:
        """One page of the cases every filter of ``search`` matches, among
        those the actor sees (its view's ``CaseSight``): the database
        filters, orders and pages (sql/queries/search.sql). Two messages:
        the credential check with the check of the custom attribute names,
        then, holding one of the principal's read slots, the search."""
        check_search(search)
        names = [name for name, _ in search.custom]
        with self._units(credentials, transaction=False) as uow:
            unknown = uow.cases.queue_unknown_custom_attributes(names) if names else None
            actor = uow.actor
            missing = unknown() if unknown else []
            if missing:
                raise errors.UnknownCustomAttribute(f"Custom attribute '{missing[0]}' is not configured.",
                                                    attribute=f"custom.{missing[0]}")
            view = view_of(actor)
            with self._read_slots.taken_by(actor):
                found = uow.cases.search_cases(search, view.case_sight())
        check_found(found)  # a search too broad to answer within its bound is refused
        # The database answered with what the actor sees; the domain rule
        # has the last word on every case shown all the same.
        return replace(found, cases=[v for v in found.cases if view.sees_case(v)])

    def custom_attribute_definitions(self, credentials: Credentials):
        with self._units(credentials, transaction=False) as uow:
            # Never asks for the actor: the unit of work judges the
            # credentials on its way out all the same.
            return uow.cases.custom_attributes()


def _refuse_too_many(case_ids: list[int], verb: str) -> None:
    if len(case_ids) > MAX_CASES_PER_READ:
        raise errors.TooManyCaseIds(
            f"At most {MAX_CASES_PER_READ} cases may be {verb} at once.", limit=MAX_CASES_PER_READ)


def _apply_edit(uow: UnitOfWork, cmd: EditCase) -> EditResult:
    """The one write path: lock, load facts, decide, write — inside the
    caller's unit of work, after its credential check (queued before the
    locks, which are taken only when it passes)."""
    uow.cases.lock_cases(cmd.ids_to_lock())
    # Only a link's facts depend on the actor: every other edit sends its
    # credential check, locks and facts in one message.
    facts = uow.cases.load_edit_facts(cmd, uow.actor if cmd.facts_depend_on_actor() else None)
    actor = uow.actor
    try:
        update = edit.decide_edit(cmd, actor, facts)
    except errors.StaleCase as stale:
        stale.explanation = explain_conflict(uow, stale, view_of(actor))
        raise
    if update.changes_nothing:
        return EditResult(cmd.case_id, update.last_modified, actor)
    last_modified = uow.cases.apply_update(update, actor, cmd.api)
    return EditResult(cmd.case_id, last_modified, actor)

