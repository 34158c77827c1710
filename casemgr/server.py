"""The production server: gunicorn, embedded.

Each worker builds its own app (and so its own connection pool) after the
fork; threads let one worker serve several requests while others wait on
Postgres.
"""

from __future__ import annotations

from gunicorn.app.base import BaseApplication

from casemgr.config import Settings

THREADS_PER_WORKER = 4


class CasemgrServer(BaseApplication):
    def __init__(self, settings: Settings):
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        options = {
            "bind": f"{self.settings.host}:{self.settings.port}",
            "workers": self.settings.workers,
            "worker_class": "gthread",
            "threads": THREADS_PER_WORKER,
            "accesslog": None,  # casemgr.api.logging writes one redacted line per request
            "timeout": 30,
            "graceful_timeout": 10,
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self):
        from casemgr import create_app

        return create_app(self.settings.with_overrides(pool_size=max(self.settings.pool_size, THREADS_PER_WORKER)))


def run(settings: Settings) -> None:
    CasemgrServer(settings).run()
