"""No lost update, ever: concurrent writers through two app processes that
share one database, over JSON and XML, checked against the history."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone

import pytest

from tests.api.test_egain_concurrency import run_together as together
from tests.reliability.figures import record_figure

pytestmark = pytest.mark.slow

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def millis_of_etag(etag: str) -> int:
    return int(re.fullmatch(r'"\d+-(\d+)"', etag).group(1))


@pytest.mark.parametrize("xml", [False, True], ids=["json", "xml"])
def test_sixteen_writers_through_two_processes_give_one_success(servers, db, xml):
    for server in servers:
        server.login()
    last_modified = servers[0].read_case(1013)["lastModified"]["date"]
    answers = together(16, lambda i: servers[i % 2].edit(1013, last_modified, {"subject": f"writer {i}"}, xml=xml))
    statuses = Counter(a.status for a in answers)
    history = db.execute("SELECT count(*) FROM case_history WHERE case_id = 1013 AND api <> 'load'").fetchone()[0]
    record_figure("lost updates", f"16 writers ({'XML' if xml else 'JSON'}) through 2 processes: "
                                  f"{statuses[204]}×204, {statuses[409]}×409, {history} history entry")
    assert statuses == {204: 1, 409: 15}
    assert history == 1
    winner = next(i for i, a in enumerate(answers) if a.status == 204)
    assert servers[1].read_case(1013)["subject"] == f"writer {winner}"
    for answer in answers:
        if answer.status == 409:
            details = answer.json()["details"]
            assert details[0]["key"] == "lastModified"


def test_hundreds_of_read_edit_cycles_lose_nothing(servers, db):
    """Several cases, several threads, both processes: afterwards no
    lastModified was accepted twice, every 2xx is in the history, and each
    case holds the last accepted write."""
    cases = [1001, 1002, 1003, 1013]
    threads, cycles = 8, 40
    accepted: dict[int, list[tuple[int, str]]] = defaultdict(list)
    statuses = Counter()
    lock = threading.Lock()
    for server in servers:
        server.login()

    def worker(index):
        server = servers[index % 2]
        for cycle in range(cycles):
            case_id = cases[(index + cycle) % len(cases)]
            case = server.read_case(case_id)
            subject = f"t{index}-c{cycle}"
            answer = server.edit(case_id, case["lastModified"]["date"], {"subject": subject})
            with lock:
                statuses[answer.status] += 1
                if answer.status == 204:
                    accepted[case_id].append((millis_of_etag(answer.headers["ETag"]), subject))

    started = time.perf_counter()
    together(threads, worker)
    elapsed = time.perf_counter() - started
    total = threads * cycles
    record_figure("history under load", f"{total} read-edit cycles on {len(cases)} cases by {threads} threads via "
                                        f"2 processes in {elapsed:.1f}s: {statuses[204]}×204, {statuses[409]}×409, "
                                        f"other {total - statuses[204] - statuses[409]}")
    assert set(statuses) <= {204, 409}
    assert statuses[204] >= len(cases)

    rows = db.execute("SELECT case_id, last_modified, changes FROM case_history WHERE api <> 'load' ORDER BY id").fetchall()
    history = defaultdict(list)
    for case_id, last_modified, changes in rows:
        history[case_id].append(((last_modified - EPOCH) // timedelta(milliseconds=1), changes))
    for case_id in cases:
        versions = [v for v, _ in history[case_id]]
        assert len(versions) == len(set(versions)), f"a lastModified was accepted twice on {case_id}"
        assert sorted(versions) == versions, "history out of order"
        assert sorted(m for m, _ in accepted[case_id]) == versions, f"2xx and history differ on {case_id}"
        last_write = max(accepted[case_id])[1]
        assert servers[0].read_case(case_id)["subject"] == last_write


def test_forty_and_forty_concurrent_links_through_two_processes_never_exceed_75(servers, db):
    from tests.api.test_egain_edit_rules import bulk_cases, related_count

    first, second = bulk_cases(db, 6000, 40), bulk_cases(db, 7000, 40)
    last_modified = servers[0].read_case(1002)["lastModified"]["date"]
    for server in servers:
        server.login()

    def link(i):
        ids = (first, second)[i]
        body = {"relatedCases": {"link": [{"rel": "case", "href": f"/system/ws/v12/interaction/case/{c}"}
                                          for c in ids]}}
        answer = servers[i].edit(1002, last_modified, body)
        if answer.status == 409:  # the loser re-reads and tries again, as a client would
            fresh = servers[i].read_case(1002)["lastModified"]["date"]
            answer = servers[i].edit(1002, fresh, body)
        return answer

    answers = together(2, link)
    count = related_count(db, 1002)
    record_figure("relation cap race", f"40 + 40 concurrent links via 2 processes: "
                                       f"{sorted(a.status for a in answers)}, case related to {count}")
    assert sorted(a.status for a in answers) == [204, 400]
    assert count == 40


def test_concurrent_links_to_a_common_third_through_two_processes_never_exceed_75(servers, db):
    from tests.api.test_egain_edit_rules import bulk_cases, related_count

    filler = bulk_cases(db, 6000, 74)
    db.execute("INSERT INTO case_relation SELECT 1002, g FROM unnest(%s::bigint[]) g", (filler,))
    linkers = bulk_cases(db, 8000, 2)
    lms = [servers[0].read_case(c)["lastModified"]["date"] for c in linkers]
    for server in servers:
        server.login()
    link_common = {"relatedCases": {"link": [{"rel": "case", "href": "/system/ws/v12/interaction/case/1002"}]}}
    answers = together(2, lambda i: servers[i].edit(linkers[i], lms[i], link_common))
    count = related_count(db, 1002)
    isolation = db.execute("SHOW default_transaction_isolation").fetchone()[0]
    record_figure("relation cap race", f"2 cases linking a common third holding 74, at {isolation}: "
                                       f"{sorted(a.status for a in answers)}, third related to {count}")
    assert isolation == "read committed"
    assert sorted(a.status for a in answers) == [204, 400]
    assert count == 75
