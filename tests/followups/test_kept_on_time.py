"""One working day's grace after a follow-up's due instant, in a zone: the rule the card and the measures share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.followups.rules import GRACE_AT_LEAST, GRACE_AT_MOST, grace_until, kept_on_time

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def berlin(day: int, hour: int, month: int = 11, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("due", "completed", "kept"),
    [
        (berlin(16, 10), berlin(13, 9), True),  # early
        (berlin(16, 10), berlin(16, 18), True),  # later on its due day
        (berlin(16, 10), berlin(17, 10), True),  # the grace's last instant
        (berlin(16, 10), berlin(17, 10, minute=1), False),
        (berlin(20, 17), berlin(23, 17), True),  # due Friday: Monday at that time
        (berlin(20, 17), berlin(23, 17, minute=1), False),
        (berlin(21, 11), berlin(23, 11), True),  # due Saturday: Monday too
        (berlin(22, 11), berlin(23, 11, minute=1), False),  # due Sunday: Monday
        # Summer time ends on Sunday 25 October: Friday 17:00 to Monday 17:00 is 73 hours, all of them grace.
        (berlin(23, 17, month=10), berlin(26, 17, month=10), True),
    ],
)
def test_a_follow_up_is_kept_until_its_due_time_on_the_next_working_day(due, completed, kept):
    assert kept_on_time(due.astimezone(UTC), completed.astimezone(UTC), BERLIN) is kept


def test_the_working_day_is_the_zones_own():
    due = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)  # Friday evening in New York, Saturday night in Berlin
    done = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)  # Monday, 71.5 hours later

    assert kept_on_time(due, done, NEW_YORK)
    assert not kept_on_time(due, done, BERLIN)  # Berlin's grace ran from Saturday to Monday 00:30


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Lord_Howe"])
def test_the_grace_never_falls_outside_the_bounds_the_store_counts_by(zone):
    tz = ZoneInfo(zone)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for hour in range(0, 366 * 24, 7):  # every weekday and hour of a year, DST changes included
        due = start + timedelta(hours=hour)
        assert GRACE_AT_LEAST <= grace_until(due, tz) - due <= GRACE_AT_MOST, due
