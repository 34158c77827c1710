"""A TCP proxy in front of Postgres that counts round trips.

A round trip is counted each time a client connection sends data after the
server last spoke on it (or for the first time): one burst of messages the
client sends before it waits for an answer. Pipelined statements sent
together therefore count once, and a statement that waits for its result
before the next one is sent counts once per statement. The count does not
depend on how the application is written (casemgr, the bare endpoint and
django-helpdesk are measured the same way) and includes everything the
application sends: BEGIN, COMMIT, pool checks, session checks.

It adds latency, so the runner uses it only in a separate calibration phase,
never while measuring throughput.
"""

from __future__ import annotations

import asyncio
import socket
import threading


class CountingProxy:
    def __init__(self, upstream_host: str, upstream_port: int | None):
        """``upstream_host`` is a host name, or a directory holding the Unix
        socket (libpq's convention) when it starts with ``/``."""
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port or 5432
        self.round_trips = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    # -- control, from the runner's thread --------------------------------

    def start(self) -> "CountingProxy":
        self._thread.start()
        self._ready.wait(10)
        return self

    def reset(self) -> None:
        with self._lock:
            self.round_trips = 0
            self.connections = 0

    def counts(self) -> tuple[int, int]:
        with self._lock:
            return self.round_trips, self.connections

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    # -- the proxy, on its own event loop ---------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0, family=socket.AF_INET)
        )
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _open_upstream(self):
        if self.upstream_host.startswith("/"):
            return await asyncio.open_unix_connection(f"{self.upstream_host}/.s.PGSQL.{self.upstream_port}")
        return await asyncio.open_connection(self.upstream_host, self.upstream_port)

    async def _serve(self, client_reader, client_writer) -> None:
        with self._lock:
            self.connections += 1
        server_reader, server_writer = await self._open_upstream()
        state = {"last": None}

        async def pump(reader, writer, side):
            try:
                while data := await reader.read(65536):
                    if side == "client" and state["last"] != "client":
                        with self._lock:
                            self.round_trips += 1
                    state["last"] = side
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                writer.close()

        await asyncio.gather(
            pump(client_reader, server_writer, "client"),
            pump(server_reader, client_writer, "server"),
        )
