"""OAuth 2 clients and bearer tokens for eGain Case Manager v3.

The token endpoint's protocol (grant types, client authentication, error
responses) is Authlib's, in the API layer; this service owns what is ours:
which client and user may have a token, which scope it gets, storing it
hashed, and ending it early (RFC 7009 revocation). Client secrets and user
passwords are checked like every password
(``casemgr.service.passwords``: throttled, equal cost for unknown names);
tokens carry the keyed tag of every issued credential. Who a presented
token stands for is resolved by the use case (``casemgr.service.auth``).
"""

from __future__ import annotations

from dataclasses import dataclass

from casemgr.service.credentials import CredentialTags, hash_secret
from casemgr.service.passwords import PasswordChecker
from casemgr.service.unit_of_work import UnitsOfWork

USER_MANAGE_SCOPE = "core.casemgr.manage"
CLIENT_MANAGE_SCOPE = "app.core.casemgr.manage"
MANAGE_SCOPES = frozenset({USER_MANAGE_SCOPE, CLIENT_MANAGE_SCOPE})


def is_client_scope(scope: str) -> bool:
    """eGain names the scopes of a client acting for itself app.…; the
    others are a user's."""
    return scope.startswith("app.")


@dataclass(frozen=True)
class OAuthClient:
    client_id: str
    scopes: frozenset[str]

    def grantable(self, default: str) -> list[str]:
        """The scopes of the client that a grant whose default scope is
        ``default`` may give: user scopes for the password grant (a user's
        token), client scopes for client credentials."""
        return sorted(s for s in self.scopes if is_client_scope(s) == is_client_scope(default))

    def grant_scope(self, requested: str | None, default: str) -> str | None:
        """The requested scopes if the grant may give them all
        (``grantable``); without a request, the default manage scope, or else
        every grantable scope. None: nothing to grant (a password grant
        asking for a client scope, say)."""
        grantable = self.grantable(default)
        if requested:
            wanted = set(requested.split())
            return " ".join(sorted(wanted)) if wanted <= set(grantable) else None
        if default in grantable:
            return default
        return " ".join(grantable) or None


class TokenService:
    def __init__(self, units: UnitsOfWork, lifetime_seconds: int, passwords: PasswordChecker,
                 tags: CredentialTags):
        self._units = units
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
        with self._units() as uow:
            uow.auth.purge_expired_tokens()
            uow.auth.create_token(hash_secret(token), client_id, user_id, scope, self.lifetime_seconds)
            uow.commit()

    def issued_to(self, token: str) -> str | None:
        """The client a live token was issued to; None when the token is not
        live: never issued (a bad tag is answered without a query), expired
        or revoked."""
        if not self._tags.verify(token):
            return None
        with self._units(transaction=False) as uow:
            return uow.auth.token_client(hash_secret(token))

    def revoke(self, token: str, client_id: str) -> None:
        """Ends the token now if it is the client's: every later use of it
        is a 401, as if it had expired."""
        with self._units(transaction=False) as uow:
            uow.auth.revoke_token(hash_secret(token), client_id)
            uow.commit()
