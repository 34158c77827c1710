"""Prometheus metrics, correct across the worker processes of `casemgr serve`.

prometheus-client's multiprocess mode: each worker writes its samples to
files in ``PROMETHEUS_MULTIPROC_DIR`` (which ``casemgr serve`` creates before
the workers start, unless the operator names one), and whichever worker
answers ``/metrics`` adds them all up. Without that variable (tests, a single
process) the process's own registry is served.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client import REGISTRY, CONTENT_TYPE_LATEST

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter("casemgr_requests", "Requests answered, by API, operation and status.",
                   ["api", "operation", "status"])
LATENCY = Histogram("casemgr_request_duration_seconds", "Time to answer a request, by API and operation.",
                    ["api", "operation"],
                    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
CONFLICTS = Counter("casemgr_edit_conflicts", "Edits refused as stale: 409 (lastModified) and 412 (If-Match).",
                    ["api", "status"])
CREDENTIAL_FAILURES = Counter("casemgr_credential_failures",
                              "Failed password and client secret checks (a wrong password or an unknown name).")
CREDENTIAL_THROTTLED = Counter("casemgr_credential_throttled",
                               "Credential checks refused with 429 because a failure limit was reached.")
CREDENTIAL_BUSY = Counter("casemgr_password_checks_turned_away",
                          "Password checks turned away (503) because every turn of the process was taken.")
POOL_SIZE = Gauge("casemgr_db_pool_connections", "Database connections the pool holds.",
                  multiprocess_mode="livesum")
POOL_IN_USE = Gauge("casemgr_db_pool_in_use", "Database connections lent to a request.",
                    multiprocess_mode="livesum")
POOL_WAITING = Gauge("casemgr_db_pool_waiting", "Requests waiting for a database connection.",
                     multiprocess_mode="livesum")

WEBHOOK_DELIVERIES = Counter("casemgr_webhook_deliveries",
                             "Webhook delivery attempts by outcome: delivered (a 2xx), retrying (any other answer, "
                             "a timeout or no connection; tried again later), failed (retries ran out).",
                             ["outcome"])
# Every worker reads the same count from the database: the most recent
# reading of a live worker is the value, not their sum.
WEBHOOK_RETRY_BACKLOG = Gauge("casemgr_webhook_retry_backlog",
                              "Webhook deliveries waiting to be tried again after a failed attempt.",
                              multiprocess_mode="livemostrecent")


def exposition() -> tuple[bytes, str]:
    """The metrics of every worker (multiprocess mode), or of this process."""
    if os.environ.get(MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def observe_pool(stats: dict) -> None:
    """psycopg_pool's get_stats(): the pool's size, idle and waiting counts."""
    size = stats.get("pool_size", 0)
    POOL_SIZE.set(size)
    POOL_IN_USE.set(size - stats.get("pool_available", 0))
    POOL_WAITING.set(stats.get("requests_waiting", 0))
