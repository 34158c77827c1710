"""Creating a case (Thalamus v4). One transaction: check the credentials,
load the facts, let the domain decide, insert the case with its case data,
comments and history, and read it back in the message that commits."""

from __future__ import annotations

from casemgr.domain import create
from casemgr.domain.create import CreateCase
from casemgr.domain.readmodel import TypeCategoryView
from casemgr.domain.visibility import type_categories_for
from casemgr.service.unit_of_work import UnitsOfWork
from casemgr.service.cases import EditResult
from casemgr.service.credentials import Credentials


class CaseCreationService:
    def __init__(self, units: UnitsOfWork):
        self._units = units

    def create_case(self, credentials: Credentials, cmd: CreateCase, newest_comments: int = 0) -> EditResult:
        """A new case; the result names its id and first lastModified, and
        carries the case as created (with its ``newest_comments`` newest
        comments)."""
        create.check_request(cmd)
        with self._units(credentials) as uow:
            facts = uow.thalamus.load_creation_facts(cmd)
            actor = uow.actor
            new_case = create.decide_create(cmd, actor, facts)
            case_id, last_modified = uow.thalamus.insert_case(new_case, actor, cmd.api)
            view = uow.cases.queue_case_view(case_id, newest_comments)
            uow.commit()  # the view is read in the message that commits
        return EditResult(case_id, last_modified, actor, view())

    def type_categories(self, credentials: Credentials, *, app_only: bool, type_code: str | None = None,
                        category_code: str | None = None) -> list[TypeCategoryView]:
        """Thalamus's catalogue of types by category, as the request's
        touchpoint sees it (``visibility.type_categories_for``), filtered by
        the codes given."""
        with self._units(credentials, transaction=False) as uow:
            catalogue = uow.thalamus.type_categories(type_code, category_code)
            scope = uow.touchpoint_scope
        return type_categories_for(scope, catalogue, app_only=app_only)
