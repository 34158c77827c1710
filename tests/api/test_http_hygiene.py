"""The headers every answer carries, through all three APIs and the app's own
pages: nosniff everywhere, no-store on everything but the public documents,
no Content-Type on a 204, the explorer's Content-Security-Policy, no
redirect that names the Host a request came with, and Server: casemgr (no
product or version of the stack), also from the real server; and a request
body with a content coding refused, never read as plain."""

from __future__ import annotations

import http.client
import re
from urllib.parse import urlsplit

import pytest

from tests.api.clients import EgainV3Client, EgainV12Client, EgainV12XmlClient, egain_body
from tests.api.thalamus_v4_client import TOUCHPOINT, ThalamusV4Client
from tests.live_server import serve

V4_CASE = {"categoryCode": "Case6534", "typeCode": "Casetype6534", "status": "Open",
           "caseData": {"Boolean6534": True, "Decimal6534": 2.2, "Number6534": 2500}}
HOSTILE_HOST = "evil.example"


def tour(client) -> list[tuple[str, object]]:
    """One answer of each kind: logins, tokens and signins, every case read,
    edit, close and create, their refusals, routing errors, and the app's own
    pages. Each is named for the failure messages."""
    v12, v12_xml, v3, v4 = EgainV12Client(client), EgainV12XmlClient(client), EgainV3Client(client), ThalamusV4Client(client)
    v12_session = v12.session("frank")
    v12_stale = v12.last_modified(1013)
    answers = [
        ("v12 login", v12.login("frank")),
        ("v12 refused login", v12.login("frank", "wrong")),
        ("v12 read", v12.read(1013)),
        ("v12 read, XML", v12_xml.read(1013).response),
        ("v12 read, several", v12.read([1001, 1013])),
        ("v12 read, nothing found", v12.read(1006)),
        ("v12 edit", v12.edit(1013, {"subject": "Hygiene"})),
        ("v12 stale edit", v12.edit(1013, {"subject": "Stale"}, last_modified=v12_stale)),
        ("v12 edit, no session", v12.edit(1013, {"subject": "x"}, user=None, last_modified=None)),
        ("v12 close", v12.close(1002)),
        ("v12 custom attributes", client.get("/ws/v12/interaction/case/attributes?$attribute=custom",
                                             headers={"X-egain-session": v12_session})),
        ("v12 unknown path", client.get("/ws/v12/nothing")),
        ("v12 wrong method", client.delete("/ws/v12/interaction/case")),
        ("v12 logout", client.delete("/ws/v12/authentication/user/logout", headers={"X-egain-session": v12_session})),
        ("oauth token", v3.token("frank")),
        ("oauth refused token", v3.token("frank", "wrong")),
        ("v3 read", v3.read(1013)),
        ("v3 edit", v3.edit(1013, {"subject": "Hygiene v3"})),
        ("v3 edit, no token", v3.edit(1013, {"subject": "x"}, user=None, last_modified=None)),
        ("v3 close", v3.close(1003)),
        ("v3 closed-case edit", v3.edit(1007, v3.custom("region", "south"), path="/closed")),
        ("v3 unknown case", v3.read(999999)),
        ("v4 signin", v4.signin("frank")),
        ("v4 refused signin", v4.signin("frank", "wrong")),
        ("v4 read", v4.read(1013)),
        ("v4 update", v4.update(1013, V4_CASE)),
        ("v4 create", v4.create(V4_CASE)),
        ("v4 categories", client.get("/api/v4/cases/typecategory", headers=TOUCHPOINT)),
        ("v4 unknown case", v4.read(999999)),
        ("v4 no login", v4.read(1013, principal=None)),
        ("v4 logout", v4.logout()),
        ("health", client.get("/health")),
        ("readiness", client.get("/health/ready")),
        ("wrong method", client.delete("/health")),
        ("unknown path", client.get("/nothing")),
        ("root", client.get("/")),
        ("explorer", client.get("/explorer")),
        ("explorer script", client.get("/explorer/explorer.js")),
        ("explorer asset", client.get("/explorer/assets/swagger-ui.css")),
        ("unknown explorer asset", client.get("/explorer/assets/nothing-here.js")),
        ("spec", client.get("/openapi.json")),
    ]
    for name, response in answers:
        assert response.status_code < 500, f"{name}: {response.status_code} {response.get_data(as_text=True)}"
    return answers


@pytest.fixture
def answers(client):
    return tour(client)


PUBLIC_DOCUMENTS = {
    "explorer script": "public, max-age=3600",
    "explorer asset": "public, max-age=3600",
    "spec": "no-cache",
}


def test_every_answer_tells_the_browser_not_to_guess_its_type(answers):
    missing = [name for name, response in answers if response.headers.get("X-Content-Type-Options") != "nosniff"]
    assert missing == []


def test_every_answer_names_the_service_and_no_product_or_version_under_it(answers):
    wrong = [(name, response.headers.getlist("Server")) for name, response in answers
             if response.headers.getlist("Server") != ["casemgr"]]
    assert wrong == []


def test_no_answer_but_the_public_documents_may_be_stored(answers):
    wrong = [(name, response.headers.get("Cache-Control")) for name, response in answers
             if response.headers.get("Cache-Control") != PUBLIC_DOCUMENTS.get(name, "no-store")]
    assert wrong == []


def test_the_answers_that_carry_a_credential_are_never_stored(answers):
    by_name = dict(answers)
    credentials = {
        "v12 login": by_name["v12 login"].headers["X-egain-session"],
        "oauth token": by_name["oauth token"].get_json()["access_token"],
        "v4 signin": by_name["v4 signin"].headers["Set-Cookie"],
    }
    for name, credential in credentials.items():
        assert credential, name
        assert by_name[name].headers["Cache-Control"] == "no-store", name
    assert by_name["oauth token"].headers["Pragma"] == "no-cache"  # RFC 6749 section 5.1 asks for it too


def test_a_204_has_neither_body_nor_content_type(answers):
    no_content = {name: response for name, response in answers if response.status_code == 204}
    assert {"v12 login", "v12 edit", "v12 close", "v12 logout", "v3 edit", "v3 close", "v4 logout"} <= set(no_content)
    for name, response in no_content.items():
        assert "Content-Type" not in response.headers, name
        assert "Content-Length" not in response.headers, name
        assert response.get_data() == b"", name


def test_a_204_with_no_custom_attributes_has_no_content_type_either(v12, db):
    db.execute("DELETE FROM custom_field WHERE case_type_id IS NULL")
    response = v12.client.get("/ws/v12/interaction/case/attributes?$attribute=custom", headers=v12.headers("frank"))
    assert response.status_code == 204
    assert "Content-Type" not in response.headers
    assert response.get_data() == b""


# -- the explorer page ---------------------------------------------------------

def test_the_explorer_allows_only_its_own_origin_and_no_frame(client):
    response = client.get("/explorer")
    policy = dict(directive.strip().split(" ", 1) for directive in response.headers["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_explorer_page_runs_no_inline_script(client):
    page = client.get("/explorer").get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert any('type="application/json"' in attributes for attributes, _ in scripts)
    for attributes, text in scripts:
        if "src=" in attributes:
            assert text.strip() == "", attributes
        else:
            assert 'type="application/json"' in attributes, attributes  # data, never run
    assert not re.search(r"\son[a-z]+=", page), "an inline event handler"


# -- redirects and the Host header --------------------------------------------

def send(client, method: str, path: str, **kwargs):
    """``path`` exactly as a request line carries it, with a hostile Host (the
    test client would read a leading // as the start of a host name)."""
    return client.open("/", method=method, environ_overrides={"PATH_INFO": path, "HTTP_HOST": HOSTILE_HOST},
                       **kwargs)


def test_the_root_redirect_is_a_path_whatever_the_host(client):
    response = send(client, "GET", "/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/explorer"


@pytest.mark.parametrize("path", [
    "//ws/v12//interaction/case/1013", "/system/ws/v12//interaction/case/1013", "/core/casemgr/v3//case/1013"])
def test_a_doubled_slash_on_egain_is_that_apis_404_not_a_redirect(client, path):
    response = send(client, "GET", path)
    assert response.status_code == 404
    assert "Location" not in response.headers
    # v12 (and its /system twin) answers XML to a request without Accept, v3 JSON
    assert response.mimetype == ("application/json" if "/v3/" in path else "application/xml")
    assert egain_body(response)["code"] == "404-9002"
    assert "developerMessage" in egain_body(response)


def test_a_doubled_slash_on_thalamus_is_its_404_not_a_redirect(client):
    response = send(client, "PUT", "//api/v4//cases/1013", json=V4_CASE, headers=TOUCHPOINT)
    assert response.status_code == 404
    assert "Location" not in response.headers
    assert response.get_json()["errors"]["path"] == "NotFound"


def test_an_empty_path_is_not_a_redirect_to_the_host(client):
    response = send(client, "GET", "")
    assert response.status_code == 404
    assert "Location" not in response.headers


def concrete_paths(app) -> list[tuple[str, str]]:
    """Each route of the app with every variable part filled in, and a method it answers."""
    paths = []
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<[^>]+>", "1013", rule.rule)
        method = next(m for m in ("GET", "PUT", "PATCH", "POST", "DELETE") if m in rule.methods)
        paths.append((method, path))
    return paths


def test_no_route_answers_with_the_host_of_the_request_however_its_path_is_spelled(app, client):
    """Doubled slashes, a trailing slash, a doubled leading slash: no answer
    is a redirect, or names the Host the request came with; only / (a leading
    slash doubled or not) leads to the explorer."""
    sent = 0
    for method, path in concrete_paths(app):
        for spelled in {path, path.replace("/", "//"), f"{path.rstrip('/')}/", f"/{path}"}:
            response = send(client, method, spelled)
            sent += 1
            assert HOSTILE_HOST not in str(response.headers), (method, spelled)
            assert HOSTILE_HOST.encode() not in response.get_data(), (method, spelled)
            redirects = 300 <= response.status_code < 400
            to_explorer = spelled in ("/", "//") and response.headers.get("Location") == "/explorer"
            assert not redirects or to_explorer, (
                method, spelled, response.status_code)
    assert sent > 60


def test_a_real_request_line_with_doubled_slashes_gets_no_redirect(app):
    """The request of the finding, over a socket: no test client in between."""
    with serve(app) as base_url:
        connection = http.client.HTTPConnection(urlsplit(base_url).netloc, timeout=10)
        connection.putrequest("GET", "//ws/v12//interaction/case/1001", skip_host=True)
        connection.putheader("Host", HOSTILE_HOST)
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
        connection.close()
    assert response.status == 404
    assert response.getheader("Location") is None
    assert b"<code>404-9002</code>" in body


# -- request bodies with a content coding ----------------------------------------

V4_UPDATE_BODY = {"categoryCode": "Case6534", "typeCode": "Casetype6534", "subject": "compressed"}


def encoded_requests(client) -> dict:
    """Each kind of body the service reads: (method, path, headers, body, form)."""
    v12, v3, v4 = EgainV12Client(client), EgainV3Client(client), ThalamusV4Client(client)
    edit = {"id": "1013", "lastModified": {"date": v12.last_modified(1013)}, "subject": "compressed"}
    return {
        "v12 edit": ("PUT", "/ws/v12/interaction/case", v12.headers("frank"), edit, False),
        "v12 login": ("POST", "/ws/v12/authentication/user/login", v12.headers(None),
                      {"userName": "frank", "password": "frank-pass"}, False),
        "v3 edit": ("PATCH", "/core/casemgr/v3/case", v3.headers("frank"),
                    {"id": "1013", "lastModified": v3.last_modified(1013), "subject": "compressed"}, False),
        "v3 webhook": ("POST", "/core/casemgr/v3/webhooks", v3.headers("client"),
                       {"url": "https://example.com/hook"}, False),
        "v4 update": ("PUT", "/api/v4/cases/1013", v4.headers("frank"), V4_UPDATE_BODY, False),
        "v4 signin": ("POST", "/api/v4/signin", v4.headers(None), {"principal": "frank", "password": "frank-pass"},
                      False),
        "oauth token": ("POST", "/oauth2/token", {}, {"grant_type": "client_credentials", "client_id": "crm",
                                                      "client_secret": "crm-secret"}, True),
        "oauth revoke": ("POST", "/oauth2/revoke", {}, {"token": v3.session("frank"), "client_id": "crm",
                                                        "client_secret": "crm-secret"}, True),
    }


def encoded(body: dict, form: bool, coding: str) -> bytes:
    import gzip
    import json
    import zlib
    from urllib.parse import urlencode

    raw = urlencode(body).encode() if form else json.dumps(body).encode()
    return {"gzip": gzip.compress, "deflate": zlib.compress}.get(coding.split(",")[0].strip(), lambda b: b)(raw)


@pytest.mark.parametrize("coding", ["gzip", "br", "deflate", "gzip, identity", "GZIP"])
def test_a_body_with_a_content_coding_is_415_on_every_api_and_changes_nothing(client, db, unchanged, coding):
    """RFC 9110 section 15.5.16: 415, and Accept-Encoding says what a body
    may be sent as. The service does not decode a compressed body (a few
    kilobytes of gzip can inflate to gigabytes)."""
    requests = encoded_requests(client)
    sessions = db.execute("SELECT count(*) FROM auth_session").fetchone()[0]
    tokens = db.execute("SELECT count(*) FROM oauth_token").fetchone()[0]
    for name, (method, path, headers, body, form) in requests.items():
        content_type = "application/x-www-form-urlencoded" if form else "application/json"
        response = client.open(path, method=method, data=encoded(body, form, coding), content_type=content_type,
                               headers={**headers, "Content-Encoding": coding})
        assert response.status_code == 415, (name, response.get_data(as_text=True))
        assert response.headers["Accept-Encoding"] == "identity", name
        answer = response.get_json()
        if name.startswith("oauth"):
            assert answer["error"] == "invalid_request", name
            assert "Content-Encoding" in answer["error_description"], name
        elif name.startswith("v4"):
            assert answer["errors"]["contentEncoding"] == "Unsupported", name
        else:
            assert answer["code"] == "415-9002", name
            assert answer["developerMessage"] == (
                f"Content-Encoding '{coding.lower().split(',')[0]}' is not supported; send the body uncompressed "
                "(identity)."), name
    unchanged.check()
    assert db.execute("SELECT count(*) FROM webhook_subscription").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM auth_session").fetchone()[0] == sessions  # no login or signin took
    assert db.execute("SELECT count(*) FROM oauth_token").fetchone()[0] == tokens  # none issued, none revoked


def test_a_body_labelled_identity_is_read_as_it_is(v12):
    response = v12.edit(1013, {"subject": "plain"}, **{"Content-Encoding": "identity"})
    assert response.status_code == 204


def test_a_dead_session_is_401_before_a_content_coding_is_judged(client):
    response = client.put("/ws/v12/interaction/case", data=encoded({"id": "1013"}, False, "gzip"),
                          content_type="application/json",
                          headers={"Content-Encoding": "gzip", "Accept": "application/json",
                                   "X-egain-session": "made-up.AAAAAAAAAAAAAAAAAAAAAA"})
    assert response.status_code == 401


# -- the real server --------------------------------------------------------------

@pytest.mark.slow
def test_the_real_server_says_server_casemgr_once_on_every_answer(db_url, tmp_path):
    """granian adds server: granian to an answer without a Server header;
    the app's own is kept, alone. Edge refusals and error pages too."""
    from tests.reliability.conftest import start_server, stop_server

    server = start_server(db_url, tmp_path)
    try:
        session = server.login()
        answers = {
            "health": server.request("GET", "/health"),
            "v12 read": server.request("GET", "/ws/v12/interaction/case/1013", headers={"X-egain-session": session}),
            "unknown path": server.request("GET", "/nothing"),
            "401": server.request("GET", "/api/v4/cases/1013", headers=TOUCHPOINT),
            "edge 413": server.request("PUT", "/ws/v12/interaction/case", b"x" * (1024 * 1024 + 1),
                                       {"X-egain-session": session, "Content-Type": "application/json"}),
            "415 coding": server.request("PUT", "/ws/v12/interaction/case", b"\x1f\x8b",
                                         {"X-egain-session": session, "Content-Type": "application/json",
                                          "Content-Encoding": "gzip", "Accept": "application/json"}),
            "token": server.request("POST", "/oauth2/token", b"grant_type=client_credentials",
                                    {"Content-Type": "application/x-www-form-urlencoded",
                                     "Authorization": "Basic Y3JtOmNybS1zZWNyZXQ="}),
            "explorer": server.request("GET", "/explorer"),
        }
    finally:
        stop_server(server)
    assert answers["edge 413"].status == 413 and answers["415 coding"].status == 415
    assert answers["415 coding"].json()["code"] == "415-9002"
    wrong = {name: answer.headers.getlist("Server") for name, answer in answers.items()
             if answer.headers.getlist("Server") != ["casemgr"]}
    assert wrong == {}


def test_the_edge_answers_500_with_its_own_server_header_when_the_app_raises():
    """The one answer the edge writes by itself."""
    import asyncio

    from casemgr.edge import BufferedWsgiBridge

    def broken_app(environ, start_response):
        raise RuntimeError("boom")

    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/health", "headers": [], "query_string": b""}
    asyncio.run(BufferedWsgiBridge(broken_app)(scope, receive, send))
    start, body = sent
    assert start["status"] == 500
    assert (b"server", b"casemgr") in start["headers"]
    assert body["body"] == b'{"code": "500-100", "message": "System unable to process the request."}'
