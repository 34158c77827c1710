"""The value attacks, replayed through the real server over every API they
can enter by: dates that do not print as YYYY, decimals a double cannot hold,
integers beyond 64 bits or in other scripts' digits, 100,000-character
texts, and comments beyond what one request may add. Each is a 400 in the
API's own error body; nothing changes and no traceback reaches the log."""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections import Counter

import pytest

from casemgr.api.egain.xml import to_xml
from tests.reliability.figures import record_figure
from tests.rows import snapshot

pytestmark = pytest.mark.slow

FAR_DATE = "9999-12-31T23:59:59-14:00"
CUSTOM_ATTACKS = {
    "decimal 1e400": ("amount", "1e400"),
    "decimal -1e400": ("amount", "-1e400"),
    "decimal of 5,000 digits": ("amount", "1" * 5000),
    "integer 2^63": ("customer_rating", "9223372036854775808"),
    "integer -2^63-1": ("customer_rating", "-9223372036854775809"),
    "integer in Arabic-Indic digits": ("customer_rating", "١٠١٣"),
    "text of 100,000 characters": ("note", "x" * 100_000),
}
EGAIN_CODES = {"400-152", "400-9009"}
CASE_DATA = {"Boolean6534": True, "Decimal6534": 2.2, "Number6534": 2500}
V4_ATTACKS = {
    "decimal 1e400": ("Case6534", "Decimal6534", "1e400"),
    "decimal -1e400": ("Case6534", "Decimal6534", "-1e400"),
    "decimal of 5,000 digits": ("Case6534", "Decimal6534", "1" * 5000),
    "integer 2^63": ("Case6534", "Number6534", "9223372036854775808"),
    "integer -2^63-1": ("Case6534", "Number6534", "-9223372036854775809"),
    "text of 100,000 characters": ("Reclamo", "Linea", json.dumps("5" * 100_000)),
    "101 comments": ("Case6534", "comments", None),
    "a comment of 1,025 characters": ("Case6534", "comments", None),
}
OUTCOMES: Counter = Counter()
REQUESTS: list[str] = []


@pytest.fixture
def server(module_server):
    return module_server


@pytest.fixture
def db(module_db):
    return module_db


def custom(name: str, value: str) -> dict:
    return {"customAttributes": {"customAttribute": [
        {"attribName": name, "attribValues": {"attribValue": [{"value": value}]}}]}}


def v3_token(server) -> str:
    if "v3" not in server.sessions:
        form = urllib.parse.urlencode({"grant_type": "password", "username": "frank", "password": "frank-pass",
                                       "client_id": "crm", "client_secret": "crm-secret"}).encode()
        answer = server.request("POST", "/oauth2/token", form, {"Content-Type": "application/x-www-form-urlencoded"})
        assert answer.status == 200, answer
        server.sessions["v3"] = answer.json()["access_token"]
    return server.sessions["v3"]


def egain_edit(server, api: str, case_id: int, changes: dict, last_modified: str | None = None):
    """One eGain edit: api is v12, v12-xml, v3, v3-xml or v3-closed."""
    current = server.read_case(case_id)["lastModified"]["date"]
    stamp = last_modified or current
    if api.startswith("v12"):
        path, method = "/ws/v12/interaction/case", "PUT"
        headers = {"X-egain-session": server.login()}
        body = {"id": str(case_id), "lastModified": {"date": stamp}, **changes}
    else:
        path, method = "/core/casemgr/v3/case" + ("/closed" if api == "v3-closed" else ""), "PATCH"
        headers = {"Authorization": f"Bearer {v3_token(server)}", "Accept-Language": "en-US"}
        body = {"id": str(case_id), "lastModified": stamp, **changes}
    if api.endswith("xml"):
        data, headers["Content-Type"] = to_xml("case", body), "application/xml"
        headers["Accept"] = "application/xml"
    else:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    return server.request(method, path, data, headers)


def v4_send(server, method: str, path: str, raw_body: bytes):
    credentials = base64.b64encode(b"frank:frank-pass").decode()
    headers = {"Thalamus-Touchpoint": "web", "Thalamus-Token": "web-token", "Authorization": f"Basic {credentials}",
               "Content-Type": "application/json"}
    return server.request(method, path, raw_body, headers)


def v4_body(attack: str) -> bytes:
    category, field, number = V4_ATTACKS[attack]
    if category == "Reclamo":
        return ('{"categoryCode": "Reclamo", "typeCode": "Telefonico", "caseData": {"Linea": %s}}' % number).encode()
    body = {"categoryCode": "Case6534", "typeCode": "Casetype6534"}
    if field == "comments":
        body["comments"] = ([{"description": "a comment"}] * 101 if attack.startswith("101")
                            else [{"description": "x" * 1025}])
        return json.dumps(body).encode()
    body["caseData"] = {**CASE_DATA, field: 0}
    return json.dumps(body).replace(f'"{field}": 0', f'"{field}": {number}').encode()


def record(label: str, answer) -> None:
    REQUESTS.append(label)
    OUTCOMES[answer.status] += 1


@pytest.mark.parametrize("api", ["v12", "v12-xml", "v3", "v3-xml"])
def test_egain_edits_refuse_every_value_attack(server, db, api):
    before = snapshot(db)
    answer = egain_edit(server, api, 1013, {"dueDate": FAR_DATE})
    record(f"{api} dueDate", answer)
    assert answer.status == 400 and answer.json()["code"] == "400-152", answer
    for name, (attribute, value) in CUSTOM_ATTACKS.items():
        answer = egain_edit(server, api, 1013, custom(attribute, value))
        record(f"{api} {name}", answer)
        assert answer.status == 400 and answer.json()["code"] in EGAIN_CODES, (name, answer.status, answer.body[:200])
    assert snapshot(db) == before


def test_the_closed_case_edit_refuses_every_value_attack(server, db):
    before = snapshot(db)
    answer = egain_edit(server, "v3-closed", 1007, custom("region", "south"), last_modified=FAR_DATE)
    record("v3-closed lastModified", answer)
    assert answer.status == 400 and answer.json()["code"] == "400-152", answer
    for name, (attribute, value) in CUSTOM_ATTACKS.items():
        answer = egain_edit(server, "v3-closed", 1007, custom(attribute, value))
        record(f"v3-closed {name}", answer)
        assert answer.status == 400 and answer.json()["code"] in EGAIN_CODES, (name, answer.status, answer.body[:200])
    assert snapshot(db) == before


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_thalamus_update_and_create_refuse_every_value_attack(server, db, method):
    before = snapshot(db)
    for attack, (category, field, _) in V4_ATTACKS.items():
        path = "/api/v4/cases" if method == "POST" else f"/api/v4/cases/{1008 if category == 'Reclamo' else 1013}"
        answer = v4_send(server, method, path, v4_body(attack))
        record(f"v4 {method} {attack}", answer)
        assert answer.status == 400, (attack, answer.status, answer.body[:200])
        assert set(answer.json()["errors"]) & {"caseData.Decimal6534", "caseData.Number6534", "caseData.Linea",
                                               "comments", "comments[0].description"}, answer.json()
    assert snapshot(db) == before


def test_zz_report_value_attacks(server):
    if not OUTCOMES:
        pytest.skip("the value attacks did not run in this session")
    tracebacks = server.log_path.read_text(errors="replace").count("Traceback")
    server_errors = sum(n for status, n in OUTCOMES.items() if status >= 500)
    record_figure("value attacks", f"{len(REQUESTS)} requests over v12 (JSON, XML), v3 (JSON, XML, closed-case "
                                   "edit) and v4 (update, create): "
                                   + ", ".join(f"{s}×{n}" for s, n in sorted(OUTCOMES.items()))
                                   + f"; {server_errors} 5xx, {tracebacks} tracebacks in the log; nothing changed")
    assert server_errors == 0 and tracebacks == 0
