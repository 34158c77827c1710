"""The webhook rules without I/O: which URLs and addresses a subscription may
name, who manages subscriptions, and when a failed delivery is tried again."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from standardwebhooks.webhooks import Webhook

from casemgr.domain import errors
from casemgr.domain.history import Author, FeedChange, FeedPosition
from casemgr.domain.model import Actor
from casemgr.domain.webhooks import (
    RetryPolicy,
    Target,
    address_refusal,
    check_addresses,
    manager_of,
    parse_target,
    succeeded,
)
from casemgr.service.delivery import event_body, signed_headers
from casemgr.service.feed import encode_cursor
from casemgr.service.webhooks import WebhookSecrets


@pytest.mark.parametrize("address, reason", [
    ("127.0.0.1", "a loopback address"), ("127.8.9.10", "a loopback address"), ("::1", "a loopback address"),
    ("::ffff:127.0.0.1", "a loopback address"), ("10.0.0.1", "a private address"),
    ("172.16.5.4", "a private address"), ("192.168.1.1", "a private address"), ("fd12:3456::1", "a private address"),
    ("169.254.1.1", "a link-local address"), ("fe80::1%eth0", "a link-local address"),
    ("169.254.169.254", "a cloud metadata address"), ("fd00:ec2::254", "a cloud metadata address"),
    ("168.63.129.16", "a cloud metadata address"), ("100.100.100.200", "a cloud metadata address"),
    ("0.0.0.0", "a private address"), ("224.0.0.1", "a multicast address"), ("100.64.0.1", "a reserved address"),
    ("240.0.0.1", "a private address"), ("192.0.2.10", "a private address"),
])
def test_an_address_of_the_services_own_network_is_refused_with_its_reason(address, reason):
    assert address_refusal(address) == reason


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_a_public_address_is_callable(address):
    assert address_refusal(address) is None


def test_one_bad_address_among_good_ones_refuses_the_target():
    target = parse_target("https://hooks.example.com/casemgr")
    with pytest.raises(errors.WebhookTargetRefused, match="resolves to 10.0.0.7, which is a private address"):
        check_addresses(target, ["93.184.215.14", "10.0.0.7"], allow_private=False)
    check_addresses(target, ["93.184.215.14", "10.0.0.7"], allow_private=True)
    with pytest.raises(errors.WebhookTargetRefused, match="does not resolve"):
        check_addresses(target, [], allow_private=True)


def test_a_url_is_taken_apart_with_its_default_port():
    assert parse_target("HTTPS://Hooks.Example.com/a?b=1") == Target(
        "HTTPS://Hooks.Example.com/a?b=1", "https", "hooks.example.com", 443)
    assert parse_target("http://[::1]:8080/x") == Target("http://[::1]:8080/x", "http", "::1", 8080)


def test_only_a_client_token_manages_webhooks():
    assert manager_of(Actor.for_client("crm")) == "crm"
    with pytest.raises(errors.ScopeNotGranted):
        manager_of(Actor.for_customer(7))


def test_each_wait_is_longer_than_the_one_before_whatever_the_jitter():
    policy = RetryPolicy(base_seconds=30, window_seconds=24 * 3600)
    for jitters in ((1.0, -1.0), (-1.0, 1.0), (0.0, 0.0)):
        waits = [policy.delay(n, jitters[n % 2]) for n in range(1, 8)]
        assert waits == sorted(waits) and len(set(waits)) == len(waits)
    assert policy.delay(1, 0.0) == 30 and policy.delay(2, 0.0) == 60 and policy.delay(3, 0.0) == 120
    assert policy.delay(1, 1.0) == pytest.approx(36) and policy.delay(1, -1.0) == pytest.approx(24)
    assert policy.delay(40, 0.0) == 3600  # at most an hour between two attempts


def test_retries_stop_when_the_next_would_fall_past_the_window():
    policy = RetryPolicy(base_seconds=30, window_seconds=24 * 3600)
    assert policy.next_delay(1, elapsed_seconds=0, jitter=0) == 30
    assert policy.next_delay(10, elapsed_seconds=24 * 3600 - 3599, jitter=0) is None
    assert policy.next_delay(10, elapsed_seconds=24 * 3600 - 3600, jitter=0) == 3600
    attempts, elapsed = 1, 0.0
    while (wait := policy.next_delay(attempts, elapsed, 0.0)) is not None:
        attempts, elapsed = attempts + 1, elapsed + wait
    assert 24 * 3600 - 3600 < elapsed <= 24 * 3600 and attempts == 30


@pytest.mark.parametrize("status, delivered", [(200, True), (204, True), (299, True), (301, False), (410, False),
                                               (500, False), (None, False)])
def test_only_a_2xx_is_delivered(status, delivered):
    assert succeeded(status) is delivered


def test_a_delivery_verifies_with_the_standard_webhooks_verifier_and_carries_the_change():
    secret = WebhookSecrets(lambda: bytes(32)).new_secret()
    change = FeedChange(position=FeedPosition(701, 25), case_id=1013,
                        date=datetime(2026, 11, 22, 10, 0, 0, 130000, timezone.utc),
                        last_modified=datetime(2026, 11, 22, 10, 0, 0, 123000, timezone.utc), api="v12",
                        author=Author("user", "1001", "frank"), fields=("subject", "severity"))
    body = event_body(change)
    headers = signed_headers(Webhook(secret), "msg_7_25", body, datetime.now(timezone.utc))
    assert Webhook(secret).verify(body, headers) == json.loads(body) == {
        "type": "case.changed", "timestamp": "2026-11-22T10:00:00.130Z", "data": {
            "caseId": "1013", "lastModified": "2026-11-22T10:00:00.123Z", "api": "v12",
            "user": {"id": "1001", "name": "frank", "type": "user"}, "fields": ["subject", "severity"],
            "cursor": encode_cursor(FeedPosition(701, 25))}}
    other = WebhookSecrets(lambda: bytes(32)).new_secret()
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(other).verify(body, headers)


def test_a_sealed_secret_opens_only_under_the_same_server_key():
    box = WebhookSecrets(lambda: b"k" * 32)
    secret = box.new_secret()
    sealed = box.seal(secret)
    assert box.open(sealed) == secret and secret.encode() not in sealed
    assert box.seal(secret) != sealed  # a fresh nonce each time
    with pytest.raises(Exception):
        WebhookSecrets(lambda: b"x" * 32).open(sealed)


def test_webhook_settings_are_read_and_a_lease_shorter_than_an_attempt_is_refused():
    from casemgr.config import Settings

    settings = Settings.from_env({"CASEMGR_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
                                  "CASEMGR_WEBHOOK_RETRY_BASE_SECONDS": "0.5", "CASEMGR_WEBHOOK_RETRY_HOURS": "2"})
    assert (settings.webhook_allow_private_targets, settings.webhook_retry_base_seconds,
            settings.webhook_retry_hours) == (True, 0.5, 2.0)
    assert Settings.from_env({}).webhook_allow_private_targets is False
    for environ, says in (({"CASEMGR_WEBHOOK_LEASE_SECONDS": "12"}, "must exceed"),
                          ({"CASEMGR_WEBHOOK_ALLOW_PRIVATE_TARGETS": "perhaps"}, "not a valid bool"),
                          ({"CASEMGR_WEBHOOK_CONCURRENCY": "0"}, "more than 0"),
                          ({"CASEMGR_WEBHOOK_POLL_SECONDS": "-1"}, "more than 0"),
                          ({"CASEMGR_WEBHOOK_LEASE_SECONDS": "inf"}, "not a valid float"),
                          ({"CASEMGR_WEBHOOK_TIMEOUT_SECONDS": "nan"}, "not a valid float"),
                          ({"CASEMGR_WEBHOOK_POLL_SECONDS": "NaN"}, "not a valid float")):
        with pytest.raises(ValueError, match=says):
            Settings.from_env(environ)
