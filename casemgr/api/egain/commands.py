"""An eGain edit body (already shape-checked) → the API-neutral EditCase."""

from __future__ import annotations

import re
from datetime import datetime

from casemgr.api import errors, wire
from casemgr.domain.model import UNSET, EditCase, StateRequirement


def edit_command(
    body: dict,
    *,
    api: str,
    href_pattern: re.Pattern,
    last_modified: datetime | None,
    if_match: str | None,
    state_requirement: StateRequirement = StateRequirement.OPEN,
) -> EditCase:
    if last_modified is None and if_match is None:
        raise errors.MissingElement("Required element 'lastModified' is missing.", attribute="lastModified")
    related = body.get("relatedCases", {})
    return EditCase(
        case_id=wire.parse_id(body["id"], "id"),
        api=api,
        expected_last_modified=last_modified,
        expected_etag=if_match,
        state_requirement=state_requirement,
        due_date=_due_date(body),
        owner_id=wire.parse_id(body["owner"]["user"]["id"], "owner.user.id") if "owner" in body else UNSET,
        severity=body["severity"]["value"] if "severity" in body else UNSET,
        subject=body.get("subject", UNSET),
        description=body.get("description", UNSET),
        solution=body.get("solution", UNSET),
        link=_case_ids(related.get("link", ()), href_pattern, "relatedCases.link"),
        unlink=_case_ids(related.get("unlink", ()), href_pattern, "relatedCases.unlink"),
        custom_attributes=_custom_attributes(body),
    )


def _due_date(body: dict):
    if "dueDate" not in body:
        return UNSET
    if body["dueDate"].strip() == "":
        return None  # "" removes the due date
    return wire.parse_datetime(body["dueDate"], "dueDate")


def _case_ids(links, href_pattern: re.Pattern, attribute: str) -> tuple[int, ...]:
    ids = []
    for index, link in enumerate(links):
        match = href_pattern.fullmatch(link["href"].strip())
        if match is None:
            raise errors.InvalidAttributeValue(
                f"Invalid value '{link['href']}' for '{attribute}[{index}].href'.",
                attribute=f"{attribute}[{index}].href",
            )
        if link.get("rel", "case") != "case":
            raise errors.InvalidAttributeValue(
                f"Invalid value '{link['rel']}' for '{attribute}[{index}].rel': expected 'case'.",
                attribute=f"{attribute}[{index}].rel",
            )
        ids.append(wire.parse_id(match.group("id"), f"{attribute}[{index}].href"))
    return tuple(dict.fromkeys(ids))


def _custom_attributes(body: dict) -> tuple[tuple[str, str], ...]:
    pairs = []
    for index, attribute in enumerate(body.get("customAttributes", {}).get("customAttribute", ())):
        values = attribute["attribValues"]["attribValue"]
        if len(values) != 1:
            raise errors.InvalidAttributeValue(
                f"Custom attribute '{attribute['attribName']}' takes exactly one value.",
                attribute=f"customAttributes.customAttribute[{index}].attribValues",
            )
        pairs.append((attribute["attribName"], values[0]["value"]))
    return tuple(pairs)
