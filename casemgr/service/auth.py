"""Who sends a request: credentials resolved inside the use case, and logins.

``Authenticator.queue`` puts a request's credential checks into the unit of
work's next message to Postgres (``casemgr.service.unit_of_work`` calls it
for every use case), ahead of whatever the use case sends (for
an edit, the locks and the facts), through one live-credential query per
kind (``sql/queries/credentials.sql``): a session (v12, the Thalamus cookie),
a bearer token (v3), a verified password (Thalamus HTTP Basic), and a
Thalamus touchpoint before any of them. A credential that does not open the
API marks the transaction refused, so the case locks queued after it are not
taken. The same queries answer ``check``, the standalone check of a request
refused before its credentials were judged (``refusal_first``, called by the
one error handler), so a dead credential is a 401 before any other fault
(401 comes first in the order of faults).

The Authenticator and the password checks are the machinery of the unit of
work itself: they alone open the store's units of work directly.

``SessionService`` issues sessions (logins) and ends them. Session ids carry
the keyed tag of ``casemgr.service.credentials``; only their SHA-256 is
stored, so a copy of the table opens no session.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from casemgr import metrics
from casemgr.domain import errors
from casemgr.domain.model import Actor, TouchpointScope
from casemgr.service.credentials import (
    CredentialKind,
    Credentials,
    CredentialTags,
    VerifiedPassword,
    hash_secret,
)
from casemgr.service.passwords import PasswordChecker, too_many_attempts
from casemgr.service.ports import UnitOfWorkFactory
from casemgr.service.unit_of_work import UnitsOfWork

# Thalamus HTTP Basic names an operator (by login or email), else a party.
PRINCIPAL_KINDS = ("user", "customer")
# Refusals that are the credential check's own answer already.
_CREDENTIAL_REFUSALS = (errors.AuthenticationRequired, errors.InvalidCredentials, errors.TooManyFailedAttempts,
                        errors.ScopeNotGranted)


@dataclass(frozen=True)
class SessionPolicy:
    idle_seconds: int
    lifetime_seconds: int
    max_per_principal: int


class CredentialCheck:
    """A request's credential check, queued into a unit of work's next
    message: ``actor`` answers once it was sent (sending it if need be), or
    raises the refusal, the same one every time it is asked."""

    def __init__(self, credentials: Credentials, touchpoint, principal, passwords: PasswordChecker):
        self._credentials = credentials
        self._touchpoint = touchpoint
        self._principal = principal
        self._passwords = passwords
        self._refusal: errors.DomainError | None = None

    @property
    def answered(self) -> bool:
        return all(pending is None or pending.answered for pending in (self._touchpoint, self._principal))

    def actor(self) -> Actor:
        if self._refusal is not None:
            raise self._refusal
        try:
            return self._judge()
        except _CREDENTIAL_REFUSALS as refusal:
            self._refusal = refusal
            raise

    def touchpoint_scope(self) -> TouchpointScope | None:
        """What the request's touchpoint reaches (None: no touchpoint), once
        the credentials are judged: the catalogue calls that need no
        principal are bounded by it too."""
        self.actor()
        return judge_touchpoint(self._touchpoint.row()) if self._touchpoint is not None else None

    def _judge(self) -> Actor:
        credentials = self._credentials
        scope = judge_touchpoint(self._touchpoint.row()) if self._touchpoint is not None else None
        if credentials.actor is None and self._principal is not None:
            credentials.actor = _actor_of(credentials, self._principal.row())
            if credentials.actor is None and credentials.kind is CredentialKind.PASSWORD:
                # Verified, but the account changed since (its password,
                # or it was disabled): never trusted again from memory.
                self._passwords.pairs.forget(credentials.principal, credentials.secret)
                raise errors.InvalidCredentials("Invalid user name or password.")
        if credentials.actor is None and credentials.needs_principal:
            raise credentials.dead_principal(_dead_message(credentials))
        if scope is not None and credentials.actor is not None:
            # Whoever the principal is, the touchpoint bounds what it reaches.
            credentials.actor = replace(credentials.actor, touchpoint=scope)
        return credentials.actor


class Authenticator:
    def __init__(self, unit_of_work: UnitOfWorkFactory, policy: SessionPolicy, passwords: PasswordChecker):
        self._unit_of_work = unit_of_work
        self.policy = policy
        self.passwords = passwords

    def prepare(self, credentials: Credentials) -> None:
        """What is judged before any unit of work: a credential refused
        without a query, and a password verified (Argon2 needs the stored
        hash first, and runs outside any transaction)."""
        if credentials.answerable_without_database:
            raise credentials.dead_principal(_dead_message(credentials))
        self._verify_password(credentials)

    def queue(self, uow, credentials: Credentials, *, relaxed: bool) -> CredentialCheck:
        """Queues the credential checks into the unit of work's next message
        (``prepare`` has run). ``relaxed``: the unit of work writes no case
        data, so the session's touch commits without waiting for its flush."""
        touchpoint = uow.auth.queue_touchpoint(credentials.touchpoint) if credentials.touchpoint else None
        principal = self._queue_principal(uow, credentials, relaxed=relaxed)
        return CredentialCheck(credentials, touchpoint, principal, self.passwords)

    def check(self, credentials: Credentials) -> Actor | None:
        """The credentials on their own, in one message: for a request
        refused before its use case ran, so that a dead credential is
        answered first."""
        self.prepare(credentials)
        with self._unit_of_work(transaction=False) as uow:
            return self.queue(uow, credentials, relaxed=True).actor()

    def refusal_first(self, credentials: Credentials, fault: Exception) -> Exception:
        """The answer to a request refused for ``fault`` before its
        credentials were judged: their own refusal when they are dead (401
        comes first in the order of faults), else ``fault``."""
        if credentials.actor is not None or isinstance(fault, _CREDENTIAL_REFUSALS):
            return fault
        try:
            self.check(credentials)
        except Exception as refusal:
            return refusal
        return fault

    def _verify_password(self, credentials: Credentials) -> None:
        """HTTP Basic: the password is verified (or found among the recently
        verified pairs) before the use case's unit of work; the touchpoint
        is judged in the same round trip, and first."""
        if credentials.kind is not CredentialKind.PASSWORD or credentials.verified_password is not None:
            return
        credentials.verified_password = self.passwords.verify_remembered(
            credentials.principal, credentials.secret, credentials.address, kinds=PRINCIPAL_KINDS,
            before=touchpoint_first(credentials))

    def _queue_principal(self, uow, credentials: Credentials, *, relaxed: bool):
        kind = credentials.kind
        if kind is CredentialKind.SESSION:
            return uow.auth.queue_session(hash_secret(credentials.secret), credentials.api,
                                          self.policy.idle_seconds, self.policy.lifetime_seconds, relaxed)
        if kind is CredentialKind.TOKEN:
            return uow.auth.queue_token(hash_secret(credentials.secret), sorted(credentials.scopes))
        if kind is CredentialKind.PASSWORD:
            verified = credentials.verified_password
            return uow.auth.queue_password_principal(
                verified, self.passwords.throttle.params(credentials.address, verified.account))
        return None


def touchpoint_first(credentials: Credentials):
    """For a check that needs a round trip of its own before the use case
    (a password's): the touchpoint, queued into that same round trip and
    judged before anything else."""
    if credentials.touchpoint is None:
        return None

    def queue(uow) -> Callable[[], None]:
        pending = uow.auth.queue_touchpoint(credentials.touchpoint)
        return lambda: judge_touchpoint(pending.row())
    return queue


def judge_touchpoint(row: dict) -> TouchpointScope:
    """A touchpoint whose token matches, and the categories it may act on."""
    if not row["matches"]:
        raise errors.AuthenticationRequired("Unknown touchpoint or token.")
    categories = row.get("category_ids")
    return TouchpointScope(frozenset(categories) if categories is not None else None)


def _actor_of(credentials: Credentials, row: dict) -> Actor | None:
    """The actor a resolution row names; None when the credential is dead.
    A throttled or scope-less credential is refused here."""
    if row["retry_after"] is not None:
        metrics.CREDENTIAL_THROTTLED.inc()
        raise too_many_attempts(row["retry_after"])
    if row["customer"] is not None:
        return customer_actor(row["customer"])
    if row["client_id"] is not None or row["user"] is not None:
        scopes = frozenset((row["scope"] or "").split())
        if credentials.scopes and not scopes & credentials.scopes:
            raise errors.ScopeNotGranted("The access token does not grant the scope this call needs.",
                                         expected=" or ".join(sorted(credentials.scopes)))
        if row["user"] is not None:
            return Actor.for_user(row["user"], client_id=row["client_id"])
        return Actor.for_client(row["client_id"])
    return None


def _dead_message(credentials: Credentials) -> str:
    if credentials.kind is CredentialKind.TOKEN or credentials.api == "egain-v3":
        return "Invalid or expired 'Authorization' header provided. New login is required."
    if credentials.dead_principal is errors.PrincipalRequired:
        return "An operator or party login is required (session cookie or HTTP Basic)."
    return "Session is missing, invalid or expired."


class SessionService:
    def __init__(self, units: UnitsOfWork, policy: SessionPolicy, passwords: PasswordChecker,
                 tags: CredentialTags, authenticator: Authenticator):
        self._units = units
        self.policy = policy
        self.passwords = passwords
        self.tags = tags
        self._authenticator = authenticator

    def login(self, credentials: Credentials, *, kinds: tuple[str, ...] = ("user",), force: bool = False) -> str:
        """A new session for the principal whose password ``credentials``
        carry (a PASSWORD credential, plus a touchpoint on Thalamus). At the
        cap, the oldest session ends when ``force`` is set; otherwise the
        login is refused."""
        verified = self.passwords.verify(credentials.principal, credentials.secret, credentials.address,
                                         kinds=kinds, before=touchpoint_first(credentials))
        session_id = self.tags.issue()
        with self._units() as uow:
            self._make_room(uow, credentials.api, verified, force)
            uow.auth.create_session(hash_secret(session_id), credentials.api, verified.user_id,
                                    verified.customer_id)
            uow.commit()
        return session_id

    def actor_of_session(self, api: str, session_id: str) -> Actor:
        """Who a session just issued stands for (the Thalamus signin answers
        with the principal's profile)."""
        return self._authenticator.check(Credentials(api=api, kind=CredentialKind.SESSION, secret=session_id))

    def _make_room(self, uow, api: str, verified: VerifiedPassword, force: bool) -> None:
        uow.auth.purge_expired(self.policy.idle_seconds, self.policy.lifetime_seconds)
        live = uow.auth.lock_sessions_of(verified.user_id, verified.customer_id, api)
        excess = len(live) - self.policy.max_per_principal + 1
        if excess > 0 and not force:
            raise errors.SessionLimitReached(
                f"The user already has {len(live)} active sessions; log in with forceLogin=yes to end the oldest.",
                limit=self.policy.max_per_principal)
        for old in live[:max(excess, 0)]:
            uow.auth.delete_session(old["token_hash"])

    def logout(self, credentials: Credentials) -> None:
        """Ends the session the credentials carry, once they were checked
        (a touchpoint first, on Thalamus)."""
        with self._units(credentials) as uow:
            if credentials.kind is CredentialKind.SESSION:
                uow.auth.delete_session(hash_secret(credentials.secret))
            uow.commit()


def customer_actor(row: dict) -> Actor:
    """A customer row (id, name, first_name, email) as the actor it logs in as."""
    return Actor.for_customer(row["id"], row["first_name"] or row["name"], row["email"])
