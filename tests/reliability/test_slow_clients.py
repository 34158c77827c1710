"""Slow clients never take the service down: while sockets trickle their
headers, trickle their bodies or read an answer a byte at a time, other
clients' probes are all answered, and the server closes the tricklers by its
own timeouts. Run against the default `casemgr serve` (2 workers); every
socket is on loopback, and the attack stops by itself."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time

import pytest

from tests.reliability.conftest import start_server, stop_server
from tests.reliability.figures import record_figure

pytestmark = pytest.mark.slow

SLOW_HEADERS, SLOW_BODIES, SLOW_READERS = 64, 32, 32
PROBES_EACH = 20
PROBE_TIMEOUT = 2.0
# The defaults of casemgr serve (docs/configuration.md), plus a margin.
HEADER_TIMEOUT, BODY_TIMEOUT = 10, 15
WAIT_FOR_CLOSE = BODY_TIMEOUT + 8
LARGEST_ASSET = "/explorer/assets/swagger-ui-bundle.js"


class Attack:
    """The slow sockets, driven by one event loop in a thread of their own.
    Each records when the server closed it (None: still open) and the first
    bytes it was answered."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.closed_after: dict[str, list[float | None]] = {"headers": [], "bodies": [], "readers": []}
        self.answers: list[bytes] = []
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.started = time.monotonic()

    def run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        tasks = [asyncio.create_task(self._slow_headers()) for _ in range(SLOW_HEADERS)]
        tasks += [asyncio.create_task(self._slow_body(i)) for i in range(SLOW_BODIES)]
        tasks += [asyncio.create_task(self._slow_reader()) for _ in range(SLOW_READERS)]
        await asyncio.sleep(1.0)  # every socket connected and started
        self.ready.set()
        await asyncio.gather(*tasks)

    async def _open(self, receive_buffer: int | None = None):
        sock = socket.socket()
        if receive_buffer:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (self.host, self.port))
        return await asyncio.open_connection(sock=sock)

    async def _trickle(self, kind: str, head: bytes, trickle: bytes) -> None:
        """Sends ``head`` at once, then one byte of ``trickle`` a second,
        until the server closes the connection or the test ends."""
        reader, writer = await self._open()
        writer.write(head)
        started = time.monotonic()
        closed_after = None
        for byte in trickle:
            if self.stop.is_set():
                break
            try:
                writer.write(bytes([byte]))
                await writer.drain()
                answer = await asyncio.wait_for(reader.read(4096), 1.0)
            except asyncio.TimeoutError:
                continue
            except OSError:
                answer = b""
            if answer:
                self.answers.append(answer[:4096])
            closed_after = time.monotonic() - started
            break
        self.closed_after[kind].append(closed_after)
        writer.close()

    async def _slow_headers(self) -> None:
        await self._trickle("headers", b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                            b"X-Slow: " + b"a" * 200 + b"\r\n\r\n")

    async def _slow_body(self, index: int) -> None:
        # Half to the public login, half to the edit with a made-up session.
        path, extra = (("/ws/v12/authentication/user/login", b"") if index % 2 == 0 else
                       ("/ws/v12/interaction/case", b"X-egain-session: made-up\r\n"))
        head = (f"PUT {path} HTTP/1.1\r\n" if index % 2 else f"POST {path} HTTP/1.1\r\n").encode()
        head += b"Host: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n" + extra + b"\r\n"
        await self._trickle("bodies", head, b"{" + b" " * 99_999)

    async def _slow_reader(self) -> None:
        reader, writer = await self._open(receive_buffer=1024)
        writer.write(f"GET {LARGEST_ASSET} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        await writer.drain()
        started = time.monotonic()
        closed_after = None
        while not self.stop.is_set():
            if not await reader.read(1):
                closed_after = time.monotonic() - started
                break
            await asyncio.sleep(1.0)
        self.closed_after["readers"].append(closed_after)
        writer.close()


def probe(server, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    started = time.monotonic()
    try:
        answer = server.request(method, path, body, headers, timeout=PROBE_TIMEOUT)
        status = answer.status
    except OSError:  # a timeout or a refused connection: not answered
        answer, status = None, None
    return status, time.monotonic() - started, answer


def p99(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def test_probes_are_answered_while_slow_sockets_trickle_and_the_server_closes_them(db_url, tmp_path):
    server = start_server(db_url, tmp_path, workers=2)  # the default of casemgr serve
    try:
        session = server.login()
        etag = server.request("GET", "/ws/v12/interaction/case/1001",
                              headers={"X-egain-session": session}).headers["ETag"]
        host, port = server.base.removeprefix("http://").split(":")
        attack = Attack(host, int(port))
        attacker = threading.Thread(target=attack.run, daemon=True)
        attacker.start()
        assert attack.ready.wait(10)

        results: dict[str, list[tuple[int | None, float]]] = {"health": [], "v12 read": [], "v12 edit": []}
        for n in range(PROBES_EACH):
            status, seconds, _ = probe(server, "GET", "/health")
            results["health"].append((status, seconds))
            status, seconds, _ = probe(server, "GET", "/ws/v12/interaction/case/1001",
                                       headers={"X-egain-session": session})
            results["v12 read"].append((status, seconds))
            body = json.dumps({"id": "1001", "subject": f"probe {n}"}).encode()
            status, seconds, answer = probe(server, "PUT", "/ws/v12/interaction/case", body, {
                "X-egain-session": session, "Content-Type": "application/json", "If-Match": etag})
            if status == 204:
                etag = answer.headers["ETag"]
            results["v12 edit"].append((status, seconds))
        probes_done = time.monotonic() - attack.started

        deadline = time.monotonic() + WAIT_FOR_CLOSE
        while time.monotonic() < deadline and (
                len(attack.closed_after["headers"]) < SLOW_HEADERS or len(attack.closed_after["bodies"]) < SLOW_BODIES):
            time.sleep(0.5)
        attack.stop.set()
        attacker.join(timeout=10)
    finally:
        stop_server(server)

    expected = {"health": 200, "v12 read": 200, "v12 edit": 204}
    for kind, outcomes in results.items():
        answered = sum(1 for status, _ in outcomes if status == expected[kind])
        record_figure("slow clients", f"{kind}: {answered}/{PROBES_EACH} probes answered, "
                                      f"p99 {p99([s for _, s in outcomes]) * 1000:.0f} ms")
    closed = {kind: [t for t in times if t is not None] for kind, times in attack.closed_after.items()}
    record_figure("slow clients", (
        f"under {SLOW_HEADERS} slow-header, {SLOW_BODIES} slow-body and {SLOW_READERS} slow-reader sockets "
        f"(probes done {probes_done:.1f}s into the attack); closed by the server: "
        f"headers {len(closed['headers'])}/{SLOW_HEADERS} after {_span(closed['headers'])}, "
        f"bodies {len(closed['bodies'])}/{SLOW_BODIES} after {_span(closed['bodies'])}, "
        f"readers {len(closed['readers'])}/{SLOW_READERS} (a reader holds a buffer, not a thread)"))
    for kind, outcomes in results.items():
        assert [status for status, _ in outcomes] == [expected[kind]] * PROBES_EACH, kind
    assert len(closed["headers"]) == SLOW_HEADERS, "every slow-header socket is closed by the header timeout"
    assert len(closed["bodies"]) == SLOW_BODIES, "every slow-body socket is closed by the body timeout"
    # A body that did not arrive in time is told so: 408, in the API's error body.
    timed_out = [answer for answer in attack.answers if b" 408 " in answer.split(b"\r\n", 1)[0]]
    assert len(timed_out) == SLOW_BODIES
    # Its code as a JSON string or an XML element: the attack sends no Accept,
    # which v12 answers in XML.
    assert all(b'"408-9001"' in answer or b">408-9001</" in answer for answer in timed_out)


def _span(times: list[float]) -> str:
    return f"{min(times):.1f}–{max(times):.1f}s" if times else "—"
