"""The README's first command on a machine without Postgres: `casemgr serve
--demo` starts the embedded server, serves, and keeps its data across a
restart. Runs the real CLI in a subprocess with CASEMGR_DATABASE_URL unset."""

from __future__ import annotations

import os
import pty
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from werkzeug.datastructures import Headers

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(data_dir: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEMGR_")}
    env.update(CASEMGR_DATA_DIR=str(data_dir), CASEMGR_PORT=str(port), CASEMGR_WORKERS="1")
    return subprocess.Popen(
        [sys.executable, "-m", "casemgr.cli", "serve", "--demo"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def wait_for(url: str, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited early:\n{process.stdout.read()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer 200 within {timeout}s")


def stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def request(method: str, url: str, body: bytes | None = None, headers: dict | None = None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, Headers(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, Headers(error.headers.items()), error.read()


def test_serve_without_a_database_url_uses_the_embedded_server_and_keeps_data(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start(tmp_path, port)
    try:
        wait_for(f"{base}/health", server)
        wait_for(f"{base}/health/ready", server, timeout=30)
        status, headers, _ = request(
            "POST", f"{base}/ws/v12/authentication/user/login",
            b'{"userName": "frank", "password": "frank-pass"}', {"Content-Type": "application/json"})
        assert status == 204
        session = {"X-egain-session": headers["X-egain-session"], "Accept": "application/json"}
        status, _, body = request("GET", f"{base}/ws/v12/interaction/case/1013", headers=session)
        assert status == 200, body
        import json
        last_modified = json.loads(body)["case"][0]["lastModified"]["date"]
        edit = json.dumps({"id": "1013", "lastModified": {"date": last_modified},
                           "subject": "kept across restarts"}).encode()
        status, _, body = request("PUT", f"{base}/ws/v12/interaction/case", edit,
                                  {**session, "Content-Type": "application/json"})
        assert status == 204, body
    finally:
        output = stop(server)
    assert (tmp_path / "pgdata" / "PG_VERSION").exists(), output
    assert "demo data loaded" in output, output

    server = start(tmp_path, port)
    try:
        wait_for(f"{base}/health/ready", server)
        status, headers, _ = request(
            "POST", f"{base}/ws/v12/authentication/user/login",
            b'{"userName": "frank", "password": "frank-pass"}', {"Content-Type": "application/json"})
        session = {"X-egain-session": headers["X-egain-session"], "Accept": "application/json"}
        status, _, body = request("GET", f"{base}/ws/v12/interaction/case/1013", headers=session)
        assert status == 200
        assert json.loads(body)["case"][0]["subject"] == "kept across restarts"
    finally:
        output = stop(server)
    # The restart found cases, loaded nothing, and its banner says so.
    assert "demo data not loaded" in output and "demo data loaded" not in output, output


def test_serve_demo_shows_its_progress_on_a_terminal_and_prints_the_same_banner(tmp_path):
    """The first start creates the embedded database and loads the demo: on
    a terminal, stderr says so while it happens; stdout is what it always is."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEMGR_")}
    env.update(CASEMGR_DATA_DIR=str(tmp_path), CASEMGR_PORT=str(port), CASEMGR_WORKERS="1", TERM="xterm")
    controller, terminal = pty.openpty()
    written = []

    def read_terminal() -> None:
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # every process holding the terminal's other end has exited
                return
            if not chunk:
                return
            written.append(chunk)

    reader = threading.Thread(target=read_terminal, daemon=True)
    reader.start()
    server = subprocess.Popen([sys.executable, "-m", "casemgr.cli", "serve", "--demo", "--no-worker"],
                              env=env, stdout=subprocess.PIPE, stderr=terminal, text=True)
    os.close(terminal)
    try:
        wait_for(f"http://127.0.0.1:{port}/health/ready", server)
    finally:
        output = stop(server)
        reader.join(timeout=30)
        os.close(controller)
    shown = b"".join(written).decode()
    assert "\r\x1b[Kcasemgr: creating the embedded Postgres database (first start)…" in shown, shown
    assert "\r\x1b[Kcasemgr: loading the demo data…" in shown, shown
    assert output.startswith(f"casemgr serving on http://127.0.0.1:{port}\n"), output
    assert "demo data loaded" in output and "\x1b" not in output, output


def test_serve_on_a_busy_port_says_so_and_never_claims_to_serve(db_url):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("CASEMGR_")}
        env.update(CASEMGR_DATABASE_URL=db_url, CASEMGR_PORT=str(port), CASEMGR_WORKERS="1")
        done = subprocess.run([sys.executable, "-m", "casemgr.cli", "serve"], env=env, capture_output=True,
                              text=True, timeout=60)
    assert done.returncode == 3, done
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "serving on" not in done.stdout


def test_a_second_serve_on_the_port_of_a_running_one_refuses_to_start(db_url, tmp_path):
    """granian binds with SO_REUSEPORT: without a check, a second instance
    would silently share the first one's port."""
    from tests.reliability.conftest import start_server, stop_server

    first = start_server(db_url, tmp_path)
    try:
        port = first.base.rsplit(":", 1)[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("CASEMGR_")}
        env.update(CASEMGR_DATABASE_URL=db_url, CASEMGR_PORT=port, CASEMGR_WORKERS="1")
        second = subprocess.run([sys.executable, "-m", "casemgr.cli", "serve"], env=env, capture_output=True,
                                text=True, timeout=60)
        assert second.returncode == 3, second
        assert "serving on" not in second.stdout
        assert first.request("GET", "/health").status == 200
    finally:
        stop_server(first)
