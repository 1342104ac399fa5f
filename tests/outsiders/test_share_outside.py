"""*Share in channel* of a card or a report into a channel another organisation reads asks first and shares only
on *Share anyway*; *Cancel* posts nothing. A channel only the company reads is shared into at once."""

from __future__ import annotations

import pytest

from tests.conftest import TEAM
from tests.helpers import element, seed_customers, texts

WARNING = "People outside Touchpoint Stand-in can see <#C0SHARED>. Share anyway?"


@pytest.fixture
def customers(runtime):
    return seed_customers(runtime, TEAM, {"name": "Acme Corp", "domain": "acme.com"})


def card_in(slack, channel: str) -> dict:
    return slack.command("U0ALICE", "acme", command="/customer", channel=channel).json()


def press_share_on_card(slack, standin, channel: str) -> dict:
    """Alice's card, *Share in channel* pressed in `channel`: the reply at the click's response URL."""
    block_id, share = element(card_in(slack, channel), "card_share")
    slack.click("U0ALICE", share, block_id=block_id, channel=channel)
    return standin.wait_for("response_url")[-1].params


def test_a_card_shared_into_a_slack_connect_channel_is_asked_about_first(slack, standin, customers):
    standin.share_channel("C0SHARED")

    warning = press_share_on_card(slack, standin, "C0SHARED")

    assert WARNING in texts(warning)
    assert warning["response_type"] == "ephemeral" and warning["replace_original"] is False  # the card stays
    [asked] = standin.calls_to("conversations.info")
    assert asked.params["channel"] == "C0SHARED"
    assert not standin.calls_to("chat.postMessage")  # nothing visible to anyone yet
    assert element(warning, "card_share_confirmed")[1]["text"]["text"] == "Share anyway"
    assert element(warning, "share_outside_cancel")[1]["text"]["text"] == "Cancel"


def test_share_anyway_posts_the_card_and_the_note_replaces_the_warning(slack, standin, customers):
    standin.share_channel("C0SHARED")
    warning = press_share_on_card(slack, standin, "C0SHARED")
    standin.clear()

    block_id, anyway = element(warning, "card_share_confirmed")
    slack.click("U0ALICE", anyway, block_id=block_id, channel="C0SHARED")

    [posted] = standin.wait_for("chat.postMessage")
    assert posted.params["channel"] == "C0SHARED"
    assert "Acme Corp" in texts(posted.params) and "Shared by <@U0ALICE>" in texts(posted.params)
    [note] = standin.wait_for("response_url")
    assert "Shared the card of *Acme Corp* in this channel" in texts(note.params)
    assert note.params["replace_original"] is True
    assert not standin.calls_to("conversations.info")  # asked once, answered by the person


def test_cancel_posts_nothing(slack, standin, customers):
    standin.share_channel("C0SHARED")
    warning = press_share_on_card(slack, standin, "C0SHARED")
    standin.clear()

    block_id, cancel = element(warning, "share_outside_cancel")
    slack.click("U0ALICE", cancel, block_id=block_id, channel="C0SHARED")

    [note] = standin.wait_for("response_url")
    assert "Not shared" in texts(note.params) and note.params["replace_original"] is True
    assert not standin.calls_to("chat.postMessage")


@pytest.mark.parametrize(
    "how",
    [
        {"externally": False},  # the workspace's own channel
        {"externally": False, "within_org": True},  # shared with other workspaces of the same grid org
    ],
)
def test_a_channel_only_the_company_reads_is_shared_into_at_once(slack, standin, customers, how):
    standin.share_channel("C0SALES", **how)

    note = press_share_on_card(slack, standin, "C0SALES")

    [posted] = standin.wait_for("chat.postMessage")
    assert posted.params["channel"] == "C0SALES"
    assert "Shared the card of *Acme Corp*" in texts(note)


def test_a_channel_about_to_be_shared_outside_is_asked_about_too(slack, standin, customers):
    standin.share_channel("C0SHARED", pending=True)

    assert WARNING in texts(press_share_on_card(slack, standin, "C0SHARED"))
    assert not standin.calls_to("chat.postMessage")


def test_when_slack_cannot_say_who_reads_the_channel_it_is_asked_about_all_the_same(slack, standin, customers):
    standin.fail_next("conversations.info", error="missing_scope")

    warning = press_share_on_card(slack, standin, "C0SHARED")

    assert "I couldn't check whether people outside Touchpoint Stand-in can see <#C0SHARED>" in texts(warning)
    assert not standin.calls_to("chat.postMessage")


def report_summary(slack, standin) -> dict:
    slack.command("U0ALICE", "Acme: call about the renewal")
    slack.command("U0ALICE", "", command="/report", channel="C0SHARED")
    return standin.wait_for("response_url")[-1].params


def test_a_report_shared_into_a_slack_connect_channel_is_asked_about_first_then_posted(slack, standin, customers):
    standin.share_channel("C0SHARED")
    summary = report_summary(slack, standin)
    standin.wait_for("files.completeUploadExternal", timeout=30)  # the chart, in Alice's DM
    standin.clear()

    slack.click("U0ALICE", element(summary, "report_share")[1], channel="C0SHARED")

    [warning] = standin.wait_for("response_url")
    assert WARNING in texts(warning.params) and warning.params["replace_original"] is False
    assert not standin.calls_to("chat.postMessage") and len(standin.files) == 1
    standin.clear()

    slack.click("U0ALICE", element(warning.params, "report_share_confirmed")[1], channel="C0SHARED")

    [posted] = standin.wait_for("chat.postMessage")
    assert posted.params["channel"] == "C0SHARED" and "shared by <@U0ALICE>" in texts(posted.params)
    standin.wait_for("files.completeUploadExternal", timeout=30)
    assert standin.files[-1].channel == "C0SHARED"
    [note] = standin.wait_for("response_url")
    assert "Shared the report" in texts(note.params) and note.params["replace_original"] is True


def test_a_report_shared_into_a_plain_channel_is_posted_at_once(slack, standin, customers):
    summary = report_summary(slack, standin)
    standin.clear()

    slack.click("U0ALICE", element(summary, "report_share")[1], channel="C0SALES")

    [posted] = standin.wait_for("chat.postMessage")
    assert posted.params["channel"] == "C0SALES"
    [note] = standin.wait_for("response_url")
    assert "Shared the report" in texts(note.params) and note.params["replace_original"] is False


def test_a_cancelled_report_share_posts_nothing(slack, standin, customers):
    standin.share_channel("C0SHARED")
    summary = report_summary(slack, standin)
    standin.wait_for("files.completeUploadExternal", timeout=30)
    slack.click("U0ALICE", element(summary, "report_share")[1], channel="C0SHARED")
    warning = standin.wait_for("response_url", count=2)[-1].params
    standin.clear()

    slack.click("U0ALICE", element(warning, "share_outside_cancel")[1], channel="C0SHARED")

    [note] = standin.wait_for("response_url")
    assert "Not shared" in texts(note.params)
    assert not standin.calls_to("chat.postMessage") and len(standin.files) == 1
