"""The API explorer in a real browser: a user logs in through it, authorizes,
and edits a case; the page needs nothing but the app itself."""

from __future__ import annotations

import json
import re
import urllib.request
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.slow

LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
# Swagger UI names each operation's block after its tag and operationId.
LOGIN = "#operations-egain_v12-login"
EDIT = "#operations-egain_v12-editCase"


@pytest.fixture
def offline_page(page):
    """The page with every request recorded, and any that would leave this
    machine refused, as if the network were cut off."""
    page.requests = []
    page.refused = []

    def route(route):
        url = route.request.url
        page.requests.append(url)
        if urlsplit(url).hostname in LOCAL_HOSTS or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            page.refused.append(url)
            route.abort("internetdisconnected")

    page.route("**/*", route)
    page.console = []
    page.on("console", lambda message: page.console.append(f"{message.type}: {message.text}"))
    return page


def csp_violations(page) -> list[str]:
    """What Chromium reported in the console about the page's Content-Security-Policy."""
    return [line for line in page.console if "Content Security Policy" in line]


def open_operation(page, selector: str):
    operation = page.locator(selector)
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    return operation


def execute(operation, body: str | None = None):
    """Runs the operation with ``body``; returns the answer's table row."""
    if body is not None:
        operation.locator("textarea.body-param__text").fill(body)
    operation.get_by_role("button", name="Execute").click()
    row = operation.locator(".live-responses-table tbody tr.response").first
    row.wait_for()
    return row


def authorize(page, scheme: str, value: str) -> None:
    page.locator(".auth-wrapper .authorize").click()
    dialog = page.locator(".modal-ux")
    box = dialog.locator(".auth-container", has=page.locator("h4", has_text=scheme))
    box.locator("input").fill(value)
    box.locator("button.authorize").click()
    dialog.locator(".close-modal").click()


def read_last_modified(base_url: str, session: str, case_id: int) -> str:
    request = urllib.request.Request(f"{base_url}/ws/v12/interaction/case/{case_id}",
                                     headers={"X-egain-session": session, "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["case"][0]["lastModified"]["date"]


def test_a_user_logs_in_and_edits_a_case_through_the_explorer_with_no_network(offline_page, base_url):
    page = offline_page
    page.goto(f"{base_url}/")  # / leads to the explorer
    assert urlsplit(page.url).path == "/explorer"
    page.locator(LOGIN).wait_for()

    # Log in with the example body (frank / frank-pass); the session comes back in a header.
    login = open_operation(page, LOGIN)
    answer = execute(login)
    assert answer.locator(".response-col_status").inner_text().strip() == "204"
    session = re.search(r"x-egain-session:\s*(\S+)", answer.inner_text()).group(1)
    authorize(page, "egainSession", session)

    current = read_last_modified(base_url, session, 1013)
    edit = open_operation(page, EDIT)
    answer = execute(edit, json.dumps({"id": "1013", "lastModified": {"date": current},
                                       "subject": "Edited through the explorer"}))
    status = answer.locator(".response-col_status")
    assert status.inner_text().strip() == "204"
    assert re.search(r"etag:\s*\"1013-\d+\"", answer.inner_text())

    # The same lastModified is stale now: 409, with the current one in details.
    execute(edit, json.dumps({"id": "1013", "lastModified": {"date": current}, "subject": "Stale"}))
    page.wait_for_function(
        "selector => document.querySelector(selector)?.innerText.trim() === '409'",
        arg=f"{EDIT} .live-responses-table tbody tr.response .response-col_status",
    )
    assert "409-100" in answer.inner_text()
    newer = read_last_modified(base_url, session, 1013)
    assert newer != current

    assert csp_violations(page) == [], page.console
    assert page.refused == [], f"the explorer tried to leave this machine: {page.refused}"
    assert all(urlsplit(url).hostname in LOCAL_HOSTS for url in page.requests if url.startswith("http"))
    assert any(url.endswith("/explorer/assets/swagger-ui-bundle.js") for url in page.requests)


def test_the_explorer_refuses_an_inline_script(offline_page, base_url):
    """The policy is in force, with the page working under it, and a
    violation is seen in the console."""
    page = offline_page
    page.goto(f"{base_url}/explorer")
    page.locator(LOGIN).wait_for()
    page.locator("section.models h4").click()  # the schemas, rendered under the policy too
    # An object schema (the first one listed may be a plain string, with no properties to show).
    error_model = page.locator("section.models #model-EgainError")
    error_model.locator(".model-box-control").first.click()
    error_model.locator("tr.property-row").first.wait_for()
    assert csp_violations(page) == [], page.console

    with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        page.evaluate("""() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.body.appendChild(script);
        }""")
    assert page.evaluate("() => window.injected") is None
    assert any("script-src" in line for line in csp_violations(page)), page.console


def test_the_explorer_shows_the_etag_placeholders_and_offers_only_credentials_one_can_type(offline_page, base_url):
    page = offline_page
    page.goto(f"{base_url}/explorer")
    edit = page.locator(EDIT)
    edit.locator(".opblock-summary").click()
    # The 204's ETag header, as Swagger UI renders its Markdown description.
    etag = edit.locator('tr.response[data-code="204"] table.headers tr', has_text="ETag")
    assert 'The case\'s new version: "<case id>-<lastModified in ms>".' in etag.inner_text()

    page.locator(".auth-wrapper .authorize").click()
    dialog = page.locator(".modal-ux")
    dialog.locator(".auth-container").first.wait_for()
    offered = {name.split()[0] for name in dialog.locator(".auth-container h4").all_inner_texts()}
    assert offered == {"egainSession", "egainOAuth2", "thalamusTouchpoint", "thalamusToken",
                       "thalamusTouchpointQuery", "thalamusTokenQuery", "thalamusBasic"}
    # The Thalamus session cookie is HttpOnly: a box for it could never work.
    assert "thalamus_session" not in dialog.inner_text()
    assert page.refused == []
