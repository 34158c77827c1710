"""Throttling that stops guessers without locking anyone out: failures
count against the account a name resolves to, whatever name it was typed
as; exactly, under concurrency; and an attacker who reaches the
per-account limit from many addresses does not lock the account's owner
out of the places the owner logs in from."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.api.test_credentials import PATHS, thalamus_basic_read, thalamus_signin, token, v12_login

HOME = "127.0.0.1"
ATTACKERS = [f"127.0.0.{n}" for n in range(2, 12)]
FRESH = "127.0.0.12"


def attack_agent_and_client(client) -> None:
    """100 wrong passwords for frank and 100 wrong secrets for the OAuth
    client crm, 10 from each of 10 addresses, none from HOME."""
    for address in ATTACKERS:
        for _ in range(10):
            assert v12_login(client, "frank", "wrong", address=address).status_code == 401
            assert token(client, address=address, grant_type="client_credentials", client_id="crm",
                         client_secret="wrong").status_code == 401


def test_the_right_credential_from_a_familiar_address_passes_an_attack_on_every_path(app_with):
    client = app_with()
    # frank and crm have passed a check from HOME before.
    assert v12_login(client, "frank", "frank-pass", address=HOME).status_code == 204
    assert token(client, address=HOME, grant_type="client_credentials", client_id="crm",
                 client_secret="crm-secret").status_code == 200
    attack_agent_and_client(client)
    for name, (attempt, success) in PATHS.items():
        assert attempt(client, "frank-pass", address=HOME).status_code == success, name
        refused = attempt(client, "frank-pass", address=FRESH)
        assert refused.status_code == 429, name
        assert int(refused.headers["Retry-After"]) > 0
    # The attacker's own addresses stay refused, right credential or not.
    assert v12_login(client, "frank", "frank-pass", address=ATTACKERS[0]).status_code == 429


def test_an_address_the_operator_trusts_is_not_held_to_the_per_account_limit(app_with):
    client = app_with(throttle_per_account=20, throttle_trusted_networks="192.0.2.0/24")
    for address in ATTACKERS[:2]:
        for _ in range(10):
            v12_login(client, "frank", "wrong", address=address)
    assert v12_login(client, "frank", "frank-pass", address="192.0.2.50").status_code == 204
    assert v12_login(client, "frank", "frank-pass", address=FRESH).status_code == 429


def test_a_familiar_address_is_still_held_to_its_own_limit(app_with):
    client = app_with(throttle_per_account_and_address=3)
    assert v12_login(client, "frank", "frank-pass", address=HOME).status_code == 204
    for _ in range(3):
        assert v12_login(client, "frank", "wrong", address=HOME).status_code == 401
    assert v12_login(client, "frank", "frank-pass", address=HOME).status_code == 429


def test_a_login_and_its_email_in_any_case_are_one_bucket(app_with):
    client = app_with(throttle_per_account_and_address=3)
    # The dotted capital I folds to i as the lookup folds it: the same account.
    assert thalamus_signin(client, "alİce@example.com", "alice-pass").status_code == 200
    for name in ("alice", "alice@example.com", "ALİCE@EXAMPLE.COM"):
        assert v12_login(client, name, "wrong").status_code == 401
    for name in ("alice", "alice@example.com", "alİce@example.com"):
        assert thalamus_signin(client, name, "alice-pass").status_code == 429, name
    # Other accounts are not touched.
    assert v12_login(client, "frank", "frank-pass").status_code == 204


def test_a_name_that_is_no_account_is_its_own_folded_bucket(app_with):
    client = app_with(throttle_per_account_and_address=2)
    assert v12_login(client, "Nobody", "x").status_code == 401
    assert v12_login(client, "NOBODY", "x").status_code == 401
    assert v12_login(client, "nobody", "x").status_code == 429


def test_concurrent_wrong_attempts_count_no_more_than_the_limit(app_with, db):
    client = app_with(password_hash_concurrency=20)

    def attempt(_):
        return v12_login(client, "frank", "wrong").status_code

    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(attempt, range(40)))
    # Each attempt was a wrong password (401), throttled (429) or turned
    # away before it was checked (503: too many checks at once, or checks
    # under way that could take the account past its limit).
    assert set(statuses) <= {401, 429, 503}
    assert statuses.count(401) <= 10
    counted = db.execute("SELECT count(*) FROM credential_failure WHERE NOT pending").fetchone()[0]
    assert counted == statuses.count(401)
    assert db.execute("SELECT count(*) FROM credential_failure WHERE pending").fetchone()[0] == 0
    if statuses.count(401) == 10:
        assert v12_login(client, "frank", "frank-pass").status_code == 429


def test_a_burst_of_right_passwords_is_never_locked_out(app_with):
    """Checks under way hold the ones after them back (503, retry at once),
    but only failures earn a 429."""
    client = app_with(password_hash_concurrency=20, throttle_per_account_and_address=3)

    def attempt(_):
        return thalamus_basic_read(client, "frank", "frank-pass").status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(attempt, range(12)))
    assert 429 not in statuses and set(statuses) <= {200, 503}, statuses
    assert statuses.count(200) >= 3
    assert v12_login(client, "frank", "frank-pass").status_code == 204


@pytest.mark.parametrize("wrong_first", [False, True])
def test_a_passed_check_takes_its_attempt_back(app_with, db, wrong_first):
    client = app_with()
    if wrong_first:
        assert v12_login(client, "frank", "wrong").status_code == 401
    assert v12_login(client, "frank", "frank-pass").status_code == 204
    assert db.execute("SELECT count(*) AS n FROM credential_failure").fetchone()[0] == int(wrong_first)
