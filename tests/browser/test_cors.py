"""CORS in a real browser: a page served from another origin (another port
of 127.0.0.1) logs in to v12 and reads a case, as a browser client of eGain
does. It works when CASEMGR_CORS_ORIGINS names the page's origin, and the
browser blocks it when CORS is off."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import pytest

from casemgr.config import Settings
from tests.live_server import running, serve

pytestmark = pytest.mark.slow

LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
PAGE = b"<!doctype html><html><head><title>A CRM page</title></head><body>CRM</body></html>"

# What the page runs: a v12 login, then a read with the session it got.
LOGIN_AND_READ = """async (base) => {
    try {
        const login = await fetch(base + "/ws/v12/authentication/user/login", {
            method: "POST", body: JSON.stringify({userName: "frank", password: "frank-pass"}),
            headers: {"Content-Type": "application/json", "Accept": "application/json"}});
        const session = login.headers.get("X-egain-session");
        const read = await fetch(base + "/ws/v12/interaction/case/1013", {
            headers: {"X-egain-session": session, "Accept": "application/json"}});
        const body = await read.json();
        return {login: login.status, session: session !== null, read: read.status,
                etag: read.headers.get("ETag"), subject: body.case[0].subject};
    } catch (error) {
        return {blocked: String(error)};
    }
}"""


class _PageHandler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args):
        pass


@contextmanager
def page_server() -> Iterator[str]:
    """The CRM page's own origin: another port of 127.0.0.1."""
    with running(ThreadingHTTPServer(("127.0.0.1", 0), _PageHandler), name="page-server") as url:
        yield url


@contextmanager
def api_server(db_url: str, cors_origins: str) -> Iterator[tuple[str, list]]:
    """The app on a port of its own; yields its URL and the methods it was sent."""
    from casemgr import create_app

    app = create_app(Settings(database_url=db_url, pool_size=2, cors_origins=cors_origins))
    methods: list[str] = []
    inner = app.wsgi_app

    def recording(environ, start_response):
        methods.append(environ["REQUEST_METHOD"])
        return inner(environ, start_response)

    app.wsgi_app = recording
    try:
        with serve(app) as url:
            yield url, methods
    finally:
        app.extensions["casemgr.database"].close()


@pytest.fixture
def confined_page(browser):
    """A page whose requests cannot leave this machine: every one that is not
    for 127.0.0.1 goes to a proxy that does not exist, as if offline.
    (Not Playwright's request interception, which answers CORS preflights
    itself: the API would never see them.)"""
    context = browser.new_context(proxy={"server": f"http://127.0.0.1:{_closed_port()}",
                                         "bypass": ",".join(sorted(LOCAL_HOSTS))})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the probe is


def test_a_page_of_an_allowed_origin_logs_in_and_reads_a_case(confined_page, db_url):
    with page_server() as origin, api_server(db_url, cors_origins=origin) as (api, methods):
        confined_page.goto(origin)
        outcome = confined_page.evaluate(LOGIN_AND_READ, api)
    assert outcome == {"login": 204, "session": True, "read": 200, "etag": outcome["etag"],
                       "subject": "Phone does not charge"}
    assert outcome["etag"].startswith('"1013-')
    # The browser asked first (its JSON login and its session header are not
    # "simple"), and the preflights carried no credential.
    assert methods.count("OPTIONS") >= 2


def test_the_browser_blocks_the_page_when_cors_is_off(confined_page, db_url):
    with page_server() as origin, api_server(db_url, cors_origins="") as (api, methods):
        confined_page.goto(origin)
        outcome = confined_page.evaluate(LOGIN_AND_READ, api)
    assert "blocked" in outcome, outcome
    assert "Failed to fetch" in outcome["blocked"]
    assert methods == ["OPTIONS"]  # the preflight was refused: the login never reached the API


def test_a_page_of_another_origin_is_blocked_with_cors_on(confined_page, db_url):
    with page_server() as origin, api_server(db_url, cors_origins="http://127.0.0.1:1") as (api, methods):
        confined_page.goto(origin)
        outcome = confined_page.evaluate(LOGIN_AND_READ, api)
    assert "blocked" in outcome, outcome
    assert methods == ["OPTIONS"]


def test_the_page_cannot_leave_this_machine(confined_page):
    with page_server() as origin:
        confined_page.goto(origin)
        outcome = confined_page.evaluate("""async () => {
            try { await fetch("http://example.com/", {mode: "no-cors"}); return "reached"; }
            catch (error) { return String(error); } }""")
    assert outcome != "reached"
