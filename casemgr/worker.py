"""The webhook worker as a process: `casemgr worker`, and the one `casemgr
serve` runs beside the server.

Wires the database, the sealed secrets and HTTP out into
``casemgr.service.delivery.DeliveryWorker`` and runs it until SIGTERM or
SIGINT. `casemgr serve` starts it as a process of its own once the port is
bound (``WorkerProcess``): the server's workers are forked, and a thread of
the main process would be forked with them; a process also stops, and
shows up in ``ps``, on its own. It watches its parent, so it never outlives a
`casemgr serve` that was killed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from casemgr.config import Settings
from casemgr.domain.webhooks import RetryPolicy
from casemgr.service.delivery import DeliveryWorker, WorkerSettings

log = logging.getLogger(__name__)

_PARENT_CHECK_SECONDS = 1.0


def worker_settings(settings: Settings) -> WorkerSettings:
    return WorkerSettings(
        poll_seconds=settings.webhook_poll_seconds,
        lease_seconds=settings.webhook_lease_seconds,
        concurrency=settings.webhook_concurrency,
        retry=RetryPolicy(base_seconds=settings.webhook_retry_base_seconds,
                          window_seconds=settings.webhook_retry_hours * 3600),
        stop_grace_seconds=min(settings.webhook_timeout_seconds, 5.0),
    )


def delivery_worker(settings: Settings, database) -> DeliveryWorker:
    from casemgr.outbound import HttpSender
    from casemgr.service.credentials import CredentialTags
    from casemgr.service.unit_of_work import UnitsOfWork
    from casemgr.service.webhooks import WebhookSecrets

    def load_key() -> bytes:
        with database.unit_of_work(transaction=False) as uow:
            return uow.auth.server_key()

    sender = HttpSender(settings.webhook_timeout_seconds, allow_private_targets=settings.webhook_allow_private_targets,
                        concurrency=settings.webhook_concurrency)
    return DeliveryWorker(UnitsOfWork(database.unit_of_work), WebhookSecrets(CredentialTags(load_key).key), sender,
                          worker_settings(settings))


def run(settings: Settings, parent_pid: int | None = None) -> None:
    """Delivers until SIGTERM or SIGINT (or until ``parent_pid`` is gone)."""
    from casemgr.db.database import Database

    database = Database(settings.database_url, settings)
    database.open()
    try:
        asyncio.run(_serve(delivery_worker(settings, database), settings.pool_size, parent_pid))
    finally:
        database.close()


async def _serve(worker: DeliveryWorker, threads: int, parent_pid: int | None) -> None:
    loop = asyncio.get_running_loop()
    # The database steps run in threads, at most one per pooled connection.
    loop.set_default_executor(ThreadPoolExecutor(max_workers=threads, thread_name_prefix="webhook-db"))
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    watcher = asyncio.create_task(_watch_parent(parent_pid, stop)) if parent_pid else None
    log.info("webhook worker started (pid %d)", os.getpid())
    try:
        await worker.run(stop)
    finally:
        if watcher is not None:
            watcher.cancel()
    log.info("webhook worker stopped (pid %d) after %d delivery attempts", os.getpid(), worker.attempts_made)


async def _watch_parent(parent_pid: int, stop: asyncio.Event) -> None:
    while not stop.is_set():
        if os.getppid() != parent_pid:
            log.warning("webhook worker: the server that started it is gone; stopping")
            stop.set()
            return
        await asyncio.sleep(_PARENT_CHECK_SECONDS)


class WorkerProcess:
    """The worker `casemgr serve` runs: `casemgr worker` in a child process,
    on the server's database, stopped when the server stops."""

    STOP_SECONDS = 15

    def __init__(self, settings: Settings):
        self._settings = settings
        self.process: subprocess.Popen | None = None

    def start(self) -> int:
        env = {**os.environ, "CASEMGR_DATABASE_URL": self._settings.database_url}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "casemgr.cli", "worker", "--parent-pid", str(os.getpid())], env=env)
        return self.process.pid

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=self.STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(self.process.pid)  # its live gauges no longer count
