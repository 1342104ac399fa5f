"""Follow-up clauses and due times, table-driven against fixed instants."""

import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.capture import due_times
from bot.capture.due_times import DueTimeError, FollowUpClause, find_follow_up, parse_due, warm_up

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")

WED = datetime(2026, 11, 25, 10, 30, tzinfo=BERLIN)  # Wednesday 10:30, UTC+1


def due(phrase: str, now: datetime = WED, tz: ZoneInfo = BERLIN) -> str:
    """The due time as local wall time plus offset, so DST mistakes show up in the expected string."""
    result = parse_due(phrase, now, tz)
    assert result.tzinfo is tz
    return result.isoformat(timespec="minutes")


def local(tz: ZoneInfo, *fields: int) -> datetime:
    return datetime(*fields, tzinfo=tz)


# --------------------------------------------------------------------------------------------------------
# parse_due: every rule, read on Wednesday 2026-11-25 10:30 in Berlin
# --------------------------------------------------------------------------------------------------------

ON_WEDNESDAY = [
    # A time is kept as given.
    ("tomorrow 3pm", "2026-11-26T15:00+01:00"),
    ("friday 11am", "2026-11-27T11:00+01:00"),
    ("Dec 10 at 2pm", "2026-12-10T14:00+01:00"),
    ("tomorrow at 15:30", "2026-11-26T15:30+01:00"),
    ("at 4pm", "2026-11-25T16:00+01:00"),
    ("4pm", "2026-11-25T16:00+01:00"),
    ("4 PM", "2026-11-25T16:00+01:00"),
    ("4:45pm", "2026-11-25T16:45+01:00"),
    ("3.30pm", "2026-11-25T15:30+01:00"),
    ("at 15.30", "2026-11-25T15:30+01:00"),
    ("4 p.m.", "2026-11-25T16:00+01:00"),
    ("at 3", "2026-11-25T15:00+01:00"),  # no am/pm: 1-6 is the afternoon
    ("at 11", "2026-11-25T11:00+01:00"),
    ("friday at 5:30", "2026-11-27T17:30+01:00"),
    ("friday at 07:30", "2026-11-27T07:30+01:00"),
    ("tomorrow 12am", "2026-11-26T00:00+01:00"),
    ("12pm", "2026-11-25T12:00+01:00"),
    ("3pm in 2 days", "2026-11-27T15:00+01:00"),
    ("in 3 days at 2pm", "2026-11-28T14:00+01:00"),
    ("Fri Nov 27 3pm", "2026-11-27T15:00+01:00"),
    ("2027-01-11 14:00", "2027-01-11T14:00+01:00"),
    # Noon, midnight and parts of the day.
    ("noon", "2026-11-25T12:00+01:00"),
    ("tomorrow noon", "2026-11-26T12:00+01:00"),
    ("midday tomorrow", "2026-11-26T12:00+01:00"),
    ("midnight", "2026-11-26T00:00+01:00"),  # the end of today
    ("tomorrow midnight", "2026-11-27T00:00+01:00"),
    ("tomorrow morning", "2026-11-26T09:00+01:00"),
    ("friday afternoon", "2026-11-27T14:00+01:00"),
    ("this afternoon", "2026-11-25T14:00+01:00"),
    ("tomorrow in the evening", "2026-11-26T18:00+01:00"),
    ("tonight", "2026-11-25T18:00+01:00"),
    # A day without a time means 09:00.
    ("friday", "2026-11-27T09:00+01:00"),
    ("on friday", "2026-11-27T09:00+01:00"),
    ("next friday", "2026-11-27T09:00+01:00"),
    ("this friday", "2026-11-27T09:00+01:00"),
    ("wednesday", "2026-12-02T09:00+01:00"),  # the same weekday means next week's
    ("next wednesday", "2026-12-02T09:00+01:00"),
    ("next tuesday", "2026-12-01T09:00+01:00"),
    ("tomorrow", "2026-11-26T09:00+01:00"),
    ("the day after tomorrow", "2026-11-27T09:00+01:00"),
    ("Dec 3", "2026-12-03T09:00+01:00"),
    ("Dec. 3rd", "2026-12-03T09:00+01:00"),
    ("december 3", "2026-12-03T09:00+01:00"),
    ("3 dec", "2026-12-03T09:00+01:00"),
    ("the 3rd of December", "2026-12-03T09:00+01:00"),
    ("10 December", "2026-12-10T09:00+01:00"),
    ("dec 3, 2027", "2027-12-03T09:00+01:00"),
    ("on 2027-01-11", "2027-01-11T09:00+01:00"),
    ("25.12.", "2026-12-25T09:00+01:00"),
    ("25.12.2027", "2027-12-25T09:00+01:00"),
    ("12/25", "2026-12-25T09:00+01:00"),  # only one reading is a real date
    ("25/12", "2026-12-25T09:00+01:00"),
    ("12/25/27", "2027-12-25T09:00+01:00"),
    ("feb 29", "2028-02-29T09:00+01:00"),  # the next year that has one
    ("the 15th", "2026-12-15T09:00+01:00"),
    ("in 3 days", "2026-11-28T09:00+01:00"),
    ("in a week", "2026-12-02T09:00+01:00"),
    ("in 2 weeks", "2026-12-09T09:00+01:00"),
    ("2 weeks from now", "2026-12-09T09:00+01:00"),
    ("in a fortnight", "2026-12-09T09:00+01:00"),
    ("in 1 month", "2026-12-25T09:00+01:00"),
    ("in 1 year", "2027-11-25T09:00+01:00"),
    ("friday next week", "2026-12-04T09:00+01:00"),
    ("next week monday", "2026-11-30T09:00+01:00"),
    # Exact offsets from now.
    ("in 2 hours", "2026-11-25T12:30+01:00"),
    ("in 30 min", "2026-11-25T11:00+01:00"),
    ("in 2h", "2026-11-25T12:30+01:00"),
    ("in an hour", "2026-11-25T11:30+01:00"),
    ("in half an hour", "2026-11-25T11:00+01:00"),
    ("in an hour and a half", "2026-11-25T12:00+01:00"),
    ("in 1.5 hours", "2026-11-25T12:00+01:00"),
    ("in 90 minutes", "2026-11-25T12:00+01:00"),
    ("45 minutes from now", "2026-11-25T11:15+01:00"),
    # Named periods.
    ("next week", "2026-11-30T09:00+01:00"),
    ("next month", "2026-12-01T09:00+01:00"),
    ("eod", "2026-11-25T17:00+01:00"),
    ("end of day", "2026-11-25T17:00+01:00"),
    ("by eod", "2026-11-25T17:00+01:00"),
    ("COB", "2026-11-25T17:00+01:00"),
    ("friday eod", "2026-11-27T17:00+01:00"),
    ("end of week", "2026-11-27T17:00+01:00"),
    ("eow", "2026-11-27T17:00+01:00"),
    ("end of next week", "2026-12-04T17:00+01:00"),
    ("end of month", "2026-11-30T17:00+01:00"),
    ("eom", "2026-11-30T17:00+01:00"),
    ("end of next month", "2026-12-31T17:00+01:00"),
    ("today", "2026-11-25T17:00+01:00"),  # 09:00 has passed, so the end of the working day
    # Cheap typos and abbreviations.
    ("tomorow", "2026-11-26T09:00+01:00"),
    ("tommorow", "2026-11-26T09:00+01:00"),
    ("tmrw 3pm", "2026-11-26T15:00+01:00"),
    ("tmr", "2026-11-26T09:00+01:00"),
    ("fri", "2026-11-27T09:00+01:00"),
    ("thurs", "2026-11-26T09:00+01:00"),
    ("tues", "2026-12-01T09:00+01:00"),
    ("wed", "2026-12-02T09:00+01:00"),
    ("nxt week", "2026-11-30T09:00+01:00"),
    # Fillers between the marker and the time.
    ("me tomorrow", "2026-11-26T09:00+01:00"),
    ("on dec 3", "2026-12-03T09:00+01:00"),
    ("by friday 3pm", "2026-11-27T15:00+01:00"),
    ("3pm on friday", "2026-11-27T15:00+01:00"),
    # Left to dateparser.
    ("10 december 2027 14h", "2027-12-10T14:00+01:00"),
    ("dec 10 3pm est", "2026-12-10T21:00+01:00"),
    ("next year", "2027-11-25T09:00+01:00"),
]


@pytest.mark.parametrize(("phrase", "expected"), ON_WEDNESDAY, ids=[case[0] for case in ON_WEDNESDAY])
def test_rules_on_a_wednesday_morning(phrase: str, expected: str) -> None:
    assert due(phrase) == expected


# --------------------------------------------------------------------------------------------------------
# parse_due: rules that depend on when they are read
# --------------------------------------------------------------------------------------------------------

AT_OTHER_TIMES = [
    # "today" and "eod" early in the day.
    pytest.param(local(BERLIN, 2026, 11, 25, 7, 0), "today", "2026-11-25T09:00+01:00", id="today-before-9"),
    pytest.param(local(BERLIN, 2026, 11, 25, 7, 0), "eod", "2026-11-25T17:00+01:00", id="eod-early"),
    # A weekday never means today, even while 09:00 is still ahead.
    pytest.param(local(BERLIN, 2026, 11, 27, 8, 0), "friday", "2026-12-04T09:00+01:00", id="friday-on-friday"),
    pytest.param(local(BERLIN, 2026, 11, 27, 8, 0), "fri 3pm", "2026-12-04T15:00+01:00", id="fri-3pm-on-friday"),
    pytest.param(local(BERLIN, 2026, 11, 29, 12, 0), "next week", "2026-11-30T09:00+01:00", id="next-week-sun"),
    pytest.param(local(BERLIN, 2026, 11, 30, 8, 0), "next week", "2026-12-07T09:00+01:00", id="next-week-mon"),
    # End of week rolls over once this week's Friday 17:00 is not ahead.
    pytest.param(local(BERLIN, 2026, 11, 27, 16, 59), "eow", "2026-11-27T17:00+01:00", id="eow-fri-before-5"),
    pytest.param(local(BERLIN, 2026, 11, 27, 17, 0), "eow", "2026-12-04T17:00+01:00", id="eow-fri-at-5"),
    pytest.param(local(BERLIN, 2026, 11, 27, 18, 0), "eow", "2026-12-04T17:00+01:00", id="eow-fri-evening"),
    pytest.param(local(BERLIN, 2026, 11, 28, 12, 0), "end of week", "2026-12-04T17:00+01:00", id="eow-saturday"),
    pytest.param(local(BERLIN, 2026, 11, 29, 12, 0), "eow", "2026-12-04T17:00+01:00", id="eow-sunday"),
    pytest.param(local(BERLIN, 2026, 11, 28, 12, 0), "end of next week", "2026-12-04T17:00+01:00", id="eonw-sat"),
    # Month ends: clamping, leap years, and a closed month rolling over.
    pytest.param(local(BERLIN, 2027, 1, 31, 10, 0), "in 1 month", "2027-02-28T09:00+01:00", id="jan31+1mo"),
    pytest.param(local(BERLIN, 2028, 1, 31, 10, 0), "in a month", "2028-02-29T09:00+01:00", id="jan31+1mo-leap"),
    pytest.param(local(BERLIN, 2027, 3, 31, 10, 0), "in 1 month", "2027-04-30T09:00+02:00", id="mar31+1mo"),
    pytest.param(local(BERLIN, 2028, 2, 10, 10, 0), "end of month", "2028-02-29T17:00+01:00", id="eom-feb-leap"),
    pytest.param(local(BERLIN, 2027, 2, 10, 10, 0), "eom", "2027-02-28T17:00+01:00", id="eom-feb"),
    pytest.param(local(BERLIN, 2028, 2, 29, 18, 0), "eom", "2028-03-31T17:00+02:00", id="eom-after-close"),
    pytest.param(local(BERLIN, 2028, 2, 29, 10, 0), "in 1 year", "2029-02-28T09:00+01:00", id="feb29+1y"),
    # Year rollover.
    pytest.param(local(BERLIN, 2026, 12, 20, 10, 0), "Dec 3", "2027-12-03T09:00+01:00", id="dec3-on-dec20"),
    pytest.param(local(BERLIN, 2026, 12, 20, 10, 0), "3 jan", "2027-01-03T09:00+01:00", id="jan3-on-dec20"),
    pytest.param(local(BERLIN, 2026, 12, 20, 10, 0), "next month", "2027-01-01T09:00+01:00", id="next-month-dec"),
    pytest.param(local(BERLIN, 2026, 12, 20, 10, 0), "in 2 weeks", "2027-01-03T09:00+01:00", id="2w-over-newyear"),
    pytest.param(local(BERLIN, 2026, 12, 20, 10, 0), "end of month", "2026-12-31T17:00+01:00", id="eom-dec"),
    pytest.param(local(BERLIN, 2026, 12, 20, 10, 0), "the 5th", "2027-01-05T09:00+01:00", id="the-5th-dec"),
    pytest.param(local(BERLIN, 2026, 12, 31, 10, 0), "tomorrow", "2027-01-01T09:00+01:00", id="tomorrow-nye"),
    # Today's date with a time still ahead is today, not next year.
    pytest.param(WED, "nov 25 3pm", "2026-11-25T15:00+01:00", id="today-by-date"),
    # `now` may come in any zone; the day is the author's local day.
    pytest.param(local(UTC, 2026, 11, 25, 9, 30), "tomorrow 3pm", "2026-11-26T15:00+01:00", id="now-in-utc"),
    pytest.param(local(NEW_YORK, 2026, 11, 25, 23, 30), "tomorrow", "2026-11-27T09:00+01:00", id="now-in-ny"),
]


@pytest.mark.parametrize(("now", "phrase", "expected"), AT_OTHER_TIMES)
def test_rules_that_depend_on_now(now: datetime, phrase: str, expected: str) -> None:
    assert due(phrase, now) == expected


# --------------------------------------------------------------------------------------------------------
# parse_due: daylight saving time
# --------------------------------------------------------------------------------------------------------

ACROSS_DST = [
    # New York springs forward 2027-03-14 02:00 -> 03:00.
    pytest.param(NEW_YORK, (2027, 3, 13, 10, 0), "tomorrow", "2027-03-14T09:00-04:00", id="ny-spring-day"),
    pytest.param(NEW_YORK, (2027, 3, 13, 10, 0), "tomorrow 2:30am", "2027-03-14T03:00-04:00", id="ny-gap"),
    pytest.param(NEW_YORK, (2027, 3, 13, 10, 0), "2027-03-14 02:00", "2027-03-14T03:00-04:00", id="ny-gap-start"),
    pytest.param(NEW_YORK, (2027, 3, 13, 10, 0), "tomorrow 3am", "2027-03-14T03:00-04:00", id="ny-after-gap"),
    pytest.param(NEW_YORK, (2027, 3, 13, 10, 0), "tomorrow 1:59am", "2027-03-14T01:59-05:00", id="ny-before-gap"),
    pytest.param(NEW_YORK, (2027, 3, 12, 10, 0), "in 3 days", "2027-03-15T09:00-04:00", id="ny-3-days"),
    pytest.param(NEW_YORK, (2027, 3, 14, 1, 30), "in 2 hours", "2027-03-14T04:30-04:00", id="ny-2h-spring"),
    # New York falls back 2026-11-01 02:00 -> 01:00; 01:30 happens twice.
    pytest.param(NEW_YORK, (2026, 10, 31, 10, 0), "tomorrow 1:30am", "2026-11-01T01:30-04:00", id="ny-repeat"),
    pytest.param(NEW_YORK, (2026, 10, 31, 10, 0), "tomorrow", "2026-11-01T09:00-05:00", id="ny-fall-day"),
    pytest.param(NEW_YORK, (2026, 11, 1, 0, 30), "in 2 hours", "2026-11-01T01:30-05:00", id="ny-2h-fall"),
    pytest.param(NEW_YORK, (2026, 10, 30, 10, 0), "in 3 days", "2026-11-02T09:00-05:00", id="ny-3-days-fall"),
    # Berlin springs forward 2027-03-28 02:00 -> 03:00 and falls back 2026-10-25 03:00 -> 02:00.
    pytest.param(BERLIN, (2027, 3, 27, 10, 0), "tomorrow 2:30am", "2027-03-28T03:00+02:00", id="berlin-gap"),
    pytest.param(BERLIN, (2027, 3, 28, 1, 30), "in 2 hours", "2027-03-28T04:30+02:00", id="berlin-2h-spring"),
    pytest.param(BERLIN, (2027, 3, 26, 10, 0), "in 3 days", "2027-03-29T09:00+02:00", id="berlin-3-days"),
    pytest.param(BERLIN, (2027, 3, 26, 10, 0), "end of week", "2027-03-26T17:00+01:00", id="berlin-eow"),
    pytest.param(BERLIN, (2026, 10, 24, 10, 0), "tomorrow 2:30am", "2026-10-25T02:30+02:00", id="berlin-repeat"),
    pytest.param(BERLIN, (2026, 10, 24, 10, 0), "in 2 days", "2026-10-26T09:00+01:00", id="berlin-2-days"),
    pytest.param(BERLIN, (2026, 10, 25, 1, 30), "in 2 hours", "2026-10-25T02:30+01:00", id="berlin-2h-fall"),
]


@pytest.mark.parametrize(("tz", "fields", "phrase", "expected"), ACROSS_DST)
def test_daylight_saving_time(tz: ZoneInfo, fields: tuple[int, ...], phrase: str, expected: str) -> None:
    assert due(phrase, local(tz, *fields), tz) == expected


# --------------------------------------------------------------------------------------------------------
# parse_due: refusals, with the exact sentence the user sees
# --------------------------------------------------------------------------------------------------------

EVENING = local(BERLIN, 2026, 11, 25, 18, 0)

REFUSED = [
    # Unreadable.
    (WED, "blorp", "I couldn't read “blorp” as a date or time."),
    (WED, "asap", "I couldn't read “asap” as a date or time."),
    (WED, "soon", "I couldn't read “soon” as a date or time."),
    (WED, "3", "I couldn't read “3” as a date or time."),
    (WED, "12", "I couldn't read “12” as a date or time."),
    (WED, "in 5", "I couldn't read “in 5” as a date or time."),
    (WED, "friday 3", "I couldn't read “friday 3” as a date or time."),
    (WED, "december", "I couldn't read “december” as a date or time."),
    (WED, "friday about pricing", "I couldn't read “friday about pricing” as a date or time."),
    (WED, "3pm or 4pm", "I couldn't read “3pm or 4pm” as a date or time."),
    (WED, " (blorp). ", "I couldn't read “blorp” as a date or time."),
    # Empty.
    (WED, "", "Tell me when to follow up, e.g. “friday” or “tomorrow 3pm”."),
    (WED, " .. ", "Tell me when to follow up, e.g. “friday” or “tomorrow 3pm”."),
    # Impossible or ambiguous.
    (WED, "13pm", "“13pm” is not a valid time of day."),
    (WED, "25:00", "“25:00” is not a valid time of day."),
    (WED, "feb 30", "“feb 30” is not a real date."),
    (WED, "2027-02-29", "“2027-02-29” is not a real date."),
    (WED, "the 32nd", "“the 32nd” is not a real date."),
    (WED, "12/03", "I can't tell if “12/03” means 3 Dec or 12 Mar; please write the month as a word."),
    (WED, "Thu Nov 27", "27 Nov 2026 is a Friday, not a Thursday."),
    # In the past, or not strictly after now.
    (WED, "at 9am", "9am today has already passed."),
    (WED, "10am", "10am today has already passed."),
    (WED, "today 10:30", "10:30 today has already passed."),
    (WED, "this morning", "9am today has already passed."),
    (WED, "Nov 3 2026", "Tue 3 Nov, 09:00 is in the past."),
    (WED, "nov 25", "Wed 25 Nov, 09:00 is in the past."),
    (WED, "2025-12-01", "Mon 1 Dec 2025, 09:00 is in the past."),
    (WED, "yesterday", "Tue 24 Nov, 09:00 is in the past."),
    (WED, "in 0 minutes", "Wed 25 Nov, 10:30 is in the past."),
    (WED, "2 days ago", "Mon 23 Nov, 09:00 is in the past."),
    (EVENING, "today", "Wed 25 Nov, 17:00 is in the past."),
    (EVENING, "eod", "5pm today has already passed."),
    (EVENING, "4pm", "4pm today has already passed."),
]


@pytest.mark.parametrize(("now", "phrase", "message"), REFUSED, ids=[case[1] or "<empty>" for case in REFUSED])
def test_refusals_say_what_was_not_understood(now: datetime, phrase: str, message: str) -> None:
    with pytest.raises(DueTimeError) as refusal:
        parse_due(phrase, now, BERLIN)
    assert str(refusal.value) == message


def test_naive_now_is_a_programming_error_not_a_user_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware") as error:
        parse_due("tomorrow", datetime(2026, 11, 25, 10, 30), BERLIN)
    assert not isinstance(error.value, DueTimeError)


# --------------------------------------------------------------------------------------------------------
# parse_due: speed
# --------------------------------------------------------------------------------------------------------


def test_rule_phrases_never_touch_dateparser(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden() -> None:
        raise AssertionError("dateparser was called for a phrase the rules cover")

    monkeypatch.setattr(due_times, "_dateparser", forbidden)
    readings = {phrase: due(phrase) for phrase, _ in ON_WEDNESDAY[:-3]}
    assert readings == dict(ON_WEDNESDAY[:-3])
    assert find_follow_up("Acme: call, follow up friday 3pm") == FollowUpClause(12, "follow up", None, "friday 3pm")


def test_warm_up_loads_dateparser() -> None:
    warm_up()
    assert "dateparser" in sys.modules
    assert due("10 december 2027 14h") == "2027-12-10T14:00+01:00"


# --------------------------------------------------------------------------------------------------------
# find_follow_up
# --------------------------------------------------------------------------------------------------------

FOUND = [
    # Each marker.
    ("Acme: follow up friday", FollowUpClause(6, "follow up", None, "friday")),
    ("Acme: follow-up tomorrow", FollowUpClause(6, "follow-up", None, "tomorrow")),
    ("Acme: followup: dec 3", FollowUpClause(6, "followup", None, "dec 3")),
    ("Acme: f/u eod", FollowUpClause(6, "f/u", None, "eod")),
    ("Acme: f/u: dec 3", FollowUpClause(6, "f/u", None, "dec 3")),
    ("Acme: fu in 2h", FollowUpClause(6, "fu", None, "in 2h")),
    ("Acme: FU 3pm", FollowUpClause(6, "FU", None, "3pm")),
    ("Acme: remind me on friday", FollowUpClause(6, "remind me", None, "on friday")),
    ("Acme: reminder - next week", FollowUpClause(6, "reminder", None, "next week")),
    ("Acme: nudge me by eod", FollowUpClause(6, "nudge me", None, "by eod")),
    ("Acme: ping tmrw", FollowUpClause(6, "ping", None, "tmrw")),
    ("Acme: ping me friday 3pm", FollowUpClause(6, "ping", None, "friday 3pm")),
    ("Acme: check in again in 3 days", FollowUpClause(6, "check in", None, "in 3 days")),
    ("Acme: check back monday", FollowUpClause(6, "check back", None, "monday")),
    ("Acme: circle back on monday", FollowUpClause(6, "circle back", None, "on monday")),
    ("Acme: Follow Up on Dec 3", FollowUpClause(6, "Follow Up", None, "on Dec 3")),
    ("Acme: follow up by eod.", FollowUpClause(6, "follow up", None, "by eod")),
    ("Acme: follow up (friday)", FollowUpClause(6, "follow up", None, "friday")),
    # After the usual connectors, `start` is the marker itself.
    ("Acme: call with Dana, follow up friday", FollowUpClause(22, "follow up", None, "friday")),
    ("Acme: sent the quote; then follow up friday", FollowUpClause(27, "follow up", None, "friday")),
    ("Acme: demo - f/u monday", FollowUpClause(13, "f/u", None, "monday")),
    # Assignee mentions, with and without a label.
    (
        "Globex - demo went well #pricing f/u <@U123ABC> tomorrow 3pm",
        FollowUpClause(33, "f/u", "U123ABC", "tomorrow 3pm"),
    ),
    ("Acme: ping <@U123ABC|dana> friday", FollowUpClause(6, "ping", "U123ABC", "friday")),
    ("Acme: followup: <@W42|sam> in 2 days", FollowUpClause(6, "followup", "W42", "in 2 days")),
    # Several markers: the last readable one, else the last one.
    ("Acme: ping from Dana, follow up friday", FollowUpClause(22, "follow up", None, "friday")),
    ("Acme: check in call done, f/u <@U1> next week", FollowUpClause(26, "f/u", "U1", "next week")),
    ("Acme: follow up friday re: ping issue", FollowUpClause(27, "ping", None, "issue")),
    # A marker at the very end, with no time.
    ("Acme: good call, follow up", FollowUpClause(17, "follow up", None, "")),
    ("Acme: good call, f/u <@U9>.", FollowUpClause(17, "f/u", "U9", "")),
    # A marker with something that is not a time, so the caller can say so.
    ("Acme: ping Dana about pricing", FollowUpClause(6, "ping", None, "Dana about pricing")),
]


@pytest.mark.parametrize(("text", "expected"), FOUND, ids=[case[0] for case in FOUND])
def test_finds_the_follow_up_clause(text: str, expected: FollowUpClause) -> None:
    assert find_follow_up(text) == expected


NOT_FOUND = [
    "Acme: call with Dana",
    "Acme: fun demo",
    "Acme: refund issued",
    "Acme: pinged Dana",
    "Acme: ping-pong table for the office",
    "Acme: followups pending",
    "Acme: quarterly check-in went well",
    "Acme: emailed fu@acme.test",
    "Acme: met <@U1|ping> today",
    "Acme: see <https://acme.test/follow-up|follow up> doc",
    "",
]


@pytest.mark.parametrize("text", NOT_FOUND)
def test_false_friends_are_not_markers(text: str) -> None:
    assert find_follow_up(text) is None


def test_clause_and_due_time_together() -> None:
    line = "Globex - demo went well #pricing f/u <@U123ABC> tomorrow 3pm"
    clause = find_follow_up(line)
    assert clause is not None
    assert line[clause.start :] == "f/u <@U123ABC> tomorrow 3pm"
    assert parse_due(clause.when_text, WED, BERLIN) == datetime(2026, 11, 26, 15, 0, tzinfo=BERLIN)
