"""`follow up @dave friday` with @dave typed as plain text: the reply says who it could not tell, not that
it could not read a date, and the touchpoint is kept."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.capture.due_times import find_follow_up, parse_due
from storage.models import FollowUp, Touchpoint
from tests.conftest import TEAM
from tests.helpers import seed_customers, texts


def test_a_plain_at_name_is_reported_as_an_unknown_person_and_the_touchpoint_is_kept(slack, runtime):
    seed_customers(runtime, TEAM, {"name": "Acme Corp"})

    reply = slack.command("U0ALICE", "Acme: call with Dana, follow up @dave friday")

    shown = texts(reply.json())
    assert "I couldn't tell who @dave is" in shown and "type @ and pick the person" in shown
    assert "as a date or time" not in shown
    with runtime.sessions.begin() as session:
        [tp] = session.scalars(select(Touchpoint)).all()
        assert session.scalars(select(FollowUp)).all() == []
    assert tp.summary == "call with Dana"


def test_a_clock_after_an_at_sign_is_still_a_time_and_a_real_mention_an_assignee():
    assert find_follow_up("Acme: call, follow up @3pm").unknown_name is None
    assert find_follow_up("Acme: call, follow up @noon").when_text == "@noon"
    clause = find_follow_up("Acme: call, ping <@U0CAROL|carol> friday")
    assert (clause.assignee, clause.unknown_name, clause.when_text) == ("U0CAROL", None, "friday")
    assert find_follow_up("Acme: call, ping @carol.chen friday").unknown_name == "carol.chen"


def test_the_words_kept_with_a_follow_up_still_read_as_a_time_after_the_mention():
    clause = find_follow_up("ping @carol dec 10 at 2pm")
    now = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
    assert parse_due(clause.when_text, now, ZoneInfo("Europe/Berlin")).isoformat() == "2026-12-10T14:00:00+01:00"
