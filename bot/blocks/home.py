"""The App Home tab: a person's follow-ups with Done and Snooze, their latest touchpoints, the customers they
own that have gone quiet, and a *Log touchpoint* button.

Block ids carry what a block is about (`home:fu:<id>:c` holds a follow-up's buttons), so a click says which
follow-up it was on even when the Home it came from is stale.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.blocks import OPEN_LOG_MODAL, Block, actions, button, context, link, mention, mrkdwn, when
from bot.blocks import followups as fu_blocks
from bot.blocks.card import CARD_OPEN
from bot.followups.operations import SNOOZE_CHOICES, FollowUpView
from bot.home import (
    ALREADY_DONE,
    CANCELLED,
    DONE,
    GONE,
    REOPENED,
    SNOOZED,
    Home,
    Notice,
    QuietCustomer,
    TouchpointLine,
)
from bot.text import escape, plural, truncate

DONE_CLICKED = "home_done"
SNOOZE_CHOSEN = "home_snooze"
UNDO_DONE = "home_reopen"
SNOOZE_MODAL = "home_snooze_modal"
# The value of the Log button, so the log form knows to refresh the Home once it is saved.
LOG_FROM_HOME = "home"
MAX_VIEW_BLOCKS = 100
SUMMARY_SHOWN = 300
NAME_SHOWN = 150

_BLOCK_ID = re.compile(r"^home:fu:(\d+):[a-z]$")


def follow_up_clicked(block_id: str, value: str) -> tuple[int, str]:
    """The follow-up a click was on and what was chosen (a snooze choice, or "" for a button)."""
    lead, _, choice = value.partition(":")
    if match := _BLOCK_ID.match(block_id or ""):
        return int(match.group(1)), choice
    if lead.isdigit():
        return int(lead), choice
    raise ValueError(f"no follow-up in block {block_id!r} / value {value!r}")


def home_view(home: Home, tz: ZoneInfo) -> dict[str, Any]:
    blocks: list[Block] = [
        mrkdwn(f"*Hi {mention(home.viewer)}!* Here is what is on your plate with customers."),
        actions(button("Log touchpoint", OPEN_LOG_MODAL, LOG_FROM_HOME, style="primary"), block_id="home:log"),
    ]
    if home.notice is not None:
        blocks.append(_notice(home.notice, tz))
    if home.is_empty:
        blocks.extend(_welcome())
    else:
        blocks.extend(_follow_ups(home, tz))
        blocks.extend(_touchpoints(home, tz))
        blocks.extend(_quiet(home, tz))
    blocks.append(context(f"Updated {when(home.now, tz)} ({escape(tz.key)}) · `/log help` · `/followups help`"))
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}


def snooze_modal(fu: FollowUpView, tz: ZoneInfo, now: datetime) -> dict[str, Any]:
    """The nudge's date picker, answered to the Home: saving it refreshes the Home."""
    return {**fu_blocks.snooze_modal(fu, tz, now, {"fu": fu.id}), "callback_id": SNOOZE_MODAL}


# ---------------------------------------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------------------------------------


def _welcome() -> list[Block]:
    text = (
        ":wave: *Welcome to Touchpoint.* Nothing here yet: this is where your follow-ups, your latest "
        "touchpoints and the customers you own that have gone quiet will show up.\n"
        "Log a customer interaction in one line from any channel:\n"
        "`/log Acme: call with Dana about the renewal, follow up friday`\n"
        "or press *Log touchpoint* above. `/log help` shows everything a line can say."
    )
    return [{"type": "divider"}, mrkdwn(text)]


def _follow_ups(home: Home, tz: ZoneInfo) -> list[Block]:
    blocks: list[Block] = [{"type": "divider"}]
    if not home.follow_ups:
        blocks.append(
            mrkdwn(":pushpin: *Your follow-ups*\n:tada: Nothing open. Set one as you log: `… follow up friday`.")
        )
        return blocks
    overdue = f", *{home.overdue_total} overdue*" if home.overdue_total else ""
    blocks.append(mrkdwn(f":pushpin: *Your follow-ups* ({home.open_total} open{overdue})"))
    for heading, group in ((":alarm_clock: *Overdue*", home.overdue), (":calendar: *Coming up*", home.upcoming)):
        if group:
            blocks.append(context(heading))
            for fu in group:
                blocks.extend(_follow_up(fu, tz, home.now, home.viewer))
    if home.open_total > len(home.follow_ups):
        more = home.open_total - len(home.follow_ups)
        blocks.append(context(f"…and {more} more: `/followups` lists them all."))
    return blocks


def _follow_up(fu: FollowUpView, tz: ZoneInfo, now: datetime, viewer: str) -> list[Block]:
    if fu.due_at <= now:
        due = f":alarm_clock: *{_span(now - fu.due_at)} overdue* (due {when(fu.due_at, tz)})"
    else:
        due = f"due {when(fu.due_at, tz)}"
    said = escape(truncate(fu.summary, SUMMARY_SHOWN)) if fu.summary else "_(no summary)_"
    logged = "" if fu.logged_by == viewer else f" logged by {mention(fu.logged_by)}"
    text = f"{_name(fu.customer_name or 'a customer')} — {due}\n{fu.kind}{logged}: {said}"
    item = {**mrkdwn(text), "block_id": f"home:fu:{fu.id}:i"}
    if fu.customer_id is not None:
        item["accessory"] = _open(fu.customer_id)
    controls = actions(
        button("Done", DONE_CLICKED, str(fu.id), style="primary"),
        _snooze_menu(fu.id),
        block_id=f"home:fu:{fu.id}:c",
    )
    return [item, controls]


def _snooze_menu(follow_up_id: int) -> dict[str, Any]:
    """The nudge's snooze choices, answered to the Home."""
    return {
        "type": "static_select",
        "action_id": SNOOZE_CHOSEN,
        "placeholder": {"type": "plain_text", "text": "😴 Snooze…", "emoji": True},
        "options": [
            {"text": {"type": "plain_text", "text": label, "emoji": True}, "value": f"{follow_up_id}:{choice}"}
            for choice, label in SNOOZE_CHOICES.items()
        ],
    }


def _touchpoints(home: Home, tz: ZoneInfo) -> list[Block]:
    blocks: list[Block] = [{"type": "divider"}]
    if not home.touchpoints:
        blocks.append(mrkdwn(":memo: *Your latest touchpoints*\nNone yet: `/log Acme: call with Dana` logs one."))
        return blocks
    blocks.append(mrkdwn(":memo: *Your latest touchpoints*"))
    blocks.extend(_touchpoint(tp, tz) for tp in home.touchpoints)
    return blocks


def _touchpoint(tp: TouchpointLine, tz: ZoneInfo) -> Block:
    customer = _name(tp.customer_name or "?") if tp.customer_known else f"“{escape(tp.customer_name or '?')}”"
    said = escape(truncate(tp.summary, SUMMARY_SHOWN)) if tp.summary else "_(no summary)_"
    to_message = link(tp.permalink, "message")
    text = f"{customer} · {tp.kind} · {when(tp.occurred_at, tz)}{' · ' + to_message if to_message else ''}\n{said}"
    block = {**mrkdwn(text), "block_id": f"home:tp:{tp.id}"}
    if tp.customer_known and tp.customer_id is not None:
        block["accessory"] = _open(tp.customer_id)
    return block


def _quiet(home: Home, tz: ZoneInfo) -> list[Block]:
    days = home.quiet_after_days
    title = f":zzz: *Your customers gone quiet* (no touchpoint in {plural(days, 'day')})"
    blocks: list[Block] = [{"type": "divider"}]
    if not home.quiet:
        blocks.append(mrkdwn(f"{title}\nNone of the customers you own has gone quiet."))
        return blocks
    blocks.append(mrkdwn(title))
    blocks.extend(_quiet_customer(customer, tz, home.now) for customer in home.quiet)
    if home.quiet_total > len(home.quiet):
        blocks.append(context(f"…and {home.quiet_total - len(home.quiet)} more, the quietest listed first."))
    return blocks


def _quiet_customer(customer: QuietCustomer, tz: ZoneInfo, now: datetime) -> Block:
    if customer.last_touch_at is None:
        said = f"no touchpoint yet (added {_span(now - customer.quiet_since)} ago)"
    else:
        said = f"last touched {when(customer.last_touch_at, tz)} ({_span(now - customer.last_touch_at)} ago)"
    block = {**mrkdwn(f"{_name(customer.name)} — {said}"), "block_id": f"home:quiet:{customer.id}"}
    return {**block, "accessory": _open(customer.id)}


def _notice(notice: Notice, tz: ZoneInfo) -> Block:
    """What the last click did; a follow-up just marked done can be reopened from here."""
    customer = _name(notice.customer_name or "a customer")
    at = when(notice.at, tz) if notice.at else "some point"
    accessory = None
    if notice.kind == DONE:
        text = f":white_check_mark: Done: your follow-up with {customer}."
        accessory = button("Undo", UNDO_DONE, str(notice.follow_up_id))
    elif notice.kind == ALREADY_DONE:
        text = f":white_check_mark: Your follow-up with {customer} was already done by {mention(notice.by)} at {at}."
    elif notice.kind == SNOOZED:
        text = f":sleeping: Snoozed your follow-up with {customer} until {at}."
    elif notice.kind == REOPENED:
        text = f":leftwards_arrow_with_hook: Reopened your follow-up with {customer}: due {at}."
    elif notice.kind == CANCELLED:
        text = f"🚫 The follow-up with {customer} was cancelled: its touchpoint was edited or removed."
    elif notice.kind == GONE:
        text = "That follow-up is no longer in this workspace's store. Here is your Home as it is now."
    else:
        text = f"Your follow-up with {customer} is open, due {at}."
    block = {**mrkdwn(text), "block_id": "home:notice"}
    return {**block, "accessory": accessory} if accessory else block


# ---------------------------------------------------------------------------------------------------------
# Pieces
# ---------------------------------------------------------------------------------------------------------


def _name(name: str) -> str:
    return f"*{escape(truncate(name, NAME_SHOWN))}*"


def _open(customer_id: int) -> dict[str, Any]:
    return button("Open", CARD_OPEN, str(customer_id))


def _span(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 1)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return plural(hours, "hour")
    return f"{hours // 24} days"
