"""The change feed: every committed history entry, once, in an order a
follower can resume.

A follower that starts from nothing and always passes back the ``next``
cursor it was given sees every committed change exactly once, each case's
changes in the order they were committed, also when transactions commit in
another order than they started. Entries are paged by their feed position
(``casemgr.domain.history.FeedPosition``: a transaction position and the
entry's id), only up to the oldest transaction of this database still
running when the page is read (the horizon; ``sql/queries/history.sql``,
migration 0006). A change whose transaction is still open holds back the
feed, never falls behind it; a transaction of another database on the same
server holds back nothing.

``changes_after`` is the feed for any reach, inside any unit of work, for
whatever follows the feed besides the API (the API's use case is
``ChangeFeed.read``).
"""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass, replace

from casemgr.domain import errors
from casemgr.domain.history import FEED_START, FeedChange, FeedPosition
from casemgr.domain.visibility import view_of
from casemgr.service.unit_of_work import UnitsOfWork
from casemgr.service.credentials import Credentials
from casemgr.service.fairshare import ReadSlots

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

# The cursor: a format version, the transaction position and the entry id,
# as base64url without padding. Opaque to clients; version 1 is the only one.
_CURSOR = struct.Struct(">BQQ")
_CURSOR_VERSION = 1
# An id no entry has: "after every entry of this transaction position".
_AFTER_ALL = 2**63 - 1


@dataclass(frozen=True)
class FeedPage:
    changes: tuple[FeedChange, ...]
    next: FeedPosition


def encode_cursor(position: FeedPosition) -> str:
    raw = _CURSOR.pack(_CURSOR_VERSION, position.xid, position.entry_id)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(text: str) -> FeedPosition:
    """A cursor as ``encode_cursor`` wrote it; anything else is refused."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        version, xid, entry_id = _CURSOR.unpack(raw)
    except (binascii.Error, ValueError, struct.error) as exc:
        raise _invalid_cursor() from exc
    if version != _CURSOR_VERSION or entry_id > _AFTER_ALL or encode_cursor(FeedPosition(xid, entry_id)) != text:
        raise _invalid_cursor()
    return FeedPosition(xid, entry_id)


def _invalid_cursor() -> errors.InvalidCursor:
    return errors.InvalidCursor("Value of 'after' is not a cursor this feed handed out; pass the 'next' or "
                                "'cursor' of an earlier answer, or leave 'after' out to start from the beginning.",
                                attribute="after")


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise errors.InvalidValue(f"Value of 'limit' must be from 1 to {MAX_LIMIT}.", attribute="limit",
                                  limit=MAX_LIMIT)
    return limit


def changes_after(uow, after: FeedPosition, limit: int, departments: frozenset[int] | None) -> FeedPage:
    """Up to ``limit`` changes after ``after``, of the cases in
    ``departments`` (None: every case), in feed order. The next position is
    the last change's; a page that is not full read everything up to the
    horizon, so the next position moves to the horizon and the next read
    need not look at what this one passed over."""
    read = uow.history.change_feed(after, limit, departments)
    if after.xid >= read.xmax:
        raise _invalid_cursor()  # a position beyond every transaction there is
    if len(read.changes) == limit:
        return FeedPage(read.changes, read.changes[-1].position)
    return FeedPage(read.changes, max(after, FeedPosition(read.xmin - 1, _AFTER_ALL)))


def horizon(uow) -> FeedPosition:
    """The position of now: every change that commits from now on comes
    after it (so may a few that committed just before, whose transactions
    began while an older one was still running)."""
    return FeedPosition(uow.history.feed_horizon() - 1, _AFTER_ALL)


class ChangeFeed:
    def __init__(self, units: UnitsOfWork, read_slots: ReadSlots):
        self._units = units
        self._read_slots = read_slots

    def read(self, credentials: Credentials, after: FeedPosition | None, limit: int) -> FeedPage:
        """The changes a principal may see, as its view shows them
        (``casemgr.domain.visibility``): a client token every case's, a user
        the cases of the departments the user sees. Two messages: the reach
        depends on who the credentials turn out to be."""
        with self._units(credentials, transaction=False) as uow:
            actor = uow.actor
            view = view_of(actor)
            with self._read_slots.taken_by(actor):
                page = changes_after(uow, after or FEED_START, limit, view.readable_departments())
        # The next position stays the one the read reached: a change the view
        # hides is passed over, never read again.
        return replace(page, changes=view.feed_changes(page.changes))
