"""/metrics: what operators scrape, moving with the traffic."""

from __future__ import annotations

import re

from prometheus_client.parser import text_string_to_metric_families


def sample(client, name: str, **labels) -> float:
    """The value of one sample of /metrics (0 when it is not there yet)."""
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.content_type.startswith("text/plain")
    for family in text_string_to_metric_families(answer.get_data(as_text=True)):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


def test_requests_conflicts_and_credential_failures_move_the_metrics(client, v12):
    before = {
        "edits": sample(client, "casemgr_requests_total", api="egain-v12", operation="egain_v12.CaseEdit",
                        status="204"),
        "conflicts": sample(client, "casemgr_edit_conflicts_total", api="egain-v12", status="409"),
        "failures": sample(client, "casemgr_credential_failures_total"),
    }
    current = v12.last_modified(1013)
    # A search that finds nothing is a 204 on the same path: counted as a search, not an edit.
    nothing = client.get("/ws/v12/interaction/case?customer=999999",
                         headers={"X-egain-session": v12.session("frank"), "Accept": "application/json"})
    assert nothing.status_code == 204
    assert sample(client, "casemgr_requests_total", api="egain-v12", operation="egain_v12.CaseSearch",
                  status="204") >= 1
    assert v12.edit(1013, {"subject": "counted"}, last_modified=current).status_code == 204
    assert v12.edit(1013, {"subject": "stale"}, last_modified=current).status_code == 409
    assert v12.login("frank", "wrong").status_code == 401
    assert sample(client, "casemgr_requests_total", api="egain-v12", operation="egain_v12.CaseEdit",
                  status="204") == before["edits"] + 1
    assert sample(client, "casemgr_edit_conflicts_total", api="egain-v12", status="409") == before["conflicts"] + 1
    assert sample(client, "casemgr_credential_failures_total") == before["failures"] + 1
    assert sample(client, "casemgr_request_duration_seconds_count", api="egain-v12",
                  operation="egain_v12.CaseEdit") >= 2
    assert sample(client, "casemgr_db_pool_connections") >= 1


def test_throttled_checks_are_counted(client):
    before = sample(client, "casemgr_credential_throttled_total")
    for _ in range(11):
        client.post("/ws/v12/authentication/user/login", json={"userName": "alice", "password": "wrong"})
    assert sample(client, "casemgr_credential_throttled_total") == before + 1


def test_metrics_are_not_an_api_operation(client):
    spec = client.get("/openapi.json").get_json()
    assert not any(re.search(r"metrics", path) for path in spec["paths"])
