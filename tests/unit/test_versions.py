"""lastModified: millisecond precision, strictly increasing, ETags that follow it."""

from datetime import datetime, timedelta, timezone

from casemgr.domain.versions import etag_for, format_timestamp, next_last_modified, to_millis

T0 = datetime(2026, 11, 22, 10, 0, 0, 123456, tzinfo=timezone.utc)


def test_last_modified_is_truncated_to_milliseconds():
    assert to_millis(T0) == T0.replace(microsecond=123000)


def test_a_write_in_the_same_millisecond_still_gets_a_new_value():
    previous = to_millis(T0)
    assert next_last_modified(previous, T0) == previous + timedelta(milliseconds=1)


def test_a_clock_that_steps_back_never_repeats_a_value():
    previous = to_millis(T0)
    assert next_last_modified(previous, T0 - timedelta(seconds=5)) > previous


def test_a_later_clock_gives_the_clock_time():
    later = T0 + timedelta(seconds=1)
    assert next_last_modified(to_millis(T0), later) == to_millis(later)


def test_etags_differ_for_versions_one_millisecond_apart():
    a = to_millis(T0)
    assert etag_for(1, a) != etag_for(1, a + timedelta(milliseconds=1))
    assert etag_for(1, a) == '"1-1795341600123"'


def test_timestamps_are_emitted_with_milliseconds_and_z():
    assert format_timestamp(T0) == "2026-11-22T10:00:00.123Z"
    plus_two = T0.astimezone(timezone(timedelta(hours=2)))
    assert format_timestamp(plus_two) == "2026-11-22T10:00:00.123Z"
