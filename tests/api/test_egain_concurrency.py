"""Optimistic locking and the relation cap under concurrent requests.

Threads share one app (and its connection pool) against real Postgres, so
the row locks and the transaction boundaries are the real ones.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.api.clients import EgainV12Client
from tests.api.test_egain_edit_rules import bulk_cases, related_count

pytestmark = pytest.mark.slow


def run_together(count: int, action) -> list:
    """``action(index)`` in ``count`` threads released at the same moment."""
    barrier = threading.Barrier(count)

    def task(index):
        barrier.wait()
        return action(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(task, range(count)))


def test_a_read_then_edit_loop_of_200_edits_never_gets_a_false_conflict(v12):
    statuses = Counter()
    for index in range(200):
        last_modified = v12.last_modified(1013)
        statuses[v12.edit(1013, {"subject": f"edit {index}"}, last_modified=last_modified).status_code] += 1
    assert statuses == {204: 200}
    assert v12.read_case(1013)["subject"] == "edit 199"


def test_a_client_holding_the_value_from_before_a_same_millisecond_write_gets_409(v12, db):
    before = v12.last_modified(1013)
    # Pin the case's clock far in the future: the next write happens "in the
    # same millisecond" as far as the wall clock can tell.
    db.execute("UPDATE support_case SET last_modified = '2099-01-01T00:00:00.000Z' WHERE id = 1013")
    pinned = v12.last_modified(1013)
    assert v12.edit(1013, {"subject": "first"}, last_modified=pinned).status_code == 204
    after = v12.last_modified(1013)
    assert after == "2099-01-01T00:00:00.001Z"
    response = v12.edit(1013, {"subject": "second"}, last_modified=pinned)
    assert response.status_code == 409
    assert response.get_json()["details"] == [{"key": "lastModified", "value": after},
                                              {"key": "changedFields", "value": "subject"},
                                              {"key": "changes", "value": "1"}]
    assert before != pinned


def clients_sharing_a_session(app, count: int) -> list[EgainV12Client]:
    clients = [EgainV12Client(app.test_client()) for _ in range(count)]
    session = clients[0].session("frank")
    for c in clients:
        c.sessions["frank"] = session
    return clients


def test_sixteen_concurrent_edits_with_one_last_modified_give_one_success(app, db):
    clients = clients_sharing_a_session(app, 16)
    last_modified = clients[0].last_modified(1013)
    statuses = run_together(16, lambda i: clients[i].edit(
        1013, {"subject": f"writer {i}"}, last_modified=last_modified).status_code)
    assert Counter(statuses) == {204: 1, 409: 15}
    assert db.execute("SELECT count(*) FROM case_history WHERE case_id = 1013 AND api <> 'load'").fetchone()[0] == 1
    winner = statuses.index(204)
    assert clients[0].read_case(1013)["subject"] == f"writer {winner}"


def test_two_concurrent_requests_linking_40_cases_each_never_exceed_75(app, db):
    first, second = bulk_cases(db, 6000, 40), bulk_cases(db, 7000, 40)
    clients = clients_sharing_a_session(app, 2)

    def link(i):
        c = clients[i]
        # each reads its own lastModified and retries on 409, as a client would
        for _ in range(5):
            response = c.edit(1002, c.link(*(first, second)[i]))
            if response.status_code != 409:
                return response
        return response

    responses = run_together(2, link)
    codes = sorted(r.status_code for r in responses)
    assert codes == [204, 400]
    refused = next(r for r in responses if r.status_code == 400)
    assert refused.get_json()["code"] == "400-10424"
    assert related_count(db, 1002) == 40


def test_concurrent_links_to_a_common_third_case_never_exceed_75_there(app, db):
    common = 1002
    filler = bulk_cases(db, 6000, 74)
    db.execute("INSERT INTO case_relation SELECT 1002, g FROM unnest(%s::bigint[]) g", (filler,))
    linkers = bulk_cases(db, 8000, 2)
    clients = clients_sharing_a_session(app, 2)
    responses = run_together(2, lambda i: clients[i].edit(linkers[i], clients[i].link(common)))
    assert sorted(r.status_code for r in responses) == [204, 400]
    assert related_count(db, common) == 75


def test_an_edit_waits_for_a_concurrent_writer_and_then_sees_its_change(v12, db_url):
    """The interleaving that loses updates without a row lock, forced: another
    transaction holds the case and changes it while our edit is in flight."""
    import time

    import psycopg

    last_modified = v12.last_modified(1013)
    v12.session("frank")
    with psycopg.connect(db_url) as other, ThreadPoolExecutor(max_workers=1) as pool:
        other.execute("UPDATE support_case SET subject = 'other writer', "
                      "last_modified = last_modified + interval '5 milliseconds' WHERE id = 1013")
        pending = pool.submit(v12.edit, 1013, {"subject": "ours"}, last_modified=last_modified)
        time.sleep(0.5)
        assert not pending.done(), "the edit did not wait for the row lock"
        other.commit()
        response = pending.result(timeout=10)
    assert response.status_code == 409
    assert v12.read_case(1013)["subject"] == "other writer"
