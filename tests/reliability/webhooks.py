"""What the webhook suites share: receivers (HTTP servers on 127.0.0.1 that
verify every signature with the Standard Webhooks verifier and record what
they got), `casemgr worker` processes, and an in-process app to subscribe
and edit through."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

from standardwebhooks.webhooks import Webhook

from casemgr import create_app
from casemgr.config import Settings
from casemgr.domain.versions import format_timestamp, version_of_etag
from tests.api.clients import EgainV3Client

WEBHOOKS = "/core/casemgr/v3/webhooks"
OPEN_CASES = (1001, 1002, 1003, 1004, 1005, 1006, 1013)
# Short delays, so retries happen within a test; a lease that still outlasts
# every attempt (the settings refuse one that does not).
FAST = {"webhook_poll_seconds": 0.1, "webhook_retry_base_seconds": 0.3, "webhook_timeout_seconds": 2,
        "webhook_lease_seconds": 8, "webhook_allow_private_targets": "true"}


@dataclass
class Received:
    at: float  # time.monotonic() when the request came in
    headers: dict[str, str]
    body: bytes
    verified: bool
    event: dict | None

    @property
    def change(self) -> tuple[str, str]:
        return self.event["data"]["caseId"], self.event["data"]["lastModified"]


class _Server(ThreadingHTTPServer):
    # The default backlog (5) drops connections a worker opens at once, and
    # each dropped one waits a second for the SYN to be sent again.
    request_queue_size = 128
    daemon_threads = True


@dataclass
class Receiver:
    """Answers 204 unless ``answer`` (called with the request's number,
    from 0, and its JSON body) says otherwise; ``hold`` (an Event) keeps
    every request waiting until it is set."""

    answer: Callable[[int, dict], int] = lambda number, event: 204
    hold: threading.Event | None = None
    port: int = 0
    secret: str | None = None
    received: list[Received] = field(default_factory=list)
    requests: int = 0
    answered: int = 0

    def __post_init__(self):
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a receiver in production would

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    number = receiver.requests
                    receiver.requests += 1
                if receiver.hold is not None:
                    receiver.hold.wait(60)
                status = receiver.answer(number, json.loads(body))
                receiver.record(dict(self.headers.items()), body, status)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._handler = Handler
        self.server: ThreadingHTTPServer | None = None

    def record(self, headers: dict, body: bytes, status: int) -> None:
        try:
            event = Webhook(self.secret).verify(body, headers)
            verified = True
        except Exception:  # noqa: BLE001 - any failure to verify is counted, never crashes the receiver
            event, verified = json.loads(body), False
        with self._lock:
            self.answered += 1
            if 200 <= status < 300:
                self.received.append(Received(time.monotonic(), headers, body, verified, event))

    def start(self) -> "Receiver":
        self.server = _Server(("127.0.0.1", self.port), self._handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True, name=f"receiver-{self.port}").start()
        return self

    def stop(self) -> None:
        if self.hold is not None:
            self.hold.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def changes(self) -> list[tuple[str, str]]:
        with self._lock:
            return [r.change for r in self.received]


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_worker(db_url: str, log_dir: Path, **settings) -> subprocess.Popen:
    """`casemgr worker` on the test's database, as an operator starts it;
    returns once it has started (a figure measured from an edit should not
    include the worker's own start)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEMGR_")}
    env.update(CASEMGR_DATABASE_URL=db_url, CASEMGR_LOG_LEVEL="INFO",
               **{f"CASEMGR_{k.upper()}": str(v) for k, v in {**FAST, **settings}.items()})
    log = log_dir / f"worker-{time.monotonic_ns()}.log"
    process = subprocess.Popen([sys.executable, "-m", "casemgr.cli", "worker"], env=env,
                               stdout=log.open("wb"), stderr=subprocess.STDOUT)
    started = wait_until(lambda: process.poll() is not None or b"webhook worker started" in log.read_bytes(),
                         seconds=60)
    assert started and process.poll() is None, log.read_text()
    return process


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until(condition: Callable[[], bool], seconds: float = 60, every: float = 0.05) -> bool:
    """Polls until the condition holds; False if it never did (the caller
    asserts on what it sees, not on the time it took)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


class Hooks:
    """The app in this process (private targets allowed), a client token,
    and the edits made through it."""

    def __init__(self, db_url: str, server=None):
        self.server = server
        self.app = create_app(Settings(database_url=db_url, pool_size=4, webhook_allow_private_targets=True))
        self.v3 = EgainV3Client(self.app.test_client())
        self.etags: dict[int, str] = {}
        self.edited: list[tuple[str, str]] = []  # (case id, lastModified) of every accepted edit
        self.edited_at: dict[tuple[str, str], float] = {}

    def close(self) -> None:
        self.app.extensions["casemgr.database"].close()

    def subscribe(self, receiver: Receiver) -> str:
        answer = self.v3.client.post(WEBHOOKS, json={"url": receiver.url}, headers=self.v3.headers("client"))
        assert answer.status_code == 201, answer.get_data(as_text=True)
        receiver.secret = answer.get_json()["secret"]
        return answer.get_json()["id"]

    def edit(self, case_id: int, subject: str) -> None:
        """A v3 edit with If-Match, chained on the ETag of the previous one:
        through ``server`` (a `casemgr serve` process) when given, else
        through the app in this process."""
        if case_id not in self.etags:
            self.etags[case_id] = self.v3.read(case_id, "client").headers["ETag"]
        body = {"id": str(case_id), "subject": subject}
        if self.server is None:
            answer = self.v3.client.patch("/core/casemgr/v3/case", json=body,
                                          headers=self.v3.headers("client", **{"If-Match": self.etags[case_id]}))
            status, etag = answer.status_code, answer.headers.get("ETag")
        else:
            answer = self.server.request("PATCH", "/core/casemgr/v3/case", json.dumps(body).encode(), {
                **self.v3.headers("client"), "If-Match": self.etags[case_id], "Content-Type": "application/json"})
            status, etag = answer.status, answer.headers.get("ETag")
        assert status == 204, answer
        self.etags[case_id] = etag
        change = (str(case_id), format_timestamp(version_of_etag(etag, case_id)))
        self.edited.append(change)
        self.edited_at[change] = time.monotonic()

    def deliveries(self, webhook_id: str, limit: int = 200) -> list[dict]:
        answer = self.v3.client.get(f"{WEBHOOKS}/{webhook_id}/deliveries?limit={limit}",
                                    headers=self.v3.headers("client"))
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return answer.get_json()["deliveries"]


def latencies_ms(hooks: Hooks, receiver: Receiver) -> list[float]:
    """Edit accepted → delivery received, per change, in milliseconds."""
    return sorted((r.at - hooks.edited_at[r.change]) * 1000 for r in receiver.received if r.change in hooks.edited_at)


def percentile(values: list[float], fraction: float) -> float:
    return values[min(len(values) - 1, int(len(values) * fraction))] if values else float("nan")
