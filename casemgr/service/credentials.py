"""What a request carries to say who sends it, as one value for all APIs.

The three APIs differ in how credentials travel (an ``X-egain-session``
header, a bearer token, a Thalamus touchpoint with a session cookie or an
HTTP Basic pair), not in how they are checked: each API parses what its
request carries into ``Credentials``, and the use case resolves them inside
its own unit of work (``casemgr.service.auth.Authenticator``).

Every session id and token the service issues carries a keyed tag
(``CredentialTags``): ``<32 random bytes>.<HMAC-SHA256 of them, 16 bytes>``,
both base64url. A forged or malformed one is refused when it is parsed,
before the request's body is read and without a query; expiry and
revocation are the database's to answer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass, field
from enum import Enum
from typing import Callable

from casemgr.domain import errors
from casemgr.domain.model import Actor


class CredentialKind(Enum):
    NONE = "none"          # nothing that names a principal
    SESSION = "session"    # an issued session id (v12 header, Thalamus cookie)
    TOKEN = "token"        # an issued OAuth bearer token (v3)
    PASSWORD = "password"  # a principal and its password (Thalamus HTTP Basic)


@dataclass(frozen=True)
class Touchpoint:
    """Thalamus: the application a call comes from, and its token."""
    code: str
    token: str


@dataclass(frozen=True)
class VerifiedPassword:
    """A principal whose password matched ``password_hash``: the database
    still has to say that the account is enabled and its hash unchanged."""
    account: str
    user_id: int | None
    customer_id: int | None
    password_hash: str
    client_id: str | None = None  # an OAuth client's secret was verified
    client_scopes: frozenset[str] = frozenset()


@dataclass
class Credentials:
    """One request's credentials. ``actor`` is filled in once they resolved
    to a live principal, so the API can answer accordingly (v12 echoes its
    session) even when the use case refused the request afterwards."""

    api: str
    kind: CredentialKind = CredentialKind.NONE
    secret: str = ""          # the session id, token or password
    principal: str = ""       # PASSWORD: the login or email
    address: str = ""         # the client's address, for throttling password checks
    touchpoint: Touchpoint | None = None
    needs_principal: bool = True
    # A token must grant one of these (none: any).
    scopes: frozenset[str] = frozenset()
    # Raised for a principal that is missing, unknown or no longer live.
    dead_principal: type[errors.DomainError] = errors.AuthenticationRequired
    # An issued credential whose tag did not verify: refused without a query.
    forged: bool = False
    verified_password: VerifiedPassword | None = None
    actor: Actor | None = field(default=None, compare=False)

    @property
    def answerable_without_database(self) -> bool:
        """Refused for sure without asking the database: nothing names a
        principal (or the tag is forged), and no touchpoint has to be
        judged first."""
        dead = self.forged or (self.needs_principal and self.kind is CredentialKind.NONE)
        return dead and self.touchpoint is None


class CredentialTags:
    """Issues and verifies the keyed tag of session ids and tokens. The key
    (``server_key``, one per database) is read once per process, on first
    use: nothing connects at import or app creation."""

    TAG_BYTES = 16

    def __init__(self, load_key: Callable[[], bytes]):
        self._load_key = load_key
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def key(self) -> bytes:
        if self._key is None:
            with self._lock:
                if self._key is None:
                    self._key = self._load_key()
        return self._key

    def issue(self) -> str:
        body = _b64(secrets.token_bytes(32))
        return f"{body}.{self._tag(body)}"

    def verify(self, presented: str | None) -> bool:
        # Only ASCII was ever issued; compare_digest refuses other text with a TypeError.
        if not presented or len(presented) > 128 or presented.count(".") != 1 or not presented.isascii():
            return False
        body, tag = presented.split(".")
        return hmac.compare_digest(tag, self._tag(body))

    def keyed_hash(self, *parts: str) -> bytes:
        """A digest of secrets that is useless without the key (the cache of
        verified passwords is keyed by it, never by a password)."""
        return hmac.new(self.key(), "\x00".join(parts).encode("utf-8", "surrogatepass"), hashlib.sha256).digest()

    def _tag(self, body: str) -> str:
        return _b64(hmac.new(self.key(), body.encode("ascii", "replace"), hashlib.sha256).digest()[:self.TAG_BYTES])


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def hash_secret(secret: str) -> bytes:
    """What is stored of a session id or token: its SHA-256. A fast hash is
    right here: the ids are random and long, unlike passwords."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()
