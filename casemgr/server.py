"""The production server: granian, with casemgr's edge in front of the app.

granian (a Rust HTTP server) accepts connections and parses requests without
a Python thread, and closes a connection whose headers do not arrive within
``header_read_timeout``. Each worker process builds its own app (and so its
own connection pool) after the fork, behind ``casemgr.edge``, which reads
bodies and writes answers on the event loop so that only complete requests
reach the app's threads. Measured side by side with gunicorn in the commit
that chose it; docs/reliability.md and docs/performance.md give the
figures.
"""

from __future__ import annotations

import socket
from typing import Callable

from granian.constants import Interfaces
from granian.http import HTTP1Settings
from granian.log import LogLevels
from granian.server import Server

from casemgr.config import Settings
from casemgr.edge import BufferedWsgiBridge, EdgeLimits


def edge_limits(settings: Settings) -> EdgeLimits:
    return EdgeLimits(
        threads=settings.threads,
        max_body_bytes=settings.max_body_bytes,
        body_timeout=settings.body_read_timeout_seconds,
    )


def asgi_app(settings: Settings):
    """One worker's application: the Flask app behind the edge, with a pool
    connection for each of its threads."""
    from casemgr import create_app

    app = create_app(settings.with_overrides(pool_size=max(settings.pool_size, settings.threads)))
    return BufferedWsgiBridge(app, edge_limits(settings))


def granian_server(settings: Settings, target: str = "casemgr") -> Server:
    return Server(
        target,  # a label: the app comes from the loader given to serve()
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        workers=settings.workers,
        http1_settings=HTTP1Settings(
            header_read_timeout=settings.header_read_timeout_seconds * 1000,
            keep_alive=True,
        ),
        # The request log is casemgr's own (casemgr.api.request_log), redacted.
        log_access=False,
        log_level=LogLevels.warning,
        respawn_failed_workers=True,
    )


def ensure_port_free(host: str, port: int) -> None:
    """Raises OSError when something listens on the address already. granian
    binds with SO_REUSEPORT, so a second casemgr on the same port would
    otherwise start, share the traffic of the first and say nothing; a plain
    bind, as here, is refused by any listener."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT leftovers are no listener
        probe.bind((host, port))


def run(settings: Settings, on_listening: Callable[[], None] = lambda: None,
        app_factory: Callable[[Settings], object] = asgi_app) -> None:
    """Serves until interrupted. ``on_listening`` runs once the port is
    bound, before the workers start: a busy port raises OSError before it."""
    ensure_port_free(settings.host, settings.port)
    server = granian_server(settings)
    server.on_startup(on_listening)
    server.serve(target_loader=lambda _target: app_factory(settings))
