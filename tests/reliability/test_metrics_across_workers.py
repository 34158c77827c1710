"""/metrics adds up every worker of `casemgr serve`: whichever worker
answers a scrape, the counts are those of all the requests served."""

from __future__ import annotations

import http.client

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.reliability.conftest import start_server, stop_server
from tests.reliability.figures import record_figure

pytestmark = pytest.mark.slow


def health_count(server) -> float:
    host, port = server.base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)  # a new connection: any worker may answer
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "casemgr_requests_total" and s.labels.get("operation") == "health.Health":
                return s.value
    return 0.0


def test_metrics_count_the_requests_of_every_worker(db_url, tmp_path):
    server = start_server(db_url, tmp_path, workers=2)
    try:
        before = health_count(server)
        host, port = server.base.removeprefix("http://").split(":")
        for _ in range(100):
            conn = http.client.HTTPConnection(host, int(port), timeout=10)  # spread over both workers
            conn.request("GET", "/health")
            assert conn.getresponse().status == 200
            conn.close()
        scrapes = [health_count(server) for _ in range(10)]
    finally:
        stop_server(server)
    record_figure("metrics", f"100 /health requests over new connections to 2 workers: 10 scrapes read "
                             f"{sorted(set(s - before for s in scrapes))} more")
    assert all(s - before == 100 for s in scrapes)
