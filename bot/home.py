"""The App Home tab as plain data: what is on a person's plate, and what their clicks on it did.

The follow-up operations are those of `bot.followups.operations` (the nudge's own Done and Snooze); this module only
gathers what a Home shows and turns each click's outcome into the one-line notice shown on top of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.capture.touchpoints import NotFound
from bot.followups import operations as followups
from bot.followups.operations import FollowUpView, Outcome
from storage import followups as followup_store
from storage import home as home_store
from storage.home import OwnedCustomerRow

# How much each list shows; with two blocks a follow-up, the whole Home stays well inside Slack's 100 blocks.
FOLLOW_UPS_SHOWN = 15
TOUCHPOINTS_SHOWN = 8
QUIET_SHOWN = 10


@dataclass(frozen=True)
class TouchpointLine:
    id: int
    customer_id: int | None
    customer_name: str | None  # the customer's name, else what was typed for it
    customer_known: bool
    kind: str
    summary: str
    occurred_at: datetime
    permalink: str | None


@dataclass(frozen=True)
class QuietCustomer:
    id: int
    name: str
    last_touch_at: datetime | None  # None: never touched since it was added
    quiet_since: datetime


@dataclass(frozen=True)
class Notice:
    """What the last click on the Home did, said once on top of the refreshed Home."""

    kind: str  # done, already_done, snoozed, reopened, still_open, cancelled, gone
    follow_up_id: int | None = None
    customer_name: str | None = None
    at: datetime | None = None  # when it was done, or until when it is snoozed
    by: str | None = None


DONE, ALREADY_DONE, SNOOZED, REOPENED, STILL_OPEN, CANCELLED, GONE = (
    "done",
    "already_done",
    "snoozed",
    "reopened",
    "still_open",
    "cancelled",
    "gone",
)


@dataclass(frozen=True)
class Home:
    viewer: str
    now: datetime
    follow_ups: list[FollowUpView]  # the earliest due first, so the overdue ones lead
    open_total: int
    overdue_total: int
    touchpoints: list[TouchpointLine]
    quiet: list[QuietCustomer]
    quiet_total: int
    quiet_after_days: int
    notice: Notice | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.follow_ups or self.touchpoints or self.quiet)

    @property
    def overdue(self) -> list[FollowUpView]:
        return [fu for fu in self.follow_ups if fu.due_at <= self.now]

    @property
    def upcoming(self) -> list[FollowUpView]:
        return [fu for fu in self.follow_ups if fu.due_at > self.now]


def home_for(
    session: Session,
    workspace_id: int,
    user_id: str,
    *,
    now: datetime,
    quiet_after_days: int,
    notice: Notice | None = None,
) -> Home:
    follow_ups, open_total = followup_store.open_follow_ups_assigned_to(
        session, workspace_id, user_id, FOLLOW_UPS_SHOWN
    )
    touchpoints = [
        TouchpointLine(
            id=tp.id,
            customer_id=tp.customer_id,
            customer_name=name or tp.customer_text,
            customer_known=name is not None,
            kind=tp.kind,
            summary=tp.summary,
            occurred_at=tp.occurred_at,
            permalink=tp.permalink,
        )
        for tp, name in home_store.latest_touchpoints_by(session, workspace_id, user_id, TOUCHPOINTS_SHOWN)
    ]
    quiet = gone_quiet(home_store.customers_owned_by(session, workspace_id, user_id), now, quiet_after_days)
    return Home(
        viewer=user_id,
        now=now,
        follow_ups=follow_ups,
        open_total=open_total,
        overdue_total=home_store.overdue_follow_up_count(session, workspace_id, user_id, now),
        touchpoints=touchpoints,
        quiet=quiet[:QUIET_SHOWN],
        quiet_total=len(quiet),
        quiet_after_days=quiet_after_days,
        notice=notice,
    )


def gone_quiet(owned: Iterable[OwnedCustomerRow], now: datetime, quiet_after_days: int) -> list[QuietCustomer]:
    """The customers untouched for more than `quiet_after_days`, the longest quiet first; one never touched
    counts from when it was added."""
    since = now - timedelta(days=quiet_after_days)
    quiet = [QuietCustomer(c.id, c.name, c.last_touch_at, c.last_touch_at or c.created_at) for c in owned]
    return sorted((c for c in quiet if c.quiet_since < since), key=lambda c: (c.quiet_since, c.id))


# ---------------------------------------------------------------------------------------------------------
# Clicks on the Home: the nudge's operations, answered with a notice instead of a redrawn message
# ---------------------------------------------------------------------------------------------------------


def mark_done(session: Session, workspace_id: int, user_id: str, follow_up_id: int, *, now: datetime) -> Notice:
    return _acted(lambda: followups.complete(session, workspace_id, user_id, follow_up_id, now=now, via="home"))


def snooze(
    session: Session, workspace_id: int, user_id: str, follow_up_id: int, until: datetime, *, now: datetime
) -> Notice:
    return _acted(lambda: followups.snooze(session, workspace_id, user_id, follow_up_id, until, now=now))


def reopen(session: Session, workspace_id: int, user_id: str, follow_up_id: int, *, now: datetime) -> Notice:
    return _acted(lambda: followups.reopen(session, workspace_id, user_id, follow_up_id, now=now))


def open_follow_up(session: Session, workspace_id: int, follow_up_id: int) -> FollowUpView | Notice:
    """The follow-up to pick a snooze date for, or the notice saying why there is nothing to snooze."""
    try:
        view = followups.follow_up(session, workspace_id, follow_up_id)
    except NotFound:
        return Notice(GONE, follow_up_id)
    if view.status != "open":
        return notice_for(Outcome(view, followups.SNOOZED, False, ""))
    return view


def _acted(operation: Callable[[], Outcome]) -> Notice:
    try:
        return notice_for(operation())
    except NotFound:  # never in this workspace, or no longer: the Home is redrawn without it
        return Notice(GONE)


def notice_for(outcome: Outcome) -> Notice:
    fu = outcome.follow_up
    name = fu.customer_name
    if fu.status == "done":
        kind = DONE if outcome.action == followups.MARKED_DONE and outcome.changed else ALREADY_DONE
        return Notice(kind, fu.id, name, fu.completed_at, fu.completed_by)
    if fu.status != "open":
        return Notice(CANCELLED, fu.id, name)
    if outcome.action == followups.SNOOZED and outcome.changed:
        return Notice(SNOOZED, fu.id, name, fu.due_at, outcome.actor)
    if outcome.action == followups.REOPENED and outcome.changed:
        return Notice(REOPENED, fu.id, name, fu.due_at, outcome.actor)
    return Notice(STILL_OPEN, fu.id, name, fu.due_at)
