"""Nudges, catch-ups and digests: the follow-up messages people receive."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.blocks import Block, Message, actions, button, context, message, mrkdwn, when
from bot.followups import FollowUpView
from bot.text import escape, truncate

DONE = "fu_done"
SNOOZE = "fu_snooze"
REASSIGN = "fu_reassign"
LOG_FOR_CUSTOMER = "fu_log"
OPEN_CUSTOMER = "fu_open_customer"
# A catch-up lists this many follow-ups with buttons; Slack allows 50 blocks a message.
CATCH_UP_LISTED = 12


def _customer(fu: FollowUpView) -> str:
    return f"*{escape(fu.customer_name or 'a customer')}*"


def _promise(fu: FollowUpView, tz: ZoneInfo) -> str:
    said = escape(truncate(fu.summary, 600)) if fu.summary else f"a {fu.kind}"
    return f"<@{fu.logged_by}> logged {when(fu.logged_at, tz)}: {said}"


def _buttons(fu: FollowUpView) -> Block:
    value = str(fu.id)
    return actions(
        button("Done", DONE, value, style="primary"),
        button("Snooze 1 hour", SNOOZE, f"{value}:1h"),
        button("Log touchpoint", LOG_FOR_CUSTOMER, value),
        block_id=f"followup:{fu.id}",
    )


def nudge_message(fu: FollowUpView, tz: ZoneInfo) -> Message:
    headline = f":bell: Follow up with {_customer(fu)} — due {when(fu.due_at, tz)}"
    blocks = [mrkdwn(headline), context(_promise(fu, tz)), _buttons(fu)]
    return message(f"Follow up with {fu.customer_name or 'a customer'}", blocks)


def catch_up_message(follow_ups: list[FollowUpView], tz: ZoneInfo, now: datetime) -> Message:
    count = len(follow_ups)
    blocks: list[Block] = [mrkdwn(f":bell: While you were away, *{count} follow-ups* fell due:")]
    for fu in follow_ups[:CATCH_UP_LISTED]:
        blocks.append(mrkdwn(f"{_customer(fu)} — due {when(fu.due_at, tz)}\n{_promise(fu, tz)}"))
        blocks.append(_buttons(fu))
    if count > CATCH_UP_LISTED:
        blocks.append(context(f"…and {count - CATCH_UP_LISTED} more: type `/followups` to see them all."))
    return message(f"{count} follow-ups fell due", blocks)


def digest_message(overdue: list[FollowUpView], due_today: list[FollowUpView], tz: ZoneInfo) -> Message:
    """The morning digest: one message instead of a pile of nudges."""
    blocks: list[Block] = [
        mrkdwn(f":sunrise: Good morning! *{len(overdue)} overdue* and *{len(due_today)} due today*.")
    ]
    listed = 0
    for title, group in (("Overdue", overdue), ("Due today", due_today)):
        if not group:
            continue
        blocks.append(mrkdwn(f"*{title}*"))
        for fu in group:
            if listed == CATCH_UP_LISTED:
                break
            blocks.append(mrkdwn(f"{_customer(fu)} — due {when(fu.due_at, tz)}\n{_promise(fu, tz)}"))
            blocks.append(_buttons(fu))
            listed += 1
    total = len(overdue) + len(due_today)
    if total > listed:
        blocks.append(context(f"…and {total - listed} more: type `/followups` to see them all."))
    return message(f"{len(overdue)} overdue and {len(due_today)} due today", blocks)
