"""Random sequences of requests across the three APIs and ten principals,
checked against a model after every step (hypothesis' RuleBasedStateMachine),
each sequence on a database of its own holding the test world.

The steps: real edits (subject, severity, custom attributes, relations on
eGain; status, resolution, comments and case data on Thalamus), the same
values again (an edit that changes nothing), stale edits (an older
lastModified or ETag), two edits racing with the same version from two
threads, closes, closed-case edits, and reads, history reads, searches and
change feed pages, each by a principal that may or may not reach the case.

After every step: no answer was a 5xx; every case reads, through every
principal, as the model holds it seen through that principal's view; the
history of each case the step touched is the model's, and replaying it
(oldest first) gives the case's tracked fields; the change feed followed
with its ``next`` gives each change once and none that is missing; versions
only grow, and only on the cases the step changed: an edit that changes
nothing makes no version.

``CASEMGR_STATEFUL_EXAMPLES`` and ``CASEMGR_STATEFUL_STEPS`` make a longer
(and, with the former, randomized) run: ``CASEMGR_STATEFUL_EXAMPLES=500``.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.stateful.counts import COUNTS
from tests.stateful.model import (
    OK,
    THALAMUS_CASE_KEYS,
    EgainEdit,
    Entry,
    Refusal,
    ThalamusUpdate,
    apply,
    changed_since,
    close_changes,
    close_outcome,
    egain_changes,
    egain_edit_outcome,
    egain_expected,
    egain_shown,
    entry_as_seen,
    etag,
    history_as_seen,
    new_model,
    reach_refusal,
    replay,
    search_matches,
    thalamus_changes,
    thalamus_expected,
    thalamus_outcome,
    thalamus_shown,
)
from tests.stateful.surfaces import HREF_PREFIXES, Surfaces
from tests.stateful.world import (
    CASE_IDS,
    CLIENT,
    EDIT_CASE,
    EGAIN,
    PRINCIPALS,
    RESOLUTIONS,
    STATUSES,
    TYPES,
    USERS,
    V3,
    V4,
    V12,
)

LONG_RUN = "CASEMGR_STATEFUL_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("CASEMGR_STATEFUL_EXAMPLES", "20"))
STEPS = int(os.environ.get("CASEMGR_STATEFUL_STEPS", "25"))
SEQUENCES = settings(
    max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, database=None,
    derandomize=not LONG_RUN,  # CI runs the same sequences every time
    suppress_health_check=list(HealthCheck), print_blob=True,
)
FEED_DEADLINE_S = 10  # a change comes through once every older transaction of the database ended

# -- what the steps send ------------------------------------------------------------

CASES = st.sampled_from(CASE_IDS)
# Writes lean towards the principals and cases whose writes mostly go
# through, so that most steps change something (sampled_from shrinks towards
# the first); every principal and case still comes up, and is refused.
_EGAIN_WRITERS = ("v3 client", "v12 frank", "v3 frank", "v12 frank", "v3 client", "v12 alice", "v3 bob", "v12 carol")
_WRITTEN = (1013, 1002, 1003, 1008, 1001, 1013, 1002, 1001, 1008, 1004, 1005, 1006, 1007)
assert set(_EGAIN_WRITERS) == set(EGAIN) and set(_WRITTEN) == set(CASE_IDS)
EGAIN_WRITERS, WRITTEN = st.sampled_from(_EGAIN_WRITERS), st.sampled_from(_WRITTEN)
SUBJECTS = ("Phone does not charge", "Phone replaced", "Screen cracked, customer called twice", "Ünïcödé ✓", "")
SEVERITIES = ("urgent", "high", "medium", "low")
CUSTOM_VALUES = (("customer_rating", "1"), ("customer_rating", "5"), ("customer_rating", ""),
                 ("region", "north"), ("region", "south"), ("region", ""),
                 ("note", "Called twice"), ("note", "a & b (2)"), ("note", ""))
EGAIN_EDITS = st.builds(
    EgainEdit,
    subject=st.sampled_from(SUBJECTS) | st.none(),
    severity=st.sampled_from(SEVERITIES) | st.none(),
    custom=st.lists(st.sampled_from(CUSTOM_VALUES), max_size=2, unique_by=lambda pair: pair[0]).map(tuple),
    link=st.lists(CASES, max_size=2, unique=True).map(tuple),
    unlink=st.lists(CASES, max_size=1).map(tuple),
).filter(lambda edit: edit.subject is not None or edit.severity is not None or edit.custom)
COMMENTS = ("Called back", "Customer sent a photo", "Waiting for the part")
# (status, resolution, comments, case data variant): at least one of them.
THALAMUS_CHANGES = st.tuples(
    st.sampled_from(STATUSES) | st.none(), st.sampled_from(RESOLUTIONS) | st.none(),
    st.lists(st.sampled_from(COMMENTS), max_size=2), st.integers(0, 2) | st.none(),
).filter(lambda change: change[0] or change[1] or change[2] or change[3] is not None)
# Case data for each type, by variant: the first of 1013's type is what it holds at the start.
CASE_DATA = {
    ("Case6534", "Casetype6534"): ({"Boolean6534": True, "Decimal6534": 2.2, "Number6534": 2500},
                                   {"Boolean6534": False, "Decimal6534": 1.5, "Number6534": 7},
                                   {"Boolean6534": True, "Decimal6534": 7.25, "Number6534": -3}),
    ("Reclamo", "Telefonico"): ({"Linea": "555-0100"}, {"Linea": "555-0199"}, {"Linea": "Línea 3"}),
}
assert set(CASE_DATA) == set(TYPES)
STALE_UPDATE = ThalamusUpdate(comments=("Stale",))
SEARCHES = (("customer", "2001"), ("customer", "2002"), ("email", "john@example.com"),
            ("custom.region", "north"), ("custom.region", "south"), ("custom.customer_rating", "5"),
            ("custom.note", "a & b (2)"))
_databases = itertools.count()


class Environment:
    """The session's database factory and world template, for the machine;
    and the drops of the databases it is done with, which run beside the
    next sequence (a DROP DATABASE waits for a checkpoint)."""

    databases = None
    template = None
    dropper: ThreadPoolExecutor | None = None
    drops: list = []


def eGain_code(response) -> str | None:
    return (response.get_json() or {}).get("code")


def details(response) -> dict:
    return {d["key"]: d["value"] for d in response.get_json()["details"]}


def field_set(changed_fields: str | None) -> set[str]:
    return set(filter(None, (changed_fields or "").split(",")))


class Follower:
    """A change feed follower: starts from nothing, passes back each ``next``."""

    def __init__(self, key: str):
        self.key = key
        self.after: str | None = None
        self.seen: list[dict] = []
        self.cursors: set[str] = set()


class CaseSequences(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        COUNTS.examples += 1
        self.database = Environment.databases.create(f"stateful{next(_databases)}", template=Environment.template)
        from casemgr import create_app
        from casemgr.config import Settings

        self.app = create_app(Settings(database_url=Environment.databases.url(self.database), pool_size=4))
        self.api = Surfaces(self.app)
        for p in PRINCIPALS.values():
            self.api.log_in(p)
        self.cases = new_model()
        self.bumped: set[int] = set()  # cases the step made a new version of
        self.touched: set[int] = set(CASE_IDS)  # cases the step wrote to, or tried to
        self.answered: dict[int, str] = {}  # the ETag the step's answer gave for a case
        self.followers = {key: Follower(key) for key in V3}
        self.concurrent = itertools.count()
        self.pending_conflicts: list = []  # a race's loser, checked once the winner's version is known
        for case in self.cases.values():  # the load's entry, the first of each case
            refused, entries, _ = self.api.history(CLIENT, case.id)
            assert refused is None and len(entries) == 1, entries
            (load,) = entries
            assert (load["api"], load["user"]) == ("load", None)
            case.entries.append(Entry("load", None, {c["field"]: (c["oldValue"], c["newValue"])
                                                     for c in load["changes"]}, load["lastModified"]))

    def teardown(self):
        self.app.extensions["casemgr.database"].close()
        Environment.drops.append(Environment.dropper.submit(Environment.databases.drop, self.database))

    # -- helpers ------------------------------------------------------------------

    def step(self, *case_ids: int) -> None:
        COUNTS.steps += 1
        self.touched.update(case_ids)

    def version_of(self, case, if_match: bool, version: str | None = None) -> dict:
        version = version or case.version
        return {"if_match": etag(case.id, version)} if if_match else {"last_modified": version}

    def expect(self, response, outcome: Refusal | None, p, what: str) -> None:
        body = response.get_data(as_text=True)
        if outcome is not OK:
            if outcome.status in (409, 412):
                COUNTS.conflicts += 1
            else:
                COUNTS.refusals += 1
        if outcome is OK:
            assert response.status_code == (201 if p.api == "v4" else 204), f"{what}: {response.status_code} {body}"
            return
        assert response.status_code == outcome.status, f"{what}: expected {outcome}, got {response.status_code} {body}"
        if p.api == "v4":
            key, code = outcome.code.split(":")
            assert response.get_json()["errors"][key] == code, f"{what}: {body}"
        else:
            assert eGain_code(response) == outcome.code, f"{what}: expected {outcome}, got {body}"

    def accepted(self, case, response, changed: bool) -> None:
        """An accepted write answers the case's ETag: a new one when it
        changed something, the one it had when it changed nothing."""
        if changed:
            COUNTS.changes += 1
            self.answered[case.id] = response.headers["ETag"]
        else:
            COUNTS.unchanged += 1
            assert response.headers.get("ETag") == etag(case.id, case.version), (
                f"an edit of case {case.id} that changes nothing answered ETag {response.headers.get('ETag')}, "
                f"not the case's {etag(case.id, case.version)}: it made a new version")

    def commit_egain(self, p, case, edit: EgainEdit, response) -> None:
        entries = egain_changes(case, edit, self.cases)
        for case_id, changes in entries.items():
            apply(self.cases[case_id], changes, p)
            self.bumped.add(case_id)
        self.accepted(case, response, changed=case.id in entries)

    def commit_thalamus(self, p, case, update: ThalamusUpdate, response) -> None:
        body = response.get_json()
        assert body["context"]["simpleProfile"]["email"] == (p.login if p.kind == "party" else USERS[p.login]["email"])
        known = {i for i, _ in case.comments}
        added = [(c["id"], c["description"]) for c in body["case"]["comments"] if c["id"] not in known]
        assert [d for _, d in added] == list(update.comments), body
        changes = thalamus_changes(case, update)
        if changes or added:
            apply(case, changes, p, typed_data=dict(update.case_data or ()), comments=added)
            self.bumped.add(case.id)
        self.accepted(case, response, changed=bool(changes or added))
        assert thalamus_shown(body["case"]) == thalamus_expected(case), "the update's answer shows the case as written"

    def thalamus_update_of(self, case, status=None, resolution=None, comments=(), variant=None) -> ThalamusUpdate:
        data = CASE_DATA[case.fixed_type][variant] if variant is not None else None
        return ThalamusUpdate(status, resolution, tuple(comments), tuple(data.items()) if data else None)

    # -- writes -------------------------------------------------------------------

    @rule(who=EGAIN_WRITERS, case_id=WRITTEN, edit=EGAIN_EDITS, if_match=st.booleans())
    def egain_edit(self, who, case_id, edit, if_match):
        p, case = PRINCIPALS[who], self.cases[case_id]
        link = tuple(i for i in edit.link if i != case_id)
        edit = replace(edit, link=link, unlink=tuple(i for i in edit.unlink if i != case_id and i not in link))
        if edit == EgainEdit():
            edit = EgainEdit(subject=case.subject or "")
        self.step(case_id, *edit.link, *edit.unlink)
        outcome = egain_edit_outcome(p, case, edit, self.cases, stale=False, if_match=if_match)
        response = self.api.egain_edit(p, case_id, edit.body(HREF_PREFIXES[p.api]), **self.version_of(case, if_match))
        self.expect(response, outcome, p, f"{who} edits {case_id} with {edit}")
        if outcome is OK:
            self.commit_egain(p, case, edit, response)

    @rule(who=EGAIN_WRITERS, case_id=WRITTEN, what=st.sampled_from(["subject", "severity", "custom", "link"]),
          if_match=st.booleans())
    def egain_same_values_again(self, who, case_id, what, if_match):
        """An eGain edit that names only what the case already holds."""
        p, case = PRINCIPALS[who], self.cases[case_id]
        edit = EgainEdit(subject=case.subject or "")
        if what == "severity" and case.severity:
            edit = EgainEdit(severity=case.severity)
        elif what == "custom":
            edit = EgainEdit(custom=(next(iter(case.custom.items()), ("note", "")),))  # "" removes what is not there
        elif what == "link" and case.related:
            edit = EgainEdit(link=(min(case.related),))
        elif what == "link":
            edit = EgainEdit(unlink=(next(i for i in CASE_IDS if i != case_id),))
        self.step(case_id, *edit.link, *edit.unlink)
        assert egain_changes(case, edit, self.cases) == {}
        outcome = egain_edit_outcome(p, case, edit, self.cases, stale=False, if_match=if_match)
        response = self.api.egain_edit(p, case_id, edit.body(HREF_PREFIXES[p.api]), **self.version_of(case, if_match))
        self.expect(response, outcome, p, f"{who} edits {case_id} with the values it holds: {edit}")
        if outcome is OK:
            self.commit_egain(p, case, edit, response)

    def case_for(self, p, data) -> int:
        """Half the time a case the principal may change, else any case."""
        own = [c.id for c in self.cases.values() if not reach_refusal(p, c, (EDIT_CASE,), p.api)]
        return data.draw((st.sampled_from(own) | WRITTEN) if own else WRITTEN, label="case")

    @rule(who=st.sampled_from(V4), change=THALAMUS_CHANGES, if_match=st.booleans(), data=st.data())
    def thalamus_update(self, who, change, if_match, data):
        p = PRINCIPALS[who]
        case_id = self.case_for(p, data)
        case = self.cases[case_id]
        self.step(case_id)
        update = self.thalamus_update_of(case, *change)
        outcome = thalamus_outcome(p, case, self.cases, update, stale=False)
        response = self.api.thalamus_update(p, case_id, update.body(*case.fixed_type),
                                            if_match=etag(case_id, case.version) if if_match else None)
        self.expect(response, outcome, p, f"{who} updates {case_id} with {update}")
        if outcome is OK:
            self.commit_thalamus(p, case, update, response)

    @rule(who=st.sampled_from(V4), with_status=st.booleans(), with_resolution=st.booleans(),
          with_data=st.booleans(), if_match=st.booleans(), data=st.data())
    def thalamus_same_values_again(self, who, with_status, with_resolution, with_data, if_match, data):
        """A Thalamus update naming the category, type (and status,
        resolution, case data) the case holds: it changes nothing, unless
        the case has no category yet."""
        p = PRINCIPALS[who]
        case_id = self.case_for(p, data)
        case = self.cases[case_id]
        self.step(case_id)
        fields = TYPES[case.fixed_type]
        held = tuple(case.case_data.items()) if with_data and set(case.case_data) == set(fields) else None
        update = ThalamusUpdate(status=case.status if with_status else None,
                                resolution=case.resolution if with_resolution else None, case_data=held)
        outcome = thalamus_outcome(p, case, self.cases, update, stale=False)
        response = self.api.thalamus_update(p, case_id, update.body(*case.fixed_type),
                                            if_match=etag(case_id, case.version) if if_match else None)
        self.expect(response, outcome, p, f"{who} updates {case_id} with the values it holds: {update}")
        if outcome is OK:
            self.commit_thalamus(p, case, update, response)

    @precondition(lambda self: any(len(c.entries) > 1 for c in self.cases.values()))
    @rule(data=st.data())
    def stale_edit(self, data):
        """An edit naming a version older than the case's: 409 (lastModified)
        or 412 (If-Match), saying what changed since, as far as the principal
        sees; never a 5xx, and nothing is written."""
        case = self.cases[data.draw(st.sampled_from(sorted(c.id for c in self.cases.values() if len(c.entries) > 1)),
                                    label="case")]
        older = case.entries[data.draw(st.integers(0, len(case.entries) - 2), label="older version")].last_modified
        self.step(case.id)

        def outcome_of(key, if_match):
            p = PRINCIPALS[key]
            if p.api == "v4":
                return thalamus_outcome(p, case, self.cases, STALE_UPDATE, stale=True)
            return egain_edit_outcome(p, case, EgainEdit(subject="Stale"), self.cases, stale=True, if_match=if_match)

        if_match = data.draw(st.booleans(), label="If-Match")
        stale_ones = [k for k in (*EGAIN, *V4) if outcome_of(k, if_match) and outcome_of(k, if_match).status in (409, 412)]
        who = data.draw(st.sampled_from(stale_ones or [*EGAIN, *V4]), label="who")
        p = PRINCIPALS[who]
        outcome = outcome_of(who, if_match)
        if p.api == "v4":
            response = self.api.thalamus_update(p, case.id, STALE_UPDATE.body(*case.fixed_type),
                                                if_match=etag(case.id, older))
        else:
            response = self.api.egain_edit(p, case.id, EgainEdit(subject="Stale").body(HREF_PREFIXES[p.api]),
                                           **self.version_of(case, if_match, older))
        self.expect(response, outcome, p, f"{who} edits {case.id} naming {older}, older than {case.version}")
        if outcome.status in (409, 412):
            self.check_conflict(p, case, older, response)

    def check_conflict(self, p, case, version: str, response) -> None:
        fields, count = changed_since(case, version, p)
        what = f"{p.key}'s conflict on {case.id} since {version}"
        if p.api == "v4":
            body = response.get_json()
            assert field_set(body.get("changedFields")) == fields, f"{what}: {body}"
            assert response.headers.get("ETag") == etag(case.id, case.version), what
        else:
            shown = details(response)
            assert shown["lastModified"] == case.version, f"{what}: {shown}"
            assert field_set(shown["changedFields"]) == fields, f"{what}: {shown}"
            assert len(shown["changedFields"].split(",")) == len(field_set(shown["changedFields"])), f"{what}: {shown}"
            assert shown["changes"] == str(count), f"{what}: {shown}"

    @rule(data=st.data())
    def concurrent_edits(self, data):
        """Two edits of one case with the same version, sent at once from two
        threads: exactly one wins, the other is 409 or 412."""
        case = self.cases[data.draw(WRITTEN, label="case")]
        self.step(case.id)
        edits = {}
        for key in (*EGAIN, *V4):
            p = PRINCIPALS[key]
            if p.api == "v4" and thalamus_outcome(p, case, self.cases, ThalamusUpdate(comments=("x",)),
                                                  stale=False) is OK:
                edits[key] = "v4"
            elif p.api != "v4" and egain_edit_outcome(p, case, EgainEdit(subject="x"), self.cases, stale=False,
                                                      if_match=False) is OK:
                edits[key] = "egain"
        if not edits:
            return
        racers = [data.draw(st.sampled_from(sorted(edits)), label=f"racer {i}") for i in (1, 2)]
        if_match = [data.draw(st.booleans(), label=f"racer {i} If-Match") for i in (1, 2)]
        requests = []
        for key, use_if_match in zip(racers, if_match):
            number = next(self.concurrent)  # every racer's change is a real one
            if edits[key] == "v4":
                requests.append((key, ThalamusUpdate(comments=(f"Concurrent {number}",)), True))
            else:
                requests.append((key, EgainEdit(subject=f"Concurrent {number}"), use_if_match))
        COUNTS.races += 1
        COUNTS.conflicts += 1
        barrier, answers = threading.Barrier(2), [None, None]

        def send(index, key, change, use_if_match):
            surfaces, p = self.api.for_thread(), PRINCIPALS[key]
            barrier.wait(timeout=10)
            try:
                if isinstance(change, ThalamusUpdate):
                    answers[index] = surfaces.thalamus_update(p, case.id, change.body(*case.fixed_type),
                                                              if_match=etag(case.id, case.version))
                else:
                    answers[index] = surfaces.egain_edit(p, case.id, change.body(HREF_PREFIXES[p.api]),
                                                         **self.version_of(case, use_if_match))
            except BaseException as failure:  # noqa: BLE001 - handed to the main thread
                answers[index] = failure

        threads = [threading.Thread(target=send, args=(i, *r)) for i, r in enumerate(requests)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        for answer in answers:
            if isinstance(answer, BaseException):
                raise answer
        wins = [i for i, a in enumerate(answers) if a.status_code in (201, 204)]
        statuses = [a.status_code for a in answers]
        assert len(wins) == 1, f"{requests} answered {statuses}: exactly one must win"
        (winner,), loser = wins, 1 - wins[0]
        key, change, _ = requests[winner]
        before = case.version
        if isinstance(change, ThalamusUpdate):
            self.commit_thalamus(PRINCIPALS[key], case, change, answers[winner])
        else:
            self.commit_egain(PRINCIPALS[key], case, change, answers[winner])
        loser_key, loser_change, loser_if_match = requests[loser]
        expected = 412 if loser_if_match else 409
        assert statuses[loser] == expected, f"{requests} answered {statuses}"
        self.pending_conflicts.append((PRINCIPALS[loser_key], case, before, answers[loser]))

    @rule(who=EGAIN_WRITERS, case_id=WRITTEN)
    def close(self, who, case_id):
        p, case = PRINCIPALS[who], self.cases[case_id]
        self.step(case_id)
        outcome = close_outcome(p, case, self.cases)
        response = self.api.close(p, case_id)
        self.expect(response, outcome, p, f"{who} closes {case_id}")
        if outcome is OK:
            apply(case, close_changes(case), p)
            self.bumped.add(case_id)
            self.accepted(case, response, changed=True)

    @rule(who=st.sampled_from(V3), value=st.sampled_from(CUSTOM_VALUES), data=st.data())
    def edit_closed_case(self, who, value, data):
        """v3's closed-case edit: custom attributes of a closed case."""
        closed = sorted(c.id for c in self.cases.values() if not c.is_open)
        case_id = data.draw((st.sampled_from(closed) | CASES) if closed else CASES, label="case")
        p, case = PRINCIPALS[who], self.cases[case_id]
        self.step(case_id)
        edit = EgainEdit(custom=(value,))
        outcome = egain_edit_outcome(p, case, edit, self.cases, stale=False, if_match=False, closed_case_edit=True)
        response = self.api.egain_edit(p, case_id, edit.body(HREF_PREFIXES["v3"]), last_modified=case.version,
                                       closed=True)
        self.expect(response, outcome, p, f"{who} edits closed case {case_id} with {value}")
        if outcome is OK:
            self.commit_egain(p, case, edit, response)

    # -- reads --------------------------------------------------------------------

    @rule(who=st.sampled_from(EGAIN), case_ids=st.lists(CASES, min_size=1, max_size=4, unique=True))
    def read_cases(self, who, case_ids):
        self.step()
        self.check_egain_read(PRINCIPALS[who], case_ids)

    @rule(who=st.sampled_from(V4), case_id=CASES)
    def thalamus_read(self, who, case_id):
        self.step()
        self.check_thalamus_read(PRINCIPALS[who], case_id)

    @rule(who=st.sampled_from(sorted(PRINCIPALS)), case_id=CASES, size=st.integers(1, 4))
    def read_history(self, who, case_id, size):
        """A history read page by page: the pages together are the history."""
        self.step()
        self.check_history(PRINCIPALS[who], case_id, size)

    @rule(who=st.sampled_from(V12), query=st.sampled_from(SEARCHES))
    def search(self, who, query):
        self.step()
        p = PRINCIPALS[who]
        response = self.api.search(p, *query)
        found = [c for c in sorted(self.cases.values(), key=lambda c: c.id)
                 if p.sees_case(c) and search_matches(c, query)]
        what = f"{who} searches {query}"
        if not found:
            assert response.status_code == 204, f"{what}: {response.status_code} {response.get_data(as_text=True)}"
            return
        assert response.status_code == 200, f"{what}: {response.status_code} {response.get_data(as_text=True)}"
        body = response.get_json()
        assert [int(c["id"]) for c in body["case"]] == [c.id for c in found], what
        assert body["paginationInfo"]["count"] == len(found), what
        for shown, case in zip(body["case"], found):
            assert egain_shown(shown, "v12") == egain_expected(case, "v12", HREF_PREFIXES["v12"]), what

    @rule(who=st.sampled_from(V3), limit=st.integers(1, 4))
    def follow_feed(self, who, limit):
        """One page of the change feed, after the follower's last ``next``."""
        self.step()
        self.poll(self.followers[who], limit)
        self.check_feed(self.followers[who], complete=False)

    # -- the checks after every step ----------------------------------------------------

    @invariant()
    def every_surface_agrees_with_the_model(self):
        """Every case through every eGain principal's read; each case the
        step touched through the Thalamus read and the history of one
        principal of each API and kind that sees it (the others' reads, and
        every refusal to show a case, are the read rules')."""
        self.check_versions()
        for who in EGAIN:
            if who != CLIENT.key:  # check_versions read the client's
                self.check_egain_read(PRINCIPALS[who], CASE_IDS)
        for case_id in sorted(self.touched):
            case, views = self.cases[case_id], set()
            for p in PRINCIPALS.values():
                if p.sees_case(case) and (p.api, p.kind) not in views:
                    views.add((p.api, p.kind))
                    if p.api == "v4":
                        self.check_thalamus_read(p, case_id)
                    self.check_history(p, case_id)
        for p, case, version, response in self.pending_conflicts:
            self.check_conflict(p, case, version, response)
        for follower in self.followers.values():
            self.check_feed(follower, complete=False)
        self.catch_up(self.followers[CLIENT.key])
        self.touched.clear()
        self.bumped.clear()
        self.answered.clear()
        self.pending_conflicts.clear()

    def check_versions(self) -> None:
        """Versions only grow, and only on the cases the step changed; an
        answer's ETag is the version it made."""
        response = self.api.egain_read(CLIENT, CASE_IDS)
        assert response.status_code == 200, response.get_data(as_text=True)
        shown = {int(c["id"]): c["lastModified"] for c in response.get_json()["case"]}
        assert list(shown) == list(CASE_IDS)
        for case_id, version in shown.items():
            case = self.cases[case_id]
            if case_id in self.bumped:
                previous = case.entries[-2].last_modified
                assert version > previous, f"case {case_id}: version {version} after {previous}"
                case.entries[-1].last_modified = version
            else:
                assert version == case.version, (
                    f"case {case_id} went from version {case.version} to {version}, but the step changed nothing of it")
            if case_id in self.answered:
                assert self.answered[case_id] == etag(case_id, version), f"case {case_id}"
        for case_shown in response.get_json()["case"]:
            case = self.cases[int(case_shown["id"])]
            assert egain_shown(case_shown, "v3") == egain_expected(case, "v3", HREF_PREFIXES["v3"]), (
                f"{CLIENT.key} reads {case.id}")

    def check_egain_read(self, p, case_ids) -> None:
        response = self.api.egain_read(p, case_ids)
        visible = [i for i in case_ids if p.sees_case(self.cases[i])]
        what = f"{p.key} reads {list(case_ids)}"
        if not visible:
            assert response.status_code == 404 and eGain_code(response) == "404-9001", (
                f"{what}: {response.status_code} {response.get_data(as_text=True)}")
            return
        assert response.status_code == 200, f"{what}: {response.get_data(as_text=True)}"
        shown = response.get_json()["case"]
        assert [int(c["id"]) for c in shown] == visible, what
        for case_id, case_shown in zip(visible, shown):
            case = self.cases[case_id]
            assert egain_shown(case_shown, p.api) == egain_expected(case, p.api, HREF_PREFIXES[p.api]), (
                f"{what}: case {case_id}")
        if len(visible) == 1:
            assert response.headers["ETag"] == etag(visible[0], self.cases[visible[0]].version), what

    def check_thalamus_read(self, p, case_id) -> None:
        case, response = self.cases[case_id], self.api.thalamus_read(p, case_id)
        what = f"{p.key} reads {case_id} on Thalamus"
        if not p.sees_case(case):
            assert response.status_code == 400, f"{what}: {response.status_code}"
            assert response.get_json()["errors"]["case"] == "invalidId", what
            return
        assert response.status_code == 200, f"{what}: {response.get_data(as_text=True)}"
        shown = response.get_json()  # the case object itself
        assert set(shown) == THALAMUS_CASE_KEYS, f"{what}: {sorted(shown)}"
        assert thalamus_shown(shown) == thalamus_expected(case), what
        assert response.headers["ETag"] == etag(case_id, case.version), what

    def check_history(self, p, case_id, size: int = 75) -> None:
        case = self.cases[case_id]
        refused, entries, counts = self.api.history(p, case_id, size)
        what = f"{p.key} reads the history of {case_id}"
        if not p.sees_case(case):
            assert refused is not None, f"{what}: shown to a principal who may not read the case"
            if p.api == "v4":
                assert refused.status_code == 400 and refused.get_json()["errors"]["case"] == "invalidId", what
            else:
                assert refused.status_code == 404 and eGain_code(refused) == "404-9001", what
            return
        assert refused is None, f"{what}: {refused.status_code} {refused.get_data(as_text=True)}"
        shown = []
        for entry in entries:
            names = [c["field"] for c in entry["changes"]]
            assert len(names) == len(set(names)), f"{what}: a field twice in one entry: {entry}"
            shown.append({"lastModified": entry["lastModified"], "api": entry["api"], "user": entry["user"],
                          "changes": {c["field"]: (c["oldValue"], c["newValue"]) for c in entry["changes"]}})
        expected = history_as_seen(case, p)
        assert shown == expected, what
        assert counts == {len(expected)}, f"{what}: paginationInfo.count {counts}, {len(expected)} entries shown"
        state, inconsistent = replay(list(reversed(entries)))
        assert not inconsistent, f"{what}: an oldValue that is not what the field held: {inconsistent}"
        wanted = {name: value for name, value in case.tracked_state().items() if p.sees_field(name)}
        assert state == wanted, f"{what}: replayed oldest first, it gives another state than the case's"

    # -- the change feed ------------------------------------------------------------

    def feed_expected(self, p) -> dict[tuple[str, str], tuple]:
        expected = {}
        for case in self.cases.values():
            if not p.sees_case(case):
                continue
            for entry in case.entries:
                seen = entry_as_seen(entry, p)
                if seen is not None:
                    expected[(str(case.id), entry.last_modified)] = (
                        seen["api"], seen["user"], sorted(seen["changes"]))
        return expected

    def poll(self, follower: Follower, limit: int) -> list[dict]:
        p = PRINCIPALS[follower.key]
        response = self.api.feed(p, follower.after, limit)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        assert len(body["changes"]) <= limit
        for change in body["changes"]:
            assert change["cursor"] not in follower.cursors, f"{p.key}: the feed gave {change} twice"
            follower.cursors.add(change["cursor"])
            follower.seen.append(change)
        follower.after = body["next"]
        return body["changes"]

    def check_feed(self, follower: Follower, complete: bool) -> None:
        """What the follower saw: changes of the model, each once, each case's
        in the order of its versions; with ``complete``, all of them."""
        p = PRINCIPALS[follower.key]
        expected = self.feed_expected(p)
        seen = {}
        for change in follower.seen:
            key = (change["caseId"], change["lastModified"])
            assert key not in seen, f"{p.key}: the feed gave the change {key} twice"
            assert key in expected, f"{p.key}: the feed gave {change}, which the model holds no change for"
            seen[key] = (change["api"], change["user"], sorted(change["fields"]))
            assert seen[key] == expected[key], f"{p.key}: {change}"
        for case_id in {c for c, _ in seen}:
            versions = [v for c, v in seen if c == case_id]
            assert versions == sorted(versions), f"{p.key}: case {case_id}'s changes out of order: {versions}"
        if complete:
            missing = sorted(set(expected) - set(seen))
            assert not missing, f"{p.key}: the feed never gave {missing}"

    def catch_up(self, follower: Follower, limit: int = 5) -> None:
        deadline = time.monotonic() + FEED_DEADLINE_S
        while True:
            while len(self.poll(follower, limit)) == limit:
                pass
            expected = self.feed_expected(PRINCIPALS[follower.key])
            if len(follower.seen) >= len(expected) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.check_feed(follower, complete=True)

    @rule(who=st.sampled_from(V3))
    def catch_up_feed(self, who):
        """Pages until a page is not full: the follower then saw every change."""
        self.step()
        self.catch_up(self.followers[who], limit=3)


@pytest.mark.slow
def test_random_sequences_across_apis_and_principals_agree_with_the_model(databases, world_template):
    Environment.databases, Environment.template = databases, world_template
    Environment.dropper, Environment.drops = ThreadPoolExecutor(max_workers=1), []
    examples, steps = COUNTS.examples, COUNTS.steps
    started = time.monotonic()
    try:
        run_state_machine_as_test(CaseSequences, settings=SEQUENCES)
    finally:
        Environment.dropper.shutdown(wait=True)
        for drop in Environment.drops:
            drop.result()
        print(f"stateful: {COUNTS.examples - examples} examples, {COUNTS.steps - steps} steps "
              f"in {time.monotonic() - started:.1f} s ({COUNTS.line()})")


# -- the sequence that answered 500 --------------------------------------------------

def _read_version(client, case_id: int) -> str:
    surfaces = Surfaces(client.application, client)
    surfaces.log_in(CLIENT)
    response = surfaces.egain_read(CLIENT, [case_id])
    assert response.status_code == 200
    return response.get_json()["case"][0]["lastModified"]


@pytest.mark.parametrize("who, if_match", [("v12 frank", False), ("v12 frank", True), ("v3 client", False),
                                           ("v3 frank", True), ("v4 frank", True), ("v4 john", True)])
def test_an_update_that_changes_nothing_leaves_no_version_to_trip_a_later_stale_edit(client, who, if_match):
    """A real edit, then a Thalamus update that changes nothing: the update
    makes no version, so an edit naming the version before it is current and
    accepted, and one naming the version before the real edit is stale
    (409/412, naming the real edit's field): never a 500, on every API."""
    surfaces = Surfaces(client.application, client)
    for key in (who, "v12 frank", "v4 frank", CLIENT.key):
        surfaces.log_in(PRINCIPALS[key])
    p, case_id = PRINCIPALS[who], 1013
    before_edit = _read_version(client, case_id)
    assert surfaces.egain_edit(PRINCIPALS["v12 frank"], case_id, {"subject": "Before the no-op"},
                               last_modified=before_edit).status_code == 204
    edited = _read_version(client, case_id)
    same = {"categoryCode": "Case6534", "typeCode": "Casetype6534", "status": "Open", "resolution": "Unresolved"}
    nothing = surfaces.thalamus_update(PRINCIPALS["v4 frank"], case_id, same, if_match=etag(case_id, edited))
    assert nothing.status_code == 201, nothing.get_data(as_text=True)

    def edit_naming(version: str):
        if p.api == "v4":
            return surfaces.thalamus_update(p, case_id, {**same, "comments": [{"description": "Mine"}]},
                                            if_match=etag(case_id, version))
        versioned = {"if_match": etag(case_id, version)} if if_match else {"last_modified": version}
        return surfaces.egain_edit(p, case_id, {"severity": {"value": "urgent"}}, **versioned)

    stale = edit_naming(before_edit)
    assert stale.status_code == (412 if if_match else 409), stale.get_data(as_text=True)
    assert nothing.headers["ETag"] == etag(case_id, edited), "an update that changes nothing made a version"
    if p.api == "v4":
        expected = "" if p.kind == "party" else "subject"  # a customer does not see the subject
        assert stale.get_json()["changedFields"] == expected
        assert stale.headers["ETag"] == etag(case_id, edited)
    else:
        assert details(stale) == {"lastModified": edited, "changedFields": "subject", "changes": "1"}
    current = edit_naming(edited)
    assert current.status_code == (201 if p.api == "v4" else 204), current.get_data(as_text=True)
