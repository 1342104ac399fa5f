"""Linking a channel to a customer over signed HTTP: `/customer acme link #channel`, the card's *Link a channel*
picker and *Unlink*, joining the channel, the one notice in it, and the audit trail."""

from __future__ import annotations

import json

import pytest

from bot.blocks import channels as channel_blocks
from storage.models import AuditEvent, ChannelLink
from storage.workspaces import workspace_for_team
from tests.conftest import TEAM
from tests.helpers import element, seed_customers, texts

SHARED = "C0SHARED"
PARTNER = "T0PARTNER"


@pytest.fixture
def customers(runtime, standin):
    standin.add_channel(SHARED, "acme-shared", shared_with=(PARTNER,))
    return seed_customers(runtime, TEAM, {"name": "Acme Corp", "domain": "acme.com"}, {"name": "Globex"})


def customer_command(slack, standin, text: str, user: str = "U0ALICE") -> dict:
    """The command's reply, which comes through its response_url once the work after the ack is done."""
    before = len(standin.calls_to("response_url"))
    reply = slack.command(user, text, command="/customer")
    assert reply.status == 200
    return standin.wait_for("response_url", count=before + 1)[before].params


def replies(standin, count_: int = 1) -> list[dict]:
    return [call.params for call in standin.wait_for("response_url", count=count_)]


def notices_in(standin, channel: str) -> list[dict]:
    return [call.params for call in standin.calls_to("chat.postMessage") if call.params.get("channel") == channel]


def links(runtime) -> list[ChannelLink]:
    with runtime.readers.begin() as session:
        workspace = workspace_for_team(session, TEAM)
        return list(session.query(ChannelLink).filter_by(workspace_id=workspace.id))


def test_linking_from_the_command_joins_the_channel_says_so_there_once_and_records_who(
    slack, standin, runtime, customers
):
    customer_command(slack, standin, f"acme link <#{SHARED}|acme-shared>")

    [reply] = replies(standin)
    assert f"Linked <#{SHARED}> to *Acme Corp*" in texts(reply)
    assert reply["response_type"] == "ephemeral"
    assert standin.bot_is_member(SHARED)
    [notice] = notices_in(standin, SHARED)
    assert "now linked to *Acme Corp*" in texts(notice) and "recorded" in texts(notice)
    [link] = links(runtime)
    assert (link.channel_id, link.customer_id, link.linked_by, link.channel_name) == (
        SHARED,
        customers["Acme Corp"],
        "U0ALICE",
        "acme-shared",
    )
    assert link.unlinked_at is None

    customer_command(slack, standin, f"acme link <#{SHARED}>")  # again: nothing more is said in the channel

    assert "linked to *Acme Corp* already" in texts(replies(standin, 2)[1])
    assert len(notices_in(standin, SHARED)) == 1


def test_a_channel_linked_to_one_customer_is_not_linked_to_another(slack, standin, runtime, customers):
    customer_command(slack, standin, f"acme link <#{SHARED}|acme-shared>")
    customer_command(slack, standin, f"globex link <#{SHARED}|acme-shared>")

    refused = texts(replies(standin, 2)[1])
    assert "is linked to *Acme Corp*" in refused and "Unlink it first" in refused
    [link] = links(runtime)
    assert link.customer_id == customers["Acme Corp"]


def test_unlinking_is_recorded_and_link_again_undoes_it(slack, standin, runtime, customers):
    customer_command(slack, standin, f"acme link <#{SHARED}|acme-shared>")
    customer_command(slack, standin, f"acme unlink <#{SHARED}|acme-shared>", user="U0BOB")

    unlinked = replies(standin, 2)[1]
    assert f"Unlinked <#{SHARED}> from *Acme Corp*" in texts(unlinked)
    [link] = links(runtime)
    assert link.unlinked_at is not None and link.unlinked_by == "U0BOB"

    block_id, again = element(unlinked, channel_blocks.LINK_AGAIN)
    assert slack.click("U0BOB", again, block_id=block_id).status == 200

    assert f"Linked <#{SHARED}> to *Acme Corp*" in texts(replies(standin, 3)[2])
    [link] = links(runtime)
    assert link.unlinked_at is None and link.linked_by == "U0BOB"
    with runtime.readers.begin() as session:
        actions = [
            (event.action, event.actor_user_id, event.details["channel"])
            for event in session.query(AuditEvent).filter_by(entity_type="channel_link").order_by(AuditEvent.id)
        ]
    assert actions == [
        ("channel linked", "U0ALICE", SHARED),
        ("channel unlinked", "U0BOB", SHARED),
        ("channel linked", "U0BOB", SHARED),
    ]


def test_unlinking_a_channel_not_linked_says_so(slack, standin, runtime, customers):
    customer_command(slack, standin, f"acme unlink <#{SHARED}|acme-shared>")

    assert "is not linked to that customer" in texts(replies(standin)[0])
    assert links(runtime) == []


def test_a_private_channel_the_bot_is_not_in_asks_for_an_invitation_first(slack, standin, runtime, customers):
    standin.add_channel("G0SECRET", "acme-private", private=True, shared_with=(PARTNER,))

    customer_command(slack, standin, "acme link <#G0SECRET|acme-private>")

    assert "`/invite @Touchpoint` there" in texts(replies(standin)[0])
    assert links(runtime) == [] and standin.calls_to("conversations.join") == []

    standin.invite_bot("G0SECRET")
    customer_command(slack, standin, "acme link <#G0SECRET|acme-private>")

    assert "Linked <#G0SECRET> to *Acme Corp*" in texts(replies(standin, 2)[1])
    assert len(notices_in(standin, "G0SECRET")) == 1


def test_a_channel_typed_rather_than_picked_gets_a_hint(slack, standin, runtime, customers):
    customer_command(slack, standin, "acme link #acme-shared")

    assert "Pick it from Slack's list" in texts(replies(standin)[0])
    assert links(runtime) == []


def test_several_customers_matching_get_the_chooser_and_nothing_is_linked(slack, standin, runtime, customers):
    seed_customers(runtime, TEAM, {"name": "Umbrella Corporation"}, {"name": "Umbrella Health"})

    customer_command(slack, standin, f"umbr link <#{SHARED}|acme-shared>")

    assert "Several customers match" in texts(replies(standin)[0])
    assert links(runtime) == []


def test_the_card_links_a_channel_with_its_picker_and_lists_it_with_unlink(slack, standin, runtime, customers):
    card = slack.command("U0ALICE", "acme", command="/customer").json()
    block_id, link_button = element(card, channel_blocks.LINK_OPEN)

    assert slack.click("U0ALICE", link_button, block_id=block_id).status == 200
    [opened] = standin.wait_for("views.open")
    view = opened.params["view"]
    assert view["callback_id"] == channel_blocks.LINK_MODAL
    picker = view["blocks"][1]["element"]
    assert picker["type"] == "conversations_select"

    values = {channel_blocks.PICK_BLOCK: {channel_blocks.PICK_ACTION: {"selected_conversation": SHARED}}}
    assert slack.submit("U0ALICE", view, values).status == 200

    told = [c.params for c in standin.wait_for("chat.postMessage", count=2)]
    assert any(
        f"Linked <#{SHARED}> to *Acme Corp*" in texts(p) for p in told if p["channel"] in ("U0ALICE", "DU0ALICE")
    )
    assert len(notices_in(standin, SHARED)) == 1

    card = slack.command("U0ALICE", "acme", command="/customer").json()
    assert f"*Linked channels:* <#{SHARED}>" in texts(card)
    block_id, unlink = element(card, channel_blocks.UNLINK, "Unlink #acme-shared")
    assert slack.click("U0ALICE", unlink, block_id=block_id).status == 200

    assert f"Unlinked <#{SHARED}>" in texts(replies(standin)[0])
    card = slack.command("U0ALICE", "acme", command="/customer").json()
    assert "Linked channels" not in texts(card)


def test_the_picker_submitted_without_a_channel_keeps_the_form_open_with_a_reason(slack, standin, customers):
    view = json.loads(json.dumps(channel_blocks.link_modal(customers["Acme Corp"], "Acme Corp")))

    reply = slack.submit("U0ALICE", view, {channel_blocks.PICK_BLOCK: {channel_blocks.PICK_ACTION: {}}})

    assert reply.json() == {"response_action": "errors", "errors": {"channel": "Pick a channel to link."}}


def test_an_old_cards_unlink_leaves_the_channel_linked_to_another_customer_since(slack, standin, runtime, customers):
    customer_command(slack, standin, f"acme link <#{SHARED}|acme-shared>")
    old_card = slack.command("U0ALICE", "acme", command="/customer").json()
    customer_command(slack, standin, f"acme unlink <#{SHARED}|acme-shared>")
    customer_command(slack, standin, f"globex link <#{SHARED}|acme-shared>")
    before = len(standin.calls_to("response_url"))

    block_id, unlink = element(old_card, channel_blocks.UNLINK)
    assert slack.click("U0ALICE", unlink, block_id=block_id).status == 200

    assert "is not linked to that customer" in texts(standin.wait_for("response_url", count=before + 1)[before].params)
    [link] = links(runtime)
    assert link.customer_id == customers["Globex"] and link.unlinked_at is None


def test_customer_help_says_how_to_link_a_channel(slack, standin):
    shown = texts(slack.command("U0ALICE", "help", command="/customer").json())

    assert "`/customer acme link #acme-shared`" in shown and "unlink" in shown
