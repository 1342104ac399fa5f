"""Every Block Kit message and view Touchpoint sends, built in one place.

User text (names, summaries, aliases, contacts, tags: anything a member typed or imported) is shortened with
`truncate` and then passed through `escape` here, in the blocks and in a message's notification `text` alike,
so no listener can forget to. Plain-text objects (button labels, headers, options) are shown verbatim by
Slack and take the text unescaped. Mentions and links are written only by `mention` and `link`.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.capture.forms import NEW_CUSTOMER_PREFIX
from bot.capture.kinds import KINDS
from bot.capture.parsing import FOLLOW_UP_EXAMPLES
from bot.capture.touchpoints import DEPARTMENTS, LogOutcome, LoopOffer, TouchpointView, customer_name_problem
from bot.text import escape, slack_to_plain, truncate

Message = dict[str, Any]
Block = dict[str, Any]

# Block Kit limits: a section's text, a button's label and value, a plain-text input's initial value, an
# option's value.
SECTION_LIMIT = 3000
BUTTON_LABEL_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
INPUT_LIMIT = 3000
OPTION_VALUE_LIMIT = 150
MAX_BLOCKS = 50
# A new customer's name typed in the log form travels in an option's value after NEW_CUSTOMER_PREFIX.
FORM_NEW_NAME_LIMIT = 140

# action_id and callback_id values; handlers register on these names.
UNDO = "tp_undo"
RESTORE = "tp_restore"
EDIT = "tp_edit"
PICK_CUSTOMER = "tp_pick_customer"
CREATE_CUSTOMER = "tp_create_customer"
SET_FOLLOW_UP = "tp_set_follow_up"
DEPARTMENT = "member_department"
OPEN_LOG_MODAL = "open_log_modal"
LOG_WHAT_HAPPENED = "log_what_happened"
RETRY_LOG = "retry_log"
CUSTOMER_SELECT = "customer_select"
LOG_MODAL = "log_modal"
FOLLOW_UP_MODAL = "follow_up_modal"
LOG_SHORTCUT = "log_message"
CLOSE_FOLLOW_UP = "tp_close_follow_up"
REOPEN_FOLLOW_UP = "tp_reopen_follow_up"


_USER_ID = re.compile(r"[UW][A-Z0-9]+")
_SAFE_LINK = re.compile(r"https://[^\s<>|]+")


def mention(user_id: str | None) -> str:
    """`<@U1>` for a Slack user id; anything else (an imported owner, say) is shown as text, never as a token."""
    if not user_id:
        return "someone"
    return f"<@{user_id}>" if _USER_ID.fullmatch(user_id) else escape(truncate(user_id, 40))


def link(url: str | None, label: str) -> str:
    """A mrkdwn link to an https address that cannot close the token early; nothing for any other address."""
    return f"<{url}|{label}>" if url and _SAFE_LINK.fullmatch(url) else ""


def when(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


def mrkdwn(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_LIMIT)}}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(t, SECTION_LIMIT)} for t in texts]}


def button(label: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    """A button; its value is never cut, as a cut value would act on something else: callers offer what fits."""
    if len(value) > BUTTON_VALUE_LIMIT:
        raise ValueError(f"a button value of {len(value)} characters is over Slack's {BUTTON_VALUE_LIMIT}")
    element: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": truncate(label, BUTTON_LABEL_LIMIT), "emoji": True},
        "action_id": action_id,
        "value": value,
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
    """A message with its notification text, which is mrkdwn too: user text in it is escaped as in blocks.

    Blocks are capped at Slack's fifty.
    """
    return {"text": truncate(text, SECTION_LIMIT), "blocks": blocks[:MAX_BLOCKS]}


def _customer_label(tp: TouchpointView) -> str:
    if tp.customer_name:
        return f"*{escape(tp.customer_name)}*"
    return f"“{escape(tp.customer_text or '?')}” _(customer not set yet)_"


def _follow_up_label(tp: TouchpointView, tz: ZoneInfo, assignee_tz: ZoneInfo | None) -> str:
    if tp.follow_up_due is None:
        return ""
    due = tp.follow_up_due
    if tp.follow_up_assignee == tp.author_user_id:
        return f" · follow-up {when(due, tz)}"
    who = mention(tp.follow_up_assignee)
    if assignee_tz is None or due.astimezone(assignee_tz).utcoffset() == due.astimezone(tz).utcoffset():
        return f" · follow-up {when(due, tz)} for {who}"
    # Read in the author's zone: say what that is for the colleague, so nobody is surprised at 04:00.
    theirs = due.astimezone(assignee_tz)
    same_day = theirs.date() == due.astimezone(tz).date()
    their_time = f"{theirs:%H:%M}" if same_day else when(due, assignee_tz)
    return f" · follow-up {when(due, tz)} your time, {their_time} for {who}"


def logged_reply(
    outcome: LogOutcome, tz: ZoneInfo, note: str | None = None, *, assignee_tz: ZoneInfo | None = None
) -> Message:
    """The reply about a touchpoint, in the author's zone `tz`; `assignee_tz` is the zone of a colleague the
    follow-up is for, when known."""
    tp = outcome.touchpoint
    headline = f"Logged *{tp.kind}* with {_customer_label(tp)}{_follow_up_label(tp, tz, assignee_tz)}"
    blocks: list[Block] = [mrkdwn(headline)]
    details = [note] if note else []
    if outcome.already_logged:
        details.insert(0, "You had logged this line already, so nothing new was saved: here it is.")
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
    shown = escape(truncate(typed, 200))
    problem = customer_name_problem(typed)
    if outcome.matched_by == "missing" or not typed:
        note = "Which customer was this? Start the line with the name, e.g. `/log Acme: call with Dana`."
    elif outcome.matched_by == "ambiguous":
        note = f"Several customers match “{shown}”. Which one? Your touchpoint is saved either way."
    elif problem:  # not a name to create (too long, say): the other choices are still offered
        note = (
            f"I don't know “{escape(truncate(typed, 60))}”, and it can't be a new customer: {escape(problem)} "
            "Your touchpoint is saved: pick the customer, or press *Edit* to choose one."
        )
    else:
        note = f"I don't know “{shown}” yet. Your touchpoint is saved: pick the customer or create it."
    elements = [button(name, PICK_CUSTOMER, f"{tp.id}:{cid}") for cid, name in outcome.candidates[:3]]
    if typed and outcome.matched_by != "ambiguous" and problem is None:
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


def department_saved_note(department: str) -> str:
    """The note on the reply once the department question is answered (the answer comes from the click)."""
    return f"Thanks! Saved *{escape(truncate(department, 40))}* as your department."


def undone_reply(tp: TouchpointView) -> Message:
    text = f"Undone: the *{tp.kind}* with {_customer_label(tp)} is removed. Nothing is lost: restore it any time."
    return message(text.replace("*", ""), [mrkdwn(text), actions(button("Restore", RESTORE, str(tp.id)))])


def gone_reply() -> Message:
    text = "That touchpoint is no longer in this workspace's store."
    return message(text, [mrkdwn(text)])


def what_happened_prompt(customer: str | None, form_customer: str) -> Message:
    """`/log Acme:` with nothing after it: one line asking what happened, and the form with the customer in it.

    `form_customer` is the button's value: a customer id, or a new customer's name after NEW_CUSTOMER_PREFIX.
    """
    who = f"*{escape(truncate(customer, 200))}*" if customer else "your customer"
    example = escape(truncate(customer or "Acme", 200))
    text = f"What happened with {who}? Say it after the name, like `/log {example}: call with Dana`, or use the form."
    button_element = button("Open the form", LOG_WHAT_HAPPENED, form_customer, style="primary")
    return message(text, [mrkdwn(text), actions(button_element)])


def help_reply() -> Message:
    text = (
        "*Log a touchpoint in one line:* `/log &lt;customer&gt;: &lt;what happened&gt; [follow-up]`\n"
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
    """The apology when the store is down, with the line as typed (Slack's wire format) shown whole."""
    retry = len(text) <= BUTTON_VALUE_LIMIT  # a retry of a cut line would save the cut line
    again = "press *Try again* in a moment." if retry else "send it again in a moment."
    note = (
        ":warning: Sorry, the customer store is not answering right now, so nothing was saved yet. "
        f"Your line is kept below: {again}"
    )
    blocks = [mrkdwn(note)]
    if text:
        blocks.extend(context(piece) for piece in _escaped_pieces(slack_to_plain(text), SECTION_LIMIT))
        if retry:
            blocks.append(actions(button("Try again", RETRY_LOG, text, style="primary")))
    return message("Sorry, the customer store is not answering right now.", blocks)


def _escaped_pieces(text: str, limit: int) -> list[str]:
    """`text` escaped, in pieces of at most `limit` characters that each end between two escaped characters."""
    pieces, piece = [], ""
    for char in text:
        escaped = escape(char)
        if len(piece) + len(escaped) > limit:
            pieces.append(piece)
            piece = ""
        piece += escaped
    return [*pieces, piece] if piece else pieces


def failure_reply() -> Message:
    text = ":warning: Sorry, something went wrong on our side. Nothing you typed was lost; please try again."
    return message(text, [mrkdwn(text)])


FORM_APOLOGIES = {
    "gone": "That customer or touchpoint is no longer in this workspace's store. Pick another and submit again.",
    "down": "Sorry, the customer store is not answering right now, so nothing was saved yet. "
    "Your form is kept: press Submit again in a moment.",
    "failed": "Sorry, something went wrong on our side and nothing was saved yet. Your form is kept: please "
    "submit it again.",
}


def form_apology(view: dict[str, Any], reason: str) -> dict[str, Any] | None:
    """The acknowledgement of a form whose submission failed: the apology on its first field, the form kept open.

    None when the form has no field to show it on.
    """
    fields = [
        block["block_id"] for block in view.get("blocks", []) if block.get("type") == "input" and "block_id" in block
    ]
    if not fields:
        return None
    return {"response_action": "errors", "errors": {fields[0]: FORM_APOLOGIES[reason]}}


def _option(label: str, value: str) -> dict[str, Any]:
    return {
        "text": {"type": "plain_text", "text": truncate(label, 75), "emoji": True},
        "value": value[:OPTION_VALUE_LIMIT],
    }


def _new_customer_option(typed: str) -> dict[str, Any]:
    return _option(f"➕ Create “{typed}”", NEW_CUSTOMER_PREFIX + typed[:FORM_NEW_NAME_LIMIT])


def customer_options(customers: list[tuple[int, str]], typed: str) -> list[dict[str, Any]]:
    """Typeahead choices: matches first, then a way to create what was typed, when it can be a name whole."""
    options = [_option(name, str(cid)) for cid, name in customers[:99]]
    typed = typed.strip()
    creatable = typed and len(typed) <= FORM_NEW_NAME_LIMIT and customer_name_problem(typed) is None
    if creatable and not any(name.lower() == typed.lower() for _, name in customers):
        options.append(_new_customer_option(typed))
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
    new_customer: str | None = None,
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
    elif new_customer:
        customer_element["initial_option"] = _new_customer_option(new_customer)
    summary_input = _input(
        "summary",
        "What happened",
        {"type": "plain_text_input", "action_id": "value", "multiline": True, "initial_value": summary[:INPUT_LIMIT]},
        optional=True,
    )
    if tp and len(summary) > INPUT_LIMIT:  # the edit keeps the stored summary whole unless these words change
        metadata = {**metadata, "summary_shown": INPUT_LIMIT}
        summary_input["hint"] = {
            "type": "plain_text",
            "text": f"Only the first {INPUT_LIMIT:,} characters fit here; the rest is kept unless you change them.",
        }
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
        summary_input,
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
                "initial_value": _whole_tags(tp.tags if tp else []),
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


def _whole_tags(tags: list[str]) -> str:
    """As many whole `#tags` as the field holds: a tag cut in half would be saved cut when the form is."""
    shown = ""
    for tag in tags:
        if len(f"{shown} #{tag}") > INPUT_LIMIT:
            break
        shown = f"{shown} #{tag}".lstrip()
    return shown


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
