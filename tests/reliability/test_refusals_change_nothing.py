"""Every refusal leaves every case, relation, custom value, comment and history
row as it was. One table of bad requests per API drives it; each row names
the status it must get."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.api.clients import EgainV3Client, EgainV12Client
from tests.api.thalamus_v4_client import TOUCHPOINT, ThalamusV4Client, basic
from tests.reliability.figures import record_figure

STALE = "2015-07-30T13:07:40.000Z"
OVERSIZED = b'{"id": "1013", "subject": "' + b"x" * (1024 * 1024) + b'"}'
SEEN: Counter = Counter()


def v12_rows():
    def edit(changes, **kw):
        return lambda c: c.edit(1013, changes, **kw)

    return {
        "v12 unsupported query parameter": (400, edit({"subject": "x"}, query="?a=1")),
        "v12 unsupported element": (400, edit({"subject": "x", "status": "closed"})),
        "v12 past due date": (400, edit({"dueDate": "2001-01-01T00:00:00Z"})),
        "v12 1025-character subject": (400, edit({"subject": "x" * 1025})),
        "v12 76 links": (400, edit({"relatedCases": {"link": [
            {"rel": "case", "href": f"/ws/v12/interaction/case/{i}"} for i in range(9000, 9076)]}})),
        "v12 closed case": (400, lambda c: c.edit(1007, {"subject": "x"})),
        "v12 missing session": (401, edit({"subject": "x"}, user=None, last_modified=STALE)),
        "v12 no Edit Case action": (403, edit({"subject": "x"}, user="viewer")),
        "v12 other department": (403, lambda c: c.edit(1013, {"subject": "x"}, user="carol", last_modified=STALE)),
        "v12 no pull permission": (403, lambda c: c.edit(1003, {"subject": "x"}, user="grace")),
        "v12 read of missing cases": (404, lambda c: c.read([999998, 999999])),
        "v12 unknown language": (406, edit({"subject": "x"}, **{"Accept-Language": "tlh"})),
        "v12 unacceptable Accept": (406, edit({"subject": "x"}, Accept="text/html")),
        "v12 stale lastModified": (409, edit({"subject": "x"}, last_modified=STALE)),
        "v12 stale If-Match": (412, edit({"subject": "x"}, last_modified=None, **{"If-Match": '"1013-1"'})),
        "v12 body over 1 MiB": (413, lambda c: c.edit_raw(OVERSIZED)),
        "v12 text/plain body": (415, lambda c: c.edit_raw(b"subject=x", content_type="text/plain")),
    }


def v3_rows():
    rows = {name.replace("v12", "v3"): row for name, row in v12_rows().items()}
    rows["v3 missing Accept-Language"] = (406, lambda c: c.edit(1013, {"subject": "x"}, **{"Accept-Language": ""}))
    rows["v3 closed-case edit of an open case"] = (400, lambda c: c.edit(
        1013, c.custom("region", "north"), path="/closed"))
    return rows


def v4_rows():
    good = {"categoryCode": "Case6534", "typeCode": "Casetype6534"}

    def put(body, principal="frank", **headers):
        return lambda c: c.update(1013, body, principal, **headers)

    return {
        "v4 missing categoryCode": (400, put({"typeCode": "Casetype6534"})),
        "v4 unknown status": (400, put({**good, "status": "Nope"})),
        "v4 incomplete caseData": (400, put({**good, "caseData": {"Boolean6534": True}})),
        "v4 system category": (400, put({"categoryCode": "Sistema", "typeCode": "Interno"})),
        "v4 other party's case": (400, put(good, principal="mary@example.com")),
        "v4 operator outside the department": (400, put(good, principal="carol")),
        "v4 unknown touchpoint token": (401, lambda c: c.client.put(
            "/api/v4/cases/1013", json=good, headers={**TOUCHPOINT, "Thalamus-Token": "x", **basic("frank")})),
        "v4 no principal": (401, put(good, principal=None)),
        "v4 stale If-Match": (412, put(good, **{"If-Match": '"1013-1"'})),
        "v4 text/plain body": (415, lambda c: c.client.put(
            "/api/v4/cases/1013", data=b"x", content_type="text/plain",
            headers={**TOUCHPOINT, **basic("frank")})),
    }


ROWS = {**v12_rows(), **v3_rows(), **v4_rows()}
CLIENTS = {"v12": EgainV12Client, "v3": EgainV3Client, "v4": ThalamusV4Client}


@pytest.mark.parametrize("name", list(ROWS))
def test_a_refused_request_changes_nothing(name, client, unchanged):
    status, send = ROWS[name]
    api_client = CLIENTS[name.split()[0]](client)
    response = send(api_client)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    unchanged.check()
    SEEN[(name.split()[0], status)] += 1


def test_zz_report_the_refusal_table():
    """Runs after the table (tests run in file order) and prints what it covered."""
    if not SEEN:
        pytest.skip("the refusal table did not run in this session")
    by_api = {}
    for (api, status), count in sorted(SEEN.items()):
        by_api.setdefault(api, []).append(f"{status}×{count}")
    record_figure("refusals change nothing",
                  f"{sum(SEEN.values())} refused requests, none changed a row: "
                  + "; ".join(f"{api} {' '.join(v)}" for api, v in by_api.items()))
    assert {s for (_, s) in SEEN} >= {400, 401, 403, 404, 406, 409, 412, 413, 415}
