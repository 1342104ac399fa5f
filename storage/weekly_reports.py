"""Weekly reports: each channel's subscription, and the queue of posts due, claimed as follow-ups are.

The weekly_reports table is the queue, as follow_ups is for nudges (`storage.dispatch`): a post due is
claimed by a conditional UPDATE that only one process can win (`claim_weekly_report`), with a lease; every
later change is conditional on that claim, so a process whose lease was taken over changes nothing. The
next due instant moves on only once Slack accepted the post (`mark_weekly_report_posted`).
Every query of a subscription is scoped to its workspace; the queue's queries read across workspaces, as the
dispatcher does, and each row carries its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from storage.models import WeeklyReport
from storage.workspaces import UNINSTALLED_IDS

_NO_SYNC = {"synchronize_session": False}


@dataclass(frozen=True)
class DueWeeklyReport:
    """A claimed post: whose, where, about what, and in which zone its week is read."""

    id: int
    workspace_id: int
    channel_id: str
    filter_words: str
    tz: str
    created_by: str
    attempts: int


def weekly_report_of_channel(session: Session, workspace_id: int, channel_id: str) -> WeeklyReport | None:
    """The channel's subscription, live or stopped."""
    return session.scalar(
        select(WeeklyReport).where(WeeklyReport.workspace_id == workspace_id, WeeklyReport.channel_id == channel_id)
    )


def live_weekly_reports(session: Session, workspace_id: int) -> list[WeeklyReport]:
    """The workspace's subscriptions not stopped, soonest due first."""
    return list(
        session.scalars(
            select(WeeklyReport)
            .where(WeeklyReport.workspace_id == workspace_id, WeeklyReport.stopped_at.is_(None))
            .order_by(WeeklyReport.next_due_at, WeeklyReport.channel_id)
        )
    )


def _claimable(due_by: datetime, lease_now: datetime) -> list[ColumnElement[bool]]:
    """Live, of an installation still installed, due by `due_by` (the pass's instant), and at `lease_now` (the
    clock) held by nobody, waiting for no backoff. The two instants differ when a pass is run at an instant of its
    own (`touchpoint nudge --at`)."""
    return [
        WeeklyReport.stopped_at.is_(None),
        WeeklyReport.workspace_id.not_in(UNINSTALLED_IDS),
        WeeklyReport.next_due_at <= due_by,
        or_(WeeklyReport.lease_until.is_(None), WeeklyReport.lease_until <= lease_now),
        or_(WeeklyReport.next_attempt_at.is_(None), WeeklyReport.next_attempt_at <= lease_now),
    ]


def weekly_reports_due(session: Session, *, due_by: datetime, lease_now: datetime, limit: int) -> list[int]:
    """Ids of the posts due by `due_by` that nobody holds and that wait for no backoff, earliest first."""
    return list(
        session.scalars(
            select(WeeklyReport.id)
            .where(*_claimable(due_by, lease_now))
            .order_by(WeeklyReport.next_due_at, WeeklyReport.id)
            .limit(limit)
        )
    )


def claim_weekly_report(
    session: Session, report_id: int, worker: str, *, due_by: datetime, lease_now: datetime, lease_until: datetime
) -> DueWeeklyReport | None:
    """Take the post if it is still claimable: of two processes trying, the UPDATE of one changes the row."""
    result = session.execute(
        update(WeeklyReport)
        .where(WeeklyReport.id == report_id, *_claimable(due_by, lease_now))
        .values(claimed_by=worker, lease_until=lease_until),
        execution_options=_NO_SYNC,
    )
    if not result.rowcount:
        return None
    row = session.execute(
        select(
            WeeklyReport.id,
            WeeklyReport.workspace_id,
            WeeklyReport.channel_id,
            WeeklyReport.filter_words,
            WeeklyReport.tz,
            WeeklyReport.created_by,
            WeeklyReport.attempts,
        ).where(WeeklyReport.id == report_id)
    ).one()
    return DueWeeklyReport(*row)


def weekly_report_still_ours(session: Session, report_id: int, worker: str, *, lease_after: datetime) -> bool:
    """Whether the post may be sent now: still live and claimed by `worker` until at least `lease_after`."""
    return bool(
        session.scalar(
            select(WeeklyReport.id).where(
                WeeklyReport.id == report_id,
                WeeklyReport.claimed_by == worker,
                WeeklyReport.lease_until > lease_after,
                WeeklyReport.stopped_at.is_(None),
            )
        )
    )


def mark_weekly_report_posted(
    session: Session, report_id: int, worker: str, *, posted_at: datetime, week_first: date, next_due_at: datetime
) -> int:
    """Slack accepted the week's post: due again at `next_due_at`, the claim and any failure cleared."""
    result = session.execute(
        update(WeeklyReport)
        .where(WeeklyReport.id == report_id, WeeklyReport.claimed_by == worker)
        .values(
            next_due_at=next_due_at,
            last_week_first=week_first,
            last_posted_at=posted_at,
            claimed_by=None,
            lease_until=None,
            attempts=0,
            next_attempt_at=None,
            last_error=None,
        ),
        execution_options=_NO_SYNC,
    )
    return result.rowcount or 0


def back_off_weekly_report(
    session: Session, report_id: int, worker: str, *, attempts: int, until: datetime, error: str
) -> int:
    """A failed attempt a retry may mend: released with the error, not to be tried again before `until`."""
    result = session.execute(
        update(WeeklyReport)
        .where(WeeklyReport.id == report_id, WeeklyReport.claimed_by == worker)
        .values(claimed_by=None, lease_until=None, attempts=attempts, next_attempt_at=until, last_error=error[:200]),
        execution_options=_NO_SYNC,
    )
    return result.rowcount or 0


def skip_weekly_report(session: Session, report_id: int, worker: str, *, next_due_at: datetime, error: str) -> int:
    """A refusal a retry will not mend (the bot was removed from the channel): this week is skipped, the
    reason kept for `/report weekly` to show, and the next Monday tried as usual."""
    result = session.execute(
        update(WeeklyReport)
        .where(WeeklyReport.id == report_id, WeeklyReport.claimed_by == worker)
        .values(
            next_due_at=next_due_at,
            claimed_by=None,
            lease_until=None,
            attempts=0,
            next_attempt_at=None,
            last_error=error[:200],
        ),
        execution_options=_NO_SYNC,
    )
    return result.rowcount or 0


def release_weekly_report(session: Session, report_id: int, worker: str) -> int:
    """Give a claim back untouched (stopping, or the lease grew too short to post safely)."""
    result = session.execute(
        update(WeeklyReport)
        .where(WeeklyReport.id == report_id, WeeklyReport.claimed_by == worker)
        .values(claimed_by=None, lease_until=None),
        execution_options=_NO_SYNC,
    )
    return result.rowcount or 0


def still_due(session: Session, report_ids: Iterable[int], *, due_by: datetime) -> list[int]:
    """Which of these subscriptions are on and still have a post due by `due_by` (not made yet)."""
    report_ids = list(report_ids)
    if not report_ids:
        return []
    return list(
        session.scalars(
            select(WeeklyReport.id).where(
                WeeklyReport.id.in_(report_ids),
                WeeklyReport.stopped_at.is_(None),
                WeeklyReport.next_due_at <= due_by,
            )
        )
    )
