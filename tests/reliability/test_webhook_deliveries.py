"""Webhook deliveries with real receivers (HTTP servers on 127.0.0.1) and
real `casemgr worker` processes: every change reaches every subscription,
signed, in order per case, once under healthy workers and at least once
when a worker is killed; a receiver that is down gets the change after a
visible backoff; one that hangs delays no one else; an address the service
must not call is never called."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
import urllib.request
from datetime import datetime

import pytest

from tests.reliability.conftest import Server, start_server, stop_server
from tests.reliability.figures import record_figure
from tests.reliability.webhooks import (
    FAST,
    OPEN_CASES,
    WEBHOOKS,
    Hooks,
    Receiver,
    latencies_ms,
    percentile,
    start_worker,
    stop_worker,
    unused_port,
    wait_until,
)

pytestmark = pytest.mark.slow

SUITE = "webhooks"


@pytest.fixture
def hooks(db_url):
    made = Hooks(db_url)
    yield made
    made.close()


@pytest.fixture
def cleanup():
    """Receivers and workers a test started, stopped whatever happens."""
    things: list = []
    yield things
    for thing in reversed(things):
        if isinstance(thing, Receiver):
            thing.stop()
        elif isinstance(thing, Hooks):
            thing.close()
        elif isinstance(thing, Server):
            stop_server(thing)
        else:
            stop_worker(thing)


def in_case_order(changes: list[tuple[str, str]]) -> bool:
    """Each case's changes arrived in the order they were made (first
    arrivals: a change delivered again comes right after its first)."""
    first: dict[str, list[str]] = {}
    for case_id, version in dict.fromkeys(changes):
        first.setdefault(case_id, []).append(version)
    return all(versions == sorted(versions) for versions in first.values())


def attempts_of(worker_log: str) -> int:
    found = re.search(r"stopped \(pid \d+\) after (\d+) delivery attempts", worker_log)
    return int(found.group(1)) if found else -1


def test_500_edits_reach_three_receivers_each_once_signed_and_in_order_under_two_workers(
        db_url, tmp_path, cleanup):
    # The edits go through a server of their own (without a worker), so that
    # this process has its time for the receivers.
    server = start_server(db_url, tmp_path, args=("--no-worker",))
    hooks = Hooks(db_url, server)
    cleanup.extend([server, hooks])
    receivers = [Receiver().start() for _ in range(3)]
    cleanup.extend(receivers)
    for receiver in receivers:
        hooks.subscribe(receiver)
    workers = [start_worker(db_url, tmp_path) for _ in range(2)]
    cleanup.extend(workers)

    began = time.monotonic()
    for number in range(500):
        hooks.edit(OPEN_CASES[number % len(OPEN_CASES)], f"edit {number}")
    edited = time.monotonic()
    assert wait_until(lambda: all(len(r.received) >= 500 for r in receivers), seconds=120)
    drained = time.monotonic()
    # Idle workers, nothing left pending: no late second delivery can come.
    assert wait_until(lambda: pending(hooks) == 0, seconds=30)
    for worker in workers:
        stop_worker(worker)
    shares = [attempts_of(log.read_text()) for log in sorted(tmp_path.glob("worker-*.log"))]

    expected = set(hooks.edited)
    assert len(expected) == 500
    for receiver in receivers:
        changes = receiver.changes()
        ids = [r.headers["webhook-id"] for r in receiver.received]
        assert set(changes) == expected, "a change is missing"
        assert len(changes) == len(expected) and len(set(ids)) == len(ids), "a change came twice"
        assert all(r.verified for r in receiver.received), "a signature did not verify"
        assert in_case_order(changes)
    assert sum(shares) == 1500, shares

    delays = sorted(ms for r in receivers for ms in latencies_ms(hooks, r))
    record_figure(SUITE, f"500 edits ({500 / (edited - began):.0f}/s) × 3 subscriptions, 2 workers: 3 × 500 received, "
                         f"0 missing, 0 twice, 1500/1500 signatures verified (standardwebhooks), each case in order; "
                         f"attempts per worker {shares}")
    record_figure(SUITE, f"edit → receipt p50 {percentile(delays, 0.5):.0f} ms, p95 {percentile(delays, 0.95):.0f} ms, "
                         f"max {delays[-1]:.0f} ms; all delivered {drained - edited:.1f} s after the last edit "
                         f"(poll {FAST['webhook_poll_seconds']} s)")


def pending(hooks: Hooks) -> int:
    with hooks.app.extensions["casemgr.database"].pool.connection() as conn:
        return conn.execute("SELECT count(*) FROM webhook_delivery WHERE state = 'pending'").fetchone()[0]


def test_a_receiver_down_for_three_attempts_gets_the_change_after_a_visible_backoff(
        db_url, tmp_path, hooks, cleanup):
    receiver = Receiver(port=unused_port())  # nothing listens there yet: connections are refused
    cleanup.append(receiver)
    webhook_id = hooks.subscribe(receiver)
    cleanup.append(start_worker(db_url, tmp_path, webhook_retry_base_seconds=0.6))
    hooks.edit(1013, "while the receiver is down")

    assert wait_until(lambda: len(hooks.deliveries(webhook_id)) >= 3, seconds=30)
    receiver.start()
    assert wait_until(lambda: hooks.deliveries(webhook_id)[0]["outcome"] == "delivered", seconds=30)
    attempts = list(reversed(hooks.deliveries(webhook_id)))

    assert [a["outcome"] for a in attempts] == ["retrying"] * 3 + ["delivered"]
    assert [a["error"] for a in attempts] == ["connection refused"] * 3 + [None]
    assert [a["statusCode"] for a in attempts] == [None] * 3 + [204]
    assert [a["attempt"] for a in attempts] == [1, 2, 3, 4]
    assert len({a["messageId"] for a in attempts}) == 1 and receiver.received[0].verified
    waits = [seconds(a["nextRetryAt"]) - seconds(a["attemptedAt"]) for a in attempts[:3]]
    gaps = [seconds(b["attemptedAt"]) - seconds(a["attemptedAt"]) for a, b in zip(attempts, attempts[1:])]
    assert waits[0] < waits[1] < waits[2], waits  # exponential, jitter and all
    assert all(b["attemptedAt"] >= a["nextRetryAt"] for a, b in zip(attempts, attempts[1:])), "retried early"
    assert receiver.changes() == hooks.edited
    record_figure(SUITE, f"receiver down (connection refused) for 3 attempts, then up: delivered on attempt 4; "
                         f"backoff {', '.join(f'{w:.2f}' for w in waits)} s (base 0.6 s, ×2, ±20 % jitter), "
                         f"attempts {', '.join(f'{g:.2f}' for g in gaps)} s apart")


def seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def test_a_worker_killed_mid_batch_loses_nothing_once_another_worker_starts(db_url, tmp_path, hooks, cleanup):
    def slow(number, event):
        time.sleep(0.15)  # so that a batch is under way when the worker dies
        return 204

    receiver = Receiver(answer=slow).start()
    cleanup.append(receiver)
    hooks.subscribe(receiver)
    settings = {"webhook_timeout_seconds": 1, "webhook_lease_seconds": 7, "webhook_concurrency": 4}
    first = start_worker(db_url, tmp_path, **settings)
    cleanup.append(first)
    for number in range(60):
        hooks.edit(OPEN_CASES[number % len(OPEN_CASES)], f"edit {number}")
    assert wait_until(lambda: len(receiver.received) >= 10, seconds=60)

    first.send_signal(signal.SIGKILL)
    first.wait()
    killed_at = time.monotonic()
    at_kill = len(set(receiver.changes()))
    assert at_kill < 60, "the worker was not killed mid-way"
    second = start_worker(db_url, tmp_path, **settings)
    cleanup.append(second)
    assert wait_until(lambda: set(receiver.changes()) == set(hooks.edited), seconds=60)
    recovered = time.monotonic() - killed_at

    changes = receiver.changes()
    assert set(changes) == set(hooks.edited), "a change is missing"
    assert in_case_order(changes)
    assert all(r.verified for r in receiver.received)
    twice = len(changes) - len(set(changes))
    record_figure(SUITE, f"worker SIGKILLed mid-batch, {at_kill} of 60 changes received: a new worker delivered the "
                         f"rest once the leases ran out ({settings['webhook_lease_seconds']} s), all within "
                         f"{recovered:.1f} s; 0 missing, {twice} received twice (answered, but not yet recorded by "
                         f"the killed worker: at least once)")


def test_a_receiver_that_never_answers_delays_no_other_subscription(db_url, tmp_path, hooks, cleanup):
    hang = threading.Event()
    stuck = Receiver(hold=hang)
    others = [Receiver().start() for _ in range(2)]
    cleanup.extend([*others, stuck.start()])
    for receiver in others:
        hooks.subscribe(receiver)
    # A timeout longer than the test: the stuck receiver's requests stay open throughout.
    cleanup.append(start_worker(db_url, tmp_path, webhook_timeout_seconds=30, webhook_lease_seconds=40))

    for number in range(21):
        hooks.edit(OPEN_CASES[number % len(OPEN_CASES)], f"alone {number}")
    assert wait_until(lambda: all(len(r.received) == 21 for r in others), seconds=60)
    alone = sorted(ms for r in others for ms in latencies_ms(hooks, r))

    hooks.subscribe(stuck)
    mark = len(hooks.edited)
    for number in range(21):
        hooks.edit(OPEN_CASES[number % len(OPEN_CASES)], f"beside a stuck receiver {number}")
    assert wait_until(lambda: all(len(r.received) == 42 for r in others), seconds=60)
    assert wait_until(lambda: stuck.requests >= 1, seconds=30)

    assert stuck.answered == 0, "the stuck receiver answered"
    for receiver in others:
        assert sorted(receiver.changes()) == sorted(hooks.edited)
    later = set(hooks.edited[mark:])
    beside = sorted((rec.at - hooks.edited_at[rec.change]) * 1000 for r in others for rec in r.received
                    if rec.change in later)
    held = stuck.requests
    hang.set()
    record_figure(SUITE, f"a receiver that never answers ({held} requests held open, none answered): the 2 other "
                         f"subscriptions got all 42 changes; edit → receipt p50 {percentile(alone, 0.5):.0f} ms / max "
                         f"{alone[-1]:.0f} ms alone, p50 {percentile(beside, 0.5):.0f} ms / max {beside[-1]:.0f} ms "
                         f"beside it")


def test_an_address_allowed_at_creation_is_checked_again_before_each_delivery(db_url, tmp_path, hooks, cleanup):
    """DNS rebinding: the subscription was accepted (here because private
    targets were allowed then); the worker, which does not allow them,
    resolves and judges the host again and does not call it."""
    receiver = Receiver().start()
    cleanup.append(receiver)
    webhook_id = hooks.subscribe(receiver)
    cleanup.append(start_worker(db_url, tmp_path, webhook_allow_private_targets="false"))
    hooks.edit(1013, "to a loopback address")

    assert wait_until(lambda: len(hooks.deliveries(webhook_id)) >= 2, seconds=30)
    attempts = hooks.deliveries(webhook_id)
    assert receiver.requests == 0
    assert all(a["statusCode"] is None and a["outcome"] == "retrying" for a in attempts)
    assert all(a["error"].startswith("not called:") and "a loopback address" in a["error"] for a in attempts)
    record_figure(SUITE, f"subscription to 127.0.0.1 accepted, worker without the allow setting: {len(attempts)} "
                         f"attempts, 0 requests reached the receiver ('{attempts[0]['error'][:60]}…')")


def test_a_change_that_fails_for_good_holds_back_only_its_own_case(db_url, tmp_path, hooks, cleanup):
    first_of_1013: list[str] = []

    def refuse_the_first_change_of_1013(number, event):
        data = event["data"]
        if data["caseId"] == "1013" and (not first_of_1013 or first_of_1013[0] == data["lastModified"]):
            first_of_1013[:1] = [data["lastModified"]]
            return 500
        return 204

    receiver = Receiver(answer=refuse_the_first_change_of_1013).start()
    cleanup.append(receiver)
    webhook_id = hooks.subscribe(receiver)
    # 3 seconds of retries: attempts at about 0, 0.3, 0.9 and 2.1 s, then failed.
    cleanup.append(start_worker(db_url, tmp_path, webhook_retry_hours=3 / 3600))
    hooks.edit(1013, "refused, retried, given up")
    hooks.edit(1013, "waits for the first")
    hooks.edit(1001, "another case, not held back")

    assert wait_until(lambda: sum(a["outcome"] == "delivered" for a in hooks.deliveries(webhook_id)) == 2,
                      seconds=30)
    attempts = list(reversed(hooks.deliveries(webhook_id)))
    refused = [a for a in attempts if a["outcome"] != "delivered"]
    delivered = {a["caseId"]: a for a in attempts if a["outcome"] == "delivered"}
    assert [a["outcome"] for a in refused] == ["retrying"] * (len(refused) - 1) + ["failed"]
    assert all(a["statusCode"] == 500 for a in refused) and refused[-1]["nextRetryAt"] is None
    assert receiver.changes() == [hooks.edited[2], hooks.edited[1]]
    assert delivered["1013"]["attemptedAt"] >= refused[-1]["attemptedAt"], "the later change of 1013 went first"
    assert delivered["1001"]["attemptedAt"] < refused[-1]["attemptedAt"], "1001 waited for 1013"
    record_figure(SUITE, f"a change answered 500 on each of {len(refused)} attempts over "
                         f"{seconds(refused[-1]['attemptedAt']) - seconds(refused[0]['attemptedAt']):.1f} s, then failed "
                         f"for good (retry window 3 s); the case's next change was delivered after it, another "
                         f"case's at once")


def test_private_targets_are_refused_without_the_allow_setting(client):
    from tests.api.clients import EgainV3Client

    v3 = EgainV3Client(client)
    urls = [f"http://127.0.0.1:{unused_port()}/hook", "http://169.254.169.254/latest/meta-data/",
            "http://[fd00:ec2::254]/", "http://localhost/", "http://10.0.0.1/", "http://[::1]/"]
    answers = [v3.client.post(WEBHOOKS, json={"url": url}, headers=v3.headers("client")) for url in urls]
    assert [(a.status_code, a.get_json()["code"]) for a in answers] == [(400, "400-9029")] * len(urls)
    record_figure(SUITE, f"{len(urls)} subscriptions to loopback, metadata, private and IPv6 loopback targets "
                         f"without the allow setting: all 400 400-9029")


def test_serve_runs_a_worker_that_delivers_and_stops_with_it(db_url, tmp_path, cleanup):
    receiver = Receiver().start()
    cleanup.append(receiver)
    server = start_server(db_url, tmp_path, **FAST)
    try:
        token = json.loads(server.request("POST", "/oauth2/token", b"grant_type=client_credentials",
                                          {"Content-Type": "application/x-www-form-urlencoded",
                                           "Authorization": "Basic Y3JtOmNybS1zZWNyZXQ="}).body)["access_token"]
        created = server.request("POST", WEBHOOKS, json.dumps({"url": receiver.url}).encode(), {
            "Authorization": f"Bearer {token}", "Accept-Language": "en", "Content-Type": "application/json"})
        assert created.status == 201, created.body
        receiver.secret = created.json()["secret"]
        case = server.read_case(1013)
        assert server.edit(1013, case["lastModified"]["date"], {"subject": "through serve"}).status == 204
        assert wait_until(lambda: len(receiver.received) == 1, seconds=30)
        assert receiver.received[0].verified and receiver.received[0].event["data"]["api"] == "v12"
        with urllib.request.urlopen(server.base + "/metrics", timeout=10) as answer:
            metrics = answer.read().decode()
        assert re.search(r'casemgr_webhook_deliveries_total\{outcome="delivered"\} 1\.0', metrics), metrics[-2000:]
        worker_pid = int(re.search(r"webhooks: +delivered by a worker process \(pid (\d+)\)",
                                   server.log_path.read_text()).group(1))
        assert os.kill(worker_pid, 0) is None  # running
    finally:
        stop_server(server)
    log = server.log_path.read_text()
    assert "webhook worker stopped" in log
    with pytest.raises(ProcessLookupError):
        os.kill(worker_pid, 0)
    signature = receiver.received[0].headers["webhook-signature"]
    leaked = [s for s in (receiver.secret, receiver.secret.removeprefix("whsec_"), signature) if s in log]
    assert not leaked, "the webhook secret or a signature reached the log of the server or its worker"
    record_figure(SUITE, "casemgr serve started a worker that delivered an edit, counted it in /metrics and stopped "
                         "with the server; the secret and the signature appear 0 times in their log")


def test_serve_without_a_worker_says_so(db_url, tmp_path):
    server = start_server(db_url, tmp_path, args=("--no-worker",))
    try:
        assert wait_until(lambda: "webhooks:" in server.log_path.read_text(), seconds=10)
    finally:
        stop_server(server)
    log = server.log_path.read_text()
    assert "not delivered by this server (--no-worker)" in log and "webhook worker started" not in log
