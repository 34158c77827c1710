"""Contract fuzzing: schemathesis reads the spec the running app serves,
generates requests for every operation of the three APIs (the spec's
examples, boundary and negative cases, then random ones) with a fixed seed,
and checks each answer: no 5xx, a documented status, content type, body and
headers, negative data refused, undeclared methods answered 405 with
``Allow``, and authentication enforced.

It logs in the way a client would: a v12 session from the login call, a v3
user token from /oauth2/token (both fetched again on a 401, since the fuzzer
also calls logout), and the Thalamus touchpoint headers with HTTP Basic. The
webhook operations take a client token (client credentials grant), the only
one they accept: with the user token the fuzzer would meet nothing but 403.
Bounded: a fixed number of examples per operation, each phase run once (a
``max-time`` would make schemathesis fuzz until it runs out), and a wall-clock
limit past which the run is stopped.
"""

from __future__ import annotations

import time
import warnings
from collections import Counter

import pytest
import schemathesis
from schemathesis.engine import Status, events, from_schema

pytestmark = pytest.mark.slow

SEED = 20261122
MAX_SECONDS = 300  # a safety net: the run takes well under two minutes
FRANK = {"username": "frank", "password": "frank-pass"}
CHECKS = (
    "not_a_server_error", "status_code_conformance", "content_type_conformance",
    "response_schema_conformance", "response_headers_conformance", "negative_data_rejection",
    "unsupported_method", "allow_header_conformance", "ignored_auth",
)

CONFIG = {
    "seed": SEED,
    "generation": {"max-examples": 50, "deterministic": True},
    "phases": {"stateful": {"enabled": False}},
    "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
    "auth": {
        "openapi": {
            "thalamusTouchpoint": {"api_key": "web"},
            "thalamusToken": {"api_key": "web-token"},
            "thalamusBasic": FRANK,
        },
        "dynamic": {"openapi": {
            "egainSession": {
                "path": "/ws/v12/authentication/user/login",
                "payload": {"userName": FRANK["username"], "password": FRANK["password"]},
                "extract_from": "header", "extract_selector": "X-egain-session", "retry_on": [401],
            },
            "egainOAuth2": {
                "path": "/oauth2/token", "payload_content_type": "application/x-www-form-urlencoded",
                "payload": {"grant_type": "password", **FRANK, "client_id": "crm", "client_secret": "crm-secret"},
                "extract_selector": "/access_token", "retry_on": [401],
            },
        }},
    },
}


WEBHOOKS = "^/core/casemgr/v3/webhooks"
# The webhook operations take a client token only.
CLIENT_TOKEN = {"path": "/oauth2/token", "payload_content_type": "application/x-www-form-urlencoded",
                "payload": {"grant_type": "client_credentials", "client_id": "crm", "client_secret": "crm-secret"},
                "extract_selector": "/access_token", "retry_on": [401]}
WEBHOOK_CONFIG = {**CONFIG, "auth": {**CONFIG["auth"], "dynamic": {"openapi": {"egainOAuth2": CLIENT_TOKEN}}}}


def describe(label: str, check, case_id: str) -> str:
    failure = check.failure_info.failure
    step = check.failure_info.code_sample
    return f"{label} [{check.name}] {failure.title}: {failure.message}\n    {step}"


def test_every_operation_of_the_three_apis_keeps_the_contract(base_url):
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", config=schemathesis.Config.from_dict(CONFIG))
    operations = {operation.ok().label for operation in schema.get_all_operations()}
    started = time.monotonic()
    tested: set[str] = set()
    findings: list[str] = []
    cases: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    fuzz(schema.exclude(path_regex=WEBHOOKS), started, tested, findings, cases, Counter())
    webhooks = schemathesis.openapi.from_url(f"{base_url}/openapi.json",
                                             config=schemathesis.Config.from_dict(WEBHOOK_CONFIG))
    fuzz(webhooks.include(path_regex=WEBHOOKS), started, tested, findings, cases, statuses)
    print(f"schemathesis: {sum(cases.values())} cases ({dict(cases)}) on {len(tested)} operations "
          f"in {time.monotonic() - started:.0f}s; webhook answers by status: {dict(sorted(statuses.items()))}")
    assert not findings, "\n".join(dict.fromkeys(findings))
    assert tested == operations, f"operations never tested: {sorted(operations - tested)}"
    # The webhook operations were fuzzed past the credential check, not only refused by it.
    assert sum(n for status, n in statuses.items() if status not in (401, 403)) > 0, statuses


def fuzz(schema, started: float, tested: set[str], findings: list[str], cases: Counter[str],
         statuses: Counter[int]) -> None:
    """Runs schemathesis on ``schema``'s operations, adding what it saw."""
    stream = from_schema(schema).execute()
    for event in stream:
        if time.monotonic() - started > MAX_SECONDS and not stream.stop_event.is_set():
            warnings.warn(f"schemathesis was stopped at its {MAX_SECONDS}s limit before finishing every phase")
            stream.stop()
        if isinstance(event, events.ScenarioFinished):
            cases[event.phase.value] += len(event.recorder.cases)
            if event.status in (Status.SUCCESS, Status.FAILURE):
                tested.add(event.recorder.label)
            statuses.update(i.response.status_code for i in event.recorder.interactions.values()
                            if i.response is not None)
            for case_id, checks in event.recorder.checks.items():
                findings.extend(describe(event.recorder.label, check, case_id)
                                for check in checks if check.status == Status.FAILURE)
        elif isinstance(event, events.NonFatalError):
            findings.append(f"{event.label}: error: {event.info.title}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            raise event.exception
