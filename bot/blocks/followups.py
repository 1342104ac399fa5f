"""Nudges, catch-ups, digests and `/followups` lists: the follow-up messages people receive and click.

Every follow-up in a message is an *item* whose blocks carry its id in their block_id: `fu:<id>:n` is a
nudge's headline, `fu:<id>:i` a list item, `fu:<id>:p` a nudge's promise, `fu:<id>:c` the item's buttons
and `fu:<id>:s` what happened to it. A click swaps only that item's buttons for what happened, so the
rest of a digest stays as it was. In `/followups` lists the block_id also carries the list's scope
(`fu:<id>:c:me`), so a click on an ephemeral list, which Slack does not send back, can redraw it.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.blocks import MAX_BLOCKS, Block, Message, actions, button, context, mention, message, mrkdwn, when
from bot.blocks.card import CARD_OPEN
from bot.followups.operations import (
    MARKED_DONE,
    REASSIGNED,
    REOPENED,
    SNOOZE_CHOICES,
    SNOOZED,
    CustomerProblem,
    DigestSettings,
    FollowUpView,
    Listing,
    Outcome,
)
from bot.text import escape, plural, truncate, with_article

DONE = "fu_done"
SNOOZE = "fu_snooze"
REASSIGN = "fu_reassign"
LOG_FOR_CUSTOMER = "fu_log"
REOPEN = "fu_reopen"
SNOOZE_MODAL = "fu_snooze_modal"
# How many follow-ups a message lists with buttons: two blocks each, within Slack's 50 a message.
CATCH_UP_LISTED = 12
DIGEST_LISTED = 20
SUMMARY_SHOWN = 600
# A nudge sent this long after its due time says how late it is; a retry or a busy Slack costs less than this.
LATE_NOTICE_AFTER = timedelta(minutes=30)
PRIVATE_METADATA_LIMIT = 3000

_BLOCK_ID = re.compile(r"^fu:(\d+):[a-z](?::([\w.]+))?$")


# ---------------------------------------------------------------------------------------------------------
# Pieces
# ---------------------------------------------------------------------------------------------------------


def block_id(follow_up_id: int, part: str, scope: str | None = None) -> str:
    return f"fu:{follow_up_id}:{part}" + (f":{scope}" if scope else "")


def clicked(block: str, value: str | None) -> tuple[int, str | None]:
    """The follow-up id and list scope a click was on: from the block_id, else from the value's leading id."""
    if match := _BLOCK_ID.match(block or ""):
        return int(match.group(1)), match.group(2)
    if value and (lead := re.match(r"^(\d+)", value)):
        return int(lead.group(1)), None
    raise ValueError(f"no follow-up in block {block!r} / value {value!r}")


def _with_id(block: Block, block_id: str) -> Block:
    return {**block, "block_id": block_id}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, 75), "emoji": True}


def _choice(label: str, value: str) -> dict[str, Any]:
    return {"text": _plain(label), "value": value[:150]}


def _customer(fu: FollowUpView) -> str:
    return f"*{escape(truncate(fu.customer_name or 'a customer', 200))}*"


def _plain_customer(fu: FollowUpView) -> str:
    return escape(truncate(fu.customer_name or "a customer", 200))


def _promise(fu: FollowUpView, tz: ZoneInfo, viewer: str | None) -> str:
    """What was promised: the touchpoint's summary, who logged it and when."""
    said = escape(truncate(fu.summary, SUMMARY_SHOWN)) if fu.summary else "_(no summary)_"
    who = "You" if fu.logged_by == viewer else mention(fu.logged_by)
    return f"{who} logged {with_article(fu.kind)} {when(fu.logged_at, tz)}: {said}"


def _late(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return plural(hours, "hour")
    return f"{hours // 24} days"


def _due(fu: FollowUpView, tz: ZoneInfo, now: datetime | None) -> str:
    if now is not None and fu.due_at <= now:
        if now - fu.due_at < timedelta(minutes=1):  # not late yet: "1 min overdue" at its very minute misleads
            return f":alarm_clock: *due now* ({when(fu.due_at, tz)})"
        return f":alarm_clock: *{_late(now - fu.due_at)} overdue* (due {when(fu.due_at, tz)})"
    return f"due {when(fu.due_at, tz)}"


def _snooze_menu(follow_up_id: int) -> dict[str, Any]:
    return {
        "type": "static_select",
        "action_id": SNOOZE,
        "placeholder": _plain("😴 Snooze…"),
        "options": [_choice(label, f"{follow_up_id}:{choice}") for choice, label in SNOOZE_CHOICES.items()],
    }


def _hand_over_menu() -> dict[str, Any]:
    return {"type": "users_select", "action_id": REASSIGN, "placeholder": _plain("➡️ Hand over to…")}


def _controls(fu: FollowUpView, *, full: bool, scope: str | None = None) -> Block:
    """A nudge gets every button; lists and digests keep to Done, Snooze and Hand over."""
    elements = [button("Done", DONE, str(fu.id), style="primary"), _snooze_menu(fu.id)]
    if full:
        elements.append(button("Log touchpoint", LOG_FOR_CUSTOMER, str(fu.id)))
        if fu.customer_id is not None:
            elements.append(button("Open customer", CARD_OPEN, str(fu.customer_id)))
    elements.append(_hand_over_menu())
    return actions(*elements, block_id=block_id(fu.id, "c", scope))


def _item(fu: FollowUpView, tz: ZoneInfo, now: datetime | None, viewer: str | None, scope: str | None) -> list[Block]:
    assignee = "" if fu.assignee_user_id == viewer else f" · for {mention(fu.assignee_user_id)}"
    text = f"{_customer(fu)} — {_due(fu, tz, now)}{assignee}\n{_promise(fu, tz, viewer)}"
    return [_with_id(mrkdwn(text), block_id(fu.id, "i", scope)), _controls(fu, full=False, scope=scope)]


def _more(total: int, listed: int, hint: str) -> list[Block]:
    return [context(f"…and {total - listed} more: {hint}")] if total > listed else []


# ---------------------------------------------------------------------------------------------------------
# Messages the dispatcher sends
# ---------------------------------------------------------------------------------------------------------


def nudge_message(
    fu: FollowUpView, tz: ZoneInfo, *, now: datetime | None = None, handed_by: str | None = None
) -> Message:
    """The direct message at the due instant, or when someone hands the follow-up over (`handed_by`).

    Sent at `now` more than LATE_NOTICE_AFTER after it fell due (downtime, Slack refusing for a while), it says
    how late it is, so nobody takes a promise made for the morning as one for the evening.
    """
    due = when(fu.due_at, tz)
    late = now - fu.due_at if now is not None and not handed_by else timedelta(0)
    if handed_by:
        headline = f"➡️ {mention(handed_by)} handed you a follow-up with {_customer(fu)} — due {due}"
        notification = f"A follow-up with {_plain_customer(fu)} was handed to you"
    elif late >= LATE_NOTICE_AFTER:
        headline = f":bell: Follow up with {_customer(fu)} — due {due}, *{_late(late)} ago*"
        notification = f"Follow up with {_plain_customer(fu)} (due {_late(late)} ago)"
    else:
        headline = f":bell: Follow up with {_customer(fu)} — due {due}"
        notification = f"Follow up with {_plain_customer(fu)}"
    promise = _promise(fu, tz, fu.assignee_user_id)
    if fu.taken_over_from and not handed_by:
        promise = f"Taken over from {mention(fu.taken_over_from)}, who is not a member of this workspace. {promise}"
    blocks = [
        _with_id(mrkdwn(headline), block_id(fu.id, "n")),
        _with_id(context(promise), block_id(fu.id, "p")),
        _controls(fu, full=True),
    ]
    return message(notification, blocks)


def catch_up_message(follow_ups: list[FollowUpView], tz: ZoneInfo, now: datetime) -> Message:
    """One message instead of a flood after downtime: the first few with buttons, then a count."""
    count = len(follow_ups)
    blocks: list[Block] = [mrkdwn(f":bell: While you were away, *{count} follow-ups* fell due:")]
    for fu in follow_ups[:CATCH_UP_LISTED]:
        blocks.extend(_item(fu, tz, now, fu.assignee_user_id, None))
    blocks.extend(_more(count, min(count, CATCH_UP_LISTED), "type `/followups` to see them all."))
    return message(f"{count} follow-ups fell due", blocks)


def digest_message(
    overdue: list[FollowUpView], due_today: list[FollowUpView], tz: ZoneInfo, now: datetime | None = None
) -> Message:
    """The morning digest: what is overdue (and how late) first, then what is due today, each with buttons."""
    header = f"☀️ Good morning! *{len(overdue)} overdue* and *{len(due_today)} due today*."
    blocks: list[Block] = [mrkdwn(header)]
    listed = 0
    # Lateness needs `now`, and only the overdue say how late: due at the digest's own hour is due today.
    groups = ((":alarm_clock: *Overdue*", overdue, now), (":calendar: *Due today*", due_today, None))
    for title, group, late_at in groups:
        shown = group[: DIGEST_LISTED - listed]
        if not shown:
            continue
        blocks.append(mrkdwn(title))
        for fu in shown:
            blocks.extend(_item(fu, tz, late_at, fu.assignee_user_id, None))
        listed += len(shown)
    total = len(overdue) + len(due_today)
    blocks.extend(_more(total, listed, "type `/followups` to see them all."))
    blocks.append(context("`/followups digest off` turns this digest off; `/followups digest 8` moves it to 08:00."))
    return message(f"{len(overdue)} overdue and {len(due_today)} due today", blocks[:MAX_BLOCKS])


# ---------------------------------------------------------------------------------------------------------
# After a click
# ---------------------------------------------------------------------------------------------------------


def _state(outcome: Outcome, tz: ZoneInfo) -> tuple[str, dict[str, Any] | None] | None:
    """What happened to the follow-up, with an Undo where one makes sense; None when it is open as before."""
    fu = outcome.follow_up
    undo = button("Undo", REOPEN, str(fu.id))
    if fu.status == "done":
        done_at = when(fu.completed_at, tz) if fu.completed_at else "some point"
        already = "" if outcome.action == MARKED_DONE and outcome.changed else "Already "
        done = "done" if already else "Done"
        return f":white_check_mark: {already}{done} by {mention(fu.completed_by)} at {done_at}", undo
    if fu.status != "open":
        return (
            "🚫 This follow-up was cancelled: its touchpoint was edited or removed. Nothing to do.",
            None,
        )
    if outcome.changed and outcome.action == SNOOZED:
        return f":sleeping: Snoozed until {when(fu.due_at, tz)} by {mention(outcome.actor)}", None
    if outcome.changed and outcome.action == REASSIGNED:
        return f"➡️ Handed to {mention(fu.assignee_user_id)} by {mention(outcome.actor)}", None
    return None


def _open_note(outcome: Outcome, tz: ZoneInfo) -> str | None:
    fu = outcome.follow_up
    if outcome.action == REOPENED and outcome.changed:
        return f":leftwards_arrow_with_hook: Reopened by {mention(outcome.actor)}: due {when(fu.due_at, tz)}."
    if outcome.action == REASSIGNED and not outcome.changed:
        return f"It is already with {mention(fu.assignee_user_id)}."
    return None


def _item_after(outcome: Outcome, tz: ZoneInfo, *, full: bool) -> list[Block]:
    fu = outcome.follow_up
    state = _state(outcome, tz)
    if state is not None:
        text, accessory = state
        block = _with_id(mrkdwn(text), block_id(fu.id, "s"))
        return [{**block, "accessory": accessory} if accessory else block]
    blocks = [_controls(fu, full=full)]
    if note := _open_note(outcome, tz):
        blocks.append(_with_id(context(note), block_id(fu.id, "s")))
    return blocks


def updated_message(original: dict[str, Any], outcome: Outcome, tz: ZoneInfo, *, told: bool = True) -> Message:
    """The clicked message with only this follow-up's buttons swapped for what happened.

    `told` is False when a new assignee could not be sent their direct message, which is then said.
    """
    blocks: list[Block] = list(original.get("blocks") or [])
    fu_id = outcome.follow_up.id
    full = any(b.get("block_id") == block_id(fu_id, "n") for b in blocks)
    replacement = _item_after(outcome, tz, full=full)
    if not told:
        replacement.append(_not_told(outcome))
    return message(original.get("text") or "Follow-up", _swap(blocks, fu_id, replacement))


def _swap(blocks: list[Block], fu_id: int, replacement: list[Block]) -> list[Block]:
    swapped = (block_id(fu_id, "c"), block_id(fu_id, "s"), block_id(fu_id, "x"))
    result: list[Block] = []
    placed = False
    for block in blocks:
        if block.get("block_id") in swapped:
            if not placed:
                result.extend(replacement)
                placed = True
            continue
        result.append(block)
    if not placed:  # buttons gone from a stale copy: put the state after the item's last block
        mine = [i for i, b in enumerate(result) if str(b.get("block_id", "")).startswith(f"fu:{fu_id}:")]
        at = mine[-1] + 1 if mine else len(result)
        result[at:at] = replacement
    return result


def _not_told(outcome: Outcome) -> Block:
    who = mention(outcome.follow_up.assignee_user_id)
    text = f":warning: I couldn't send {who} a message; they'll see it in `/followups`."
    return _with_id(context(text), block_id(outcome.follow_up.id, "x"))


def outcome_message(outcome: Outcome, tz: ZoneInfo) -> Message:
    """What happened, on its own: for when the message clicked can't be redrawn."""
    fu = outcome.follow_up
    state = _state(outcome, tz)
    text, accessory = state if state else (f"Open, due {when(fu.due_at, tz)}.", None)
    block = _with_id(mrkdwn(f"{_customer(fu)} — {text}"), block_id(fu.id, "s"))
    blocks = [{**block, "accessory": accessory} if accessory else block]
    return message(f"Follow-up with {_plain_customer(fu)}", blocks)


# ---------------------------------------------------------------------------------------------------------
# /followups
# ---------------------------------------------------------------------------------------------------------


def _title(listing: Listing) -> str:
    scope = listing.scope
    if scope.kind == "user" and scope.key != listing.viewer:
        return f"{mention(scope.key)}'s open follow-ups"
    if scope.kind == "customer":
        return f"Open follow-ups with *{escape(truncate(listing.customer_name or '?', 200))}*"
    return "Your open follow-ups"


def _empty(listing: Listing) -> str:
    scope = listing.scope
    if scope.kind == "user" and scope.key != listing.viewer:
        return f"{mention(scope.key)} has no open follow-ups. :tada:"
    if scope.kind == "customer":
        name = escape(truncate(listing.customer_name or "?", 200))
        return f"No open follow-ups with *{name}*. Set one as you log: `/log {name}: call, follow up friday`."
    return ":tada: You have no open follow-ups. Set one as you log: `/log Acme: call with Dana, follow up friday`."


def _list_note(outcome: Outcome, tz: ZoneInfo, scope: str) -> Block:
    fu = outcome.follow_up
    state = _state(outcome, tz)
    text, accessory = state if state else (_open_note(outcome, tz) or f"Open, due {when(fu.due_at, tz)}.", None)
    block = _with_id(mrkdwn(f"{_customer(fu)} — {text}"), block_id(fu.id, "s", scope))
    return {**block, "accessory": accessory} if accessory else block


def list_message(listing: Listing, tz: ZoneInfo, now: datetime, note: Outcome | None = None) -> Message:
    """Open follow-ups, overdue first (then by due time), each with Done, Snooze and Hand over."""
    scope = listing.scope.encode()
    blocks: list[Block] = [_list_note(note, tz, scope)] if note else []
    title = _title(listing)
    if not listing.items:
        blocks.append(mrkdwn(_empty(listing)))
        return message(title.replace("*", ""), blocks)
    header = f"{title} ({listing.total})"
    if listing.read_as:
        header += f"\n_I read “{escape(listing.read_as)}” as {escape(listing.customer_name or '?')}._"
    blocks.append(mrkdwn(header))
    overdue = [fu for fu in listing.items if fu.due_at <= now]
    upcoming = [fu for fu in listing.items if fu.due_at > now]
    for heading, group in ((":alarm_clock: *Overdue*", overdue), (":calendar: *Coming up*", upcoming)):
        if group:
            blocks.append(mrkdwn(heading))
            for fu in group:
                blocks.extend(_item(fu, tz, now, listing.viewer, scope))
    hint = "mark some done, or narrow the list with `/followups &lt;customer&gt;`."
    blocks.extend(_more(listing.total, len(listing.items), hint))
    return message(title.replace("*", ""), blocks)


def followups_help() -> Message:
    text = (
        "*Follow-ups*\n"
        "• `/followups` — your open follow-ups, overdue first, each with Done and Snooze\n"
        "• `/followups @someone` — a colleague's\n"
        "• `/followups Acme` — everyone's open follow-ups with one customer\n"
        "• `/followups digest off`, `/followups digest on`, `/followups digest 8` — your morning digest "
        "of what is overdue and due today, and its hour (0–23, in your time zone; working days)\n"
        "Set a follow-up as you log: `/log Acme: call with Dana, follow up friday`. When it falls due I send "
        "you a direct message with *Done*, *Snooze*, *Log touchpoint*, *Open customer* and *Hand over*."
    )
    return message("How to use /followups", [mrkdwn(text)])


def digest_reply(settings: DigestSettings, tz: ZoneInfo) -> Message:
    if not settings.enabled:
        text = (
            "🔕 Your daily digest is off. You still get a direct message for each follow-up when it falls "
            "due. `/followups digest on` brings the digest back."
        )
        return message("Your daily digest is off", [mrkdwn(text)])
    verb = "now comes" if settings.changed else "comes"
    text = (
        f"☀️ Your daily digest {verb} at *{settings.hour:02d}:00* ({escape(tz.key)}) on working days: "
        "what is overdue and what is due today, in one message. "
        "`/followups digest 8` moves it; `/followups digest off` turns it off."
    )
    return message(f"Your daily digest comes at {settings.hour:02d}:00", [mrkdwn(text)])


def problem_reply(text: str) -> Message:
    return message(escape(text), [mrkdwn(f"🤔 {escape(text)}")])


def customer_problem_reply(problem: CustomerProblem) -> Message:
    typed = escape(problem.typed)
    names = [f"*{escape(name)}*" for name in problem.suggestions]
    if problem.ambiguous:
        text = f"Several customers are called “{typed}”: {', '.join(names)}. Type more of the name."
    else:
        text = f"I don't know a customer called “{typed}”."
        if names:
            text += f" Did you mean {' or '.join(names)}?"
    return message(text.replace("*", ""), [mrkdwn(f":mag: {text}")])


def unknown_user_reply(typed: str) -> Message:
    text = (
        f"I couldn't tell who “{escape(typed)}” is. Pick the person from the list Slack shows as you type `@`, "
        "then send `/followups @them`."
    )
    return message("Who is that?", [mrkdwn(f"🤔 {text}")])


# ---------------------------------------------------------------------------------------------------------
# Modals
# ---------------------------------------------------------------------------------------------------------


def _field(block: str, label: str, element: dict[str, Any]) -> Block:
    return {"type": "input", "block_id": block, "label": {"type": "plain_text", "text": label}, "element": element}


def snooze_modal(fu: FollowUpView, tz: ZoneInfo, now: datetime, metadata: dict[str, Any]) -> dict[str, Any]:
    """Pick a date: the follow-up's new due day and time, in the clicker's zone (tomorrow 09:00 to start)."""
    tomorrow = (now.astimezone(tz) + timedelta(days=1)).date()
    return {
        "type": "modal",
        "callback_id": SNOOZE_MODAL,
        "private_metadata": json.dumps(metadata)[:PRIVATE_METADATA_LIMIT],
        "title": {"type": "plain_text", "text": "Snooze follow-up"},
        "submit": {"type": "plain_text", "text": "Snooze"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            mrkdwn(f"Follow up with {_customer(fu)}, now due {when(fu.due_at, tz)}. Remind me again on:"),
            _field(
                "follow_up_date",
                "Date",
                {"type": "datepicker", "action_id": "value", "initial_date": tomorrow.isoformat()},
            ),
            _field("follow_up_time", "Time", {"type": "timepicker", "action_id": "value", "initial_time": "09:00"}),
        ],
    }
