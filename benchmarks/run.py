"""The edit path against this machine's limit and against a real peer.

One run, one machine, one Postgres server. For each N (cases, and tickets for
django-helpdesk) it loads the data with set-based SQL, then measures four
targets with the same worker count and threads per worker: casemgr, floor
and bare on casemgr's own serving stack (granian and casemgr's edge, as
`casemgr serve` runs), django-helpdesk on gunicorn's ``gthread`` workers:

* casemgr: chained ``PUT /ws/v12/interaction/case`` edits, each with the
  session of its connection and, as If-Match, the ETag returned by the
  previous edit of that connection's case;
* floor: casemgr's own request served by the least that its write path
  needs (benchmarks/floor_app.py): session touch, row lock, version check,
  case row and history written, one transaction in two round trips; no rules.
  What casemgr cannot do faster than, whatever its code;
* bare: a minimal Flask app doing one ``UPDATE … RETURNING`` on the same
  ``support_case`` table (benchmarks/bare_app.py), chained the same way;
* helpdesk: django-helpdesk's ``PATCH /api/tickets/<id>/`` (from PyPI, in its
  own virtual environment under benchmarks/.work/, DEBUG off, DRF token auth,
  persistent connections, its own database on the same server).

Load comes from wrk with benchmarks/edit.lua: fixed concurrency (one
connection per wrk thread, each connection with its own case) and fixed
duration, after a short warm-up. Database round trips per request are counted
separately, by a proxy in front of Postgres (benchmarks/roundtrips.py) during
a calibration phase of sequential requests, so the proxy never slows the
throughput runs. The CPU the server's processes and the Postgres backends of
its database use per successful edit is read from /proc around the measured
run.

    .venv/bin/python benchmarks/run.py               # N = 1,000, 10,000, 100,000
    .venv/bin/python benchmarks/run.py --million     # and N = 1,000,000
    .venv/bin/python benchmarks/run.py --million --update-docs   # and put the report in docs/performance.md
    .venv/bin/python benchmarks/run.py --search-only --sizes 1000 --duration 3   # the case search alone
    .venv/bin/python benchmarks/run.py --scale-only   # the scale case alone (no wrk needed)

Case search (v12 GET /ws/v12/interaction/case) is measured at every N too,
with benchmarks/search.lua: by customer and by a custom attribute, each
search finding the same number of cases (CASES_PER_GROUP) whatever N, so its
p50 at N = 1,000,000 over its p50 at N = 1,000 tells whether the filters, the
sort and the user's visibility are answered by indexes.

The scale case (its own database, casemgr_bench_scale) asks whether what a
principal cannot see costs it anything: a searcher's search by customer and
by a custom attribute, and a page of its user token's change feed
(limit=1000), each timed by sequential requests without and then with
200,000 cases (of the same customer, with the same custom value, one history
entry each) in a department the searcher does not see, in the same run; the
ratio's target is 2 at most. An agent who does see those cases searches them
sorted too: bounded by the search's candidate limit (400-9030).

The report is printed and kept in benchmarks/.work/last-run.md (and .json).

The Postgres server is CASEMGR_DATABASE_URL (or --database-url); without one
the embedded server is started with its data under benchmarks/.work/.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import urllib.parse
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import psycopg
import psycopg.conninfo
from psycopg import sql

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from roundtrips import CountingProxy  # noqa: E402

from casemgr.db import embedded, migrate  # noqa: E402
from casemgr.config import Settings  # noqa: E402

THREADS_PER_WORKER = Settings().threads
# django-helpdesk is a WSGI app of its own: served by gunicorn in its venv.
HELPDESK_GUNICORN_VERSION = "27.0.1"
from casemgr.service.credentials import hash_secret  # noqa: E402
from casemgr.service.passwords import PasswordHashing  # noqa: E402

HELPDESK_VERSION = "2.6.1"
CASEMGR_DB = "casemgr_bench"
HELPDESK_DB = "helpdesk_bench"
PASSWORD = "bench-pass"
TOKEN = "0123456789abcdef0123456789abcdef01234567"
TARGETS = ("casemgr", "casemgr-v3", "casemgr-v4-cookie", "casemgr-v4-basic", "floor", "bare", "helpdesk")
SUCCESS = {"casemgr": 204, "casemgr-v3": 204, "casemgr-v4-cookie": 201, "casemgr-v4-basic": 201,
           "floor": 204, "bare": 204, "helpdesk": 200, "casemgr-v12-read": 200, "casemgr-v4-read": 200,
           "casemgr-v12-search": 200}
# Targets that take casemgr's own v12 request (session header, If-Match).
V12_TARGETS = ("casemgr", "floor")
# The same edit through the other two APIs, each with its own credential,
# served by the same casemgr server.
CASEMGR_TARGETS = ("casemgr", "casemgr-v3", "casemgr-v4-cookie", "casemgr-v4-basic")
# Reads whose round trips are counted (not timed).
READ_KINDS = ("casemgr-v12-read", "casemgr-v4-read", "casemgr-v12-search")
# Case searches, timed with wrk (benchmarks/search.lua). Every customer holds
# CASES_PER_GROUP cases (contiguous ids), and every value of the custom
# attribute order_ref as many (scattered over the table): a search finds as
# many cases at every N.
SEARCHES = {"search-customer": "v12 search by customer", "search-custom": "v12 search by custom attribute"}
CASES_PER_GROUP = 10
SEARCH_TARGET_RATIO = 1.5
TOUCHPOINT = {"Thalamus-Touchpoint": "bench", "Thalamus-Token": "bench-token"}
BENCH_CLIENT = ("bench", "bench-secret")


@dataclass
class Result:
    n: int
    target: str
    edits_per_s: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    conflict_rate: float | None = None
    requests: int = 0
    other: int = 0
    round_trips: float | None = None
    app_cpu_ms: float | None = None
    db_cpu_ms: float | None = None
    duration_s: float | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- Postgres ---------------------------------------------------------------

def server_url(args) -> str:
    url = args.database_url or os.environ.get("CASEMGR_DATABASE_URL", "")
    if url:
        return url
    log("no CASEMGR_DATABASE_URL: starting the embedded Postgres under benchmarks/.work/pg")
    return embedded.start(WORK / "pg")


def recreate_database(admin_url: str, name: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return embedded.with_database(admin_url, name)


def via_proxy(url: str, proxy: CountingProxy) -> str:
    params = psycopg.conninfo.conninfo_to_dict(url)
    params.update(host="127.0.0.1", port=str(proxy.port), sslmode="disable")
    return psycopg.conninfo.make_conninfo(**params)


def prepare_casemgr_db(url: str, connections: int) -> None:
    """Schema plus one department, statuses and one agent per connection."""
    migrate.upgrade(url)
    password_hash = PasswordHashing("cheapest").hash(PASSWORD)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO department (name) VALUES ('Service')")
        conn.execute("INSERT INTO case_status (name, state, is_initial) VALUES ('Open', 'open', true), "
                     "('Pending', 'open', false), ('Closed', 'closed', false)")
        # Thalamus needs a touchpoint and a classification; v3 an OAuth client.
        conn.execute("INSERT INTO category (code, name, is_system) VALUES ('Bench', 'Bench', false)")
        conn.execute("INSERT INTO case_type (category_id, code, name) SELECT id, 'Bench', 'Bench' FROM category")
        conn.execute("INSERT INTO touchpoint (code, token_hash) VALUES (%s, %s)",
                     (TOUCHPOINT["Thalamus-Touchpoint"], hash_secret(TOUCHPOINT["Thalamus-Token"])))
        conn.execute("INSERT INTO oauth_client (client_id, secret_hash, scopes) VALUES (%s, %s, %s)",
                     (BENCH_CLIENT[0], PasswordHashing("cheapest").hash(BENCH_CLIENT[1]),
                      ["core.casemgr.manage", "app.core.casemgr.manage"]))
        conn.execute("INSERT INTO custom_field (name, data_type) VALUES ('order_ref', 'string')")
        conn.execute("""
            INSERT INTO app_user (login, password_hash, first_name, last_name, home_department_id, licenses, actions)
            SELECT 'bench' || g, %s, 'Bench', 'Agent ' || g, (SELECT id FROM department), '{User}',
                   '{Edit Case,Close Case}'
            FROM generate_series(1, %s) g""", (password_hash, connections))


def search_groups(n: int) -> int:
    """How many customers (and order_ref values) N cases are spread over."""
    return max(n // CASES_PER_GROUP, 1)


def load_cases(url: str, n: int) -> None:
    """N open, unowned cases in the agents' department, one INSERT … SELECT;
    for case search, customers with CASES_PER_GROUP cases each (cases
    1-10 are customer 1's) and a custom attribute value on every case,
    each value held by CASES_PER_GROUP cases far apart (R0 by cases
    N/10, 2N/10, …)."""
    groups = search_groups(n)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE support_case, case_history, case_relation, case_custom_value, case_comment "
                     "RESTART IDENTITY CASCADE")
        # DELETE, not TRUNCATE … CASCADE: that would empty auth_session too,
        # ending the sessions the next N's runs still use.
        conn.execute("DELETE FROM customer")
        conn.execute("""
            INSERT INTO customer (id, name, email, phone)
            SELECT g, 'Customer ' || g, 'customer' || g || '@example.com', '+1555' || lpad(g::text, 7, '0')
            FROM generate_series(1, %s) g""", (groups,))
        conn.execute("""
            INSERT INTO support_case (department_id, status_id, severity, subject, description, category_id,
                                      case_type_id, customer_id)
            SELECT (SELECT id FROM department), (SELECT id FROM case_status WHERE name = 'Open'),
                   (ARRAY['urgent','high','medium','low']::case_severity[])[1 + g %% 4],
                   'Case ' || g, 'Generated case number ' || g,
                   (SELECT id FROM category), (SELECT id FROM case_type), least(1 + (g - 1) / %s, %s)
            FROM generate_series(1, %s) g""", (CASES_PER_GROUP, groups, n))
        conn.execute("""
            INSERT INTO case_custom_value (case_id, custom_field_id, value)
            SELECT g, (SELECT id FROM custom_field WHERE name = 'order_ref'), to_jsonb('R' || g %% %s)
            FROM generate_series(1, %s) g""", (groups, n))
        conn.execute("VACUUM ANALYZE support_case, customer, case_custom_value")


def current_etags(url: str, case_ids: list[int]) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = dict(conn.execute(
            "SELECT id, '\"' || id || '-' || (extract(epoch FROM last_modified) * 1000)::bigint || '\"' "
            "FROM support_case WHERE id = ANY(%s)", (case_ids,)).fetchall())
    return [rows[i] for i in case_ids]


def history_rows(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM case_history").fetchone()[0]


# -- django-helpdesk ----------------------------------------------------------

def helpdesk_venv() -> Path:
    venv = WORK / "helpdesk-venv"
    marker = venv / f".installed-{HELPDESK_VERSION}"
    if not marker.exists():
        log(f"installing django-helpdesk {HELPDESK_VERSION} from PyPI into {venv.relative_to(ROOT)}")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(venv / "bin/pip"), "install", "-q", "--disable-pip-version-check",
                        f"django-helpdesk=={HELPDESK_VERSION}", f"gunicorn=={HELPDESK_GUNICORN_VERSION}",
                        "psycopg[binary]"], check=True)
        marker.touch()
    return venv


def helpdesk_env(url: str) -> dict:
    return {**os.environ, "PYTHONPATH": str(HERE), "DJANGO_SETTINGS_MODULE": "helpdesk_site.settings",
            "HELPDESK_DATABASE_URL": url}


def prepare_helpdesk_db(venv: Path, url: str) -> None:
    log("django-helpdesk: migrate")
    subprocess.run([str(venv / "bin/django-admin"), "migrate", "-v0"], env=helpdesk_env(url), check=True)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("""INSERT INTO helpdesk_queue (title, slug, allow_public_submission, allow_email_submission,
                                                    email_box_ssl, enable_notifications_on_email_events)
                        VALUES ('Bench', 'bench', false, false, false, false)""")
        conn.execute("""INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email,
                                               is_staff, is_active, date_joined)
                        VALUES ('!', true, 'bench', '', '', 'bench@example.com', true, true, now())""")
        conn.execute("INSERT INTO authtoken_token (key, created, user_id) "
                     "SELECT %s, now(), id FROM auth_user WHERE username = 'bench'", (TOKEN,))


def load_tickets(url: str, n: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE helpdesk_ticket RESTART IDENTITY CASCADE")
        conn.execute("""
            INSERT INTO helpdesk_ticket (title, created, modified, submitter_email, status, on_hold,
                                         description, resolution, priority, queue_id, secret_key)
            SELECT 'Ticket ' || g, now(), now(), 'customer' || g || '@example.com', 1, false,
                   'Generated ticket number ' || g, '', 3, (SELECT id FROM helpdesk_queue), gen_random_uuid()::text
            FROM generate_series(1, %s) g""", (n,))
        conn.execute("VACUUM ANALYZE helpdesk_ticket")


# -- servers ----------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One server (its main process and its workers), started and stopped by us.
    casemgr, bare and floor run on casemgr's serving stack (granian and the
    edge); django-helpdesk on gunicorn with the same workers and threads."""

    def __init__(self, target: str, db_url: str, args, helpdesk: Path | None):
        self.target = target
        self.port = free_port()
        logs = WORK / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self.log_path = logs / f"{target}.log"
        gunicorn_args = ["-w", str(args.workers), "-k", "gthread", "--threads", str(THREADS_PER_WORKER),
                         "-b", f"127.0.0.1:{self.port}", "--timeout", "30", "--graceful-timeout", "10"]
        if target == "casemgr":
            cmd = [str(ROOT / ".venv/bin/casemgr"), "serve", "--port", str(self.port), "--workers", str(args.workers)]
            env = {**os.environ, "CASEMGR_DATABASE_URL": db_url}
        elif target in ("bare", "floor"):
            cmd = [str(ROOT / ".venv/bin/python"), str(HERE / "serve_reference.py"), target, str(self.port),
                   str(args.workers)]
            prefix = target.upper()
            env = {**os.environ, f"{prefix}_DATABASE_URL": db_url, f"{prefix}_POOL_SIZE": str(THREADS_PER_WORKER)}
        else:
            cmd = [str(helpdesk / "bin/gunicorn"), *gunicorn_args, "--chdir", str(HERE), "helpdesk_site.wsgi"]
            env = helpdesk_env(db_url)
        self.stream = open(self.log_path, "ab")
        self.process = subprocess.Popen(cmd, env=env, stdout=self.stream, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self._wait_until_listening()

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.target} server exited; see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    time.sleep(0.5)  # let every worker finish booting
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.target} server did not listen; see {self.log_path}")

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
        self.stream.close()


class Client:
    """Sequential chained requests over one keep-alive connection."""

    def __init__(self, target: str, port: int, case_id: int, etag: str | None, credential: str | None):
        self.target, self.case_id, self.etag, self.credential = target, case_id, etag, credential
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.sent = 0

    def edit(self) -> int:
        self.sent += 1
        method, path, body, headers = request_for(self.target, self.case_id, self.credential, self.etag, self.sent)
        self.conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        response = self.conn.getresponse()
        response.read()
        self.etag = response.getheader("ETag") or self.etag
        if response.status != SUCCESS[self.target]:
            raise RuntimeError(f"{self.target}: {method} {path} answered {response.status}")
        return response.status


def request_for(target: str, case_id: int, credential: str | None, etag: str | None, sent: int):
    """One request of a target, as edit.lua sends it too."""
    subject = f"calibration {sent}"
    json_headers = {"Content-Type": "application/json", "Accept": "application/json"}
    thalamus_body = {"categoryCode": "Bench", "typeCode": "Bench", "status": "Pending" if sent % 2 else "Open"}
    if target in V12_TARGETS:
        return "PUT", "/ws/v12/interaction/case", {"id": str(case_id), "subject": subject}, {
            **json_headers, "X-egain-session": credential, "If-Match": etag}
    if target == "casemgr-v3":
        return "PATCH", "/core/casemgr/v3/case", {"id": str(case_id), "subject": subject}, {
            **json_headers, "Accept-Language": "en-US", "Authorization": f"Bearer {credential}", "If-Match": etag}
    if target == "casemgr-v4-cookie":
        return "PUT", f"/api/v4/cases/{case_id}", thalamus_body, {
            **json_headers, **TOUCHPOINT, "Cookie": f"thalamus_session={credential}", "If-Match": etag}
    if target == "casemgr-v4-basic":
        return "PUT", f"/api/v4/cases/{case_id}", thalamus_body, {
            **json_headers, **TOUCHPOINT, "Authorization": f"Basic {credential}", "If-Match": etag}
    if target == "casemgr-v12-read":
        return "GET", f"/ws/v12/interaction/case/{case_id}", None, {**json_headers, "X-egain-session": credential}
    if target == "casemgr-v12-search":
        return "GET", "/ws/v12/interaction/case?customer=1", None, {**json_headers, "X-egain-session": credential}
    if target == "casemgr-v4-read":
        return "GET", f"/api/v4/cases/{case_id}", None, {
            **json_headers, **TOUCHPOINT, "Cookie": f"thalamus_session={credential}"}
    if target == "bare":
        return "PUT", f"/bare/case/{case_id}", {"subject": subject}, {"Content-Type": "application/json",
                                                                       "If-Match": etag}
    return "PATCH", f"/api/tickets/{case_id}/", {"title": subject}, {
        "Content-Type": "application/json", "Authorization": f"Token {TOKEN}"}


def login(port: int, user: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/ws/v12/authentication/user/login?forceLogin=yes",
                 json.dumps({"userName": user, "password": PASSWORD}), {"Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    if response.status != 204:
        raise RuntimeError(f"login of {user} answered {response.status}")
    return response.getheader("X-egain-session")


def credentials_for(kind: str, port: int, user: str) -> str:
    """What a connection of ``kind`` authenticates with, for one bench agent."""
    if kind in ("casemgr", "floor", "casemgr-v12-read", "casemgr-v12-search"):
        return login(port, user)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    if kind == "casemgr-v3":
        conn.request("POST", "/oauth2/token", urllib.parse.urlencode({
            "grant_type": "password", "username": user, "password": PASSWORD,
            "client_id": BENCH_CLIENT[0], "client_secret": BENCH_CLIENT[1]}),
            {"Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        return json.loads(response.read())["access_token"]
    if kind in ("casemgr-v4-cookie", "casemgr-v4-read"):
        conn.request("POST", "/api/v4/signin", json.dumps({"principal": user, "password": PASSWORD}),
                     {"Content-Type": "application/json", **TOUCHPOINT})
        response = conn.getresponse()
        response.read()
        cookie = response.getheader("Set-Cookie") or ""
        return cookie.split(";", 1)[0].split("=", 1)[1]
    return base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()


# -- measurements -------------------------------------------------------------

def measure_round_trips(target, db_url, proxy, args, helpdesk, case_id, etag, session) -> tuple[float, int]:
    """Round trips per request, from sequential requests through the proxy."""
    warmup, measured = (1, 2) if target == "helpdesk" else (30, 100)
    server = Server(server_kind(target), via_proxy(db_url, proxy), args, helpdesk)
    try:
        client = Client(target, server.port, case_id, etag, session)
        for _ in range(warmup):
            client.edit()
        proxy.reset()
        for _ in range(measured):
            client.edit()
        trips, new_connections = proxy.counts()
    finally:
        server.stop()
    return trips / measured, new_connections


def run_wrk(target, port, duration, timeout, cases, etags, sessions, connections) -> dict:
    env = {**os.environ, "BENCH_KIND": target, "BENCH_CASES": ",".join(map(str, cases)),
           "BENCH_ETAGS": ",".join(etags), "BENCH_SESSIONS": ",".join(sessions), "BENCH_TOKEN": TOKEN}
    cmd = ["wrk", "-t", str(connections), "-c", str(connections), "-d", f"{duration}s",
           "--timeout", f"{timeout}s", "-s", str(HERE / "edit.lua"), f"http://127.0.0.1:{port}"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("BENCH_RESULT "))
    return json.loads(line.removeprefix("BENCH_RESULT "))


def warm_basic_pairs(port: int, cases: list[int], pairs: list[str], workers: int) -> None:
    """A verified Basic pair is remembered per process: each agent's pair is
    sent on fresh connections until every worker has very likely seen it
    (the kernel spreads connections over the workers), so the run measures
    remembered pairs, as a long-lived client sees them."""
    for case_id, pair in zip(cases, pairs):
        for _ in range(4 * workers):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", f"/api/v4/cases/{case_id}", headers={**TOUCHPOINT, "Authorization": f"Basic {pair}"})
            conn.getresponse().read()
            conn.close()


def server_kind(target: str) -> str:
    """Every casemgr target is served by casemgr itself."""
    return "casemgr" if target.startswith("casemgr") else target


def measure_throughput(target, db_url, args, helpdesk, cases, sessions, n) -> Result:
    server = Server(server_kind(target), db_url, args, helpdesk)
    result = Result(n=n, target=target)
    try:
        etags = current_etags(db_url, cases) if target != "helpdesk" else [""] * len(cases)
        duration, timeout = args.duration, 10
        if target == "helpdesk":
            # One sequential PATCH first: it warms the workers and tells how
            # long the run must be for the in-flight requests dropped at its
            # end (wrk counts completed requests only) not to skew the rate.
            started = time.perf_counter()
            Client(target, server.port, cases[0], None, None).edit()
            single = time.perf_counter() - started
            duration = int(min(max(args.duration, 20 * single), args.max_slow_duration))
            timeout = max(10, duration)
            result.extra["single_request_s"] = single
            if single > 0.2:
                result.note = f"one PATCH alone: {single:.2f} s"
        if target == "casemgr-v4-basic":
            warm_basic_pairs(server.port, cases, sessions, args.workers)
        if not result.note:  # a slow target's probe request was its warm-up
            run_wrk(target, server.port, args.warmup, timeout, cases, etags, sessions, args.connections)
            time.sleep(1)  # requests in flight when wrk stopped still finish: read the ETags after them
        if target != "helpdesk":
            etags = current_etags(db_url, cases)
        log(f"N={n:,} {target}: wrk -c {args.connections} for {duration} s")
        cpu_before = cpu_seconds(server.process.pid, db_url)
        figures = run_wrk(target, server.port, duration, timeout, cases, etags, sessions, args.connections)
        cpu_after = cpu_seconds(server.process.pid, db_url)
    finally:
        server.stop()
    take_wrk_figures(result, figures, cpu_before, cpu_after)
    result.conflict_rate = figures["conflicts"] / max(figures["requests"], 1)
    result.other = figures["other"] + figures["timeouts"] + figures["read_errors"] + figures["connect_errors"]
    return result


def take_wrk_figures(result: Result, figures: dict, cpu_before: tuple, cpu_after: tuple) -> None:
    """What every measured run reports: wrk's rate and latencies of the
    successful requests, and the CPU each of them cost."""
    seconds = figures["duration_us"] / 1e6
    result.requests = figures["requests"]
    result.duration_s = seconds
    result.edits_per_s = figures["ok"] / seconds
    result.p50_ms = figures["p50_us"] / 1000
    result.p99_ms = figures["p99_us"] / 1000
    result.extra["wrk"] = figures
    if figures["ok"]:
        result.app_cpu_ms = (cpu_after[0] - cpu_before[0]) / figures["ok"] * 1000
        result.db_cpu_ms = (cpu_after[1] - cpu_before[1]) / figures["ok"] * 1000


def measure_search(kind: str, db_url: str, args, sessions: list[str], n: int) -> Result:
    """Searches of one kind for ``args.duration`` seconds, each for another
    customer (or order_ref value), with benchmarks/search.lua."""
    server = Server("casemgr", db_url, args, None)
    result = Result(n=n, target=kind)
    env = {**os.environ, "BENCH_KIND": kind, "BENCH_GROUPS": str(search_groups(n)),
           "BENCH_SESSIONS": ",".join(sessions)}

    def wrk(seconds: int) -> dict:
        cmd = ["wrk", "-t", str(args.connections), "-c", str(args.connections), "-d", f"{seconds}s",
               "--timeout", "10s", "-s", str(HERE / "search.lua"), f"http://127.0.0.1:{server.port}"]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
        line = next(l for l in out.splitlines() if l.startswith("BENCH_RESULT "))
        return json.loads(line.removeprefix("BENCH_RESULT "))

    try:
        wrk(args.warmup)
        log(f"N={n:,} {kind}: wrk -c {args.connections} for {args.duration} s")
        cpu_before = cpu_seconds(server.process.pid, db_url)
        figures = wrk(args.duration)
        cpu_after = cpu_seconds(server.process.pid, db_url)
    finally:
        server.stop()
    take_wrk_figures(result, figures, cpu_before, cpu_after)
    # A search that found nothing, or failed, means the data is not what it should be.
    result.other = figures["empty"] + figures["other"] + figures["timeouts"] + figures["read_errors"] + \
        figures["connect_errors"]
    result.extra["cases_per_search"] = figures["found"] / max(figures["ok"], 1)
    return result


# -- the scale case: what a searcher cannot see costs nothing -------------------

SCALE_DB = "casemgr_bench_scale"
# The searcher (scout, of Service) and an agent of the department the scale
# cases are put in (keeper, of Vault), which scout does not see.
SCALE_SEARCHER, SCALE_KEEPER = "scout", "keeper"
SCALE_CUSTOMER = 1
SCALE_FOUND = 5  # scout's cases of SCALE_CUSTOMER, each with region = north
SCALE_VISIBLE = 100  # every case scout sees, each with one history entry
SCALE_TARGET_RATIO = 2.0


def prepare_scale_db(url: str) -> None:
    """Service (scout's) and Vault (keeper's; Service does not see it), the
    custom attribute region, an OAuth client for scout's user token, and the
    cases scout sees: SCALE_FOUND of SCALE_CUSTOMER with region north, the
    rest of other customers with region south, each with its history entry."""
    migrate.upgrade(url)
    password_hash = PasswordHashing("cheapest").hash(PASSWORD)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO department (name) VALUES ('Service'), ('Vault')")
        conn.execute("INSERT INTO case_status (name, state, is_initial) VALUES ('Open', 'open', true)")
        conn.execute("INSERT INTO custom_field (name, data_type) VALUES ('region', 'string')")
        conn.execute("INSERT INTO oauth_client (client_id, secret_hash, scopes) VALUES (%s, %s, %s)",
                     (BENCH_CLIENT[0], PasswordHashing("cheapest").hash(BENCH_CLIENT[1]),
                      ["core.casemgr.manage", "app.core.casemgr.manage"]))
        conn.execute("""
            INSERT INTO app_user (login, password_hash, home_department_id, licenses, actions)
            VALUES (%s, %s, (SELECT id FROM department WHERE name = 'Service'), '{User}', '{Edit Case}'),
                   (%s, %s, (SELECT id FROM department WHERE name = 'Vault'), '{User}', '{Edit Case}')""",
                     (SCALE_SEARCHER, password_hash, SCALE_KEEPER, password_hash))
        conn.execute("INSERT INTO customer (id, name) SELECT g, 'Customer ' || g FROM generate_series(1, %s) g",
                     (SCALE_VISIBLE,))
        add_scale_cases(conn, "Service", SCALE_FOUND, customer=str(SCALE_CUSTOMER), region="north")
        add_scale_cases(conn, "Service", SCALE_VISIBLE - SCALE_FOUND, customer=f"{SCALE_CUSTOMER} + 1 + g %% 99",
                        region="south")
        conn.execute("VACUUM ANALYZE")


def add_scale_cases(conn, department: str, count: int, *, customer: str, region: str) -> None:
    """``count`` cases of a department, each with its custom value and the
    history entry a creation writes, in three INSERT … SELECT statements
    (``customer``: an SQL expression of g, the case's number)."""
    first = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM support_case").fetchone()[0]
    # The history triggers look up each case's latest entry; planned while
    # the table is still small, that lookup would scan it, once per entry.
    conn.execute("SET enable_seqscan = off")
    conn.execute(f"""
        INSERT INTO support_case (department_id, status_id, customer_id, severity, subject)
        SELECT (SELECT id FROM department WHERE name = %s), (SELECT id FROM case_status),
               {customer}, (ARRAY['urgent','high','medium','low']::case_severity[])[1 + g %% 4],
               'Case ' || md5(g::text)
        FROM generate_series(1, %s) g""", (department, count))
    conn.execute("""
        INSERT INTO case_custom_value (case_id, custom_field_id, value)
        SELECT c.id, (SELECT id FROM custom_field WHERE name = 'region'), to_jsonb(%s::text)
        FROM support_case c WHERE c.id >= %s""", (region, first))
    conn.execute("""
        INSERT INTO case_history (case_id, last_modified, api, changes)
        SELECT c.id, c.last_modified, 'load', '[{"field": "case", "old": null, "new": "created"}]'
        FROM support_case c WHERE c.id >= %s ORDER BY c.id""", (first,))


@dataclass
class ScaleRequest:
    label: str
    method: str
    path: str
    headers: dict
    without: float | None = None  # p50 ms, without the scale cases
    with_: float | None = None
    answers: dict = field(default_factory=dict)  # phase -> "status, what was found"
    ratio_target: bool = True


def scale_requests(port: int) -> list[ScaleRequest]:
    """The requests measured, each with its credential (got from the server)."""
    session = login(port, SCALE_SEARCHER)
    keeper = login(port, SCALE_KEEPER)
    token = credentials_for("casemgr-v3", port, SCALE_SEARCHER)
    v12 = {"Accept": "application/json", "X-egain-session": session}
    search = "/ws/v12/interaction/case?"
    return [
        ScaleRequest(f"{SCALE_SEARCHER}'s v12 search `customer={SCALE_CUSTOMER}`", "GET",
                     f"{search}customer={SCALE_CUSTOMER}", v12),
        ScaleRequest(f"{SCALE_SEARCHER}'s v12 search `custom.region=north`", "GET", f"{search}custom.region=north",
                     v12),
        ScaleRequest(f"{SCALE_SEARCHER}'s v3 feed page, user token, `limit=1000`", "GET",
                     "/core/casemgr/v3/changes?limit=1000",
                     {"Accept": "application/json", "Accept-Language": "en-US", "Authorization": f"Bearer {token}"}),
        ScaleRequest(f"{SCALE_KEEPER}'s v12 search `customer={SCALE_CUSTOMER}&$sort=subject&$order=desc` "
                     "(keeper sees the scale cases)", "GET",
                     f"{search}customer={SCALE_CUSTOMER}&$sort=subject&$order=desc",
                     {"Accept": "application/json", "X-egain-session": keeper}, ratio_target=False),
    ]


def time_requests(port: int, request: ScaleRequest, count: int, warmup: int) -> tuple[float, str]:
    """p50 in ms of ``count`` sequential requests on one keep-alive
    connection, after ``warmup``; and what the last one answered."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times, answer = [], ""
    for number in range(warmup + count):
        started = time.perf_counter()
        conn.request(request.method, request.path, headers=request.headers)
        response = conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        if number >= warmup:
            times.append(elapsed)
        answer = scale_answer(response.status, body)
    conn.close()
    times.sort()
    return times[len(times) // 2] * 1000, answer


def scale_answer(status: int, body: bytes) -> str:
    if status == 204 or not body:
        return f"{status}"
    data = json.loads(body)
    if "case" in data:
        return f"{status}, {len(data['case'])} cases"
    if "changes" in data:
        return f"{status}, {len(data['changes'])} changes"
    return f"{status} {data.get('code', '')}".strip()


def measure_scale(admin_url: str, args) -> tuple[list[ScaleRequest], dict]:
    """The scale case, in its own database: the requests measured without
    the scale cases, then with ``args.scale_cases`` cases of SCALE_CUSTOMER
    (region north, one history entry each) added to Vault, which the
    searcher does not see; the same server settings, the same run."""
    url = recreate_database(admin_url, SCALE_DB)
    prepare_scale_db(url)
    facts: dict = {"load_before": os.getloadavg()}
    requests: list[ScaleRequest] = []
    for phase in ("without", "with"):
        if phase == "with":
            log(f"scale: adding {args.scale_cases:,} cases of customer {SCALE_CUSTOMER} to Vault")
            started = time.monotonic()
            with psycopg.connect(url, autocommit=True) as conn:
                add_scale_cases(conn, "Vault", args.scale_cases, customer=str(SCALE_CUSTOMER), region="north")
                conn.execute("VACUUM ANALYZE")
            facts["load_s"] = time.monotonic() - started
        server = Server("casemgr", url, args, None)
        try:
            if not requests:
                requests = scale_requests(server.port)
            for request in requests:
                p50, answer = time_requests(server.port, request, args.scale_requests, args.scale_warmup)
                setattr(request, "without" if phase == "without" else "with_", p50)
                request.answers[phase] = answer
                log(f"scale, {phase} the scale cases: {request.label}: p50 {p50:.2f} ms ({answer})")
        finally:
            server.stop()
        facts[f"load_after_{phase}"] = os.getloadavg()
    return requests, facts


def scale_table(requests: list[ScaleRequest], facts: dict, args) -> str:
    lines = [f"Scale case ({SCALE_DB}): {args.scale_cases:,} cases of customer {SCALE_CUSTOMER} (region north, "
             f"one history entry each) in Vault, a department {SCALE_SEARCHER} (of Service) does not see, next to "
             f"the {SCALE_VISIBLE} cases {SCALE_SEARCHER} sees ({SCALE_FOUND} of customer {SCALE_CUSTOMER}, region "
             f"north). p50 of {args.scale_requests} sequential requests on one connection after "
             f"{args.scale_warmup} of warm-up, casemgr serve with {args.workers} workers; the same requests "
             f"and credentials without and with the scale cases, in this run (loaded in "
             f"{facts.get('load_s', 0):.0f} s). Load average (1 min): "
             f"{facts['load_before'][0]:.2f} before, {facts['load_after_without'][0]:.2f} after the first "
             f"measurement, {facts['load_after_with'][0]:.2f} after the second.",
             "",
             f"| request | p50 ms without | answer | p50 ms with {args.scale_cases:,} unseen | answer | ratio "
             "| target |",
             "| --- | ---: | --- | ---: | --- | ---: | --- |"]
    for r in requests:
        ratio = r.with_ / r.without if r.with_ and r.without else None
        target = f"≤ {SCALE_TARGET_RATIO:g}" if r.ratio_target else "bounded (400-9030 past 10,000 candidates)"
        lines.append(f"| {r.label} | {fmt(r.without, ',.2f')} | {r.answers.get('without', '—')} "
                     f"| {fmt(r.with_, ',.2f')} | {r.answers.get('with', '—')} | {fmt(ratio, '.2f')} | {target} |")
    return "\n".join(lines)


def _process_cpu(pid: int) -> tuple[int, float]:
    """(parent pid, user + system CPU seconds) of a live process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(server_pid: int, db_url: str) -> tuple[float, float]:
    """CPU used so far by the server's processes (its main process and its
    workers) and by the Postgres backends connected to its database. Server
    processes that live through the run are all counted; Postgres's shared
    background processes are not (other databases use them too)."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stats[int(entry.name)] = _process_cpu(int(entry.name))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
    app = sum(cpu for pid, (ppid, cpu) in stats.items() if pid == server_pid or ppid == server_pid)
    with psycopg.connect(db_url, autocommit=True) as conn:
        backends = [row[0] for row in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'")]
    return app, sum(stats[pid][1] for pid in backends if pid in stats)


# -- report -----------------------------------------------------------------

def fmt(value, spec=",.0f", missing="—") -> str:
    return missing if value is None else format(value, spec)


def table(results: list[Result]) -> str:
    lines = ["| N | target | edits/s | p50 ms | p99 ms | 409 rate | round trips/edit | CPU ms/edit: app + db "
             "| requests |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        rate = None if r.conflict_rate is None else f"{r.conflict_rate:.1%}"
        note = f" ({r.note})" if r.note else ""
        cpu = "—" if r.app_cpu_ms is None else f"{r.app_cpu_ms:,.2f} + {r.db_cpu_ms:,.2f}"
        lines.append(
            f"| {r.n:,} | {r.target}{note} | {fmt(r.edits_per_s, ',.1f' if (r.edits_per_s or 0) < 100 else ',.0f')}"
            f" | {fmt(r.p50_ms, ',.2f')} | {fmt(r.p99_ms, ',.2f')} | {rate or '—'}"
            f" | {fmt(r.round_trips, ',.1f')} | {cpu} | {r.requests:,} |")
    return "\n".join(lines)


def search_table(results: list[Result]) -> str:
    lines = ["| N | search | searches/s | p50 ms | p99 ms | cases found per search | CPU ms/search: app + db "
             "| requests |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        cpu = "—" if r.app_cpu_ms is None else f"{r.app_cpu_ms:,.2f} + {r.db_cpu_ms:,.2f}"
        lines.append(f"| {r.n:,} | {SEARCHES[r.target]} | {fmt(r.edits_per_s)} | {fmt(r.p50_ms, ',.2f')} "
                     f"| {fmt(r.p99_ms, ',.2f')} | {fmt(r.extra.get('cases_per_search'), ',.1f')} | {cpu} "
                     f"| {r.requests:,} |")
    return "\n".join(lines)


def search_ratios(results: list[Result], sizes: list[int]) -> str:
    """p50 at each N over p50 at the first N, per kind of search."""
    by = {(r.n, r.target): r for r in results}
    lines = ["| ratio | value | target |", "| --- | ---: | --- |"]
    for kind, label in SEARCHES.items():
        small = by.get((sizes[0], kind))
        for n in sizes[1:]:
            large = by.get((n, kind))
            if small and large and small.p50_ms and large.p50_ms:
                lines.append(f"| {label} p50 at N={n:,} / p50 at N={sizes[0]:,} | {large.p50_ms / small.p50_ms:.2f}"
                             f" | ≤ {SEARCH_TARGET_RATIO} at 1,000,000 |")
    return "\n".join(lines)


def ratios(results: list[Result], sizes: list[int]) -> str:
    by = {(r.n, r.target): r for r in results}
    lines = ["| ratio | value | target |", "| --- | ---: | --- |"]

    def value(n, target):
        r = by.get((n, target))
        return r.edits_per_s if r and r.edits_per_s else None

    for n in sizes:
        c, f, b, h = value(n, "casemgr"), value(n, "floor"), value(n, "bare"), value(n, "helpdesk")
        if c and b:
            lines.append(f"| casemgr / bare edits/s, N={n:,} | {c / b:.2f} | ≥ 0.7 |")
        if f and b:
            lines.append(f"| floor / bare edits/s, N={n:,} (the write path's own ceiling) | {f / b:.2f} | — |")
        if c and f:
            lines.append(f"| casemgr / floor edits/s, N={n:,} | {c / f:.2f} | — |")
        if c and h:
            lines.append(f"| casemgr / django-helpdesk edits/s, N={n:,} | {c / h:,.0f} | ≥ 10 at 10,000 |")
        for other in CASEMGR_TARGETS[1:]:
            o = value(n, other)
            if c and o:
                lines.append(f"| {other} / casemgr (v12) edits/s, N={n:,} | {o / c:.2f} | ≥ 0.9 |")
    small = by.get((sizes[0], "casemgr"))
    for n in sizes[1:]:
        large = by.get((n, "casemgr"))
        if small and large and small.p50_ms and large.p50_ms:
            lines.append(f"| casemgr p50 at N={n:,} / p50 at N={sizes[0]:,} | {large.p50_ms / small.p50_ms:.2f}"
                         f" | ≤ 1.2 at 1,000,000 |")
    for target in CASEMGR_TARGETS:
        trips = by.get((sizes[0], target))
        if trips and trips.round_trips is not None:
            lines.append(f"| {target} database round trips per edit | {trips.round_trips:.1f} | ≤ 2 |")
    return "\n".join(lines)


def machine(db_url: str, helpdesk: Path | None) -> str:
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    memory = next(int(l.split()[1]) for l in Path("/proc/meminfo").read_text().splitlines()
                  if l.startswith("MemTotal")) / 1024 / 1024
    with psycopg.connect(db_url) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    versions = [f"Python {platform.python_version()}", f"PostgreSQL {pg}",
                f"granian {metadata.version('granian')}", f"gunicorn {HELPDESK_GUNICORN_VERSION} (helpdesk)",
                f"Flask {metadata.version('flask')}",
                f"psycopg {metadata.version('psycopg')}"]
    if helpdesk:
        pip = subprocess.run([str(helpdesk / "bin/pip"), "list", "--format", "json"], capture_output=True,
                             text=True).stdout
        installed = {p["name"].lower(): p["version"] for p in json.loads(pip)}
        versions += [f"Django {installed.get('django')}", f"django-helpdesk {installed.get('django-helpdesk')}",
                     f"DRF {installed.get('djangorestframework')}"]
    if shutil.which("wrk"):
        versions.append(subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("[")[0].strip())
    return (f"{os.cpu_count()} × {cpu}, {memory:.0f} GiB, {platform.system()} {platform.release()}; "
            + ", ".join(versions))


REPORT_PAGE = ROOT / "docs" / "performance.md"
UPDATE_FLAGS = ("--update-docs", "--update-readme")


def update_docs(report: str, argv: list[str]) -> None:
    """Put the report between the performance page's markers, so the page
    always shows a whole run, as printed."""
    page = REPORT_PAGE
    text = page.read_text("utf-8")
    begin, end = "<!-- benchmark:begin -->", "<!-- benchmark:end -->"
    if begin not in text or end not in text:
        raise SystemExit(f"{page.relative_to(ROOT)} has no benchmark markers")
    head, _, rest = text.partition(begin)
    _, _, tail = rest.partition(end)
    run = " ".join(["benchmarks/run.py", *(a for a in argv if a not in UPDATE_FLAGS)])
    page.write_text(f"{head}{begin}\n_Last run: `{run}`, {time.strftime('%Y-%m-%d')}._\n\n{report}\n{end}{tail}",
                    encoding="utf-8")
    log(f"{page.relative_to(ROOT)} updated")


# -- main -----------------------------------------------------------------------

READ_LABELS = {"casemgr-v12-read": "v12 GET case (session)", "casemgr-v4-read": "Thalamus GET case (cookie)",
               "casemgr-v12-search": "v12 case search (session)"}


def credentials_of(target: str, known: dict[str, list[str]], casemgr_url: str, args) -> list[str]:
    """One credential per connection for a casemgr target (got once, from
    a casemgr server started for it), none for the others."""
    if not target.startswith("casemgr") and target not in V12_TARGETS:
        return []
    kind = "casemgr" if target == "floor" else target
    if kind not in known:
        server = Server("casemgr", casemgr_url, args, None)
        try:
            known[kind] = [credentials_for(kind, server.port, f"bench{i + 1}") for i in range(args.connections)]
        finally:
            server.stop()
    return known[kind]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="Postgres server to use (default: CASEMGR_DATABASE_URL, else embedded)")
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated N (default 1000,10000,100000)")
    parser.add_argument("--million", action="store_true", help="add N = 1,000,000")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections, one case each (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes of every target (default 2)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each measured run (default 10)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up before each run (default 3)")
    parser.add_argument("--max-slow-duration", type=int, default=100,
                        help="longest run for a target whose single request is slow (default 100)")
    parser.add_argument("--helpdesk-max-n", type=int, default=10000,
                        help="largest N django-helpdesk is measured at: its PATCH takes ~0.5 ms per ticket "
                             "(default 10000)")
    parser.add_argument("--targets", default=",".join(TARGETS), help="comma-separated subset of " + ",".join(TARGETS))
    parser.add_argument("--search-only", action="store_true",
                        help="measure the case search only (no edit target, no django-helpdesk)")
    parser.add_argument("--scale-only", action="store_true",
                        help="run the scale case only: searches and a feed page without and with cases the "
                             "searcher does not see (sequential requests; needs no wrk)")
    parser.add_argument("--scale-cases", type=int, default=200_000,
                        help="cases the searcher does not see, added for the scale case (default 200000)")
    parser.add_argument("--scale-requests", type=int, default=200,
                        help="measured requests of each kind in the scale case (default 200)")
    parser.add_argument("--scale-warmup", type=int, default=20,
                        help="warm-up requests of each kind in the scale case (default 20)")
    parser.add_argument(*UPDATE_FLAGS, dest="update_docs", action="store_true",
                        help="write this run's report into docs/performance.md, between the benchmark markers "
                             "(--update-readme: the former name)")
    args = parser.parse_args(argv)
    if not args.scale_only and not shutil.which("wrk"):
        parser.error("wrk is not installed (Debian: apt-get install wrk); --scale-only needs none")
    sizes = [] if args.scale_only else [int(s) for s in args.sizes.split(",")] + ([1_000_000] if args.million else [])
    targets = [] if args.search_only or args.scale_only else [t for t in TARGETS if t in args.targets.split(",")]
    measure_searches = args.search_only or "casemgr" in targets
    measure_scale_case = args.scale_only or not args.search_only
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    if load_before > (os.cpu_count() or 1) / 2:
        log(f"warning: load average {load_before:.1f} before the run: other work on this machine skews the figures")
    WORK.mkdir(exist_ok=True)
    shutil.rmtree(WORK / "logs", ignore_errors=True)  # the servers' logs of this run only

    admin_url = server_url(args)
    # The scale case alone uses its own database only.
    casemgr_url = admin_url if args.scale_only else recreate_database(admin_url, CASEMGR_DB)
    if not args.scale_only:
        prepare_casemgr_db(casemgr_url, args.connections)
    helpdesk = None
    helpdesk_url = None
    if "helpdesk" in targets:
        helpdesk = helpdesk_venv()
        helpdesk_url = recreate_database(admin_url, HELPDESK_DB)
        prepare_helpdesk_db(helpdesk, helpdesk_url)
    params = psycopg.conninfo.conninfo_to_dict(casemgr_url)
    proxy = None if args.scale_only else CountingProxy(params.get("host") or "/var/run/postgresql",
                                                        int(params.get("port") or 5432)).start()

    credentials: dict[str, list[str]] = {}
    results: list[Result] = []
    search_results: list[Result] = []
    read_trips: dict[str, float] = {}
    for n in sizes:
        log(f"N={n:,}: loading cases" + (" and tickets" if helpdesk and n <= args.helpdesk_max_n else ""))
        load_cases(casemgr_url, n)
        stride = n // args.connections
        cases = [1 + i * stride + stride // 2 for i in range(args.connections)]
        if helpdesk and n <= args.helpdesk_max_n:
            load_tickets(helpdesk_url, n)
        for target in targets:
            if target == "helpdesk" and n > args.helpdesk_max_n:
                results.append(Result(n=n, target=target, note=f"not run: one PATCH reads all {n:,} tickets, "
                                                                f"see --helpdesk-max-n"))
                continue
            url = helpdesk_url if target == "helpdesk" else casemgr_url
            sessions = credentials_of(target, credentials, casemgr_url, args)
            etag = current_etags(url, cases[:1])[0] if target != "helpdesk" else None
            log(f"N={n:,} {target}: counting round trips")
            trips, new_connections = measure_round_trips(target, url, proxy, args, helpdesk, cases[0], etag,
                                                         sessions[0] if sessions else None)
            result = measure_throughput(target, url, args, helpdesk, cases, sessions, n)
            result.round_trips = trips
            if new_connections:
                result.extra["new_connections_while_counting"] = new_connections
            results.append(result)
            log(f"N={n:,} {target}: {result.edits_per_s:,.1f} edits/s, p50 {result.p50_ms:.2f} ms, "
                f"p99 {result.p99_ms:.2f} ms, 409 {result.conflict_rate:.1%}, {trips:.1f} round trips/edit")
        if measure_searches:
            for kind in SEARCHES:
                result = measure_search(kind, casemgr_url, args, credentials_of("casemgr", credentials, casemgr_url,
                                                                                 args), n)
                search_results.append(result)
                log(f"N={n:,} {kind}: {result.edits_per_s:,.1f} searches/s, p50 {result.p50_ms:.2f} ms, "
                    f"p99 {result.p99_ms:.2f} ms, {result.extra['cases_per_search']:.1f} cases found per search")
        if measure_searches and not read_trips:
            for kind in READ_KINDS if targets else ("casemgr-v12-search",):
                log(f"N={n:,} {kind}: counting round trips")
                read_trips[kind], _ = measure_round_trips(kind, casemgr_url, proxy, args, None, cases[0], None,
                                                          credentials_of(kind, credentials, casemgr_url, args)[0])
    if proxy:
        proxy.stop()
    scale = measure_scale(admin_url, args) if measure_scale_case else None

    elapsed = time.monotonic() - started
    report = "\n\n".join([
        f"Machine: {machine(casemgr_url, helpdesk)}",
        *([] if args.scale_only else [f"Load: wrk, {args.connections} connections (one wrk thread and one case each), "
        f"{args.duration} s per run after {args.warmup} s of warm-up; servers: casemgr, floor and bare on "
        f"casemgr's stack (granian + edge), helpdesk on gunicorn gthread; {args.workers} workers × "
        f"{THREADS_PER_WORKER} threads each. 409 rate: answers 409 (or 412, a stale If-Match) per request. "
        f"Round trips: counted by a proxy in front of Postgres (benchmarks/roundtrips.py) over sequential "
        f"requests. Searches: wrk with benchmarks/search.lua, each request another customer or order_ref "
        f"value, each finding {CASES_PER_GROUP} cases (summary, page of 25). "
        f"Load average: {load_before:.1f} before the run, {os.getloadavg()[0]:.1f} after it."]),
        *([table(results), ratios(results, [n for n in sizes])] if results else []),
        *([search_table(search_results), search_ratios(search_results, sizes)] if search_results else []),
        *(["Round trips per read (sequential, the first N): " + ", ".join(
            f"{READ_LABELS[kind]} {trips:.1f}" for kind, trips in read_trips.items())] if read_trips else []),
        *([scale_table(*scale, args)] if scale else []),
        f"Total run time: {elapsed / 60:.1f} min.",
    ])
    problems = [f"N={r.n:,} {r.target}: {r.other} requests neither succeeded nor got 409 (see benchmarks/.work/logs)"
                for r in results if r.other]
    problems += [f"N={r.n:,} {SEARCHES[r.target]}: {r.other} searches found nothing or failed" for r in search_results
                 if r.other]
    problems += [f"N={r.n:,} {r.target}: {r.extra['new_connections_while_counting']} new database connection(s) "
                 f"while counting round trips" for r in results
                 if r.extra.get("new_connections_while_counting") and r.target != "helpdesk"]
    if problems:
        report += "\n\nWarnings:\n" + "\n".join(f"- {p}" for p in problems)
    print(report)
    (WORK / "last-run.md").write_text(report + "\n", encoding="utf-8")
    if args.update_docs:
        update_docs(report, sys.argv[1:])
    (WORK / "last-run.json").write_text(json.dumps([r.__dict__ for r in results + search_results], indent=1,
                                                   default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
