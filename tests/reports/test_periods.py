"""Reading `/report`'s and the CLI's period and filter words: local days, the previous period, bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.reports.periods import (
    CustomerFound,
    Filter,
    Known,
    Period,
    ReportWordsError,
    period_between,
    read_period,
    read_report_words,
)

BERLIN = ZoneInfo("Europe/Berlin")
# Wednesday 2 December 2026, 10:00 in Berlin.
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
KNOWN = Known(
    departments=["Sales", "Finance", "Support"],
    people={"U0DANA": "dana", "U0ERIK": "erik"},
    tags=["expo2026", "webinar-q3"],
)


def no_customer(text: str) -> CustomerFound:
    return CustomerFound(None, nearest=["Acme GmbH"] if "acm" in text.lower() else [])


def acme(text: str) -> CustomerFound:
    return CustomerFound(7, "Acme GmbH") if "acme" in text.lower() else CustomerFound(None)


@pytest.mark.parametrize(
    ("words", "first", "last"),
    [
        ("", date(2026, 11, 3), date(2026, 12, 2)),
        ("last 30 days", date(2026, 11, 3), date(2026, 12, 2)),
        ("last 7 days", date(2026, 11, 26), date(2026, 12, 2)),
        ("today", date(2026, 12, 2), date(2026, 12, 2)),
        ("yesterday", date(2026, 12, 1), date(2026, 12, 1)),
        ("this week", date(2026, 11, 30), date(2026, 12, 2)),
        ("last week", date(2026, 11, 23), date(2026, 11, 29)),
        ("this month", date(2026, 12, 1), date(2026, 12, 2)),
        ("last month", date(2026, 11, 1), date(2026, 11, 30)),
        ("this quarter", date(2026, 10, 1), date(2026, 12, 2)),
        ("last quarter", date(2026, 7, 1), date(2026, 9, 30)),
        ("this year", date(2026, 1, 1), date(2026, 12, 2)),
        ("last year", date(2025, 1, 1), date(2025, 12, 31)),
        ("2026-10-01..2026-11-15", date(2026, 10, 1), date(2026, 11, 15)),
        # A period that has not finished ends today.
        ("2026-10-01..2026-12-31", date(2026, 10, 1), date(2026, 12, 2)),
        ("Last Week", date(2026, 11, 23), date(2026, 11, 29)),
    ],
)
def test_it_reads_each_period_as_local_days(words: str, first: date, last: date) -> None:
    period, _ = read_period(words, NOW, BERLIN)
    assert (period.first, period.last) == (first, last)


def test_it_reads_the_day_in_the_viewers_zone() -> None:
    late_evening_utc = datetime(2026, 12, 2, 23, 30, tzinfo=UTC)  # already 3 December in Berlin
    assert read_period("today", late_evening_utc, BERLIN)[0].first == date(2026, 12, 3)
    assert read_period("today", late_evening_utc, ZoneInfo("UTC"))[0].first == date(2026, 12, 2)


def test_a_dst_change_inside_a_period_loses_no_hour() -> None:
    # Berlin leaves summer time on 25 October 2026: that day has 25 hours.
    period = Period(date(2026, 10, 25), date(2026, 10, 25), BERLIN)
    assert period.start == datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    assert period.end - period.start == timedelta(hours=25)
    week = Period(date(2026, 10, 19), date(2026, 10, 25), BERLIN)
    assert week.end - week.start == timedelta(days=7, hours=1)


def test_the_previous_period_has_the_same_number_of_days_just_before() -> None:
    period, _ = read_period("2026-11-01..2026-11-30", NOW, BERLIN)
    previous = period.previous()
    assert (previous.first, previous.last) == (date(2026, 10, 2), date(2026, 10, 31))
    assert previous.end == period.start


def test_weeks_count_seven_local_days_from_the_first() -> None:
    period = Period(date(2026, 11, 1), date(2026, 11, 16), BERLIN)
    assert [(first, end - start) for first, start, end in period.weeks()] == [
        (date(2026, 11, 1), timedelta(days=7)),
        (date(2026, 11, 8), timedelta(days=7)),
        (date(2026, 11, 15), timedelta(days=2)),
    ]


@pytest.mark.parametrize(
    ("words", "says"),
    [
        ("2026-12-31..2026-10-01", "ends before it begins"),
        ("2027-01-01..2027-02-01", "in the future"),
        ("next week", "in the future"),
        ("tomorrow", "in the future"),
        ("last fortnight", "can't read a period"),
        ("2026-13-01..2026-12-01", "not a day of the calendar"),
        ("2010-01-01..2026-12-01", "longer than 10 years"),
        ("last 5000 days", "longer than 10 years"),
        ("last 0 days", "no days"),
    ],
)
def test_bad_periods_are_told_with_examples(words: str, says: str) -> None:
    with pytest.raises(ReportWordsError, match=says) as raised:
        read_period(words, NOW, BERLIN)
    assert "e.g." in str(raised.value) or "for example" in str(raised.value)


def test_exactly_ten_years_is_allowed() -> None:
    period, _ = read_period("2016-12-02..2026-12-02", NOW, BERLIN)
    assert period.first == date(2016, 12, 2)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("last week finance", Filter(department="Finance")),
        ("SUPPORT", Filter(department="Support")),
        ("<@U0DANA>", Filter(user_id="U0DANA", user_name="dana")),
        ("<@U0DANA|dana> this month", Filter(user_id="U0DANA", user_name="dana")),
        ("@erik", Filter(user_id="U0ERIK", user_name="erik")),
        ("2026-10-01..2026-12-31 #expo2026", Filter(tag="expo2026")),
        ("#Webinar-Q3 sales", Filter(department="Sales", tag="webinar-q3")),
        ("acme", Filter(customer_id=7, customer_name="Acme GmbH")),
        ("this quarter acme", Filter(customer_id=7, customer_name="Acme GmbH")),
    ],
)
def test_it_reads_the_filter(words: str, expected: Filter) -> None:
    assert read_report_words(words, NOW, BERLIN, KNOWN, acme)[1] == expected


def test_period_words_that_make_no_period_may_be_a_customers_name() -> None:
    def last_mile(text: str) -> CustomerFound:
        return CustomerFound(9, "Last Mile Logistics") if text.lower() == "last mile" else CustomerFound(None)

    period, chosen = read_report_words("last mile", NOW, BERLIN, KNOWN, last_mile)
    assert (period.first, chosen) == (date(2026, 11, 3), Filter(customer_id=9, customer_name="Last Mile Logistics"))
    with pytest.raises(ReportWordsError, match="can't read a period in `last fortnight`"):
        read_report_words("last fortnight", NOW, BERLIN, KNOWN, last_mile)


@pytest.mark.parametrize(
    ("words", "says"),
    [
        ("#expo2025", "No tag is called `#expo2025`. Did you mean: #expo2026"),
        ("<@U0NOBODY>", "No person is called `<@U0NOBODY>`. Known ones: @dana, @erik"),
        ("@dnaa", "Did you mean: @dana"),
        ("marketing", "No department or customer is called `marketing`. Departments: Sales, Finance, Support"),
        ("acm", "Customers with a similar name: Acme GmbH"),
    ],
)
def test_unknown_filters_suggest_the_known_ones(words: str, says: str) -> None:
    with pytest.raises(ReportWordsError) as raised:
        read_report_words(words, NOW, BERLIN, KNOWN, no_customer)
    assert says in str(raised.value)


def test_the_cli_dates_default_to_thirty_days_ending_today() -> None:
    assert period_between(None, None, NOW, BERLIN).first == date(2026, 11, 3)
    assert period_between(date(2026, 11, 20), None, NOW, BERLIN).last == date(2026, 12, 2)
    until = period_between(None, date(2026, 11, 30), NOW, BERLIN)
    assert (until.first, until.last) == (date(2026, 11, 1), date(2026, 11, 30))
    with pytest.raises(ReportWordsError, match="ends before it begins"):
        period_between(date(2026, 11, 30), date(2026, 11, 1), NOW, BERLIN)
