"""What people from outside the company are told, and the warning before sharing where they can read."""

from __future__ import annotations

import re
from typing import Any

from bot.blocks import BUTTON_VALUE_LIMIT, Message, actions, button, message, mrkdwn
from bot.text import escape, truncate

# The Cancel button of a share warning, whatever is being shared.
SHARE_CANCEL = "share_outside_cancel"
COMPANY_LIMIT = 80
# Only a channel id is written as a channel token: anything else could close it early.
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,40}")


def _company(name: str | None) -> str:
    return escape(truncate(name, COMPANY_LIMIT)) if name else "this company"


def refusal(company: str | None) -> Message:
    """The short private note to someone from another organisation who pressed, typed or submitted something."""
    text = f":no_entry: This is {_company(company)}'s internal Touchpoint; only its members can use it."
    return message(text, [mrkdwn(text)])


def refusal_view(company: str | None) -> dict[str, Any]:
    """A form submitted by someone from another organisation: the form gives way to the same note."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Touchpoint"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": refusal(company)["blocks"],
    }


def share_warning(channel_id: str, company: str | None, confirm_action_id: str, value: str, *, known: bool) -> Message:
    """Asked before a card or report is posted where another organisation reads: *Share anyway* or *Cancel*.

    `known`: Slack said the channel is shared; otherwise it could not say, and sharing is asked about all the same.
    """
    where = f"<#{channel_id}>" if _CHANNEL_ID.fullmatch(channel_id) else "this channel"
    if known:
        text = f":warning: People outside {_company(company)} can see {where}. Share anyway?"
    else:
        text = f":warning: I couldn't check whether people outside {_company(company)} can see {where}. Share anyway?"
    if len(value) > BUTTON_VALUE_LIMIT:
        raise ValueError("a share warning carries the whole value of the button it answers")
    buttons = actions(
        button("Share anyway", confirm_action_id, value, style="danger"),
        button("Cancel", SHARE_CANCEL, ""),
    )
    return message(text, [mrkdwn(text), buttons])


def share_cancelled() -> Message:
    text = "Not shared: nothing was posted in the channel."
    return message(text, [mrkdwn(text)])
