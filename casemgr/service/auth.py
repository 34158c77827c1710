"""Logins and sessions (eGain X-egain-session, Thalamus cookie).

Session ids are 32 random bytes; only their SHA-256 is stored, so a copy of
the table opens no session. A fast hash is right here: the ids are random and
long, unlike passwords, which are hashed with Argon2.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from dataclasses import dataclass
from typing import Callable

import argon2.profiles
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from casemgr.config import Settings
from casemgr.domain import errors
from casemgr.domain.model import Actor
from casemgr.service.ports import UnitOfWorkFactory


def _password_hasher() -> PasswordHasher:
    """Argon2id with the cost profile of CASEMGR_PASSWORD_HASH_PROFILE:
    argon2-cffi's default (RFC 9106 low-memory: 64 MiB, 3 passes), OWASP's
    minimum (19 MiB, 2 passes), or "cheapest" — for test suites only, where
    hundreds of logins would otherwise cost minutes."""
    profiles = {
        "rfc9106-low-memory": argon2.profiles.RFC_9106_LOW_MEMORY,
        "owasp": dataclasses.replace(argon2.profiles.RFC_9106_LOW_MEMORY, memory_cost=19 * 1024, time_cost=2,
                                     parallelism=1),
        "cheapest": argon2.profiles.CHEAPEST,
    }
    name = Settings.from_env().password_hash_profile
    if name not in profiles:
        raise ValueError(f"CASEMGR_PASSWORD_HASH_PROFILE must be one of {', '.join(profiles)}")
    return PasswordHasher.from_parameters(profiles[name])


_hasher = _password_hasher()
# Verified when the login is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("casemgr-no-such-user")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()


@dataclass(frozen=True)
class SessionPolicy:
    idle_seconds: int
    lifetime_seconds: int
    max_per_user: int


class SessionService:
    def __init__(self, unit_of_work: UnitOfWorkFactory, policy: SessionPolicy):
        self._unit_of_work = unit_of_work
        self.policy = policy

    def login_user(self, api: str, login: str, password: str, force: bool = False) -> str:
        """A new session for a user; the oldest one ends when ``force`` is set
        and the user already holds the maximum."""
        row = self._verified_user(login, password)
        session_id = new_secret()
        with self._unit_of_work() as uow:
            uow.auth.purge_expired(self.policy.idle_seconds, self.policy.lifetime_seconds)
            live = uow.auth.user_sessions(row["id"], api)
            excess = len(live) - self.policy.max_per_user + 1
            if excess > 0 and not force:
                raise errors.SessionLimitReached(
                    f"User already has {len(live)} active sessions; log in with forceLogin=yes to end the oldest.",
                    limit=self.policy.max_per_user,
                )
            for old in live[:max(excess, 0)]:
                uow.auth.delete_session(old["token_hash"])
            uow.auth.create_session(hash_secret(session_id), api, row["id"], None)
        return session_id

    def login_customer(self, api: str, principal: str, password: str) -> tuple[str, Actor]:
        row = self._verified_customer(principal, password)
        session_id = new_secret()
        with self._unit_of_work() as uow:
            uow.auth.create_session(hash_secret(session_id), api, None, row["id"])
        return session_id, customer_actor(row)

    def login_principal(self, api: str, principal: str, password: str) -> tuple[str, Actor]:
        """Thalamus signin: an operator (a user, by login or email) first, else
        a party (a customer, by email). Thalamus has no forceLogin, so a user
        at the session cap ends the oldest session instead of being refused."""
        try:
            session_id = self.login_user(api, principal, password, force=True)
        except errors.InvalidCredentials:
            return self.login_customer(api, principal, password)
        return session_id, self.actor_for_session(api, session_id)

    def authenticate_principal(self, principal: str, password: str) -> Actor:
        """HTTP Basic on each request: the principals of ``login_principal``,
        checked the same way, without a session."""
        try:
            row = self._verified_user(principal, password)
        except errors.InvalidCredentials:
            return customer_actor(self._verified_customer(principal, password))
        with self._unit_of_work() as uow:
            user = uow.auth.user_facts(row["id"])
        if user is None:
            raise errors.InvalidCredentials("Invalid user name or password.")
        return Actor.for_user(user)

    def _verified_user(self, login: str, password: str) -> dict:
        return verified_user(self._unit_of_work, login, password)

    def _verified_customer(self, principal: str, password: str) -> dict:
        """The customer's login row, when the password matches."""
        with self._unit_of_work() as uow:
            row = uow.auth.customer_login(principal)
        if row is None or not password_matches(row["password_hash"], password):
            raise errors.InvalidCredentials("Invalid user name or password.")
        return row

    def logout(self, session_id: str) -> bool:
        with self._unit_of_work() as uow:
            return uow.auth.delete_session(hash_secret(session_id))

    def actor_for_session(self, api: str, session_id: str | None) -> Actor:
        """The user (or, on Thalamus, the customer) behind a live session; the
        session counts as used now."""
        if not session_id:
            raise errors.AuthenticationRequired("Session is missing.")
        with self._unit_of_work(single_statement=True) as uow:
            row = uow.auth.session_actor(
                hash_secret(session_id), api, self.policy.idle_seconds, self.policy.lifetime_seconds
            )
        return actor_of_session(row)

    def session_check(self, api: str, session_id: str | None) -> SessionCheck:
        """The session of a request that checks it inside its own transaction
        (an edit: see ``SessionCheck``). A missing one is refused at once."""
        if not session_id:
            raise errors.AuthenticationRequired("Session is missing.")
        return SessionCheck(self, api, session_id)


class SessionCheck:
    """A session checked by the transaction of the edit it opens, in the
    edit's first statement (``CaseService.edit_case``), rather than in a
    transaction and a round trip of its own. ``actor`` is set once the
    session was found live.

    A request refused before its transaction starts (a malformed body, say)
    is checked on its own first, with ``standalone``, so a dead session is
    still a 401 before any other fault."""

    def __init__(self, sessions: SessionService, api: str, session_id: str):
        self._sessions = sessions
        self.api = api
        self._session_id = session_id
        self.actor: Actor | None = None

    def standalone(self) -> Actor:
        if self.actor is None:
            self.actor = self._sessions.actor_for_session(self.api, self._session_id)
        return self.actor

    def locking_cases(self, uow, case_ids: list[int]) -> Callable[[], Actor]:
        """Queues the session check with the locks of ``case_ids``, taken only
        when the session is live; the returned function answers the actor,
        or raises AuthenticationRequired."""
        policy = self._sessions.policy
        session = uow.auth.session_actor_locking_cases(
            hash_secret(self._session_id), self.api, policy.idle_seconds, policy.lifetime_seconds, case_ids)

        def actor() -> Actor:
            if self.actor is None:
                self.actor = actor_of_session(session())
            return self.actor
        return actor


def actor_of_session(row: dict | None) -> Actor:
    """The actor behind a session row (``session_actor``'s answer); a
    session not found, or whose user is disabled, is refused."""
    customer = row["customer"] if row else None
    user = row["user"] if row else None
    if customer is not None:
        return customer_actor(customer)
    if user is None or user.disabled:
        raise errors.AuthenticationRequired("Session is invalid or expired.")
    return Actor.for_user(user)


def verified_user(unit_of_work: UnitOfWorkFactory, login: str, password: str) -> dict:
    """The user's login row (by login or email), when the password matches and
    the user is enabled. The password is verified before anything else is
    looked at, so a disabled or unknown account answers as slowly as any."""
    with unit_of_work() as uow:
        row = uow.auth.user_login(login)
    if row is None or not password_matches(row["password_hash"], password) or row["disabled"]:
        raise errors.InvalidCredentials("Invalid user name or password.")
    return row


def customer_actor(row: dict) -> Actor:
    """A customer row (id, name, first_name, email) as the actor it logs in as."""
    return Actor.for_customer(row["id"], row["first_name"] or row["name"], row["email"])
