"""OAuth 2 clients and bearer tokens for eGain Case Manager v3.

The token endpoint's protocol (grant types, client authentication, error
responses) is Authlib's, in the API layer; this service owns what is ours:
which client and user may have a token, which scope it gets, and storing it
hashed. Client secrets and user passwords are checked like every password
(``casemgr.service.passwords``: throttled, equal cost for unknown names);
tokens carry the keyed tag of every issued credential. Who a presented
token stands for is resolved by the use case (``casemgr.service.auth``).
"""

from __future__ import annotations

from dataclasses import dataclass

from casemgr.service.credentials import CredentialTags, hash_secret
from casemgr.service.passwords import PasswordChecker
from casemgr.service.ports import UnitOfWorkFactory

USER_MANAGE_SCOPE = "core.casemgr.manage"
CLIENT_MANAGE_SCOPE = "app.core.casemgr.manage"
MANAGE_SCOPES = frozenset({USER_MANAGE_SCOPE, CLIENT_MANAGE_SCOPE})


@dataclass(frozen=True)
class OAuthClient:
    client_id: str
    scopes: frozenset[str]

    def grant_scope(self, requested: str | None, default: str) -> str | None:
        """The requested scopes if the client holds them all; without a
        request, the default manage scope, or else whatever of the same family
        (user or client scopes) the client holds. None: nothing to grant."""
        if requested:
            wanted = set(requested.split())
            return " ".join(sorted(wanted)) if wanted <= self.scopes else None
        if default in self.scopes:
            return default
        family = [s for s in sorted(self.scopes) if s.startswith("app.") == default.startswith("app.")]
        return " ".join(family) or None


class TokenService:
    def __init__(self, unit_of_work: UnitOfWorkFactory, lifetime_seconds: int, passwords: PasswordChecker,
                 tags: CredentialTags):
        self._unit_of_work = unit_of_work
        self.lifetime_seconds = lifetime_seconds
        self._passwords = passwords
        self._tags = tags

    def authenticate_client(self, client_id: str, secret: str, address: str) -> OAuthClient:
        """The client whose secret this is; an unknown client and a wrong
        secret cost the same and are refused alike (InvalidCredentials)."""
        verified = self._passwords.verify(client_id, secret, address, kinds=("client",))
        return OAuthClient(verified.client_id, verified.client_scopes)

    def authenticate_user(self, login: str, password: str, address: str) -> int:
        """The user's id for the password grant (InvalidCredentials for a
        wrong password, an unknown or a disabled user)."""
        return self._passwords.verify(login, password, address, kinds=("user",)).user_id

    def issue(self) -> str:
        return self._tags.issue()

    def store(self, token: str, client_id: str, user_id: int | None, scope: str) -> None:
        """Keep a newly issued token, hashed, until it expires."""
        with self._unit_of_work() as uow:
            uow.auth.purge_expired_tokens()
            uow.auth.create_token(hash_secret(token), client_id, user_id, scope, self.lifetime_seconds)
