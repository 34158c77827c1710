"""lastModified and ETags: how the optimistic lock tells versions apart."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

ONE_MILLISECOND = timedelta(milliseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def to_millis(moment: datetime) -> datetime:
    """lastModified is compared and stored at millisecond precision."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def next_last_modified(previous: datetime, now: datetime) -> datetime:
    """max(now, previous + 1 ms): two writes never share a value, so a client
    holding the value from before a write can never match after it, even when
    both writes fall in the same millisecond or the clock steps back."""
    return max(to_millis(now), to_millis(previous) + ONE_MILLISECOND)


def etag_for(case_id: int, last_modified: datetime) -> str:
    """A strong ETag: lastModified changes on every write to the case."""
    millis = (last_modified - _EPOCH) // ONE_MILLISECOND
    return f'"{case_id}-{millis}"'


_ETAG = re.compile(r'"(?P<case_id>\d{1,18})-(?P<millis>\d{1,15})"')


def version_of_etag(etag: str, case_id: int) -> datetime | None:
    """The lastModified an ETag of ``case_id`` names; None when it is no
    ETag of that case."""
    match = _ETAG.fullmatch(etag.strip())
    if match is None or int(match["case_id"]) != case_id:
        return None
    return _EPOCH + int(match["millis"]) * ONE_MILLISECOND


def format_timestamp(value: datetime) -> str:
    """The one text form of a moment: YYYY-MM-DDTHH:MM:SS.sssZ (UTC)."""
    # isoformat pads the year to four digits (strftime's %Y prints year 999 as "999").
    return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
