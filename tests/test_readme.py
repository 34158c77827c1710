"""The README stays true: its error table and its commands match the code."""

from pathlib import Path

from casemgr.api.errors import ERROR_TABLE

README = (Path(__file__).parent.parent / "README.md").read_text("utf-8")


def test_every_error_code_of_the_error_table_is_in_the_readme_table():
    for entry in ERROR_TABLE.values():
        row = f"| {entry.status} | `{entry.egain_code}` |"
        assert row in README, f"README lacks the row for {entry.egain_code}: {row}"


def test_every_error_code_is_unique_per_cause():
    by_code = {}
    for entry in ERROR_TABLE.values():
        by_code.setdefault(entry.egain_code, set()).add(entry.summary.split(" (")[0].split(";")[0])
    shared = {code: causes for code, causes in by_code.items() if len(causes) > 1 and code != "400-152"}
    assert not shared


def test_the_ci_script_runs_the_readme_test_command_verbatim():
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text("utf-8")
    command = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest"
    assert command in README
    assert command in ci


def test_the_ci_script_lints_the_spec_as_the_readme_says():
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text("utf-8")
    command = "npx --yes @redocly/cli@2.77.0 lint openapi.yaml"
    assert command in README
    assert command in ci


def test_the_readme_receiver_verifies_each_delivery_and_processes_each_change_once():
    from datetime import datetime, timezone

    from standardwebhooks.webhooks import Webhook

    from casemgr.domain.history import Author, FeedChange, FeedPosition
    from casemgr.service.delivery import event_body, signed_headers
    from casemgr.service.webhooks import WebhookSecrets

    block = README.split("<!-- receiver:begin -->")[1].split("<!-- receiver:end -->")[0]
    code = block.split("```python\n")[1].split("```")[0]
    secret = WebhookSecrets(lambda: bytes(32)).new_secret()
    receiver: dict = {"__name__": "readme_receiver"}
    exec(code.replace('"whsec_…"', repr(secret)), receiver)
    client = receiver["app"].test_client()
    moment = datetime.now(timezone.utc)
    body = event_body(FeedChange(FeedPosition(7, 5), 1013, moment, moment, "v12", Author("user", "1001", "frank"),
                                 ("subject",)))
    headers = signed_headers(Webhook(secret), "msg_1_5", body, moment)

    assert client.post("/casemgr", data=body, headers=headers).status_code == 204
    assert client.post("/casemgr", data=body, headers=headers).status_code == 204  # again: not processed twice
    assert receiver["processed"] == {"msg_1_5"}
    forged = body.replace("1013", "1001")
    assert client.post("/casemgr", data=forged, headers=headers).status_code == 400
    stale = signed_headers(Webhook(secret), "msg_1_6", body, datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert client.post("/casemgr", data=body, headers=stale).status_code == 400
    assert receiver["processed"] == {"msg_1_5"}
