"""Reliability suites: the real server (`casemgr serve`, several processes) against
real Postgres, with figures printed at the end of the run."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.datastructures import Headers

from tests.reliability.figures import FIGURES


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for suite, text in FIGURES:
        terminalreporter.write_line(f"{suite}: {text}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Answer:
    status: int
    headers: Headers  # case-insensitive, as HTTP header names are
    body: bytes

    def json(self):
        """The body as a dict, whether it came as JSON or as eGain XML."""
        if not self.body:
            return None
        if self.headers.get("Content-Type", "").startswith("application/xml"):
            from casemgr.api.egain.xml import parse_xml

            data = parse_xml(self.body)
            if "details" in data:
                data["details"] = data["details"]["detail"]
            return data
        return json.loads(self.body)


@dataclass
class Server:
    """One `casemgr serve` process."""

    base: str
    process: subprocess.Popen
    log_path: Path
    sessions: dict = field(default_factory=dict)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                timeout: float = 15) -> Answer:
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                return Answer(response.status, Headers(response.headers.items()), response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, Headers(error.headers.items()), error.read())

    def login(self, user: str = "frank") -> str:
        if user not in self.sessions:
            answer = self.request("POST", "/ws/v12/authentication/user/login",
                                  json.dumps({"userName": user, "password": f"{user}-pass"}).encode(),
                                  {"Content-Type": "application/json"})
            assert answer.status == 204, answer
            self.sessions[user] = answer.headers["X-egain-session"]
        return self.sessions[user]

    def read_case(self, case_id: int, user: str = "frank") -> dict:
        answer = self.request("GET", f"/ws/v12/interaction/case/{case_id}",
                              headers={"X-egain-session": self.login(user)})
        assert answer.status == 200, answer
        return answer.json()["case"][0]

    def edit(self, case_id: int, last_modified: str, changes: dict, user: str = "frank", xml: bool = False) -> Answer:
        headers = {"X-egain-session": self.login(user)}
        if xml:
            from casemgr.api.egain.xml import to_xml

            body = to_xml("case", {"id": str(case_id), "lastModified": {"date": last_modified}, **changes})
            headers["Content-Type"] = headers["Accept"] = "application/xml"
        else:
            body = json.dumps({"id": str(case_id), "lastModified": {"date": last_modified}, **changes}).encode()
            headers["Content-Type"] = "application/json"
        return self.request("PUT", "/ws/v12/interaction/case", body, headers)


def start_server(database_url: str, log_dir: Path, workers: int = 1, args: tuple[str, ...] = (),
                 module: str = "casemgr.cli", **settings) -> Server:
    """`casemgr serve` (``module``: a test's wrapper of the command line that
    changes the process first, such as its name lookups)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEMGR_")}
    env.update(CASEMGR_DATABASE_URL=database_url, CASEMGR_PORT=str(port), CASEMGR_WORKERS=str(workers),
               CASEMGR_LOG_LEVEL="INFO", **{f"CASEMGR_{k.upper()}": str(v) for k, v in settings.items()})
    log_path = log_dir / f"server-{port}.log"
    process = subprocess.Popen([sys.executable, "-m", module, "serve", *args], env=env,
                               stdout=log_path.open("wb"), stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited early:\n{log_path.read_text()}")
        try:
            if server.request("GET", "/health/ready", timeout=2).status == 200:
                return server
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.2)
    raise AssertionError("server did not become ready")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture
def servers(db_url, tmp_path):
    """Two app processes on different ports sharing one database."""
    started = [start_server(db_url, tmp_path) for _ in range(2)]
    yield started
    for server in started:
        stop_server(server)


@pytest.fixture(scope="module")
def module_db_url(databases, world_template):
    """One database for a whole module whose tests change nothing (or check
    that they change nothing)."""
    name = databases.create(f"mod{next(_module_counter)}", template=world_template)
    yield databases.url(name)
    databases.drop(name)


_module_counter = iter(range(1_000_000))


@pytest.fixture(scope="module")
def module_server(module_db_url, tmp_path_factory):
    server = start_server(module_db_url, tmp_path_factory.mktemp("server"))
    yield server
    stop_server(server)


@pytest.fixture
def module_db(module_db_url):
    import psycopg

    with psycopg.connect(module_db_url, autocommit=True) as conn:
        yield conn
