"""A follow-up asked for at a time of its own is nudged at that instant, day or night; the morning digest
covers what falls due close to it and what was set for a day without a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.capture.due_times import asks_for_a_time
from bot.followups.dispatch import Dispatcher
from tests.conftest import TEAM
from tests.followups.test_dispatch import follow_up, ids_in, make_dispatcher, posts
from tests.followups.test_followups_ui import click, follow_ups, post_nudge, snooze_option
from tests.helpers import seed_customers, texts

THURSDAY_DIGEST = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # Thursday 09:00 in Berlin


@pytest.fixture
def dispatcher(runtime, standin) -> Dispatcher:
    return make_dispatcher(runtime, standin)


def log(slack, standin, line: str) -> None:
    slack.command("U0ALICE", line)
    standin.clear()


def test_a_follow_up_asked_for_at_2am_is_nudged_at_2am_not_held_for_the_digest(
    slack, standin, runtime, clock, dispatcher
):
    seed_customers(runtime, TEAM, {"name": "Acme Corp"})
    log(slack, standin, "Acme: call with Dana, follow up tomorrow 2am")

    clock.instant = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # Thursday 02:00 in Berlin
    report = dispatcher.run_pass(clock())

    assert (report.nudges, report.deferred) == (1, 0)
    [dm] = posts(standin)
    assert dm.params["channel"] == "U0ALICE"
    assert follow_up(runtime, ids_in(dm)[0]).nudged_at == clock()
    clock.instant = THURSDAY_DIGEST
    assert dispatcher.run_pass(clock()).nudges == 0


def test_in_30_minutes_at_night_is_nudged_thirty_minutes_later(slack, standin, runtime, clock, dispatcher):
    seed_customers(runtime, TEAM, {"name": "Acme Corp"})
    clock.instant = datetime(2026, 11, 26, 0, 15, tzinfo=UTC)  # Thursday 01:15 in Berlin
    log(slack, standin, "Acme: late call with Dana, remind me in 30 minutes")

    clock.advance(minutes=30)
    assert dispatcher.run_pass(clock()).nudges == 1


def test_a_day_without_a_time_and_a_time_close_to_the_digest_wait_for_it(slack, standin, runtime, clock, dispatcher):
    seed_customers(runtime, TEAM, {"name": "Acme Corp"}, {"name": "Globex"})
    log(slack, standin, "Acme: call with Dana, follow up tomorrow")  # Thursday, 09:00
    log(slack, standin, "Globex: call with Hank, follow up tomorrow 8:50am")

    clock.instant = THURSDAY_DIGEST - timedelta(minutes=10)
    report = dispatcher.run_pass(clock())
    assert (report.messages, report.deferred) == (0, 1)  # 08:50: the digest is ten minutes away

    clock.instant = THURSDAY_DIGEST
    report = dispatcher.run_pass(clock())
    assert (report.digests, report.nudges) == (1, 0)
    [digest] = posts(standin)
    assert len(ids_in(digest)) == 2


def test_a_day_without_a_time_is_due_today_in_its_digest_not_a_minute_overdue(
    slack, standin, runtime, clock, dispatcher
):
    seed_customers(runtime, TEAM, {"name": "Acme Corp"}, {"name": "Globex"})
    log(slack, standin, "Acme: call with Dana, follow up tomorrow")  # Thursday, 09:00: the digest's own hour
    log(slack, standin, "Globex: call with Hank, follow up tomorrow 8:50am")  # ten minutes before it

    clock.instant = THURSDAY_DIGEST + timedelta(seconds=40)  # a scheduler tick lands a little after the hour
    assert dispatcher.run_pass(clock()).digests == 1
    [digest] = posts(standin)
    shown = texts(digest.params)
    assert "*1 overdue* and *1 due today*" in shown
    assert "*Globex* — :alarm_clock: *10 min overdue*" in shown and "min overdue* (due Thu 26 Nov, 09:00)" not in shown

    # Told about at its due time: the digest covered it, so no nudge of its own follows.
    clock.advance(hours=2)
    assert dispatcher.run_pass(clock()).messages == 0
    assert all(follow_up(runtime, fu).nudged_at is not None for fu in ids_in(digest))


def test_whether_the_words_name_a_time_of_their_own():
    timed = ["follow up in 30 minutes", "f/u at 7am", "ping <@U0BOB> tomorrow 6:30", "2026-12-04 14:00", "in 2h"]
    timed += ["ping @carol dec 10 at 2pm", "snoozed until 2026-12-04 09:00 UTC"]
    dated = ["follow up friday", "f/u in 2 weeks", "remind me dec 10", "2026-12-04", "follow up end of week", None]
    assert [asks_for_a_time(words) for words in timed] == [True] * len(timed)
    assert [asks_for_a_time(words) for words in dated] == [False] * len(dated)


def test_a_day_only_follow_up_snoozed_for_an_hour_at_night_is_nudged_in_an_hour(slack, standin, runtime, clock):
    seed_customers(runtime, TEAM, {"name": "Acme Corp"})
    log(slack, standin, "Acme: call with Dana, follow up friday")
    [fu_id] = [row.id for row in follow_ups(runtime)]
    dm = post_nudge(runtime, standin, fu_id)
    clock.instant = datetime(2026, 11, 25, 22, 30, tzinfo=UTC)  # Wednesday 23:30 in Berlin

    click(slack, standin, "U0ALICE", dm, "fu_snooze", selected=snooze_option(dm, "1h"))

    clock.advance(hours=1)
    report = make_dispatcher(runtime, standin).run_pass(clock())
    assert (report.nudges, report.deferred) == (1, 0)
