"""The app on a real port, for tests that need a real HTTP client (a browser,
schemathesis): werkzeug's threaded server in a daemon thread, on 127.0.0.1
only, stopped when the test ends."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import make_server


@contextmanager
def serve(app) -> Iterator[str]:
    """Serves ``app`` on a free port of 127.0.0.1; yields its base URL."""
    with running(make_server("127.0.0.1", 0, app, threaded=True)) as url:
        yield url


@contextmanager
def running(server, name: str = "live-server") -> Iterator[str]:
    """Runs a socketserver-style ``server`` (bound to 127.0.0.1) in a daemon
    thread; yields its base URL; shuts it down when the block ends."""
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
