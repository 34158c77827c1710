"""No read grows with a case's comments: through the real server, a case with
1,000 comments of 1,024 characters reads like one with none on the eGain APIs
(which never show comments, so never load them), and within 1 MB on Thalamus
(the newest 100 and the total). The timing ratios are printed as figures;
what is asserted is what a client sees."""

from __future__ import annotations

import base64
import statistics
import time
import urllib.parse

import pytest

from casemgr.domain.model import COMMENTS_SHOWN
from tests.reliability.figures import record_figure
from tests.rows import add_comments

pytestmark = pytest.mark.slow

MIB = 1024 * 1024
ROUNDS = 150
QUIET, BUSY = 5001, 5002  # the same case twice; BUSY holds 1,000 comments


@pytest.fixture(scope="module")
def cases(module_db_url):
    import psycopg

    with psycopg.connect(module_db_url, autocommit=True) as conn:
        conn.execute("""
            INSERT INTO support_case (id, department_id, customer_id, status_id, subject, description,
                                      category_id, case_type_id, created_at, last_modified)
            SELECT g, c.department_id, c.customer_id, c.status_id, c.subject, c.description, c.category_id,
                   c.case_type_id, c.created_at, c.last_modified
            FROM support_case c, unnest(%s::bigint[]) AS g WHERE c.id = 1013""", ([QUIET, BUSY],))
        add_comments(conn, BUSY, 1000, "x" * 1024)
    return QUIET, BUSY


def egain_reader(server, api: str):
    if api == "v12":
        headers = {"X-egain-session": server.login()}
        return lambda case_id: server.request("GET", f"/ws/v12/interaction/case/{case_id}", headers=headers)
    form = urllib.parse.urlencode({"grant_type": "password", "username": "frank", "password": "frank-pass",
                                   "client_id": "crm", "client_secret": "crm-secret"}).encode()
    token = server.request("POST", "/oauth2/token", form,
                           {"Content-Type": "application/x-www-form-urlencoded"}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en-US"}
    return lambda case_id: server.request("GET", f"/core/casemgr/v3/case/{case_id}", headers=headers)


def thalamus_reader(server):
    credentials = base64.b64encode(b"frank:frank-pass").decode()
    headers = {"Thalamus-Touchpoint": "web", "Thalamus-Token": "web-token", "Authorization": f"Basic {credentials}"}
    return lambda case_id: server.request("GET", f"/api/v4/cases/{case_id}", headers=headers)


def blocks_touched(db_url: str, case_id: int, newest_comments: int) -> int:
    """Database blocks the read query touches for one case: the cost the
    timings measure, free of the machine's noise."""
    import psycopg

    from casemgr.db.sql import query

    with psycopg.connect(db_url) as conn:
        (plan,), = conn.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + query("get_case_views"),
                                {"ids": [case_id], "comment_limit": newest_comments}).fetchall()
    top = plan[0]["Plan"]
    return top["Shared Hit Blocks"] + top["Shared Read Blocks"]


def median_ms(read, quiet: int, busy: int) -> tuple[float, float]:
    """Median time of a read of each case, interleaved so both see the same machine."""
    timings: dict[int, list[float]] = {quiet: [], busy: []}
    for case_id in (quiet, busy):  # warm-up: connections, prepared statements
        read(case_id)
    for round_number in range(ROUNDS):
        for case_id in (quiet, busy) if round_number % 2 else (busy, quiet):  # neither always goes first
            started = time.perf_counter()
            answer = read(case_id)
            timings[case_id].append((time.perf_counter() - started) * 1000)
            assert answer.status == 200, answer
    return statistics.median(timings[quiet]), statistics.median(timings[busy])


@pytest.mark.parametrize("api", ["v12", "v3"])
def test_an_egain_read_does_not_grow_with_the_comments(module_server, module_db_url, cases, api):
    quiet, busy = cases
    read = egain_reader(module_server, api)

    quiet_answer, busy_answer = read(quiet), read(busy)

    assert busy_answer.status == quiet_answer.status == 200
    assert busy_answer.body == quiet_answer.body.replace(str(quiet).encode(), str(busy).encode())
    quiet_ms, busy_ms = median_ms(read, quiet, busy)
    blocks = [blocks_touched(module_db_url, case_id, 0) for case_id in (busy, quiet)]
    record_figure("bounded growth", f"{api} read of a case with 1,000 comments of 1,024 characters: median "
                                    f"{busy_ms:.2f} ms against {quiet_ms:.2f} ms without comments "
                                    f"(ratio {busy_ms / quiet_ms:.2f}, {ROUNDS} reads each); its query touches "
                                    f"{blocks[0]} database blocks against {blocks[1]}")


def test_a_thalamus_read_shows_the_newest_100_comments_within_one_mib(module_server, module_db_url, cases):
    quiet, busy = cases
    read = thalamus_reader(module_server)

    answer = read(busy)

    assert answer.status == 200 and len(answer.body) < MIB
    case = answer.json()  # the case object itself
    assert (len(case["comments"]), case["commentCount"]) == (100, 1000)
    quiet_ms, busy_ms = median_ms(read, quiet, busy)
    blocks = [blocks_touched(module_db_url, case_id, COMMENTS_SHOWN) for case_id in (busy, quiet)]
    record_figure("bounded growth", f"v4 read of that case: {len(answer.body) / 1024:.0f} KiB (the newest 100 "
                                    f"of 1,000 comments), median {busy_ms:.2f} ms against {quiet_ms:.2f} ms "
                                    f"without comments (ratio {busy_ms / quiet_ms:.2f}); its query touches "
                                    f"{blocks[0]} database blocks against {blocks[1]}")
