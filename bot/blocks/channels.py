"""Linking a channel to a customer: the notice posted in the channel, the replies, the picker modal.

Customer and channel names were typed by people: they are shortened and escaped here. Channel ids become
`<#C…>` mentions only through `channel_mention`, which writes nothing but a channel id.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.blocks import Block, Message, actions, button, context, mention, message, mrkdwn
from bot.conversations.links import LinkedChannel
from bot.text import escape, plural, truncate

# Card buttons and the picker; LINK_OPEN's value is the customer id, UNLINK's and LINK_AGAIN's "<customer>:<channel>".
LINK_OPEN = "card_link_channel"
UNLINK = "card_unlink_channel"
LINK_AGAIN = "channel_link_again"
LINK_MODAL = "channel_link_modal"
PICK_BLOCK = "channel"
PICK_ACTION = "channel_pick"
# Linked channels the card names, each with its Unlink button; more are counted.
SHOWN_ON_CARD = 5
NAME_LIMIT = 80

_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]+")


def channel_mention(channel_id: str) -> str:
    """`<#C123>`, which Slack shows as the channel's name to whoever may see it; anything else as plain text."""
    return f"<#{channel_id}>" if _CHANNEL_ID.fullmatch(channel_id) else escape(truncate(channel_id, 40))


def _customer(name: str) -> str:
    return f"*{escape(truncate(name, 200))}*"


def link_notice(customer_name: str) -> Message:
    """Said once in the channel when it is linked: the people in it deserve to know what is kept."""
    name = escape(truncate(customer_name, 200))
    text = (
        f":memo: This channel is now linked to *{name}* in Touchpoint. Conversations here with {name}'s people "
        f"are recorded for {name}'s customer history: when they happened, who took part, how many messages "
        "and the first words of each. Messages only among colleagues are not recorded."
    )
    return message(text.replace("*", ""), [mrkdwn(text)])


def linked_reply(channel_id: str, customer_name: str) -> Message:
    text = (
        f":link: Linked {channel_mention(channel_id)} to {_customer(customer_name)}. Conversations there with "
        "their people are logged as chat touchpoints, one per conversation; I told the channel so."
    )
    return message(text.replace("*", ""), [mrkdwn(text)])


def already_linked_reply(channel_id: str, customer_name: str) -> Message:
    text = f"{channel_mention(channel_id)} is linked to {_customer(customer_name)} already: nothing to do."
    return message(text.replace("*", ""), [mrkdwn(text)])


def linked_elsewhere_reply(channel_id: str, other_customer: str) -> Message:
    text = (
        f":warning: {channel_mention(channel_id)} is linked to {_customer(other_customer)}: a channel is linked "
        f"to one customer. Unlink it first (`/customer {escape(truncate(other_customer, 60))} unlink "
        "#channel`, or *Unlink* on that card), then link it here."
    )
    return message(text.replace("*", ""), [mrkdwn(text)])


def customer_gone_reply() -> Message:
    text = "That customer was deleted, so no channel can be linked to it. Look it up again with `/customer`."
    return message(text, [mrkdwn(text)])


def invite_first_reply(channel_id: str) -> Message:
    text = (
        f":lock: I'm not in {channel_mention(channel_id)}, and I can't join a private channel by myself: "
        "type `/invite @Touchpoint` there, then link it again."
    )
    return message(text, [mrkdwn(text)])


def channel_unreachable_reply(channel_id: str) -> Message:
    text = (
        f":warning: I couldn't join {channel_mention(channel_id)}. Invite me there (`/invite @Touchpoint`), "
        "then link it again."
    )
    return message(text, [mrkdwn(text)])


def typed_channel_reply(typed: str) -> Message:
    text = (
        f"I couldn't tell which channel “{escape(truncate(typed, 80))}” is. Pick it from Slack's list as you "
        "type `#` so it becomes a link, e.g. `/customer acme link #acme-shared`, or use *Link a channel* on "
        "the customer's card."
    )
    return message(text.replace("*", ""), [mrkdwn(text)])


def unlinked_reply(channel_id: str, customer_id: int | None, customer_name: str | None) -> Message:
    """Unlinked, with *Link again* to undo it; what was logged there stays in the customer's history."""
    whose = f" from {_customer(customer_name)}" if customer_name else ""
    text = (
        f":scissors: Unlinked {channel_mention(channel_id)}{whose}. New conversations there are no longer "
        "logged; the touchpoints logged from it stay."
    )
    blocks: list[Block] = [mrkdwn(text)]
    if customer_id is not None and _CHANNEL_ID.fullmatch(channel_id):
        blocks.append(actions(button("Link again", LINK_AGAIN, f"{customer_id}:{channel_id}"), block_id="relink"))
    return message(text.replace("*", ""), blocks)


def not_linked_reply(channel_id: str) -> Message:
    text = f"{channel_mention(channel_id)} is not linked to that customer: nothing to unlink."
    return message(text, [mrkdwn(text)])


# People named per side in a conversation's line; more are counted.
PEOPLE_SHOWN = 3


def conversation_facts(messages: int, participants: dict[str, list[str]]) -> str:
    """`4 messages: <@U0DANA>, <@U0EVE> with <@U0ALICE>`: the customer's people first, then the colleagues."""

    def people(ids: list[str]) -> str:
        named = ", ".join(mention(user_id) for user_id in ids[:PEOPLE_SHOWN])
        return named + (f" and {len(ids) - PEOPLE_SHOWN} more" if len(ids) > PEOPLE_SHOWN else "")

    theirs, ours = participants.get("customer") or [], participants.get("internal") or []
    facts = plural(messages, "message")
    if theirs:
        facts += ": " + people(theirs)
    if ours:
        facts += " with " + people(ours)
    return facts


def linked_channels_section(customer_id: int, channels: list[LinkedChannel]) -> list[Block]:
    """The card's part about linked channels: which ones, with an *Unlink* button each."""
    if not channels:
        return []
    shown = channels[:SHOWN_ON_CARD]
    names = ", ".join(channel_mention(channel.channel_id) for channel in shown)
    more = f" and {len(channels) - len(shown)} more" if len(channels) > len(shown) else ""
    text = f"*Linked channels:* {names}{more}: conversations with their people there are logged by themselves."
    buttons = [
        button(
            f"Unlink #{truncate(channel.channel_name, 60)}" if channel.channel_name else "Unlink a channel",
            UNLINK,
            f"{customer_id}:{channel.channel_id}",
        )
        for channel in shown
        if _CHANNEL_ID.fullmatch(channel.channel_id)  # a channel id is all a button's value may carry
    ]
    return [mrkdwn(text), *([actions(*buttons, block_id=f"card_channels:{customer_id}")] if buttons else [])]


def link_modal(customer_id: int, customer_name: str) -> dict[str, Any]:
    """*Link a channel*: a conversation picker; the customer travels in private_metadata."""
    picker = {
        "type": "conversations_select",
        "action_id": PICK_ACTION,
        "placeholder": {"type": "plain_text", "text": "Pick a channel"},
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    blocks: list[Block] = [
        mrkdwn(
            f"Conversations in the channel with {_customer(customer_name)}'s people will be logged as chat "
            "touchpoints, one per conversation. I'll say so in the channel."
        ),
        {
            "type": "input",
            "block_id": PICK_BLOCK,
            "label": {"type": "plain_text", "text": "Channel"},
            "element": picker,
        },
        context("A private channel needs me in it first: `/invite @Touchpoint` there."),
    ]
    return {
        "type": "modal",
        "callback_id": LINK_MODAL,
        "private_metadata": json.dumps({"customer": customer_id}),
        "title": {"type": "plain_text", "text": "Link a channel"},
        "submit": {"type": "plain_text", "text": "Link"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def picked(view: dict[str, Any]) -> tuple[int | None, str | None]:
    """(customer id, channel id) from a submitted link modal."""
    try:
        customer_id = int(json.loads(view.get("private_metadata") or "{}").get("customer"))
    except (TypeError, ValueError):
        customer_id = None
    value = (view.get("state", {}).get("values", {}).get(PICK_BLOCK, {}).get(PICK_ACTION) or {}).get(
        "selected_conversation"
    )
    return customer_id, value or None


def clicked(value: str) -> tuple[int | None, str | None]:
    """(customer id, channel id) from an Unlink or Link again button's value."""
    customer, _, channel = (value or "").partition(":")
    try:
        return int(customer), channel or None
    except ValueError:
        return None, channel or None
