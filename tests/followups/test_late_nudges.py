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


def test_the_shell_says_how_late_a_nudge_is_after_a_long_advance(run_shell):
    out = run_shell("/log Acme: call with Dana, follow up tomorrow 3pm", ":advance 2d")

    assert "hours ago" in out.split("Clock moved 2 days ahead")[1]
