"""Passwords and client secrets: hashing, verifying, throttling guesses.

Every check of a password or a client secret (the v12 login, the v3 token
endpoint's client and password grant, the Thalamus signin and HTTP Basic)
goes through ``PasswordChecker.verify``:

* **throttled** first, with the failures kept in Postgres so the limits hold
  across processes and hosts: past a limit every attempt, right or wrong, is
  refused with the seconds to wait (``TooManyFailedAttempts``, 429);
* **equal cost**: exactly the same Argon2 work whether the principal exists
  or not (an unknown one is verified against a dummy hash), and the same
  refusal, so neither timing nor answer tells that an account exists;
* **bounded**: Argon2 runs in a small pool of low-priority threads per
  process (``PasswordHashing``), so a flood of wrong passwords queues there
  and cannot starve the requests of everyone else of the CPU;
* **remembered** for HTTP Basic, which sends the password on every request:
  a verified pair is kept for a short time, keyed by a keyed hash of the
  pair (never the password), and trusted only while the database still has
  the same password hash for an enabled account.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import argon2.profiles
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from casemgr import metrics
from casemgr.domain import errors
from casemgr.service.credentials import CredentialTags, VerifiedPassword
from casemgr.service.errors import PasswordChecksBusy
from casemgr.service.ports import UnitOfWorkFactory

PROFILES = {
    # argon2-cffi's default: RFC 9106's low-memory choice, 64 MiB, 3 passes.
    "rfc9106-low-memory": argon2.profiles.RFC_9106_LOW_MEMORY,
    # OWASP's minimum for Argon2id: 19 MiB, 2 passes.
    "owasp": dataclasses.replace(argon2.profiles.RFC_9106_LOW_MEMORY, memory_cost=19 * 1024, time_cost=2,
                                 parallelism=1),
    # Test suites only, where hundreds of logins would otherwise cost minutes.
    "cheapest": argon2.profiles.CHEAPEST,
}


@dataclass(frozen=True)
class ThrottlePolicy:
    """The limits on failed checks within the window: per account and
    address, per account, per address. The per-account limit, the one an
    attacker reaches from many addresses to lock an account's owner out, is
    not held against an address the account passed a check from within
    ``familiar_seconds`` nor against one of ``trusted_networks``."""

    window_seconds: int = 15 * 60
    per_account_and_address: int = 10
    per_account: int = 100
    per_address: int = 100
    familiar_seconds: int = 30 * 24 * 3600
    trusted_networks: tuple = ()  # ipaddress networks

    def params(self, address: str, account: str | None = None) -> dict:
        address = address or "0.0.0.0"
        return {"account": account, "address": address, "window_s": self.window_seconds,
                "per_pair": self.per_account_and_address, "per_account": self.per_account,
                "per_address": self.per_address, "familiar_s": self.familiar_seconds,
                "trusted": self.trusts(address)}

    def trusts(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted_networks)


@functools.cache
def _dummy_hash(profile: str) -> str:
    """What an unknown principal's password is checked against, at the
    profile's cost. Computed once per process and profile (0.12 s at the
    production cost): every app a process builds shares it, as a test
    suite's hundreds of apps do."""
    return PasswordHasher.from_parameters(PROFILES[profile]).hash("casemgr-no-such-principal")


class PasswordHashing:
    """Argon2 with the configured cost, at most ``concurrency`` at a time per
    process, in threads the kernel schedules after everything else (nice
    10), so under a flood of guesses the other requests keep their CPU.

    A check waits for its turn only while as many others wait as run:
    beyond that it is turned away at once (``PasswordChecksBusy``, 503), so
    password work never holds more than ``2 × concurrency`` of the threads
    that serve everyone's requests."""

    def __init__(self, profile: str, concurrency: int = 1):
        if profile not in PROFILES:
            raise ValueError(f"CASEMGR_PASSWORD_HASH_PROFILE must be one of {', '.join(PROFILES)}")
        self._hasher = PasswordHasher.from_parameters(PROFILES[profile])
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="argon2",
                                        initializer=_lower_thread_priority)
        self._admitted = threading.BoundedSemaphore(2 * concurrency)
        self.dummy_hash = _dummy_hash(profile)

    def hash(self, password: str) -> str:
        return self._pool.submit(self._hasher.hash, password).result()

    @contextmanager
    def admitted(self) -> Iterator[None]:
        """A turn for one password check, from its first query to its last
        hash; refused at once when none is free."""
        if not self._admitted.acquire(blocking=False):
            metrics.CREDENTIAL_BUSY.inc()
            raise PasswordChecksBusy("Too many password checks are in progress; retry shortly.")
        try:
            yield
        finally:
            self._admitted.release()

    def matches(self, password_hash: str | None, password: str) -> bool:
        """Verifies against the dummy hash when there is no hash, so a
        missing account costs exactly what a wrong password costs."""
        return self._pool.submit(self._verify, password_hash, password).result()

    def _verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash or self.dummy_hash, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False


def _lower_thread_priority() -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):  # not Linux: the pool's size still bounds the work
        pass


class VerifiedPairs:
    """Recently verified (principal, password) pairs, per process, for a short
    time. Keyed by a keyed hash, so a memory dump yields no password."""

    def __init__(self, tags: CredentialTags, lifetime_seconds: float = 60, capacity: int = 10_000):
        self._tags = tags
        self._lifetime = lifetime_seconds
        self._capacity = capacity
        self._entries: OrderedDict[bytes, tuple[float, VerifiedPassword]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, principal: str, password: str) -> VerifiedPassword | None:
        key = self._tags.keyed_hash(principal, password)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] < time.monotonic():
                self._entries.pop(key, None)
                return None
            return entry[1]

    def put(self, principal: str, password: str, verified: VerifiedPassword) -> None:
        key = self._tags.keyed_hash(principal, password)
        with self._lock:
            self._entries[key] = (time.monotonic() + self._lifetime, verified)
            self._entries.move_to_end(key)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)

    def forget(self, principal: str, password: str) -> None:
        with self._lock:
            self._entries.pop(self._tags.keyed_hash(principal, password), None)


class PasswordChecker:
    def __init__(self, unit_of_work: UnitOfWorkFactory, hashing: PasswordHashing, throttle: ThrottlePolicy,
                 tags: CredentialTags):
        self._unit_of_work = unit_of_work
        self.hashing = hashing
        self.throttle = throttle
        self.pairs = VerifiedPairs(tags)

    def verify(self, principal: str, password: str, address: str, *, kinds: tuple[str, ...],
               before=None) -> VerifiedPassword:
        """The principal of ``kinds`` ("user", "customer", "client", tried in
        that order) whose password (or secret) this is. ``before``: a check
        queued into the same round trip that must refuse first (the
        Thalamus touchpoint). Unknown principal and wrong password cost the
        same and are refused alike; every failure is recorded."""
        with self.hashing.admitted():
            return self._verify(principal, password, address, kinds, before)

    def _verify(self, principal: str, password: str, address: str, kinds: tuple[str, ...],
                before) -> VerifiedPassword:
        throttle = self.throttle.params(address)
        # One transaction, two round trips: the account's lock and the
        # attempt's reservation (counted as a failure until it passes), then
        # COMMIT, so the next attempt on the account sees this one.
        with self._unit_of_work() as uow:
            first = before(uow) if before else None
            uow.auth.lock_credential_account(principal, kinds)
            candidates = uow.auth.reserve_password_attempt(principal, kinds, throttle)
            if first:
                first()
            uow.commit()
        if candidates["retry_after"] is not None:
            metrics.CREDENTIAL_THROTTLED.inc()
            raise too_many_attempts(candidates["retry_after"])
        if candidates["attempt_id"] is None:
            # The checks under way on this account and address could take
            # it past a limit: this one waits for them, it is not refused.
            metrics.CREDENTIAL_BUSY.inc()
            raise PasswordChecksBusy("Other checks of this account are in progress; retry shortly.")
        account = candidates["account"]
        for kind in kinds:
            candidate = candidates[f"{kind}_login"]
            if self.hashing.matches(candidate["password_hash"] if candidate else None, password):
                if kind == "user" and candidate["disabled"]:
                    break  # verified like any other, then refused like any other
                with self._unit_of_work(transaction=False) as uow:
                    uow.auth.record_credential_success({**throttle, "account": account,
                                                        "attempt_id": candidates["attempt_id"]})
                    uow.commit()
                return _verified(kind, account, candidate)
        with self._unit_of_work(transaction=False) as uow:
            uow.auth.settle_credential_failure(candidates["attempt_id"])
            uow.commit()
        metrics.CREDENTIAL_FAILURES.inc()
        raise errors.InvalidCredentials("Invalid user name or password.")

    def verify_remembered(self, principal: str, password: str, address: str, *, kinds: tuple[str, ...],
                          before=None) -> VerifiedPassword:
        """``verify``, answered from the verified pairs when it can be."""
        remembered = self.pairs.get(principal, password)
        if remembered is not None:
            return remembered
        verified = self.verify(principal, password, address, kinds=kinds, before=before)
        self.pairs.put(principal, password, verified)
        return verified


def _verified(kind: str, account: str, candidate: dict) -> VerifiedPassword:
    if kind == "client":
        return VerifiedPassword(account, None, None, candidate["password_hash"], candidate["client_id"],
                                frozenset(candidate["scopes"]))
    return VerifiedPassword(account, candidate["id"] if kind == "user" else None,
                            candidate["id"] if kind == "customer" else None, candidate["password_hash"])


def too_many_attempts(retry_after: int) -> errors.TooManyFailedAttempts:
    seconds = max(1, int(retry_after))
    return errors.TooManyFailedAttempts(
        f"Too many failed attempts; retry after {seconds} seconds.", retry_after=seconds)
