"""The HTTP edge: a slow client never holds a Python thread.

The server (granian, see ``casemgr.server``) parses requests in Rust and hands
them over as ASGI. This bridge reads the whole body on the event loop, under a
deadline and the body cap, and only then gives the request one of a fixed
pool of threads to run the Flask app on; the answer is collected in the
thread and handed back to the server, which writes it as fast as the client
reads. A socket trickling its headers (the server's header timeout closes
it), its body (``body_timeout``) or reading its answer a byte at a time costs
a coroutine or a buffer, never one of the threads everyone else's requests
need. (granian takes the whole answer at once and has no write timeout, so a
client that never reads keeps its socket, and the answer's bytes, until it
goes: that costs memory, not a thread.)

Why not a WSGI server, or a generic ASGI-to-WSGI adapter: gunicorn's threaded
worker ties a thread to each connection from its first byte, granian's own
WSGI interface blocks a thread while it reads the body, and adapters such as
a2wsgi start the app at once and read the body (and write the answer) from
its thread. All three stop answering under a few dozen slow sockets.

A request the edge itself refuses (a body over the cap, one the client could
not frame, or one that did not arrive in time) still runs through the app,
with an empty body and ``EDGE_REFUSAL`` in its environ: the app answers it in
the error body of the API the request came in on, like any other refusal.
The edge answers by itself only when the app raised instead of answering (a
500). Every answer names the service as ``Server: casemgr`` (``SERVER``):
granian adds ``server: granian`` to an answer that has no Server header.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

log = logging.getLogger(__name__)

# environ key: why the edge refused the body ("too-large", "malformed", "timeout").
EDGE_REFUSAL = "casemgr.edge.refusal"
# Response header the app sets to have its answer held back this many
# seconds (on the event loop, no thread waits); the edge removes it.
HOLD_HEADER = "X-Casemgr-Hold"
_HOLD = HOLD_HEADER.lower().encode("latin-1")
# The Server header of every answer: the service's name, no product or
# version of the stack under it (the app sets it too, for any other server).
SERVER = "casemgr"
_SERVER = (b"server", SERVER.encode("latin-1"))
# What the edge answers when the app raised instead of answering.
_CRASH_BODY = b'{"code": "500-100", "message": "System unable to process the request."}'

WsgiApp = Callable[[dict, Callable], Any]


@dataclass(frozen=True)
class EdgeLimits:
    threads: int = 4
    max_body_bytes: int = 1024 * 1024
    body_timeout: float = 15.0


class BodyRefused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class BufferedWsgiBridge:
    """An ASGI application that serves a WSGI one from a bounded thread pool,
    with every byte of the request read and every byte of the answer written
    on the event loop."""

    def __init__(self, wsgi_app: WsgiApp, limits: EdgeLimits = EdgeLimits()):
        self.wsgi_app = wsgi_app
        self.limits = limits
        self.executor = ThreadPoolExecutor(max_workers=limits.threads, thread_name_prefix="casemgr-app")

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return  # no websockets: the server closes the connection
        body, refusal = await self._read_body(scope, receive)
        environ = wsgi_environ(scope, body)
        if refusal:
            environ[EDGE_REFUSAL] = refusal
        loop = asyncio.get_running_loop()
        try:
            status, headers, payload = await loop.run_in_executor(self.executor, self._run_app, environ)
        except Exception:  # noqa: BLE001 - the app's own handlers answer every error; this is the last resort
            log.exception("the app raised instead of answering %s %s", scope["method"], scope["path"])
            status, headers, payload = 500, [(b"content-type", b"application/json")], _CRASH_BODY
        if not any(name == _SERVER[0] for name, _ in headers):
            headers.append(_SERVER)
        if refusal:
            # The rest of the body is still on the wire, or the framing is
            # broken: this connection carries no further request.
            headers.append((b"connection", b"close"))
        hold = _held(headers)
        if hold:
            await asyncio.sleep(hold)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    async def _read_body(self, scope: dict, receive) -> tuple[bytes, str | None]:
        """The body, or why there is none: declared or grown past the cap,
        cut short by a framing error, or too slow to arrive."""
        declared = _content_length(scope)
        if declared is not None and declared > self.limits.max_body_bytes:
            return b"", "too-large"
        try:
            body = await asyncio.wait_for(self._collect(receive), self.limits.body_timeout)
        except asyncio.TimeoutError:
            return b"", "timeout"
        except BodyRefused as refused:
            return b"", refused.reason
        return body, None

    async def _collect(self, receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                message = await receive()
            except Exception as exc:  # noqa: BLE001 - the server's word for a body it could not read
                raise BodyRefused("malformed") from exc
            if message["type"] == "http.disconnect":
                # granian says this both when the client left and when the
                # body's framing broke (a bad chunk size, EOF inside a
                # chunk): answering the second is right, the first harmless.
                raise BodyRefused("malformed")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limits.max_body_bytes:
                raise BodyRefused("too-large")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _run_app(self, environ: dict) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Runs in a pool thread: the whole answer, collected."""
        started: list = []
        written: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info=None):
            if exc_info and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [status, headers]
            return written.append

        result = self.wsgi_app(environ, start_response)
        try:
            for chunk in result:
                written.append(chunk)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers = started
        return (int(status.split(" ", 1)[0]),
                [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers],
                b"".join(written))


def _held(headers: list[tuple[bytes, bytes]]) -> float:
    """The hold the app asked for, removed from the headers."""
    for index, (name, value) in enumerate(headers):
        if name == _HOLD:
            del headers[index]
            return float(value)
    return 0.0


def _content_length(scope: dict) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def wsgi_environ(scope: dict, body: bytes) -> dict:
    """PEP 3333's environ for an ASGI request whose body is already read:
    its length is known, whatever framing it came in."""
    environ = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": scope.get("root_path", "").encode("utf-8").decode("latin-1"),
        "PATH_INFO": scope["path"].encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": True,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    server = scope.get("server") or ("localhost", 80)
    environ["SERVER_NAME"], environ["SERVER_PORT"] = server[0], str(server[1] or 0)
    client = scope.get("client")
    if client:
        environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = client[0], str(client[1])
    for raw_name, raw_value in scope.get("headers", ()):
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        if name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = name
        else:
            key = f"HTTP_{name}"
        value = raw_value.decode("latin-1")
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    # The body was de-chunked by the server and read whole: say how long it is.
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    if body or "CONTENT_LENGTH" in environ:
        environ["CONTENT_LENGTH"] = str(len(body))
    return environ


async def _lifespan(receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
