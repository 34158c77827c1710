"""OAuth 2 clients and bearer tokens for eGain Case Manager v3.

The token endpoint's protocol (grant types, client authentication, error
responses) is Authlib's, in the API layer; this service owns what is ours:
which client and user may have a token, which scope it gets, storing it
hashed, and who a presented token stands for.
"""

from __future__ import annotations

from dataclasses import dataclass

from casemgr.domain import errors
from casemgr.domain.model import Actor
from casemgr.service.auth import hash_secret, password_matches, verified_user
from casemgr.service.ports import UnitOfWorkFactory

USER_MANAGE_SCOPE = "core.casemgr.manage"
CLIENT_MANAGE_SCOPE = "app.core.casemgr.manage"
MANAGE_SCOPES = frozenset({USER_MANAGE_SCOPE, CLIENT_MANAGE_SCOPE})


@dataclass(frozen=True)
class OAuthClient:
    client_id: str
    secret_hash: str
    scopes: frozenset[str]

    def secret_matches(self, secret: str) -> bool:
        return password_matches(self.secret_hash, secret)

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


@dataclass(frozen=True)
class TokenHolder:
    actor: Actor
    scopes: frozenset[str]


class TokenService:
    def __init__(self, unit_of_work: UnitOfWorkFactory, lifetime_seconds: int):
        self._unit_of_work = unit_of_work
        self.lifetime_seconds = lifetime_seconds

    def client(self, client_id: str) -> OAuthClient | None:
        with self._unit_of_work() as uow:
            row = uow.auth.oauth_client(client_id)
        if row is None:
            return None
        return OAuthClient(row["client_id"], row["secret_hash"], frozenset(row["scopes"]))

    def authenticate_user(self, login: str, password: str) -> int | None:
        """The user's id for the password grant; a disabled user gets none."""
        try:
            return verified_user(self._unit_of_work, login, password)["id"]
        except errors.InvalidCredentials:
            return None

    def store(self, token: str, client_id: str, user_id: int | None, scope: str) -> None:
        """Keep a newly issued token, hashed, until it expires."""
        with self._unit_of_work() as uow:
            uow.auth.purge_expired_tokens()
            uow.auth.create_token(hash_secret(token), client_id, user_id, scope, self.lifetime_seconds)

    def holder_of(self, token: str | None) -> TokenHolder:
        """Who a live bearer token stands for: a user (held to every
        permission) or, for a client token, the client alone."""
        if token:
            with self._unit_of_work() as uow:
                row = uow.auth.live_token(hash_secret(token))
                user = uow.auth.user_facts(row["user_id"]) if row and row["user_id"] else None
            if row is not None and (row["user_id"] is None or (user and not user.disabled)):
                actor = Actor.for_user(user, client_id=row["client_id"]) if user else Actor.for_client(row["client_id"])
                return TokenHolder(actor, frozenset(row["scope"].split()))
        raise errors.AuthenticationRequired(
            "Invalid or expired 'Authorization' header provided. New login is required."
        )

    def actor_for_manage(self, token: str | None) -> Actor:
        holder = self.holder_of(token)
        if not holder.scopes & MANAGE_SCOPES:
            raise errors.ScopeNotGranted(
                "The access token does not grant the scope this call needs.",
                expected=" or ".join(sorted(MANAGE_SCOPES)),
            )
        return holder.actor
