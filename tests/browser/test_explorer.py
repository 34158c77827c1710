"""The API explorer in a real browser: a user logs in through it, authorizes,
and edits a case; the page needs nothing but the app itself. Its Authorize
dialog lists the credentials by API, and its descriptions read as written."""

from __future__ import annotations

import json
import re
import urllib.request
from urllib.parse import urlsplit

import pytest

from casemgr.openapi import spec_dict
from tests.test_openapi import texts

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


# The Authorize dialog, top to bottom: each API's label, then its boxes (the
# OAuth 2 scheme has one per flow).
AUTHORIZE_DIALOG = ["eGain v12", "egainSession",
                    "eGain v3", "egainOAuth2", "egainOAuth2",
                    "Thalamus v4", "thalamusTouchpoint", "thalamusToken", "thalamusBasic",
                    "thalamusTouchpointQuery", "thalamusTokenQuery"]
API_LABELS = {"eGain v12", "eGain v3", "Thalamus v4"}


def open_authorize_dialog(page, opener: str = ".auth-wrapper .authorize"):
    page.locator(opener).first.click()
    dialog = page.locator(".modal-ux")
    dialog.locator(".auth-container").first.wait_for()
    return dialog


def dialog_outline(dialog) -> list[str]:
    """The labels and the boxes' scheme names, in the order shown."""
    texts = dialog.locator("h3.casemgr-api-label, .auth-container h4").all_inner_texts()
    return [" ".join(text.split()) if text.strip() in API_LABELS else text.split()[0] for text in texts]


def test_the_authorize_dialog_lists_the_credentials_by_api_with_the_v12_session_first_and_focused(offline_page,
                                                                                                     base_url):
    page = offline_page
    page.goto(f"{base_url}/explorer")
    page.locator(LOGIN).wait_for()
    dialog = open_authorize_dialog(page)

    assert dialog_outline(dialog) == AUTHORIZE_DIALOG
    # Every box says which API it is for, as the label above it does.
    spec = spec_dict()
    for container in dialog.locator(".auth-container").all():
        name = container.locator("h4").inner_text().split()[0]
        description = container.locator(".renderedMarkdown").first.inner_text()
        label = spec["components"]["securitySchemes"][name]["description"].split(" — ")[0]
        assert label in API_LABELS and description.startswith(f"{label} — "), (name, description)

    # Opened at the top, the cursor in the v12 session's box: what one types goes there.
    assert page.evaluate("() => document.querySelector('.modal-ux-content').scrollTop") == 0
    session_box = dialog.locator(".auth-container", has=page.locator("h4", has_text="egainSession")).locator("input")
    page.keyboard.type("typed-at-once")
    assert session_box.input_value() == "typed-at-once"
    content = dialog.locator(".modal-ux-content").bounding_box()
    box = session_box.bounding_box()
    assert content["y"] <= box["y"] and box["y"] + box["height"] <= content["y"] + content["height"]
    dialog.locator(".close-modal").click()

    # An operation's own lock: only its credentials, under their API's label.
    dialog = open_authorize_dialog(page, f"{EDIT} .authorization__btn")
    assert dialog_outline(dialog) == ["eGain v12", "egainSession"]
    assert page.refused == []


def as_shown(description: str) -> str:
    """A description as Swagger UI should show it: a code span's text as
    written, a list's items one after another, nothing else of it read as
    Markdown (no emphasis, no HTML)."""
    text = re.sub(r"(?m)^\s*- ", "", description)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    return " ".join(text.split())


# What Swagger UI writes itself beside a parameter, from its schema.
SWAGGER_UI_OWN = re.compile(r"^(Available values|Default value|Example) : ")


def test_every_description_the_explorer_shows_reads_as_written(offline_page, base_url):
    """Markdown must swallow nothing: every description of an operation, a
    parameter, a response, a header and a tag, every operation expanded, and
    every credential's in the Authorize dialog, is shown character for
    character (`*/*` once lost its stars to emphasis)."""
    page = offline_page
    spec = spec_dict()
    expected = {as_shown(text) for _, text in texts(spec)}

    def every_operation_expanded(route):
        answer = route.fetch()
        page_html = answer.text().replace('"defaultModelsExpandDepth"', '"docExpansion": "full", '
                                                                        '"defaultModelsExpandDepth"')
        route.fulfill(response=answer, body=page_html)

    page.route("**/explorer", every_operation_expanded)
    page.goto(f"{base_url}/explorer")
    operations = sum(1 for item in spec["paths"].values() for method in item if method != "parameters")
    page.wait_for_function("n => document.querySelectorAll('.opblock.is-open .responses-wrapper').length === n",
                           arg=operations)

    v12 = page.locator("#operations-tag-egain_v12 small").inner_text()
    assert "(Accept: */* gets JSON)" in v12, v12
    language = page.locator(f"{LOGIN} tr", has_text="Accept-Language").first.inner_text()
    assert "* is the service's default language" in language, language

    shown = [" ".join(text.split()) for text in page.locator(".renderedMarkdown").all_inner_texts()]
    ours = [text for text in shown if not SWAGGER_UI_OWN.match(text)]
    assert len(ours) > 500, len(ours)
    assert [text for text in ours if text not in expected] == []
    for tag in spec["tags"]:
        assert " ".join(page.locator(f"#operations-tag-{tag['name']} small").inner_text().split()) == \
            as_shown(tag["description"])

    dialog = open_authorize_dialog(page)
    descriptions = [" ".join(text.split()) for text in dialog.locator(".renderedMarkdown").all_inner_texts()]
    assert descriptions and [text for text in descriptions if text not in expected] == []
    assert page.refused == []
