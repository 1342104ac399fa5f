"""The weekly report's schedule: Monday 09:00 in the subscription's zone, the week before it, across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.reports.periods import ReportWordsError
from bot.reports.weekly import WeeklyAsked, latest_post_at, next_post_at, read_weekly_words, report_words, week_before

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def test_the_next_post_is_the_coming_monday_at_nine_local():
    thursday = datetime(2026, 12, 3, 7, 55, tzinfo=UTC)
    assert next_post_at(thursday, BERLIN) == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert next_post_at(thursday, NEW_YORK) == datetime(2026, 12, 7, 14, 0, tzinfo=UTC)


def test_at_nine_on_monday_the_post_is_due_and_the_next_is_a_week_on():
    nine = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert latest_post_at(nine, BERLIN) == nine
    assert next_post_at(nine, BERLIN) == datetime(2026, 12, 14, 8, 0, tzinfo=UTC)
    just_before = datetime(2026, 12, 7, 7, 59, 59, tzinfo=UTC)
    assert next_post_at(just_before, BERLIN) == nine
    assert latest_post_at(just_before, BERLIN) == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def test_the_week_reported_is_the_monday_to_sunday_before_the_post():
    week = week_before(datetime(2026, 12, 7, 8, 0, tzinfo=UTC), BERLIN)
    assert (week.first, week.last, week.days) == (date(2026, 11, 30), date(2026, 12, 6), 7)
    assert week.start == datetime(2026, 11, 29, 23, 0, tzinfo=UTC)
    assert report_words(week, "finance") == "2026-11-30..2026-12-06 finance"


def test_nine_stays_nine_local_across_the_change_to_summer_time():
    # Berlin moves its clocks on Sunday 29 March 2026: Monday 30 March 09:00 is 07:00 UTC, not 08:00.
    assert next_post_at(datetime(2026, 3, 27, 12, 0, tzinfo=UTC), BERLIN) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    week = week_before(datetime(2026, 3, 30, 7, 0, tzinfo=UTC), BERLIN)
    assert (week.end - week.start).total_seconds() == (7 * 24 - 1) * 3600


def test_the_words_name_a_channel_a_filter_and_off():
    assert read_weekly_words("") == WeeklyAsked(None)
    assert read_weekly_words("<#C0SALES|sales>") == WeeklyAsked("C0SALES", "", False)
    assert read_weekly_words("<#C0SALES|sales> finance") == WeeklyAsked("C0SALES", "finance", False)
    assert read_weekly_words("<#C0SALES|> OFF") == WeeklyAsked("C0SALES", "", True)


@pytest.mark.parametrize(
    ("words", "said"),
    [
        ("#sales", "pick it from the list"),
        ("off", "Say which channel"),
        ("<#C0SALES|sales> finance off", "alone"),
    ],
)
def test_words_that_name_no_channel_are_answered_with_what_would_do(words, said):
    with pytest.raises(ReportWordsError, match=said):
        read_weekly_words(words)
