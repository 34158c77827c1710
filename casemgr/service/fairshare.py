"""Fair share of the expensive reads: a principal runs at most so many
searches, history pages and feed pages at once in one process; one more is
refused at once (429, ``Retry-After: 1``), never queued.

Without it, one agent looping a search in eight clients holds every worker
thread and database connection, and every other principal's requests wait
behind it. With it, the loop gets its share and the others get theirs.

A principal is who the credentials turned out to be (``Actor.principal``),
not how they travelled: an agent's v12 sessions, v3 tokens and Thalamus
logins share one count, and a guessed credential takes no one's slot.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from casemgr.domain import errors
from casemgr.domain.model import Actor


class ReadSlots:
    def __init__(self, per_principal: int):
        if per_principal < 1:
            raise ValueError("a principal needs at least one read slot")
        self.per_principal = per_principal
        self._lock = threading.Lock()
        self._taken: Counter[tuple] = Counter()

    @contextmanager
    def taken_by(self, actor: Actor) -> Iterator[None]:
        """One slot of ``actor``'s for the block; ``TooManyReadsInFlight``
        when its slots are all taken."""
        key = actor.principal
        with self._lock:
            if self._taken[key] >= self.per_principal:
                raise errors.TooManyReadsInFlight(
                    f"This principal already has {self.per_principal} searches, history or feed reads under way; "
                    "retry when one has answered.", limit=self.per_principal)
            self._taken[key] += 1
        try:
            yield
        finally:
            with self._lock:
                self._taken[key] -= 1
                if not self._taken[key]:
                    del self._taken[key]

    def in_flight(self) -> int:
        with self._lock:
            return sum(self._taken.values())
