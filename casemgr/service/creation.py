"""Creating a case (Thalamus v4). One transaction: load the facts, let the
domain decide, insert the case with its case data, comments and history."""

from __future__ import annotations

from casemgr.domain import create
from casemgr.domain.create import CreateCase
from casemgr.domain.model import Actor
from casemgr.domain.readmodel import CategoryView
from casemgr.service.cases import EditResult
from casemgr.service.ports import UnitOfWorkFactory


class CaseCreationService:
    def __init__(self, unit_of_work: UnitOfWorkFactory):
        self._unit_of_work = unit_of_work

    def create_case(self, actor: Actor, cmd: CreateCase) -> EditResult:
        """A new case; the result names its id and first lastModified."""
        create.check_request(cmd)
        with self._unit_of_work() as uow:
            facts = uow.thalamus.load_creation_facts(cmd)
            new_case = create.decide_create(cmd, actor, facts)
            case_id, last_modified = uow.thalamus.insert_case(new_case, actor, cmd.api)
        return EditResult(case_id, last_modified)

    def categories(self) -> list[CategoryView]:
        """Every category with its types and their case data fields: what a
        new or edited case may be classified as (system nodes flagged)."""
        with self._unit_of_work() as uow:
            return uow.thalamus.categories()
