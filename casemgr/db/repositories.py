"""Repositories: named queries in, domain objects out.

Rows are mapped to domain objects by one function per type, so the shape of
a row is known in one place.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Mapping

from casemgr.db.jsonvalues import columns_to_jsonb, parse_timestamp, to_jsonb
from casemgr.db.statements import Pending, Statements
from casemgr.domain.model import (
    Actor,
    CaseField,
    CaseState,
    CaseUpdate,
    Classification,
    CommentFacts,
    EditCase,
    EditFacts,
    FieldDefinition,
    LinkedCaseFacts,
    NamedRef,
    UserFacts,
    is_given,
)
from casemgr.domain.readmodel import CaseView, Comment, CustomValue, StatusView
from casemgr.domain.search import MAX_SEARCH_CANDIDATES, CaseSearch, SearchPage
from casemgr.domain.values import stored_field_value, stored_text_of_shown
from casemgr.domain.visibility import CaseSight, OwnCasesSight
from casemgr.service.credentials import hash_secret

# Where support_case stores each of the case's fields: the one place the
# domain's names (casemgr.domain.model.CaseField) meet the table's columns.
COLUMN_OF_FIELD: dict[CaseField, str] = {
    CaseField.DEPARTMENT: "department_id", CaseField.CUSTOMER: "customer_id", CaseField.SUBJECT: "subject",
    CaseField.DESCRIPTION: "description", CaseField.SOLUTION: "solution", CaseField.SEVERITY: "severity",
    CaseField.DUE_DATE: "due_date", CaseField.OWNER: "owner_id", CaseField.STATUS: "status_id",
    CaseField.RESOLUTION: "resolution_id", CaseField.CATEGORY: "category_id", CaseField.TYPE: "case_type_id",
    CaseField.LAST_CLOSED: "last_closed", CaseField.LAST_MODIFIED: "last_modified",
    CaseField.LAST_MODIFIED_BY: "last_modified_by",
}


def case_columns(values: Mapping[CaseField, Any]) -> dict[str, Any]:
    """The case's values by the column that stores each, in their order."""
    return {COLUMN_OF_FIELD[name]: value for name, value in values.items()}


def given_or_none(value: Any) -> Any:
    """A command attribute as a query parameter: NULL when not mentioned."""
    return value if is_given(value) else None


class NamedQueries:
    """Runs named queries on the statements of one unit of work."""

    def __init__(self, statements: Statements):
        self.statements = statements

    def _one(self, name: str, params: dict) -> dict | None:
        return self.statements.one(name, params)

    def _all(self, name: str, params: dict) -> list[dict]:
        return self.statements.all(name, params)

    def user_facts(self, user_id: int) -> UserFacts | None:
        row = self._one("get_user_facts", {"user_id": user_id})
        return user_facts_from_json(row["user_row"]) if row else None


class PgCaseRepository(NamedQueries):
    def lock_cases(self, case_ids: list[int]) -> None:
        self.statements.queue("lock_cases", {"ids": case_ids})

    def load_edit_facts(self, cmd: EditCase, actor: Actor | None) -> EditFacts:
        """``actor`` is given only for an edit whose facts depend on it
        (``EditCase.facts_depend_on_actor``): its home department."""
        if not cmd.needs_reference_facts():
            row = self._one("get_case_edit_facts", {"case_id": cmd.case_id})
            return EditFacts(now=row["now"], case=case_state_from_json(row["case_row"]))
        home = actor.user.home_department_id if actor is not None and actor.user else None
        row = self._one("get_edit_facts", {
            "case_id": cmd.case_id,
            "owner_id": given_or_none(cmd.owner_id),
            "owner_email": given_or_none(cmd.owner_email),
            "comment_ids": sorted({comment_id for comment_id, _ in cmd.comment_edits}),
            "other_ids": sorted({*cmd.link, *cmd.unlink}),
            "home_department_id": home,
            "want_custom_attributes": bool(cmd.custom_attributes),
            "category_code": given_or_none(cmd.category_code),
            "type_code": given_or_none(cmd.type_code),
            "status_name": given_or_none(cmd.status_name),
            "resolution_name": given_or_none(cmd.resolution_name),
        })
        return EditFacts(
            now=row["now"],
            case=case_state_from_json(row["case_row"]),
            new_owner=user_facts_from_json(row["new_owner"]),
            linked_cases={
                item["id"]: LinkedCaseFacts(
                    id=item["id"],
                    department_id=item["department_id"],
                    related_ids=frozenset(item["related_ids"]),
                    last_modified=parse_timestamp(item["last_modified"]),
                )
                for item in row["linked_cases"] or ()
            },
            departments_sharing_activities=frozenset(row["sharing_departments"]),
            custom_attributes={d.name: d for d in map(field_from_json, row["custom_attributes"] or ())},
            classification=classification_from_json(row["classification"]),
            status=named_ref_from_json(row["status"]),
            resolution=named_ref_from_json(row["resolution"]),
            next_status_ids=frozenset(row["next_status_ids"]) if row["next_status_ids"] is not None else None,
            comments={c["id"]: CommentFacts(c["id"], c["case_id"], c["description"], c["author_customer_id"])
                      for c in row["comments"] or ()},
        )

    def apply_update(self, update: CaseUpdate, actor: Actor, api: str) -> datetime:
        entry_params = {
            "api": api, "actor_user_id": actor.user_id, "actor_customer_id": actor.customer_id,
            "actor_client_id": actor.client_id, "case_id": update.case_id,
            "changes": to_jsonb([change_to_json(c) for c in update.changes]),
            "previous_last_modified": update.previous_last_modified, "activity": update.activity,
        }
        only_case_row = update.writes_only_case_row()
        # Nothing is read back: the new lastModified is the one the domain
        # decided, and these statements travel with COMMIT. An error still
        # surfaces before the unit of work ends.
        self.statements.queue("apply_case_row_update", {
            **entry_params, "columns": columns_to_jsonb(case_columns(update.values)),
            "record_history": only_case_row,
        })
        if not only_case_row:
            self.statements.queue("apply_related_changes", {
                **entry_params,
                "last_modified": update.last_modified,
                "last_modified_by": update.values.get(CaseField.LAST_MODIFIED_BY),
                "other_ends": to_jsonb([
                    {"case_id": o.case_id, "last_modified": o.last_modified,
                     "previous_last_modified": o.previous_last_modified, "change": change_to_json(o.change)}
                    for o in update.other_ends
                ]),
                "link": list(update.link),
                "unlink": list(update.unlink),
                "custom_set": to_jsonb({str(k): v for k, v in update.custom_values_set.items()}),
                "custom_removed": list(update.custom_values_removed),
                "comments": list(update.comments),
                "comment_edits": to_jsonb([{"id": i, "description": text} for i, text in update.comment_edits]),
            })
        return update.last_modified

    def case_views(self, case_ids: list[int], newest_comments: int = 0) -> list[CaseView]:
        rows = self._all("get_case_views", {"ids": case_ids, "comment_limit": newest_comments})
        return [case_view_from_row(r) for r in rows]

    def search_cases(self, search: CaseSearch, sight: CaseSight) -> SearchPage:
        """One page of a case search, among the cases of ``sight``
        (sql/queries/search.sql)."""
        rows = self._all("search_cases", {
            "sight_departments": sorted(sight.departments) if sight.departments is not None else None,
            "sight_customer_id": sight.customer_id,
            "customer_id": search.customer_id, "email": search.email, "phone": search.phone,
            "custom_names": [name for name, _ in search.custom],
            "custom_values": [stored_text_of_shown(value) for _, value in search.custom],
            "sort": search.sort, "descending": search.descending,
            "offset": search.offset, "page_size": search.page_size, "max_candidates": MAX_SEARCH_CANDIDATES,
        })
        # One row with no case (id NULL) when the page is empty.
        first = rows[0] if rows else {"total": 0, "too_broad": False}
        cases = [case_view_from_row({k: v for k, v in r.items() if k not in ("total", "too_broad")})
                 for r in rows if r["id"] is not None]
        return SearchPage(cases, first["total"], too_broad=first["too_broad"])

    def queue_unknown_custom_attributes(self, names: list[str]) -> Callable[[], list[str]]:
        """The names that are no custom attribute, read with the next batch."""
        pending = self.statements.queue_read("unknown_custom_attributes", {"names": names})
        return lambda: list(pending.row()["unknown"])

    def queue_case_view(self, case_id: int, newest_comments: int = 0) -> Callable[[], CaseView | None]:
        """The case's view, read with the next batch (the one that commits,
        after the writes queued before it)."""
        pending = self.statements.queue_read("get_case_views", {"ids": [case_id], "comment_limit": newest_comments})
        return lambda: case_view_from_row(pending.row()) if pending.row() else None

    def case_state(self, case_id: int) -> CaseState | None:
        row = self._one("get_case_facts", {"case_id": case_id})
        return case_state_from_json(row["case_row"]) if row else None

    def custom_attributes(self) -> list[FieldDefinition]:
        return [field_from_json(r) for r in self._all("list_custom_attributes", {})]

    def first_closed_status(self) -> NamedRef | None:
        return named_ref_from_json(self._one("first_closed_status", {}))

    def own_cases(self, sight: OwnCasesSight, limit: int, skip: int, newest_comments: int) -> list[CaseView]:
        rows = self._all("get_own_cases", {
            "owner_id": sight.owner_id, "customer_id": sight.customer_id,
            "departments": sorted(sight.departments) if sight.departments is not None else None,
            "category_ids": sorted(sight.category_ids) if sight.category_ids is not None else None,
            "limit": limit, "skip": skip, "comment_limit": newest_comments,
        })
        return [case_view_from_row(r) for r in rows]

    def statuses(self) -> list[StatusView]:
        return [StatusView(r["name"], r["is_initial"], r["state"] == "closed") for r in self._all("list_statuses", {})]


class PgAuthRepository(NamedQueries):
    # -- resolving credentials (sql/queries/credentials.sql) --------------

    def queue_session(self, token_hash: bytes, api: str, idle_s: int, lifetime_s: int, relaxed: bool) -> Resolution:
        return Resolution(self.statements.queue_read("resolve_session", {
            "token_hash": token_hash, "api": api, "idle_s": idle_s, "lifetime_s": lifetime_s, "relaxed": relaxed,
        }))

    def queue_token(self, token_hash: bytes, scopes: list[str]) -> Resolution:
        return Resolution(self.statements.queue_read("resolve_token", {"token_hash": token_hash, "scopes": scopes}))

    def queue_password_principal(self, verified, throttle: dict) -> Resolution:
        return Resolution(self.statements.queue_read("resolve_password_principal", {
            **throttle, "user_id": verified.user_id, "customer_id": verified.customer_id,
            "password_hash": verified.password_hash,
        }))

    def queue_touchpoint(self, touchpoint) -> Pending:
        return self.statements.queue_read("resolve_touchpoint", {
            "code": touchpoint.code, "token_hash": hash_secret(touchpoint.token)})

    def lock_credential_account(self, principal: str, kinds: tuple[str, ...]) -> None:
        self.statements.queue("lock_credential_account", {"principal": principal, "kinds": list(kinds)})

    def reserve_password_attempt(self, principal: str, kinds: tuple[str, ...], throttle: dict) -> dict:
        return self._one("reserve_password_attempt", {**throttle, "principal": principal, "kinds": list(kinds)})

    def record_credential_success(self, params: dict) -> None:
        self.statements.queue("record_credential_success", params)

    def settle_credential_failure(self, attempt_id: int) -> None:
        self.statements.queue("settle_credential_failure", {"attempt_id": attempt_id})

    def server_key(self) -> bytes:
        return bytes(self._one("get_server_key", {})["key"])

    # -- sessions and tokens ------------------------------------------------

    def create_session(self, token_hash: bytes, api: str, user_id, customer_id) -> None:
        self.statements.queue("create_session", {
            "token_hash": token_hash, "api": api, "user_id": user_id, "customer_id": customer_id,
        })

    def lock_sessions_of(self, user_id: int | None, customer_id: int | None, api: str) -> list[dict]:
        """The principal's sessions of ``api``, oldest first, with the
        principal locked: counted in a statement of their own, after the lock."""
        params = {"user_id": user_id, "customer_id": customer_id, "api": api}
        self.statements.queue("lock_session_holder", params)
        return self._all("live_sessions_of", params)

    def create_token(self, token_hash: bytes, client_id: str, user_id, scope: str, lifetime_s: int) -> None:
        self.statements.queue("create_oauth_token", {
            "token_hash": token_hash, "client_id": client_id, "user_id": user_id,
            "scope": scope, "lifetime_s": lifetime_s,
        })

    def purge_expired_tokens(self) -> None:
        self.statements.queue("purge_expired_oauth_tokens")

    def token_client(self, token_hash: bytes) -> str | None:
        row = self._one("get_live_oauth_token", {"token_hash": token_hash})
        return row["client_id"] if row else None

    def revoke_token(self, token_hash: bytes, client_id: str) -> None:
        self.statements.queue("revoke_oauth_token", {"token_hash": token_hash, "client_id": client_id})

    def purge_expired(self, idle_s: int, lifetime_s: int) -> None:
        self.statements.queue("purge_expired_sessions", {"idle_s": idle_s, "lifetime_s": lifetime_s})

    def delete_session(self, token_hash: bytes) -> None:
        self.statements.queue("delete_session", {"token_hash": token_hash})


class Resolution:
    """A queued credential check's answer, as the service reads it: the
    user's facts or the customer, the token's scope and client, and how long
    a password's attempts are throttled."""

    __slots__ = ("_pending",)

    def __init__(self, pending: Pending):
        self._pending = pending

    @property
    def answered(self) -> bool:
        return self._pending.answered

    def row(self) -> dict:
        row = self._pending.row()
        return {"user": user_facts_from_json(row["user_row"]), "customer": row["customer_row"],
                "scope": row["scope"], "client_id": row["client_id"], "retry_after": row["retry_after"]}


# -- row -> domain ----------------------------------------------------------

def user_facts_from_json(row: dict | None) -> UserFacts | None:
    if row is None:
        return None
    return UserFacts(
        id=row["id"], login=row["login"], first_name=row["first_name"], last_name=row["last_name"],
        email=row["email"], disabled=row["disabled"],
        licenses=frozenset(row["licenses"]), actions=frozenset(row["actions"]),
        home_department_id=row["home_department_id"],
        foreign_department_ids=frozenset(row["foreign_department_ids"]),
        may_transfer_to=frozenset(row["may_transfer_to"]),
        may_pull_from=frozenset(row["may_pull_from"]),
        shared_department_ids=frozenset(row["shared_department_ids"]),
    )


def case_state_from_json(row: dict | None) -> CaseState | None:
    if row is None:
        return None
    return CaseState(
        id=row["id"], department_id=row["department_id"], owner_id=row["owner_id"],
        customer_id=row["customer_id"], status_id=row["status_id"], status_name=row["status_name"],
        status_state=row["status_state"], severity=row["severity"], subject=row["subject"],
        description=row["description"], solution=row["solution"], due_date=parse_timestamp(row["due_date"]),
        category_id=row["category_id"], case_type_id=row["case_type_id"], resolution_id=row["resolution_id"],
        last_modified=parse_timestamp(row["last_modified"]), last_closed=parse_timestamp(row["last_closed"]),
        related_ids=frozenset(row["related_ids"]),
        custom_values={int(k): v for k, v in row["custom_values"].items()},
    )


def field_from_json(row: dict) -> FieldDefinition:
    allowed = row.get("allowed_values")
    return FieldDefinition(
        id=row["id"], name=row["name"], data_type=row["data_type"],
        allowed_values=tuple(allowed) if allowed is not None else None,
    )


def classification_from_json(row: dict | None) -> Classification | None:
    if row is None:
        return None
    return Classification(
        category_id=row["category_id"], category_is_system=row["category_is_system"],
        type_id=row["type_id"], fields=tuple(field_from_json(f) for f in row["fields"]),
    )


def named_ref_from_json(row: dict | None) -> NamedRef | None:
    if row is None:
        return None
    return NamedRef(id=row["id"], name=row["name"], state=row.get("state"))


def change_to_json(change) -> dict:
    return {"field": change.field, "old": change.old, "new": change.new}


def case_view_from_row(row: dict) -> CaseView:
    values = {**row}
    values["related_ids"] = tuple(row["related_ids"])
    values["custom_values"] = tuple(
        CustomValue(name=v["name"], value=stored_field_value(v["data_type"], v["value"]), case_type_id=v["case_type_id"])
        for v in row["custom_values"]
    )
    values["comments"] = tuple(
        Comment(id=c["id"], description=c["description"], created_at=parse_timestamp(c["created_at"]))
        for c in row["comments"]
    )
    return CaseView(**values)
