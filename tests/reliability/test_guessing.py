"""Guessing credentials, as an attacker would, against `casemgr serve` with
production password hashing: the unknown-versus-wrong timing of every
credential path, throttling, a flood of wrong passwords from 20 addresses
beside another user's edits, the session cap under racing logins, and what a
forged session with a large body costs. Every socket is on loopback."""

from __future__ import annotations

import base64
import http.client
import json
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.reliability.conftest import start_server, stop_server
from tests.reliability.figures import record_figure

pytestmark = pytest.mark.slow

TOUCHPOINT = {"Thalamus-Touchpoint": "web", "Thalamus-Token": "web-token"}


def send(server, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
         source: str = "127.0.0.1", timeout: float = 30) -> tuple[int, dict, bytes]:
    host, port = server.base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout, source_address=(source, 0))
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def basic(principal: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{principal}:{password}".encode()).decode()}


def form(**fields) -> bytes:
    from urllib.parse import urlencode

    return urlencode(fields).encode()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}

# Each path: an attempt for a principal name and a password.
PATHS = {
    "v12 login": lambda s, who, pw, src: send(s, "POST", "/ws/v12/authentication/user/login",
                                              json.dumps({"userName": who, "password": pw}).encode(), JSON, src),
    "v3 password grant": lambda s, who, pw, src: send(s, "POST", "/oauth2/token", form(
        grant_type="password", username=who, password=pw, client_id="crm", client_secret="crm-secret"), FORM, src),
    "v3 client": lambda s, who, pw, src: send(s, "POST", "/oauth2/token", form(
        grant_type="client_credentials", client_id="crm" if who == "frank" else who, client_secret=pw), FORM, src),
    "v4 signin": lambda s, who, pw, src: send(s, "POST", "/api/v4/signin",
                                              json.dumps({"principal": who, "password": pw}).encode(),
                                              {**JSON, **TOUCHPOINT}, src),
    "v4 basic": lambda s, who, pw, src: send(s, "GET", "/api/v4/cases/1013", None, {**TOUCHPOINT, **basic(who, pw)},
                                             src),
}


@pytest.fixture(scope="module")
def production_server(module_db_url, tmp_path_factory):
    """Two workers with the production Argon2 profile (the default), and the
    principals the tests guess at stored with hashes of that profile (the
    test world is loaded with the cheapest one)."""
    import psycopg

    from casemgr.service.passwords import PasswordHashing

    hashing = PasswordHashing("rfc9106-low-memory")
    with psycopg.connect(module_db_url, autocommit=True) as conn:
        conn.execute("UPDATE app_user SET password_hash = %s WHERE login = 'frank'", (hashing.hash("frank-pass"),))
        conn.execute("UPDATE oauth_client SET secret_hash = %s WHERE client_id = 'crm'", (hashing.hash("crm-secret"),))
    server = start_server(module_db_url, tmp_path_factory.mktemp("guessing"), workers=2,
                          password_hash_profile="rfc9106-low-memory")
    yield server
    stop_server(server)


def timed(attempt) -> tuple[float, int, bytes]:
    started = time.perf_counter()
    status, _, body = attempt()
    return time.perf_counter() - started, status, body


def test_an_unknown_principal_costs_what_a_wrong_password_costs_on_every_path(production_server):
    sources = iter(f"127.0.1.{n}" for n in range(1, 250))  # one address per attempt: no throttling here
    for name, attempt in PATHS.items():
        unknown, wrong = [], []
        answers = set()
        for _ in range(7):
            seconds, status, body = timed(lambda: attempt(production_server, "nosuchuser", "guess", next(sources)))
            unknown.append(seconds)
            answers.add((status, body))
            seconds, status, body = timed(lambda: attempt(production_server, "frank", "guess", next(sources)))
            wrong.append(seconds)
            answers.add((status, body))
        ratio = statistics.median(unknown) / statistics.median(wrong)
        record_figure("guessing", f"{name}: unknown {statistics.median(unknown) * 1000:.0f} ms vs wrong password "
                                  f"{statistics.median(wrong) * 1000:.0f} ms (median of 7): ratio {ratio:.2f}")
        assert len(answers) == 1, f"{name}: an unknown principal is answered differently: {answers}"


def test_every_path_answers_429_after_ten_failures_until_the_window_passes(production_server):
    outcomes = {}
    for n, (name, attempt) in enumerate(PATHS.items()):
        source = f"127.0.2.{n + 1}"
        statuses = [attempt(production_server, "frank", "guess", source)[0] for _ in range(10)]
        status, headers, _ = attempt(production_server, "frank", "frank-pass" if name != "v3 client" else
                                     "crm-secret", source)
        outcomes[name] = (statuses, status, headers.get("retry-after"))
        assert status == 429 and int(headers["retry-after"]) > 0, (name, status)
    record_figure("guessing", "after 10 failures from one address, the 11th attempt with the right password: " + ", ".join(
        f"{name} {status} (Retry-After {retry}s)" for name, (_, status, retry) in outcomes.items()))


def test_a_flood_of_wrong_passwords_from_20_addresses_leaves_other_users_edits_fast(production_server):
    server = production_server
    session = server.login("alice")
    etag = send(server, "GET", "/ws/v12/interaction/case/1002", headers={"X-egain-session": session})[1]["etag"]

    def edits(seconds: float) -> list[float]:
        nonlocal etag
        latencies = []
        deadline = time.monotonic() + seconds
        n = 0
        while time.monotonic() < deadline:
            n += 1
            started = time.perf_counter()
            status, headers, body = send(server, "PUT", "/ws/v12/interaction/case",
                                         json.dumps({"id": "1002", "subject": f"flood {n}"}).encode(),
                                         {**JSON, "X-egain-session": session, "If-Match": etag})
            latencies.append(time.perf_counter() - started)
            assert status == 204, body
            etag = headers["etag"]
            time.sleep(0.05)
        return latencies

    unloaded = edits(5)
    stop = threading.Event()
    attempts = []

    def guess(index: int) -> None:
        source = f"127.0.3.{index + 1}"
        while not stop.is_set():
            attempts.append(PATHS["v12 login"](server, f"guess{index}-{len(attempts)}", "wrong", source)[0])

    with ThreadPoolExecutor(20) as pool:
        for index in range(20):
            pool.submit(guess, index)
        time.sleep(1)
        loaded = edits(14)
        stop.set()
    ratio = statistics.median(loaded) / statistics.median(unloaded)
    record_figure("guessing", (
        f"flood: 20 clients from 20 addresses sent {len(attempts)} wrong passwords in 15 s "
        f"({sum(1 for s in attempts if s == 401)}×401 after a check, {sum(1 for s in attempts if s == 503)}×503 "
        f"turned away, {sum(1 for s in attempts if s == 429)}×429); another user's "
        f"v12 edit p50 {statistics.median(unloaded) * 1000:.1f} ms unloaded, "
        f"{statistics.median(loaded) * 1000:.1f} ms under the flood: ratio {ratio:.2f}"))


def test_the_session_cap_holds_under_40_racing_logins(db_url, tmp_path):
    import psycopg

    # Every password check may run at once here (the default turns most of
    # 40 simultaneous logins away with 503, which would race nothing).
    server = start_server(db_url, tmp_path, workers=2, password_hash_concurrency=40)
    try:
        def login(force: bool):
            query = "?forceLogin=yes" if force else ""
            return send(server, "POST", f"/ws/v12/authentication/user/login{query}",
                        json.dumps({"userName": "frank", "password": "frank-pass"}).encode(), JSON)[0]

        with ThreadPoolExecutor(40) as pool:
            plain = list(pool.map(lambda _: login(False), range(40)))
        with psycopg.connect(db_url) as conn:
            live_after_plain = conn.execute("SELECT count(*) FROM auth_session s JOIN app_user u ON u.id = s.user_id "
                                            "WHERE u.login = 'frank'").fetchone()[0]
        with ThreadPoolExecutor(40) as pool:
            forced = list(pool.map(lambda _: login(True), range(40)))
        with psycopg.connect(db_url) as conn:
            live_after_forced = conn.execute("SELECT count(*) FROM auth_session s JOIN app_user u ON u.id = s.user_id "
                                             "WHERE u.login = 'frank'").fetchone()[0]
    finally:
        stop_server(server)
    record_figure("guessing", (
        f"session cap (5) under 40 racing logins of one user through 2 processes: {plain.count(204)}×204, "
        f"{plain.count(403)}×403 and {plain.count(503)}×503 (password checks busy) without forceLogin "
        f"({live_after_plain} live); with forceLogin=yes {forced.count(204)}×204, {forced.count(503)}×503, "
        f"{live_after_forced} live afterwards"))
    assert plain.count(204) <= 5 and live_after_plain <= 5
    assert set(plain) <= {204, 403, 503}
    assert live_after_forced <= 5


def test_a_forged_session_with_a_large_body_costs_almost_nothing(module_server):
    """The edge reads the body; the app refuses the forged session before
    parsing it. CPU is read from /proc for the server's processes."""
    server = module_server
    body = b"<case>" + b"<x/>" * 250_000 + b"</case>"
    pids = [server.process.pid, *_children(server.process.pid)]
    before = sum(_cpu(pid) for pid in pids)
    for _ in range(20):
        status, _, _ = send(server, "PUT", "/ws/v12/interaction/case", body,
                            {"Content-Type": "application/xml", "X-egain-session": "made-up.AAAAAAAAAAAAAAAAAAAAAA"})
        assert status == 401
    per_request = (sum(_cpu(pid) for pid in pids) - before) / 20
    record_figure("guessing", f"a forged session with a 1 MB XML body of 250,000 elements: 401, "
                              f"{per_request * 1000:.1f} ms of server CPU per request (mean of 20)")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _cpu(pid: int) -> float:
    import os

    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
