"""A follow-up for a colleague is read in the author's zone; the reply says what that is in the colleague's
whenever the two differ, so nobody is surprised."""

from __future__ import annotations

import pytest

from tests.capture.test_modal_and_shortcut import form, opened_view
from tests.conftest import TEAM
from tests.helpers import seed_customers


@pytest.fixture(autouse=True)
def acme(runtime) -> int:
    return seed_customers(runtime, TEAM, {"name": "Acme Corp"})["Acme Corp"]


def headline(reply) -> str:
    return reply.json()["blocks"][0]["text"]["text"]


def test_a_colleague_elsewhere_is_told_the_time_in_both_zones(slack):
    reply = slack.command("U0ALICE", "Acme: call with Dana, ping <@U0BOB|bob> Dec 10 at 2pm")

    # 14:00 in Berlin is 08:00 in New York
    assert headline(reply).endswith("· follow-up Thu 10 Dec, 14:00 your time, 08:00 for <@U0BOB>")


def test_on_another_day_there_the_day_is_said_too(slack):
    reply = slack.command("U0ALICE", "Acme: call with Dana, ping <@U0CAROL> Dec 10 at 6pm")

    # 18:00 in Berlin is 02:00 the next day in Tokyo
    assert headline(reply).endswith("· follow-up Thu 10 Dec, 18:00 your time, Fri 11 Dec, 02:00 for <@U0CAROL>")


def test_a_colleague_in_the_same_zone_gets_one_time(slack, standin):
    standin.add_user("U0DAVE", name="dave", tz="Europe/Paris")  # the same offset as Berlin

    reply = slack.command("U0ALICE", "Acme: call with Dana, ping <@U0DAVE> Dec 10 at 2pm")

    assert headline(reply).endswith("· follow-up Thu 10 Dec, 14:00 for <@U0DAVE>")


def test_a_colleague_who_used_the_bot_is_read_from_the_store(slack, standin):
    slack.command("U0BOB", "Acme: intro call")
    standin.clear()

    reply = slack.command("U0ALICE", "Acme: call with Dana, ping <@U0BOB> Dec 10 at 2pm")

    assert headline(reply).endswith("14:00 your time, 08:00 for <@U0BOB>")
    asked = [c.params.get("user") for c in standin.calls_to("users.info")]
    assert "U0BOB" not in asked  # only Alice: her first request


def test_the_form_says_it_too_for_the_person_picked(slack, standin, acme):
    slack.command("U0ALICE", "")
    values = form(str(acme), follow_up_text="dec 10 at 2pm")
    values["assignee"] = {"value": {"type": "users_select", "selected_user": "U0BOB"}}

    assert slack.submit("U0ALICE", opened_view(standin), values).status == 200

    [confirmation] = standin.wait_for("chat.postEphemeral")
    assert confirmation.params["blocks"][0]["text"]["text"].endswith("14:00 your time, 08:00 for <@U0BOB>")
