"""Hostile bodies get a 4xx, never a 5xx, and change nothing: through the
real server (`casemgr serve`), since chunked framing and size limits live
there."""

from __future__ import annotations

import http.client
import json
import socket
from collections import Counter

import pytest

from tests.reliability.figures import record_figure

pytestmark = pytest.mark.slow

MIB = 1024 * 1024
OUTCOMES: Counter = Counter()


def deep_json(levels: int) -> bytes:
    return b'{"id": "1013", "subject": ' + b"[" * levels + b"]" * levels + b"}"


def edit_body(**extra) -> dict:
    return {"id": "1013", "lastModified": {"date": "2015-01-01T00:00:00Z"}, **extra}


HOSTILE_V12 = {
    "oversized": json.dumps(edit_body(subject="x" * (MIB + 10))).encode(),
    "deep JSON nesting (100,000)": deep_json(100_000),
    "invalid UTF-8": b'{"id": "1013", "subject": "\xff\xfe\xfd"}',
    "huge number": b'{"id": ' + b"9" * 5000 + b"}",
    "huge number as id text": json.dumps(edit_body(id="9" * 400)).encode(),
    "float overflow": b'{"id": "1013", "subject": 1e999999}',
    "NUL in a string": json.dumps(edit_body(subject="nul\u0000byte")).encode(),
    "NUL in a key": json.dumps({"id": "1013", "sub\u0000ject": "x"}).encode(),
    "NUL in a custom attribute": json.dumps(edit_body(customAttributes={"customAttribute": [
        {"attribName": "note", "attribValues": {"attribValue": [{"value": "a\u0000b"}]}}]})).encode(),
    "lone surrogate": b'{"id": "1013", "subject": "\\ud800"}',
    "NUL in the login": None,  # sent to the login endpoint below
}


def send(server, method, path, body: bytes, headers: dict, chunked: bool = False):
    host, port = server.base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        if chunked:
            conn.putrequest(method, path)
            for name, value in headers.items():
                conn.putheader(name, value)
            conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            for start in range(0, len(body), 65536):
                piece = body[start:start + 65536]
                conn.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            conn.send(b"0\r\n\r\n")
        else:
            conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    except (ConnectionResetError, BrokenPipeError):
        return None, b""
    finally:
        conn.close()


@pytest.fixture
def server(module_server):
    return module_server


@pytest.fixture
def db(module_db):
    return module_db


@pytest.mark.parametrize("name", [n for n, b in HOSTILE_V12.items() if b is not None])
def test_a_hostile_v12_body_gets_a_4xx(server, db, name):
    from tests.rows import snapshot

    before = snapshot(db)
    headers = {"X-egain-session": server.login(), "Content-Type": "application/json"}
    status, body = send(server, "PUT", "/ws/v12/interaction/case", HOSTILE_V12[name], headers)
    OUTCOMES[status] += 1
    assert status is not None and 400 <= status < 500, (status, body[:300])
    assert snapshot(db) == before


def test_a_chunked_body_over_one_mib_gets_413(server, db):
    from tests.rows import snapshot

    before = snapshot(db)
    headers = {"X-egain-session": server.login(), "Content-Type": "application/json"}
    status, body = send(server, "PUT", "/ws/v12/interaction/case", HOSTILE_V12["oversized"], headers, chunked=True)
    OUTCOMES[status] += 1
    assert status == 413, (status, body[:300])
    assert snapshot(db) == before


@pytest.mark.parametrize("path, body, headers", [
    ("/ws/v12/authentication/user/login", json.dumps({"userName": "fr\u0000ank", "password": "x"}).encode(), {}),
    ("/api/v4/signin?touchpoint=web&token=web-token",
     json.dumps({"principal": "fr\u0000ank", "password": "x"}).encode(), {}),
    ("/api/v4/cases/1013?touchpoint=we%00b&token=web-token", b"{}", {}),
    ("/oauth2/token", b"grant_type=password&username=fr%00ank&password=x&client_id=crm&client_secret=crm-secret",
     {"Content-Type": "application/x-www-form-urlencoded"}),
], ids=["v12-login", "v4-signin", "v4-touchpoint-query", "oauth-token"])
def test_nul_bytes_in_logins_and_credentials_get_a_4xx(server, path, body, headers):
    headers = {"Content-Type": "application/json", **headers}
    method = "PUT" if "/cases/" in path else "POST"
    status, answer = send(server, method, path, body, headers)
    OUTCOMES[status] += 1
    assert status is not None and 400 <= status < 500, (status, answer[:300])


def test_v4_hostile_case_data_gets_a_4xx(server, db):
    from tests.rows import snapshot
    from tests.api.thalamus_v4_client import TOUCHPOINT, basic

    before = snapshot(db)
    headers = {**TOUCHPOINT, **basic("frank"), "Content-Type": "application/json"}
    bodies = [
        {"categoryCode": "Case6534", "typeCode": "Casetype6534",
         "caseData": {"Boolean6534": True, "Decimal6534": 1e308, "Number6534": 10 ** 30}},
        {"categoryCode": "Case6534", "typeCode": "Casetype6534", "comments": [{"description": "a\u0000b"}]},
        {"categoryCode": "Reclamo", "typeCode": "Telefonico", "caseData": {"Linea": "nul\u0000"}},
        {"categoryCode": "Ca\u0000se6534", "typeCode": "Casetype6534"},
    ]
    for body in bodies:
        status, answer = send(server, "PUT", "/api/v4/cases/1013", json.dumps(body).encode(), headers)
        OUTCOMES[status] += 1
        assert status is not None and 400 <= status < 500, (status, answer[:300])
    assert snapshot(db) == before


# Chunked framings a server cannot read a body from (RFC 9112 section 7.1).
BROKEN_CHUNKS = {
    "non-hex chunk size": b"zz\r\nabc\r\n0\r\n\r\n",
    "negative chunk size": b"-5\r\nabcde\r\n0\r\n\r\n",
    "bad chunk terminator": b"3\r\nabcXX0\r\n\r\n",
    "EOF inside a chunk": b"10\r\nabc",
    "9,000-byte size line": b"1" + b"0" * 9000 + b"\r\nabc\r\n0\r\n\r\n",
}


@pytest.mark.parametrize("path", ["/ws/v12/authentication/user/login", "/api/v4/signin?touchpoint=web&token=web-token",
                                  "/core/casemgr/v3/case"])
@pytest.mark.parametrize("name", list(BROKEN_CHUNKS))
def test_broken_chunked_framing_gets_400_in_the_apis_error_body(server, db, path, name):
    from tests.rows import snapshot

    before = snapshot(db)
    host, port = server.base.removeprefix("http://").split(":")
    method = "PATCH" if "/v3/" in path else "POST"
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                     "Accept: application/json\r\nAccept-Language: en-US\r\nTransfer-Encoding: chunked\r\n\r\n"
                     .encode() + BROKEN_CHUNKS[name])
        if name == "EOF inside a chunk":
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    OUTCOMES[status] += 1
    body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert status == 400, answer[:300]
    if path.startswith("/api/v4/"):
        assert body["errors"] == {"body": "InvalidJson", "execution.body": body["errors"]["execution.body"]}
    else:
        assert body["code"] == "400-9002"
    assert snapshot(db) == before


def test_zz_report_hostile_bodies():
    if not OUTCOMES:
        pytest.skip("the hostile bodies did not run in this session")
    server_errors = sum(n for s, n in OUTCOMES.items() if s is None or s >= 500)
    record_figure("hostile bodies", f"{sum(OUTCOMES.values())} hostile requests through casemgr serve: "
                                    + ", ".join(f"{s}×{n}" for s, n in sorted(OUTCOMES.items(), key=str))
                                    + f"; {server_errors} 5xx or dropped")
