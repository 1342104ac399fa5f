"""The Workflow Builder step *Log a touchpoint* (`log_touchpoint` in manifest.yml): its inputs checked, and the
touchpoint saved the way `/log` saves one.

The customer is found by the matcher `/log` uses. A name no customer has is saved anyway, as `/log` saves it: the
touchpoint keeps the name as typed and no customer is created by the step; the confirmation sent to the person
who ran it offers the closest customers and *Create "…"*. A follow-up whose words cannot be read is left out, and
the confirmation says so beside *Set follow-up*. Only what makes the step meaningless (no customer, no summary, no
person, a kind Touchpoint does not know) refuses it, with a sentence for whoever built the workflow.

Each run is logged once: the execution id Slack gives the step is kept as the touchpoint's `external_id` (with
`source_system` "workflow"), so a run delivered twice returns the touchpoint made the first time.

Nothing here knows Slack: the inputs come in as a plain mapping, the session and `now` are passed in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.capture.due_times import HORIZON_YEARS, DueTimeError, follow_up_horizon
from bot.capture.kinds import KINDS, detect_kind
from bot.capture.parsing import FOLLOW_UP_EXAMPLES, FollowUpPlan, customer_named, follow_up_from_words, tags_in
from bot.capture.touchpoints import MAX_NAME_LENGTH, Entry, LogOutcome, live_match, log_record, touchpoint_view
from bot.customers.name_index import CustomerIndexes
from bot.members import Author
from bot.text import fold

# The step's callback_id, as manifest.yml declares it under `functions:`.
STEP_ID = "log_touchpoint"
SOURCE = "workflow"
# The input parameters manifest.yml declares, by name.
CUSTOMER, KIND, SUMMARY, FOLLOW_UP, ASSIGNEE, LOGGED_BY = (
    "customer",
    "kind",
    "summary",
    "follow_up",
    "follow_up_assignee",
    "logged_by",
)
MAX_CUSTOMER = MAX_NAME_LENGTH  # what it names is a customer's name, held to the same length
MAX_SUMMARY = 10_000
MAX_FOLLOW_UP = 200
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,31}")
# Epoch seconds, as a Workflow Builder timestamp variable reads when put in a text field (2001 to 2286).
_EPOCH_SECONDS = re.compile(r"\d{10}")


class StepRefused(ValueError):
    """Inputs the step cannot log anything from; `reason` is a sentence for whoever built the workflow."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class StepInputs:
    customer: str
    summary: str
    kind: str | None
    follow_up: str | None
    assignee: str | None
    logged_by: str


def read_inputs(inputs: Mapping[str, Any]) -> StepInputs:
    """The step's inputs checked; StepRefused names every problem at once, in the words Workflow Builder shows."""
    problems: list[str] = []
    customer = _text(inputs.get(CUSTOMER))
    if not customer:
        problems.append("“Customer” is empty: map it to a name, a domain or a form's answer.")
    elif not fold(customer):
        problems.append("“Customer” needs at least one letter or digit.")
    elif len(customer) > MAX_CUSTOMER:
        problems.append(f"“Customer” has more than {MAX_CUSTOMER} characters.")
    summary = _text(inputs.get(SUMMARY))
    if not summary:
        problems.append("“What happened” is empty: map it to the text to log.")
    elif len(summary) > MAX_SUMMARY:
        problems.append(f"“What happened” has more than {MAX_SUMMARY:,} characters.")
    kind = _text(inputs.get(KIND)).lower() or None
    if kind is not None and kind not in KINDS:
        problems.append("“Kind” must be one of " + ", ".join(KINDS) + ", or left empty to read it from the text.")
    follow_up = _text(inputs.get(FOLLOW_UP)) or None
    if follow_up is not None and len(follow_up) > MAX_FOLLOW_UP:
        problems.append(f"“Follow up” has more than {MAX_FOLLOW_UP} characters.")
    assignee = _user(inputs.get(ASSIGNEE), "“Follow-up for”", problems)
    logged_by = _user(inputs.get(LOGGED_BY), "“Logged by”", problems)
    if logged_by is None and not _text(inputs.get(LOGGED_BY)):
        problems.append("“Logged by” is empty: map it to the person who used this workflow.")
    if problems:
        raise StepRefused(" ".join(problems))
    assert logged_by is not None
    return StepInputs(customer, summary, kind, follow_up, assignee, logged_by)


# What the step's “Follow up” takes, as the sentences above say it.
_WHEN = " or ".join(f"“{example.removeprefix('follow up ')}”" for example in FOLLOW_UP_EXAMPLES)


def log_step(
    session: Session,
    indexes: CustomerIndexes,
    workspace_id: int,
    author: Author,
    step: StepInputs,
    execution_id: str | None,
    *,
    now: datetime,
) -> LogOutcome:
    """Save the step's touchpoint, or find the one this execution saved already (`already_logged`); a run without
    an execution id (never from Slack) is saved each time."""
    customer_id, matched_by, scored = customer_named(step.customer, indexes.current(session, workspace_id))
    customer, candidates = live_match(session, workspace_id, customer_id, [c.customer_id for c in scored])
    if customer_id is not None and customer is None:  # a name of a customer deleted since: as if unknown
        matched_by = "unknown"
    errors: list[str] = []
    follow_up = None
    if step.follow_up is not None:
        try:
            follow_up = _follow_up(step.follow_up, step.assignee or author.user_id, author, now)
        except DueTimeError as error:
            errors.append(f"{error} The touchpoint is saved without a follow-up; the step's “Follow up” takes {_WHEN}.")
    elif step.assignee is not None:
        # Who follows up was mapped but not when: say so rather than drop it unseen.
        errors.append(
            "“Follow-up for” names someone but “Follow up” is empty, so the touchpoint is saved without a"
            f" follow-up; map “Follow up” to when, e.g. {_WHEN}."
        )
    entry = Entry(
        customer_id=customer.id if customer else None,
        new_customer_name=None,
        customer_text=step.customer,
        kind=step.kind or detect_kind(step.summary),
        summary=step.summary,
        occurred_at=now,
        tags=tags_in(step.summary),
        follow_up=follow_up,
        source=SOURCE,
        author_user_id=author.user_id,
        source_system=SOURCE,
        external_id=execution_id,
    )
    touchpoint_id, created = log_record(session, workspace_id, author, entry, now=now)
    return LogOutcome(
        touchpoint=touchpoint_view(session, workspace_id, touchpoint_id),
        matched_by=matched_by,
        typed_customer=step.customer,
        candidates=candidates,
        errors=errors if created else [],
        ask_department=author.department is None,
        already_logged=not created,
    )


def _follow_up(text: str, assignee: str, author: Author, now: datetime) -> FollowUpPlan:
    """A follow-up from the step's words ("friday 10am", "in 2 weeks", "2026-12-10") or epoch seconds."""
    if _EPOCH_SECONDS.fullmatch(text):
        due_at = datetime.fromtimestamp(int(text), UTC)
        if due_at <= now:
            raise DueTimeError("That follow-up time is in the past.")
        if due_at > follow_up_horizon(now):
            raise DueTimeError(f"That follow-up is more than {HORIZON_YEARS} years away.")
        return FollowUpPlan(due_at, assignee, f"{due_at:%Y-%m-%d %H:%M} UTC")
    return follow_up_from_words(text, now=now, tz=author.tz, author=assignee)


def _text(value: Any) -> str:
    """A text input as Slack sends it; numbers (a timestamp variable) are read as their digits."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return str(int(value))
    return value.strip() if isinstance(value, str) else ""


def _user(value: Any, label: str, problems: list[str]) -> str | None:
    text = _text(value)
    if not text:
        return None
    if not _USER_ID.fullmatch(text):
        problems.append(f"{label} must be a person of this workspace.")
        return None
    return text
