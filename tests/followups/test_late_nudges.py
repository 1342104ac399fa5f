"""A nudge that arrives late (downtime, a long `:advance` in the shell) says how late it is."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.followups.dispatch import Dispatcher
from tests.conftest import START
from tests.followups.test_dispatch import add_follow_up, make_dispatcher, posts
from tests.helpers import texts


@pytest.fixture
def dispatcher(runtime, standin) -> Dispatcher:
    return make_dispatcher(runtime, standin)


def test_a_nudge_three_hours_late_says_so(runtime, standin, clock, dispatcher):
    add_follow_up(runtime, "U0ALICE", START - timedelta(hours=3, minutes=10), customer="Acme Corp")

    assert dispatcher.run_pass(clock()).nudges == 1

    [dm] = posts(standin)
    assert "due Wed 25 Nov, 06:20, *3 hours ago*" in texts(dm.params)
    assert dm.params["text"] == "Follow up with Acme Corp (due 3 hours ago)"


def test_a_nudge_a_few_minutes_late_does_not(runtime, standin, clock, dispatcher):
    add_follow_up(runtime, "U0ALICE", START - timedelta(minutes=10), customer="Acme Corp")

    assert dispatcher.run_pass(clock()).nudges == 1

    [dm] = posts(standin)
    assert "ago" not in texts(dm.params)


def test_a_long_advance_in_the_shell_nudges_at_the_instant_it_crossed_so_not_late(run_shell):
    # `:advance` replays every instant it crosses (bot/followups/crossing.py), as a scheduler ticking all along
    # would: the nudge went at 15:00, on time, so it has no lateness to tell. Downtime is what makes one late.
    out = run_shell("/log Acme: call with Dana, follow up tomorrow 3pm", ":advance 2d")

    after = out.split("Clock moved 2 days ahead")[1]
    nudge = after[after.index("🔔 Follow up with Acme") :].split("Touchpoint ·")[0]
    assert "due Thu 26 Nov, 15:00" in nudge and "ago" not in nudge
