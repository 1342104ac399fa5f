"""Every Block Kit message and view Touchpoint sends, built in one place.

User text is always passed through `escape` and `truncate` here, so no listener can forget to.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.capture.forms import NEW_CUSTOMER_PREFIX
from bot.capture.kinds import KINDS
from bot.capture.parsing import FOLLOW_UP_EXAMPLES
from bot.capture.touchpoints import DEPARTMENTS, LogOutcome, LoopOffer, TouchpointView
from bot.text import escape, slack_to_plain, truncate

Message = dict[str, Any]
Block = dict[str, Any]

# Block Kit limits: a section's text, a button's label, a plain-text input's initial value.
SECTION_LIMIT = 3000
BUTTON_LABEL_LIMIT = 75
INPUT_LIMIT = 3000
MAX_BLOCKS = 50

# action_id and callback_id values; handlers register on these names.
UNDO = "tp_undo"
RESTORE = "tp_restore"
EDIT = "tp_edit"
PICK_CUSTOMER = "tp_pick_customer"
CREATE_CUSTOMER = "tp_create_customer"
SET_FOLLOW_UP = "tp_set_follow_up"
DEPARTMENT = "member_department"
OPEN_LOG_MODAL = "open_log_modal"
RETRY_LOG = "retry_log"
CUSTOMER_SELECT = "customer_select"
LOG_MODAL = "log_modal"
FOLLOW_UP_MODAL = "follow_up_modal"
LOG_SHORTCUT = "log_message"
CLOSE_FOLLOW_UP = "tp_close_follow_up"
REOPEN_FOLLOW_UP = "tp_reopen_follow_up"


def when(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


def mrkdwn(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_LIMIT)}}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(t, SECTION_LIMIT)} for t in texts]}


def button(label: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": truncate(label, BUTTON_LABEL_LIMIT), "emoji": True},
        "action_id": action_id,
        "value": value[:2000],
    }
    if style:
        element["style"] = style
    return element


def actions(*elements: dict[str, Any], block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def message(text: str, blocks: list[Block]) -> Message:
    """A message with its notification text; blocks are capped at Slack's fifty."""
    return {"text": truncate(text, SECTION_LIMIT), "blocks": blocks[:MAX_BLOCKS]}


def _customer_label(tp: TouchpointView) -> str:
    if tp.customer_name:
        return f"*{escape(tp.customer_name)}*"
    return f"“{escape(tp.customer_text or '?')}” _(customer not set yet)_"


def _follow_up_label(tp: TouchpointView, tz: ZoneInfo) -> str:
    if tp.follow_up_due is None:
        return ""
    who = "" if tp.follow_up_assignee == tp.author_user_id else f" for <@{tp.follow_up_assignee}>"
    return f" · follow-up {when(tp.follow_up_due, tz)}{who}"


def logged_reply(outcome: LogOutcome, tz: ZoneInfo, note: str | None = None) -> Message:
    tp = outcome.touchpoint
    headline = f"Logged *{tp.kind}* with {_customer_label(tp)}{_follow_up_label(tp, tz)}"
    blocks: list[Block] = [mrkdwn(headline)]
    details = [note] if note else []
    if tp.summary:
        details.append(escape(truncate(tp.summary, 2800)))
    untold = [tag for tag in tp.tags if f"#{tag}" not in tp.summary.lower()]
    if untold:  # tags typed in the summary are already shown there
        details.append(" ".join(f"`#{escape(tag)}`" for tag in untold))
    if outcome.matched_by == "typo" and outcome.typed_customer and tp.customer_name:
        details.append(f"I read “{escape(outcome.typed_customer)}” as {escape(tp.customer_name)}.")
    if details:
        blocks.append(context(*details[:10]))
    if tp.customer_id is None:
        blocks.extend(_customer_choice(outcome))
    follow_up_problems = [e for e in outcome.errors if "follow-up" in e]
    if follow_up_problems:
        blocks.append(mrkdwn(":warning: " + escape(" ".join(follow_up_problems))))
        blocks.append(actions(button("Set follow-up", SET_FOLLOW_UP, str(tp.id))))
    blocks.append(actions(button("Undo", UNDO, str(tp.id)), button("Edit", EDIT, str(tp.id))))
    if outcome.loop is not None:  # after the touchpoint's own buttons: a next step, not part of the log
        blocks.append(_loop_offer(tp, outcome.loop, tz))
    # Last, so that once it is answered every other element keeps its place (and its number in the shell).
    if outcome.ask_department:
        blocks.append(department_question(tp.id))
    plain = headline.replace("*", "")
    return message(plain, blocks)


def _loop_offer(tp: TouchpointView, loop: LoopOffer, tz: ZoneInfo) -> Block:
    """Closing the loop: one click marks the earlier follow-up with this customer done, one more undoes it."""
    customer = f"*{escape(loop.customer_name or 'this customer')}*"
    value = f"{tp.id}:{loop.follow_up_id}"
    if loop.done:
        text = f":white_check_mark: Marked your follow-up with {customer} (due {when(loop.due_at, tz)}) done."
        accessory = button("Undo", REOPEN_FOLLOW_UP, value)
    else:
        text = f":pushpin: You have an open follow-up with {customer}, due {when(loop.due_at, tz)}. Done with it?"
        accessory = button("Mark your follow-up done", CLOSE_FOLLOW_UP, value, style="primary")
    if loop.others:
        text += f" ({loop.others} more open: `/followups {escape(loop.customer_name or '')}`)"
    block = mrkdwn(text)
    return {**block, "block_id": f"loop:{tp.id}", "accessory": accessory}


def _customer_choice(outcome: LogOutcome) -> list[Block]:
    tp = outcome.touchpoint
    typed = (tp.customer_text or "").strip()
    if outcome.matched_by == "missing" or not typed:
        note = "Which customer was this? Start the line with the name, e.g. `/log Acme: call with Dana`."
    elif outcome.matched_by == "ambiguous":
        note = f"Several customers match “{escape(typed)}”. Which one? Your touchpoint is saved either way."
    else:
        note = f"I don't know “{escape(typed)}” yet. Your touchpoint is saved: pick the customer or create it."
    elements = [button(name, PICK_CUSTOMER, f"{tp.id}:{cid}") for cid, name in outcome.candidates[:3]]
    if typed and outcome.matched_by != "ambiguous":
        elements.append(button(f"Create “{typed}”", CREATE_CUSTOMER, str(tp.id), style="primary"))
    blocks = [mrkdwn(":mag: " + note)]
    if elements:
        blocks.append(actions(*elements, block_id=f"customer:{tp.id}"))
    return blocks


def department_question(touchpoint_id: int) -> Block:
    return {
        "type": "section",
        "block_id": f"department:{touchpoint_id}",
        "text": {"type": "mrkdwn", "text": "One question, asked once: which department are you in?"},
        "accessory": {
            "type": "static_select",
            "action_id": DEPARTMENT,
            "placeholder": {"type": "plain_text", "text": "Department"},
            "options": [_option(d.capitalize(), d) for d in DEPARTMENTS],
        },
    }


def undone_reply(tp: TouchpointView) -> Message:
    text = f"Undone: the *{tp.kind}* with {_customer_label(tp)} is removed. Nothing is lost: restore it any time."
    return message(text.replace("*", ""), [mrkdwn(text), actions(button("Restore", RESTORE, str(tp.id)))])


def gone_reply() -> Message:
    text = "That touchpoint is no longer in this workspace's store."
    return message(text, [mrkdwn(text)])


def help_reply() -> Message:
    text = (
        "*Log a touchpoint in one line:* `/log <customer>: <what happened> [follow-up]`\n"
        "• `/log Acme: call with Dana about the renewal, follow up friday`\n"
        "• `/log Globex - invoice 1042 paid late #billing f/u in 2 weeks`\n"
        "• `/log Initech onsite visit with plant manager, remind me @colleague tomorrow 3pm`\n"
        "The customer comes first (a colon or dash after it helps); typos are fine. "
        "The kind (call, meeting, visit, email, ticket, payment, delivery…) comes from your words, "
        "`#tags` are kept, and a follow-up is `follow up`, `f/u`, `remind me`, `ping` or `check in` "
        "followed by when: `tomorrow 3pm`, `friday`, `in 3 days`, `next week`, `eod`, `Dec 10 at 2pm`.\n"
        "`/log` alone opens a form. On any message, *More actions → Log as touchpoint* logs it."
    )
    return message("How to use /log", [mrkdwn(text)])


def store_down_reply(text: str) -> Message:
    note = (
        ":warning: Sorry, the customer store is not answering right now, so nothing was saved yet. "
        "Your line is kept below: press *Try again* in a moment."
    )
    blocks = [mrkdwn(note)]
    if text:
        blocks.append(context(escape(truncate(slack_to_plain(text), 2800))))
        blocks.append(actions(button("Try again", RETRY_LOG, text[:2000], style="primary")))
    return message("Sorry, the customer store is not answering right now.", blocks)


def failure_reply() -> Message:
    text = ":warning: Sorry, something went wrong on our side. Nothing you typed was lost; please try again."
    return message(text, [mrkdwn(text)])


def _option(label: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": truncate(label, 75), "emoji": True}, "value": value[:150]}


def customer_options(customers: list[tuple[int, str]], typed: str) -> list[dict[str, Any]]:
    """Typeahead choices: matches first, then a way to create what was typed."""
    options = [_option(name, str(cid)) for cid, name in customers[:99]]
    typed = typed.strip()
    if typed and not any(name.lower() == typed.lower() for _, name in customers):
        options.append(_option(f"➕ Create “{typed}”", NEW_CUSTOMER_PREFIX + typed[:140]))
    return options


def log_modal(
    *,
    tz: ZoneInfo,
    now: datetime,
    metadata: dict[str, Any],
    customer: tuple[int, str] | None = None,
    tp: TouchpointView | None = None,
    summary: str = "",
    kind: str | None = None,
) -> dict[str, Any]:
    """The log form; with `tp` it edits that touchpoint instead."""
    occurred = tp.occurred_at if tp else now
    kind = tp.kind if tp else (kind or "note")
    summary = tp.summary if tp else summary
    customer_element: dict[str, Any] = {
        "type": "external_select",
        "action_id": CUSTOMER_SELECT,
        "min_query_length": 0,
        "placeholder": {"type": "plain_text", "text": "Type a customer name"},
    }
    if tp and tp.customer_id:
        customer = (tp.customer_id, tp.customer_name or "")
    if customer:
        customer_element["initial_option"] = _option(customer[1], str(customer[0]))
    follow_due = tp.follow_up_due if tp else None
    blocks: list[Block] = [
        _input("customer", "Customer", customer_element),
        _input(
            "kind",
            "Kind",
            {
                "type": "static_select",
                "action_id": "value",
                "options": [_option(k.capitalize(), k) for k in KINDS],
                "initial_option": _option(kind.capitalize(), kind),
            },
        ),
        _input(
            "occurred",
            "When it happened",
            {"type": "datetimepicker", "action_id": "value", "initial_date_time": int(occurred.timestamp())},
        ),
        _input(
            "summary",
            "What happened",
            {
                "type": "plain_text_input",
                "action_id": "value",
                "multiline": True,
                "initial_value": summary[:INPUT_LIMIT],
            },
            optional=True,
        ),
        _input("follow_up_date", "Follow-up date", _date_picker(follow_due, tz), optional=True),
        _input("follow_up_time", "Follow-up time", _time_picker(follow_due, tz), optional=True),
        _input(
            "follow_up_text",
            "…or follow-up in words",
            {
                "type": "plain_text_input",
                "action_id": "value",
                "placeholder": {"type": "plain_text", "text": " or ".join(FOLLOW_UP_EXAMPLES)},
            },
            optional=True,
        ),
        _input(
            "assignee",
            "Follow-up for",
            {"type": "users_select", "action_id": "value", **_initial_user(tp)},
            optional=True,
        ),
        _input(
            "tags",
            "Tags",
            {
                "type": "plain_text_input",
                "action_id": "value",
                "initial_value": " ".join(f"#{t}" for t in (tp.tags if tp else [])),
                "placeholder": {"type": "plain_text", "text": "#renewal #pricing"},
            },
            optional=True,
        ),
    ]
    return {
        "type": "modal",
        "callback_id": LOG_MODAL,
        "private_metadata": json.dumps(metadata)[:3000],
        "title": {"type": "plain_text", "text": "Edit touchpoint" if tp else "Log a touchpoint"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def follow_up_modal(touchpoint_id: int, metadata: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": FOLLOW_UP_MODAL,
        "private_metadata": json.dumps({**metadata, "tp": touchpoint_id})[:3000],
        "title": {"type": "plain_text", "text": "Set follow-up"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [
            _input("follow_up_date", "Date", {"type": "datepicker", "action_id": "value"}, optional=True),
            _input("follow_up_time", "Time", {"type": "timepicker", "action_id": "value"}, optional=True),
            _input(
                "follow_up_text",
                "…or in words",
                {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "placeholder": {"type": "plain_text", "text": " or ".join(FOLLOW_UP_EXAMPLES)},
                },
                optional=True,
            ),
        ],
    }


def _input(block_id: str, label: str, element: dict[str, Any], optional: bool = False) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": label},
        "element": element,
        "optional": optional,
    }


def _date_picker(moment: datetime | None, tz: ZoneInfo) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "datepicker", "action_id": "value"}
    if moment:
        element["initial_date"] = moment.astimezone(tz).strftime("%Y-%m-%d")
    return element


def _time_picker(moment: datetime | None, tz: ZoneInfo) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "timepicker", "action_id": "value"}
    if moment:
        element["initial_time"] = moment.astimezone(tz).strftime("%H:%M")
    return element


def _initial_user(tp: TouchpointView | None) -> dict[str, Any]:
    if tp and tp.follow_up_assignee:
        return {"initial_user": tp.follow_up_assignee}
    return {}
