"""The webhook rules without I/O: which URLs and addresses a subscription may
name, who manages subscriptions and how many a client may have, how long a
name lookup may hold a creation, and when a failed delivery is tried again."""

from __future__ import annotations

import ipaddress
import json
import threading
import time
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook

from casemgr.domain import errors
from casemgr.domain.history import Author, FeedChange, FeedPosition
from casemgr.domain.model import Actor
from casemgr.domain.webhooks import (
    RetryPolicy,
    Target,
    address_refusal,
    check_addresses,
    check_subscription_count,
    manager_of,
    parse_target,
    succeeded,
)
from casemgr.service.delivery import event_body, signed_headers
from casemgr.service.feed import encode_cursor
from casemgr.service.errors import WebhookLookupsBusy
from casemgr.service.webhooks import HostLookups, WebhookSecrets


@pytest.mark.parametrize("address, reason", [
    ("127.0.0.1", "a loopback address"), ("127.8.9.10", "a loopback address"), ("::1", "a loopback address"),
    ("::ffff:127.0.0.1", "the IPv4-mapped form of 127.0.0.1, a loopback address"), ("10.0.0.1", "a private address"),
    ("172.16.5.4", "a private address"), ("192.168.1.1", "a private address"),
    ("fd12:3456::1", "a private (unique local) address"),
    ("169.254.1.1", "a link-local address"), ("fe80::1%eth0", "a link-local address"),
    ("169.254.169.254", "a cloud metadata address"), ("fd00:ec2::254", "a cloud metadata address"),
    ("168.63.129.16", "a cloud metadata address"), ("100.100.100.200", "a cloud metadata address"),
    ("0.0.0.0", "a 'this network' address"), ("224.0.0.1", "a multicast address"),
    ("100.64.0.1", "a shared (carrier-grade NAT) address"), ("240.0.0.1", "a reserved address"),
    ("192.0.2.10", "a documentation address"),
])
def test_an_address_of_the_services_own_network_is_refused_with_its_reason(address, reason):
    assert address_refusal(address) == reason


# The issue's addresses first: each was accepted before.
NOT_GLOBALLY_REACHABLE = [
    ("2002:7f00:1::", "the 6to4 form of 127.0.0.1, a loopback address"),
    ("2002:a9fe:a9fe::", "the 6to4 form of 169.254.169.254, a cloud metadata address"),
    ("2002:a00:1::", "the 6to4 form of 10.0.0.1, a private address"),
    ("fec0::1", "a site-local address (deprecated)"),
    ("fec0:1234::5", "a site-local address (deprecated)"),
    ("3fff::1", "a documentation address"),
    ("3fff:fff::1", "a documentation address"),
    ("192.88.99.1", "a 6to4 relay anycast address (deprecated)"),
    # 6to4 and Teredo of a public address: deprecated tunnels, refused anyway.
    ("2002:808:808::1", "a 6to4 address (a deprecated tunnel)"),
    ("2001:0:808:808:0:0:f7f7:f7f7", "a Teredo address (a deprecated tunnel)"),
    ("2001:0:7f00:1:0:0:f7f7:f7f7", "a Teredo address whose server is 127.0.0.1, a loopback address"),
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "a Teredo address whose client is 127.0.0.1, a loopback address"),
    # NAT64 (RFC 6052) and mapped: judged by the IPv4 address they carry.
    ("64:ff9b::7f00:1", "the NAT64 form of 127.0.0.1, a loopback address"),
    ("64:ff9b::a9fe:a9fe", "the NAT64 form of 169.254.169.254, a cloud metadata address"),
    ("64:ff9b::10.0.0.1", "the NAT64 form of 10.0.0.1, a private address"),
    ("64:ff9b:1::808:808", "a local-use NAT64 address"),
    ("::ffff:10.0.0.1", "the IPv4-mapped form of 10.0.0.1, a private address"),
    ("::ffff:100.64.0.1", "the IPv4-mapped form of 100.64.0.1, a shared (carrier-grade NAT) address"),
    ("::7f00:1", "the IPv4-compatible form of 127.0.0.1, a loopback address"),
    ("::808:808", "an IPv4-compatible address (deprecated)"),
    ("::", "the unspecified address"),
    ("100::1", "a discard-only address"),
    ("2001:db8::1", "a documentation address"),
    ("2001:2::1", "an IETF protocol assignment address"),
    ("5f00::1", "a segment routing (SRv6) address"),
    ("4000::1", "a reserved address"),
    ("192.0.0.9", "an IETF protocol assignment address"),
    ("198.18.0.1", "a benchmarking address"),
    ("203.0.113.7", "a documentation address"),
    ("255.255.255.255", "a reserved address"),
    ("ff0e::1", "a multicast address"),
]


@pytest.mark.parametrize("address, reason", NOT_GLOBALLY_REACHABLE)
def test_an_address_that_is_not_globally_reachable_is_refused_however_it_is_written(address, reason):
    assert address_refusal(address) == reason


def test_the_issues_6to4_address_is_refused_as_a_webhook_target_with_its_reason():
    target = parse_target("http://[2002:7f00:1::]/")
    with pytest.raises(errors.WebhookTargetRefused, match=r"is the 6to4 form of 127\.0\.0\.1, a loopback address"):
        check_addresses(target, [target.host], allow_private=False)


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8",
                                     "64:ff9b::8.8.8.8", "2001:4860:4860::8888", "1.1.1.1"])
def test_a_public_address_is_callable(address):
    assert address_refusal(address) is None


@settings(max_examples=500, deadline=None)
@given(st.ip_addresses())
def test_every_address_python_does_not_call_global_is_refused(ip):
    if not ip.is_global:
        assert address_refusal(str(ip)) is not None


@settings(max_examples=500, deadline=None)
@given(st.ip_addresses(v=4))
def test_an_ipv4_address_inside_ipv6_is_judged_as_itself_and_6to4_is_never_called(ip):
    mapped = ipaddress.IPv6Address(0xFFFF << 32 | int(ip))
    nat64 = ipaddress.IPv6Address(0x64FF9B << 96 | int(ip))
    sixtofour = ipaddress.IPv6Address(0x2002 << 112 | int(ip) << 80 | 1)
    own = address_refusal(str(ip))
    assert (address_refusal(str(mapped)) is None) is (own is None)
    assert (address_refusal(str(nat64)) is None) is (own is None)
    assert address_refusal(str(sixtofour)) is not None
    if own is not None:
        for carried in (mapped, nat64, sixtofour):
            assert address_refusal(str(carried)).endswith(f" of {ip}, {own}")


def test_a_client_has_at_most_the_limit_of_subscriptions():
    check_subscription_count(24, 25)
    for existing in (25, 26):
        with pytest.raises(errors.WebhookLimitReached, match="as many as a client may have \\(25\\)") as refused:
            check_subscription_count(existing, 25)
        assert refused.value.facts == {"limit": 25}


def test_a_lookup_is_bounded_in_time_and_in_number_and_an_address_is_not_looked_up():
    release = threading.Event()
    asked: list[str] = []

    def stuck(host: str, port: int) -> list[str]:
        asked.append(host)
        release.wait(30)
        return ["93.184.215.14"]

    lookups = HostLookups(stuck, timeout_seconds=0.05, concurrency=2)
    target = parse_target("https://hooks.example.com/casemgr")
    for _ in range(2):
        with pytest.raises(errors.WebhookTargetRefused, match="did not resolve within 0.05 s"):
            lookups.addresses(target)
    assert lookups.in_flight() == 2  # both still wait for the name server, their requests gone
    started = time.monotonic()
    with pytest.raises(WebhookLookupsBusy):
        lookups.addresses(target)
    turned_away = time.monotonic() - started
    assert lookups.addresses(parse_target("http://[2606:4700:4700::1111]/")) == ["2606:4700:4700::1111"]
    assert asked == ["hooks.example.com"] * 2
    release.set()
    deadline = time.monotonic() + 10
    while lookups.in_flight() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert lookups.in_flight() == 0
    assert HostLookups(lambda host, port: ["93.184.215.14"], timeout_seconds=1, concurrency=1).addresses(
        target) == ["93.184.215.14"]
    print(f"third lookup turned away after {turned_away * 1000:.2f} ms")


def test_a_resolver_that_fails_fails_the_lookup_and_frees_its_place():
    def broken(host: str, port: int) -> list[str]:
        raise RuntimeError("resolver broke")

    lookups = HostLookups(broken, timeout_seconds=1, concurrency=1)
    target = parse_target("https://hooks.example.com/")
    for _ in range(2):
        with pytest.raises(RuntimeError, match="resolver broke"):
            lookups.addresses(target)
    assert lookups.in_flight() == 0


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
    assert (Settings.from_env({}).webhook_max_subscriptions_per_client,
            Settings.from_env({}).webhook_lookup_timeout_seconds) == (25, 2.0)
    tight = Settings.from_env({"CASEMGR_WEBHOOK_MAX_SUBSCRIPTIONS_PER_CLIENT": "3",
                               "CASEMGR_WEBHOOK_LOOKUP_TIMEOUT_SECONDS": "0.5"})
    assert (tight.webhook_max_subscriptions_per_client, tight.webhook_lookup_timeout_seconds) == (3, 0.5)
    for environ, says in (({"CASEMGR_WEBHOOK_LEASE_SECONDS": "12"}, "must exceed"),
                          ({"CASEMGR_WEBHOOK_ALLOW_PRIVATE_TARGETS": "perhaps"}, "not a valid bool"),
                          ({"CASEMGR_WEBHOOK_CONCURRENCY": "0"}, "more than 0"),
                          ({"CASEMGR_WEBHOOK_POLL_SECONDS": "-1"}, "more than 0"),
                          ({"CASEMGR_WEBHOOK_LEASE_SECONDS": "inf"}, "not a valid float"),
                          ({"CASEMGR_WEBHOOK_TIMEOUT_SECONDS": "nan"}, "not a valid float"),
                          ({"CASEMGR_WEBHOOK_POLL_SECONDS": "NaN"}, "not a valid float"),
                          ({"CASEMGR_WEBHOOK_MAX_SUBSCRIPTIONS_PER_CLIENT": "0"}, "more than 0"),
                          ({"CASEMGR_WEBHOOK_LOOKUP_TIMEOUT_SECONDS": "0"}, "more than 0")):
        with pytest.raises(ValueError, match=says):
            Settings.from_env(environ)
