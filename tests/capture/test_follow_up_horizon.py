"""A follow-up too far ahead ("in 9999 years") is an unreadable follow-up, not a lost line."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.capture.due_times import DueTimeError, find_follow_up, parse_due
from bot.capture.parsing import parse_log_line
from bot.customers.matching import NameIndex
from storage.models import FollowUp, Touchpoint
from tests.conftest import TEAM
from tests.helpers import count, element, seed_customers, texts

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)  # a Wednesday
BERLIN = ZoneInfo("Europe/Berlin")
TOO_FAR = [
    "in 9999 years",  # past date's year 9999: once a ValueError
    "in 3000000 days",  # past date's range: once an OverflowError
    "in 99999999999 weeks",  # past timedelta's range
    "in 99999999 months",
    "in 7000 years",  # a real date, only absurd
    "in 11 years",
    "dec 3 2099",
    "12/31/9999 11pm",
    "in " + "9" * 80 + " minutes",  # past float's integer range in the elapsed-time arithmetic
    "in " + "9" * 80 + " days",
]


@pytest.mark.parametrize("phrase", TOO_FAR, ids=lambda phrase: phrase[:24])
def test_a_due_time_beyond_ten_years_is_too_far_ahead(phrase):
    with pytest.raises(DueTimeError, match="^That's too far ahead") as raised:
        parse_due(phrase, NOW, BERLIN)
    assert phrase in str(raised.value)


@pytest.mark.parametrize(
    ("phrase", "due"),
    [
        ("in 10 years", datetime(2036, 11, 25, 9, 0, tzinfo=BERLIN)),
        ("in 120 months", datetime(2036, 11, 25, 9, 0, tzinfo=BERLIN)),
        ("nov 25 2036 11pm", datetime(2036, 11, 25, 23, 0, tzinfo=BERLIN)),
    ],
)
def test_ten_years_ahead_is_still_a_plan(phrase, due):
    assert parse_due(phrase, NOW, BERLIN) == due


def test_a_leap_day_horizon_is_clamped_like_in_10_years():
    leap_day = datetime(2028, 2, 29, 8, 0, tzinfo=UTC)
    assert parse_due("in 10 years", leap_day, BERLIN) == datetime(2038, 2, 28, 9, 0, tzinfo=BERLIN)
    with pytest.raises(DueTimeError, match="too far ahead"):
        parse_due("mar 1 2038", leap_day, BERLIN)


@pytest.mark.parametrize("phrase", TOO_FAR, ids=lambda phrase: phrase[:24])
def test_a_too_far_phrase_still_reads_as_the_follow_up_clause(phrase):
    # Readable as a time, so it wins over an earlier marker whose remainder is not one.
    clause = find_follow_up(f"Acme: ping Dana, follow up {phrase}")
    assert clause is not None and clause.marker == "follow up" and clause.when_text == phrase


@pytest.mark.parametrize("phrase", TOO_FAR, ids=lambda phrase: phrase[:24])
def test_the_line_is_parsed_with_the_reason_instead_of_a_follow_up(phrase):
    parsed = parse_log_line(f"Acme: call with Dana, follow up {phrase}", NameIndex(), now=NOW, tz=BERLIN, author="U1")

    assert parsed.summary == "call with Dana"
    assert parsed.follow_up is None and parsed.follow_up_text == f"follow up {phrase}"
    assert any(error.startswith("That's too far ahead") for error in parsed.errors)


@pytest.mark.parametrize("phrase", ["in 9999 years", "in 3000000 days"])
def test_log_saves_the_touchpoint_and_says_the_follow_up_is_too_far_ahead(slack, runtime, phrase):
    seed_customers(runtime, TEAM, {"name": "Acme Corp", "domain": "acme.com"})

    reply = slack.command("U0ALICE", f"Acme: call with Dana, follow up {phrase}")

    assert reply.status == 200
    body = reply.json()
    assert "That's too far ahead" in texts(body) and phrase in texts(body)
    element(body, "tp_set_follow_up")  # the one-click fix
    with runtime.sessions.begin() as session:
        [touchpoint] = session.scalars(select(Touchpoint)).all()
        assert touchpoint.summary == "call with Dana"
        assert count(session, FollowUp) == 0
