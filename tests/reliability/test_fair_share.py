"""Fair share of the expensive reads, through `casemgr serve` (2 workers):
while 8 clients of one agent (frank: 4 v12 sessions, 2 v3 tokens and 2
Thalamus Basic pairs, one principal) loop reads that each cost tens of
milliseconds, another user (alice) reads on. Her reads' p50 unloaded and
loaded are printed, against the same server with the limit so high that it
is effectively off, for the before and after.

frank's v12 clients loop a search by customer and custom value over 9,000
of his cases (every one found, all sorted for a page), his v3 clients a
history page of a case with 20,000 entries and a feed page of 1,000 changes,
his Thalamus clients that history page. Should searches take no slot (8 of
frank's at once are never refused), his v12 clients loop the v12 history page
instead, and the figures say so.

What is asserted is what the clients see: frank got 200s and 429s (each with
`Retry-After: 1` and its API's error body), never a 429 without the limit,
alice's reads all succeeded, and nothing anywhere was a 5xx. The loops are
bounded in count and in time, and every socket is on loopback."""

from __future__ import annotations

import base64
import http.client
import json
import os
import statistics
import threading
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest

from tests.reliability.conftest import start_server, stop_server
from tests.reliability.figures import record_figure

pytestmark = pytest.mark.slow

LOOPERS = 8
FAIR_SHARE, EFFECTIVELY_OFF = 2, 1000  # reads in flight per principal and worker
WORKERS = 2
UNLOADED_SECONDS, LOADED_SECONDS, WARM_UP_SECONDS = 3.0, 6.0, 1.0
MAX_PROBE_ROUNDS, MAX_LOOPS = 300, 5_000  # per phase; per looping client and phase
PROBE_PAUSE = 0.02
# How frank's clients take a 429: a script that ignores Retry-After, and a client that waits.
STRAIGHT_ON, WAITING = "straight on after a 429", "waiting as Retry-After says"

# One customer's cases, most of them in a department frank does not see
# (Legal), the others in his own (Service), every one with the same custom
# value; and one of his cases with a long history. A search considers at most
# 10,000 candidates (docs/reading-and-searching.md: case search), so frank's share stays under that.
BULK_CUSTOMER, BULK_VALUE = 3001, "bulk"
SEEN_CASES, UNSEEN_CASES = 9_000, 21_000
FIRST_BULK_CASE = 100_001
LONG_CASE, HISTORY_ENTRIES = 99_999, 20_000

TOUCHPOINT = {"Thalamus-Touchpoint": "web", "Thalamus-Token": "web-token"}
LAST_PAGE = f"$pagesize=75&$pagenum={HISTORY_ENTRIES // 75}"  # the oldest entries: the most to skip
SEARCH = ("v12 search", f"/ws/v12/interaction/case?customer={BULK_CUSTOMER}&custom.note={BULK_VALUE}"
                        "&$sort=subject&$pagesize=25")
V12_HISTORY = ("v12 history", f"/ws/v12/interaction/case/{LONG_CASE}/history?{LAST_PAGE}")
V3_HISTORY = ("v3 history", f"/core/casemgr/v3/case/{LONG_CASE}/history?{LAST_PAGE}")
V3_FEED = ("v3 feed", "/core/casemgr/v3/changes?limit=1000")
V4_HISTORY = ("v4 history", f"/api/v4/cases/{LONG_CASE}/history?{LAST_PAGE}")
# alice's reads: one by id, a search and a history page, each of little.
PROBES = [("read by id", "/ws/v12/interaction/case/1003"),
          ("search", "/ws/v12/interaction/case?customer=2002"),
          ("history", "/ws/v12/interaction/case/1003/history")]


def looped_reads(searches_take_slots: bool) -> dict[str, list[tuple[str, str]]]:
    """What each of frank's clients loops, in turn, by the API its credential opens."""
    return {"v12": [SEARCH] if searches_take_slots else [V12_HISTORY],
            "v3": [V3_HISTORY, V3_FEED],
            "v4": [V4_HISTORY]}


def load_expensive_data(db_url: str) -> None:
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("INSERT INTO customer (id, name, email) VALUES (%s, 'Bulk Buyer', 'bulk@example.com')",
                     (BULK_CUSTOMER,))
        conn.execute("""
            INSERT INTO support_case (id, department_id, customer_id, status_id, severity, subject, description)
            SELECT %(first)s + g,
                   (SELECT id FROM department WHERE name = CASE WHEN g < %(seen)s THEN 'Service' ELSE 'Legal' END),
                   %(customer)s, (SELECT id FROM case_status WHERE name = 'Open'),
                   (ARRAY['urgent','high','medium','low']::case_severity[])[1 + g %% 4],
                   'Order ' || md5(g::text), 'Generated case number ' || g
            FROM generate_series(0, %(total)s - 1) g""",
                     {"first": FIRST_BULK_CASE, "seen": SEEN_CASES, "customer": BULK_CUSTOMER,
                      "total": SEEN_CASES + UNSEEN_CASES})
        conn.execute("""
            INSERT INTO case_custom_value (case_id, custom_field_id, value)
            SELECT c.id, (SELECT id FROM custom_field WHERE name = 'note' AND case_type_id IS NULL), to_jsonb(%s::text)
            FROM support_case c WHERE c.customer_id = %s""", (BULK_VALUE, BULK_CUSTOMER))
        conn.execute("""
            INSERT INTO support_case (id, department_id, customer_id, status_id, subject, owner_id, last_modified)
            SELECT %(case)s, d.id, %(customer)s, s.id, 'Edited ' || %(entries)s || ' times', 1001,
                   timestamptz '2026-01-01' + %(entries)s * interval '1 millisecond'
            FROM department d, case_status s WHERE d.name = 'Service' AND s.name = 'Open'""",
                     {"case": LONG_CASE, "customer": BULK_CUSTOMER, "entries": HISTORY_ENTRIES})
        conn.execute("""
            INSERT INTO case_history (case_id, last_modified, previous_last_modified, api, actor_user_id, changes)
            SELECT %(case)s, timestamptz '2026-01-01' + g * interval '1 millisecond',
                   timestamptz '2026-01-01' + (g - 1) * interval '1 millisecond', 'egain-v12', 1001,
                   jsonb_build_array(jsonb_build_object('field', 'subject', 'old', 'Edited ' || (g - 1) || ' times',
                                                        'new', 'Edited ' || g || ' times'))
            FROM generate_series(1, %(entries)s) g""", {"case": LONG_CASE, "entries": HISTORY_ENTRIES})
        conn.execute("VACUUM ANALYZE support_case, case_custom_value, case_history, customer")


@dataclass
class Answer:
    status: int
    headers: dict
    body: bytes


class Client:
    """A client of one credential that opens a connection for each request,
    as a script without a session does: its requests reach whichever worker
    accepts them, as a load balancer's would."""

    def __init__(self, base: str, headers: dict):
        host, port = base.removeprefix("http://").split(":")
        self.host, self.port, self.headers = host, int(port), headers

    def get(self, path: str) -> Answer:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request("GET", path, headers={**self.headers, "Connection": "close"})
            response = conn.getresponse()
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            conn.close()


@dataclass(frozen=True)
class Credentials:
    """frank's 8 credentials (one principal) and alice's session. They live in
    the database, so both servers take them."""

    frank: tuple[dict, ...]
    alice: dict


def make_credentials(server) -> Credentials:
    v12 = []
    for _ in range(4):
        answer = server.request("POST", "/ws/v12/authentication/user/login?forceLogin=yes",
                                json.dumps({"userName": "frank", "password": "frank-pass"}).encode(),
                                {"Content-Type": "application/json"})
        assert answer.status == 204, answer
        v12.append({"X-egain-session": answer.headers["X-egain-session"], "Accept": "application/json"})
    v3 = []
    for _ in range(2):
        form = urllib.parse.urlencode({"grant_type": "password", "username": "frank", "password": "frank-pass",
                                       "client_id": "crm", "client_secret": "crm-secret"}).encode()
        answer = server.request("POST", "/oauth2/token", form, {"Content-Type": "application/x-www-form-urlencoded"})
        assert answer.status == 200, answer
        v3.append({"Authorization": f"Bearer {answer.json()['access_token']}", "Accept-Language": "en-US"})
    pair = base64.b64encode(b"frank:frank-pass").decode()
    v4 = [{**TOUCHPOINT, "Authorization": f"Basic {pair}"} for _ in range(2)]
    alice = {"X-egain-session": server.login("alice"), "Accept": "application/json"}
    return Credentials((*v12, *v3, *v4), alice)


def api_of(headers: dict) -> str:
    if "X-egain-session" in headers:
        return "v12"
    return "v3" if headers["Authorization"].startswith("Bearer") else "v4"


def refused_as_documented(answer: Answer) -> bool:
    """A 429 of the fair share: `Retry-After: 1` and the API's error body."""
    if answer.headers.get("retry-after") != "1":
        return False
    body = json.loads(answer.body)
    if "errors" in body:  # Thalamus: the key and its code, with an English text beside them
        return {k: v for k, v in body["errors"].items() if not k.startswith("execution.")} == {
            "principal": "TooManyRequests"}
    return body.get("code") == "429-9002"


@dataclass
class Loop:
    """frank's 8 clients, each in a thread of its own, each looping its reads
    until told to stop, for MAX_LOOPS at most or until its deadline. Either
    straight on after a 429 (a script that ignores Retry-After) or after the
    seconds Retry-After says."""

    base: str
    credentials: tuple[dict, ...]
    reads: dict[str, list[tuple[str, str]]]
    honour_retry_after: bool
    deadline: float
    statuses: dict[str, Counter] = field(default_factory=dict)
    badly_refused: list[bytes] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, index: int) -> None:
        headers = self.credentials[index]
        client = Client(self.base, headers)
        reads = self.reads[api_of(headers)]
        for n in range(MAX_LOOPS):
            if self.stop.is_set() or time.monotonic() > self.deadline:
                break
            kind, path = reads[(n + index) % len(reads)]
            answer = client.get(path)
            with self.lock:
                self.statuses.setdefault(kind, Counter())[answer.status] += 1
                if answer.status == 429 and not refused_as_documented(answer):
                    self.badly_refused.append(answer.body[:300])
            if answer.status == 429 and self.honour_retry_after:
                self.stop.wait(float(answer.headers.get("retry-after", "1")))

    def total(self, status: int) -> int:
        return sum(counts[status] for counts in self.statuses.values())


Outcomes = dict[str, list[tuple[int, float]]]  # (status, seconds) by kind of read


def probe(base: str, headers: dict, seconds: float) -> Outcomes:
    """alice's reads, in turn, a short pause apart, for ``seconds`` or
    MAX_PROBE_ROUNDS rounds."""
    client = Client(base, headers)
    outcomes: Outcomes = {kind: [] for kind, _ in PROBES}
    deadline = time.monotonic() + seconds
    for _ in range(MAX_PROBE_ROUNDS):
        if time.monotonic() > deadline:
            break
        for kind, path in PROBES:
            started = time.perf_counter()
            answer = client.get(path)
            outcomes[kind].append((answer.status, time.perf_counter() - started))
        time.sleep(PROBE_PAUSE)
    return outcomes


def p50_ms(outcomes: list[tuple[int, float]]) -> float:
    return statistics.median(seconds for _, seconds in outcomes) * 1000


@dataclass
class Phase:
    """alice's reads while frank's clients loop, and what frank was answered."""

    loaded: Outcomes
    loop: Loop
    load_average: float


@dataclass
class Run:
    """One server: alice unloaded, then under each way of looping."""

    slots: int
    unloaded: Outcomes
    phases: dict[str, Phase]

    def ratio(self, phase: str, kind: str) -> float:
        return p50_ms(self.phases[phase].loaded[kind]) / p50_ms(self.unloaded[kind])


def loaded_phase(base: str, credentials: Credentials, reads, honour_retry_after: bool) -> Phase:
    loop = Loop(base, credentials.frank, reads, honour_retry_after,
                deadline=time.monotonic() + WARM_UP_SECONDS + LOADED_SECONDS + 5)
    threads = [threading.Thread(target=loop.run, args=(i,), daemon=True) for i in range(LOOPERS)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(WARM_UP_SECONDS)
        loaded = probe(base, credentials.alice, LOADED_SECONDS)
    finally:
        loop.stop.set()
        for thread in threads:
            thread.join(timeout=35)
    return Phase(loaded, loop, os.getloadavg()[0])


def searches_refused_in_a_burst(base: str, credentials: Credentials) -> tuple[bool, Counter]:
    """Whether frank's searches take slots: up to 3 bursts of 8 at once
    through his v12 sessions; one 429 says they do."""
    sessions = [headers for headers in credentials.frank if api_of(headers) == "v12"]
    seen: Counter = Counter()

    def search(index: int) -> int:
        return Client(base, sessions[index % len(sessions)]).get(SEARCH[1]).status

    with ThreadPoolExecutor(LOOPERS) as pool:
        for _ in range(3):
            seen.update(pool.map(search, range(LOOPERS)))
            if seen[429]:
                break
    return bool(seen[429]), seen


def alone_ms(base: str, headers: dict, path: str, times: int = 5) -> float:
    """The p50 of a read with nothing else under way."""
    client = Client(base, headers)
    timings = []
    for _ in range(times):
        started = time.perf_counter()
        answer = client.get(path)
        timings.append(time.perf_counter() - started)
        assert answer.status == 200, (path, answer.status, answer.body[:300])
    return statistics.median(timings) * 1000


@pytest.fixture(scope="module")
def expensive_db_url(module_db_url):
    started = time.monotonic()
    load_expensive_data(module_db_url)
    record_figure("fair share", f"loaded {SEEN_CASES + UNSEEN_CASES:,} cases of one customer ({SEEN_CASES:,} in "
                                f"frank's department, each with the same custom value) and a case with "
                                f"{HISTORY_ENTRIES:,} history entries in {time.monotonic() - started:.1f} s")
    return module_db_url


def describe(label: str, run: Run, phase_name: str) -> None:
    phase = run.phases[phase_name]
    reads = ", ".join(f"{kind} {p50_ms(run.unloaded[kind]):.1f} → {p50_ms(phase.loaded[kind]):.1f} ms "
                      f"({run.ratio(phase_name, kind):.2f} ×)" for kind, _ in PROBES)
    answered = "; ".join(f"{kind} " + ", ".join(f"{n}×{status}" for status, n in sorted(counts.items()))
                         for kind, counts in sorted(phase.loop.statuses.items()))
    record_figure("fair share", (
        f"{label}: alice's p50 unloaded → while frank's {LOOPERS} clients loop ({phase_name}): {reads} "
        f"({len(phase.loaded['read by id'])} rounds); frank was answered {answered}; "
        f"load average {phase.load_average:.1f}"))


def test_another_user_reads_on_while_one_agent_loops_expensive_reads(expensive_db_url, tmp_path):
    runs: dict[str, Run] = {}
    credentials = None
    searches_take_slots, burst = False, Counter()
    for name, slots in (("with fair share", FAIR_SHARE), ("without", EFFECTIVELY_OFF)):
        server = start_server(expensive_db_url, tmp_path, workers=WORKERS, reads_in_flight_per_principal=slots)
        try:
            credentials = credentials or make_credentials(server)
            frank = {api_of(headers): headers for headers in credentials.frank}
            # Warm: the data in Postgres's buffers, the statements prepared.
            costs = {kind: alone_ms(server.base, frank[api], path)
                     for api, reads in (("v12", [SEARCH, V12_HISTORY]), ("v3", [V3_HISTORY, V3_FEED]),
                                        ("v4", [V4_HISTORY]))
                     for kind, path in reads}
            if slots == FAIR_SHARE:
                searches_take_slots, burst = searches_refused_in_a_burst(server.base, credentials)
                record_figure("fair share", (
                    "frank's reads alone (p50 of 5): " + ", ".join(f"{kind} {ms:.0f} ms" for kind, ms in costs.items())
                    + f"; {LOOPERS} of his searches at once, 3 times at most: "
                    + ", ".join(f"{n}×{status}" for status, n in sorted(burst.items())) + ": searches "
                    + ("take slots" if searches_take_slots else
                       "take no slot, so his v12 clients loop the v12 history page instead")))
            reads = looped_reads(searches_take_slots)
            unloaded = probe(server.base, credentials.alice, UNLOADED_SECONDS)
            phases = {STRAIGHT_ON: loaded_phase(server.base, credentials, reads, False)}
            if slots == FAIR_SHARE:
                phases[WAITING] = loaded_phase(server.base, credentials, reads, True)
            runs[name] = Run(slots, unloaded, phases)
        finally:
            stop_server(server)

    fair, off = runs["with fair share"], runs["without"]
    for phase_name in fair.phases:
        describe(f"with fair share ({FAIR_SHARE} per principal and worker, {WORKERS} workers)", fair, phase_name)
    describe(f"without (limit {EFFECTIVELY_OFF})", off, STRAIGHT_ON)
    record_figure("fair share", "alice's p50 ratio loaded ÷ unloaded, without → with fair share: " + ", ".join(
        f"{kind} {off.ratio(STRAIGHT_ON, kind):.2f} × → {fair.ratio(STRAIGHT_ON, kind):.2f} ×" for kind, _ in PROBES))

    assert set(burst) <= {200, 429}, burst
    for run in runs.values():
        for outcomes in (run.unloaded, *(phase.loaded for phase in run.phases.values())):
            for kind, answers in outcomes.items():
                assert {status for status, _ in answers} == {200}, f"alice's {kind}: {Counter(s for s, _ in answers)}"
        for phase in run.phases.values():
            assert set().union(*phase.loop.statuses.values()) <= {200, 429}, phase.loop.statuses
    # With fair share, frank got his share and was refused the rest, each
    # refusal as documented, whichever API it came through.
    for phase in fair.phases.values():
        assert phase.loop.total(200) > 0, phase.loop.statuses
        assert not phase.loop.badly_refused, phase.loop.badly_refused[:3]
    assert fair.phases[STRAIGHT_ON].loop.total(429) > 0, fair.phases[STRAIGHT_ON].loop.statuses
    # Without it, he is never refused.
    assert off.phases[STRAIGHT_ON].loop.total(429) == 0 and off.phases[STRAIGHT_ON].loop.total(200) > 0
