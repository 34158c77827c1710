"""Thalamus touchpoints: every v4 call names a touchpoint and carries its token.

Only a SHA-256 of each token is stored. The comparison takes the same time
whether the touchpoint is unknown, the token wrong or both, so neither a
touchpoint code nor a token can be found by timing the answers.
"""

from __future__ import annotations

import hmac

from casemgr.domain import errors
from casemgr.service.auth import hash_secret
from casemgr.service.ports import UnitOfWorkFactory

# Compared against when the touchpoint is unknown, so that case costs as long as a wrong token.
_NO_TOKEN_HASH = hash_secret("casemgr-no-such-touchpoint")


class TouchpointService:
    def __init__(self, unit_of_work: UnitOfWorkFactory):
        self._unit_of_work = unit_of_work

    def check(self, code: str | None, token: str | None) -> None:
        """The pair names a configured touchpoint and its token; anything else
        (either one missing, unknown, or not matching) is refused alike."""
        stored = None
        if code:
            with self._unit_of_work() as uow:
                stored = uow.thalamus.touchpoint_token_hash(code)
        matches = hmac.compare_digest(stored or _NO_TOKEN_HASH, hash_secret(token or ""))
        if stored is None or not token or not matches:
            raise errors.AuthenticationRequired("Unknown touchpoint or token.")
