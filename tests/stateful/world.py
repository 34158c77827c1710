"""The test world (tests/fixtures/world.yaml) as the model reads it: the
principals the sequences act as, what each may reach, and how each sees a
case (the view policy of ``casemgr.domain.visibility``, restated here from
its description so the test does not take the code under test as its
oracle)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

WORLD = yaml.safe_load((Path(__file__).parent.parent / "fixtures" / "world.yaml").read_text())

EDIT_CASE, CLOSE_CASE, MANAGE_CLOSED_CASE = "Edit Case", "Close Case", "Manage Closed Case"
CLIENT_ID = WORLD["oauthClients"][0]["clientId"]
CASE_IDS = tuple(sorted(c["id"] for c in WORLD["cases"]))
USERS = {u["login"]: u for u in WORLD["users"]}
CUSTOMERS = {c["id"]: c for c in WORLD["customers"]}
CLOSED_STATUSES = frozenset(s["name"] for s in WORLD["statuses"] if s["state"] == "closed")
STATUSES = tuple(s["name"] for s in WORLD["statuses"])
RESOLUTIONS = tuple(WORLD["resolutions"])
# The first status whose state is closed: what an eGain close sets.
CLOSE_STATUS = next(s["name"] for s in WORLD["statuses"] if s["state"] == "closed")

# A customer sees of a case what its Thalamus read shows, in the history's
# vocabulary; a customer sees every agent and OAuth client as this one author.
CUSTOMER_FIELDS = frozenset({"case", "status", "resolution", "category", "type", "comments"})
CUSTOMER_FIELD_PREFIX = "caseData."
STAFF = {"id": None, "name": "Support team", "type": "staff"}

# The case types of the world, and their case data fields (name → type).
TYPES = {(cat["code"], t["code"]): {f["name"]: f["type"] for f in t.get("fields", [])}
         for cat in WORLD["categories"] if not cat.get("system") for t in cat["types"]}


def _sharing_with(home: str) -> frozenset[str]:
    """The departments that share with ``home`` with activity sharing on."""
    return frozenset(d["name"] for d in WORLD["departments"]
                     for share in d.get("sharedWith", [])
                     if share["department"] == home and share.get("activitySharing"))


@dataclass(frozen=True)
class Principal:
    """Who sends a request, through which API, and what it may reach."""

    key: str  # how sequences name it: "v12 frank"
    api: str  # v12 | v3 | v4
    kind: str  # agent | client | party
    login: str | None = None  # the v12 session's or v3 token's user; the v4 Basic principal
    user_id: int | None = None
    customer_id: int | None = None
    departments: frozenset[str] = frozenset()  # home and foreign: where it edits
    visible: frozenset[str] = frozenset()  # where it reads, and links to
    actions: frozenset[str] = frozenset()
    pulls_from: frozenset[int] = frozenset()  # owners whose cases it may edit besides its own

    @property
    def author(self) -> dict:
        """How the history names this principal when it made a change."""
        if self.kind == "client":
            return {"id": CLIENT_ID, "name": CLIENT_ID, "type": "client"}
        if self.kind == "party":
            return {"id": str(self.customer_id), "name": CUSTOMERS[self.customer_id]["name"], "type": "customer"}
        return {"id": str(self.user_id), "name": self.login, "type": "user"}

    # -- the view policy ------------------------------------------------------------

    def sees_case(self, case: Any) -> bool:
        if self.kind == "client":
            return True
        if self.kind == "party":
            return case.customer == self.customer_id
        return case.department in self.visible

    def sees_field(self, field: str) -> bool:
        if self.kind != "party":
            return True
        return field in CUSTOMER_FIELDS or field.startswith(CUSTOMER_FIELD_PREFIX)

    def author_as_seen(self, author: dict | None) -> dict | None:
        if author is None or self.kind != "party":
            return author
        if author["type"] == "customer" and author["id"] == str(self.customer_id):
            return author
        return STAFF


def agent(api: str, login: str) -> Principal:
    user = USERS[login]
    home = user["homeDepartment"]
    departments = frozenset({home, *user.get("foreignDepartments", [])})
    pulls = next((p["users"] for p in user.get("permissions", []) if p["permission"] == "Pull Activities"), [])
    return Principal(
        key=f"{api} {login}", api=api, kind="agent", login=login, user_id=user["id"],
        departments=departments, visible=departments | _sharing_with(home),
        actions=frozenset(user.get("actions", [])), pulls_from=frozenset(USERS[u]["id"] for u in pulls),
    )


def party(email: str) -> Principal:
    customer = next(c for c in WORLD["customers"] if c["email"] == email)
    return Principal(key=f"v4 {email.split('@')[0]}", api="v4", kind="party", login=email,
                     customer_id=customer["id"])


CLIENT = Principal(key="v3 client", api="v3", kind="client")
PRINCIPALS = {p.key: p for p in (
    agent("v12", "frank"),  # every action, Pull Activities on alice
    agent("v12", "alice"),  # Edit Case only
    agent("v12", "carol"),  # Legal: sees one case, edits none of the others
    CLIENT,
    agent("v3", "frank"),  # a user token
    agent("v3", "bob"),  # a user token: Sales, with Service as a foreign department
    agent("v4", "frank"),  # a Thalamus operator
    agent("v4", "alice"),  # a Thalamus operator holding Edit Case only
    party("john@example.com"),  # a Thalamus party: cases 1013 and 1001
    party("mary@example.com"),  # a Thalamus party: case 1008
)}
EGAIN = tuple(k for k, p in PRINCIPALS.items() if p.api != "v4")
V12 = tuple(k for k, p in PRINCIPALS.items() if p.api == "v12")
V3 = tuple(k for k, p in PRINCIPALS.items() if p.api == "v3")
V4 = tuple(k for k, p in PRINCIPALS.items() if p.api == "v4")
