"""Reading the log and follow-up forms' submitted state into plain values, with per-field errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from bot.capture.due_times import DueTimeError
from bot.capture.kinds import KINDS
from bot.capture.parsing import FollowUpPlan, UnknownAssignee, follow_up_from_words
from bot.capture.touchpoints import Entry, customer_name_problem
from bot.text import slack_to_plain

NEW_CUSTOMER_PREFIX = "new:"
_TAG = re.compile(r"#?(\w[\w-]*)")


class FormErrors(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class FormContext:
    user_id: str
    tz: ZoneInfo
    now: datetime


def _value(values: dict[str, Any], block_id: str, key: str = "value") -> Any:
    element = values.get(block_id, {})
    return next(iter(element.values()), {}).get(key) if element else None


def read_log_form(values: dict[str, Any], form: FormContext, metadata: dict[str, Any]) -> Entry:
    errors: dict[str, str] = {}
    customer_id, new_name = None, None
    selected = (_value(values, "customer", "selected_option") or {}).get("value")
    if not selected:
        errors["customer"] = "Pick a customer, or type a new name and choose Create."
    elif selected.startswith(NEW_CUSTOMER_PREFIX):
        new_name = selected.removeprefix(NEW_CUSTOMER_PREFIX).strip()
        if problem := customer_name_problem(new_name):
            errors["customer"] = problem
    elif selected.isdigit():
        customer_id = int(selected)
    else:
        errors["customer"] = "Pick a customer from the list, or type a new name and choose Create."
    kind = (_value(values, "kind", "selected_option") or {}).get("value") or "note"
    if kind not in KINDS:
        errors["kind"] = "Pick one of the listed kinds."
    stamp = _value(values, "occurred", "selected_date_time")
    occurred_at = datetime.fromtimestamp(int(stamp), UTC) if stamp else form.now
    if occurred_at > form.now:
        errors["occurred"] = "A touchpoint that already happened can't be in the future."
    summary = (_value(values, "summary") or "").strip()
    tags = [t.lower() for t in _TAG.findall(_value(values, "tags") or "")]
    assignee = _value(values, "assignee", "selected_user") or metadata.get("author") or form.user_id
    follow_up = None
    try:
        follow_up = read_follow_up(values, form, assignee)
    except FormErrors as problem:
        errors.update(problem.errors)
    if errors:
        raise FormErrors(errors)
    return Entry(
        customer_id=customer_id,
        new_customer_name=new_name,
        kind=kind,
        summary=summary,
        occurred_at=occurred_at,
        tags=list(dict.fromkeys(tags)),
        follow_up=follow_up,
        source=metadata.get("source", "modal"),
        channel_id=metadata.get("channel"),
        author_user_id=metadata.get("author"),
        summary_shown=metadata.get("summary_shown"),
    )


def read_follow_up(values: dict[str, Any], form: FormContext, assignee: str) -> FollowUpPlan | None:
    """A follow-up from the date and time pickers, or from words; None when the form leaves it empty."""
    day = _value(values, "follow_up_date", "selected_date")
    clock = _value(values, "follow_up_time", "selected_time")
    words = slack_to_plain((_value(values, "follow_up_text") or "").strip())
    if day:
        local = datetime.combine(date.fromisoformat(day), time.fromisoformat(clock) if clock else time(9))
        due_at = local.replace(tzinfo=form.tz)
        if due_at <= form.now:
            raise FormErrors({"follow_up_date": "That follow-up time is in the past."})
        # Kept as picked: a day alone is a day without a time of its own, which the morning digest covers.
        return FollowUpPlan(due_at, assignee, f"{day} {clock}" if clock else day)
    if clock and not words:
        raise FormErrors({"follow_up_date": "Pick a date for the follow-up too."})
    if words:
        try:
            return follow_up_from_words(words, now=form.now, tz=form.tz, author=assignee)
        except UnknownAssignee as error:
            # A form's text field cannot hold a Slack mention: whom it is for is the form's to pick.
            raise FormErrors({"follow_up_text": f"{error} Write only when here, e.g. “friday 10am”."}) from None
        except DueTimeError as error:
            raise FormErrors({"follow_up_text": str(error)}) from None
    return None


def require_follow_up(values: dict[str, Any], form: FormContext, assignee: str, missing: str) -> FollowUpPlan:
    """read_follow_up for forms whose only purpose is the follow-up: leaving it empty is an error on the field."""
    plan = read_follow_up(values, form, assignee)
    if plan is None:
        raise FormErrors({"follow_up_date": missing})
    return plan


def snoozed_until(values: dict[str, Any], form: FormContext) -> datetime:
    """The instant picked in a snooze form (a nudge's or the Home's); an empty pick is an error on the field."""
    return require_follow_up(values, form, form.user_id, "Pick the day to be reminded on.").due_at
