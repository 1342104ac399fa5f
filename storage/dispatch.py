"""The dispatch queue: due follow-ups claimed with a lease, marked nudged after Slack accepted, backed off on failure.

The follow_ups table is the queue; no scheduler keeps jobs of its own. A claim is a lease (`claimed_by`,
`lease_until`) taken in one short transaction, so a process that dies loses nothing: its lease ends and
another process takes the rows over. Every later change a dispatcher makes is conditional on its claim,
so a process whose lease was taken over (or whose row was snoozed meanwhile) changes nothing.

Claims are per person: all of one assignee's claimable rows go to one process, so a person gets one
catch-up message rather than pieces from two processes. On PostgreSQL a transaction-scoped advisory lock
per person decides which process that is and `FOR UPDATE SKIP LOCKED` keeps rows a click is changing out
of the claim; on SQLite `BEGIN IMMEDIATE` already serializes writers, so the claim is one conditional
transaction.

Nothing is claimed for an installation that was uninstalled (`workspaces.uninstalled_at`): its follow-ups wait,
neither sent nor marked, and go out once it is installed again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, tuple_, update
from sqlalchemy.orm import Session

from storage.customers import live_customers_by_id
from storage.models import FollowUp, Member
from storage.touchpoints import record_many
from storage.workspaces import UNINSTALLED_IDS

Person = tuple[int, str]  # (workspace id, Slack user id)
# These sessions hold no rows the UPDATEs could leave stale, so SQLAlchemy need not look for any.
_NO_SYNC = {"synchronize_session": False}


@dataclass(frozen=True)
class DueRow:
    id: int
    workspace_id: int
    assignee_user_id: str
    customer_id: int | None
    due_at: datetime
    due_text: str | None  # the words it was set with: whether they named a time decides if the digest covers it


@dataclass(frozen=True)
class Recipient:
    """What the dispatcher needs to know about a member: zone, digest settings, whether they left."""

    id: int
    workspace_id: int
    user_id: str
    tz: str | None
    deleted: bool
    digest_enabled: bool
    digest_hour: int
    digest_sent_on: date | None
    digest_lease_until: datetime | None = None  # the day's digest claimed, not yet accepted by Slack, until then

    def digest_sent(self, day: date, now: datetime) -> bool:
        """Whether `day`'s digest went (or is going out under a live claim): not when its claimer's lease ran out."""
        if self.digest_sent_on is None or self.digest_sent_on < day:
            return False
        return self.digest_sent_on > day or self.digest_lease_until is None or self.digest_lease_until > now


# --------------------------------------------------------------------------------------------------------
# Claiming
# --------------------------------------------------------------------------------------------------------


def _claimable(
    due_by: datetime, now: datetime, pass_began: datetime | None, passed_over: Collection[int], worker_id: str | None
) -> ColumnElement[bool]:
    """Open, not nudged, due, not under someone's live lease nor held by this worker at all, not waiting out a
    backoff or a deferral that ends after the pass began, of an installation still installed, and not one of the
    rows the pass was told to leave alone.

    A row that failed during a pass is backed off from a later reading of the clock; measured against the
    pass's start it is never tried again within that pass, however long the pass runs. A lease that ran out
    is taken over only by another worker: what a worker still holds is in flight in its own senders, and a
    second claim under the same worker id would pass their "still ours" check and send it twice. The first two
    conditions are the partial index's, so the planner can use it.
    """
    lease_ran_out = FollowUp.lease_until <= now
    if worker_id is not None:
        lease_ran_out = and_(lease_ran_out, or_(FollowUp.claimed_by.is_(None), FollowUp.claimed_by != worker_id))
    condition = and_(
        FollowUp.status == "open",
        FollowUp.nudged_at.is_(None),
        FollowUp.due_at <= due_by,
        or_(FollowUp.lease_until.is_(None), lease_ran_out),
        or_(FollowUp.next_attempt_at.is_(None), FollowUp.next_attempt_at <= min(now, pass_began or now)),
        FollowUp.workspace_id.not_in(UNINSTALLED_IDS),
    )
    return and_(condition, FollowUp.id.not_in(passed_over)) if passed_over else condition


def lock_people_with_due_follow_ups(
    session: Session,
    *,
    due_by: datetime,
    now: datetime,
    limit: int,
    pass_began: datetime | None = None,
    passed_over: Collection[int] = (),
    worker_id: str | None = None,
) -> list[Person]:
    """Up to `limit` people with claimable follow-ups, longest waiting first, each locked to this transaction.

    On PostgreSQL a person another process is claiming right now is left out (its advisory lock is taken),
    so two processes never split one person's follow-ups between them.
    """
    people = (
        select(FollowUp.workspace_id, FollowUp.assignee_user_id)
        .where(_claimable(due_by, now, pass_began, passed_over, worker_id))
        .group_by(FollowUp.workspace_id, FollowUp.assignee_user_id)
        .order_by(func.min(FollowUp.due_at), FollowUp.workspace_id, FollowUp.assignee_user_id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        candidates = people.subquery()
        # LIMIT keeps the planner from pushing the lock call into the subquery: it runs once per candidate.
        people = select(candidates.c.workspace_id, candidates.c.assignee_user_id).where(
            func.pg_try_advisory_xact_lock(candidates.c.workspace_id, func.hashtext(candidates.c.assignee_user_id))
        )
    return [(workspace_id, user_id) for workspace_id, user_id in session.execute(people)]


def lock_due_follow_ups_of(
    session: Session,
    people: Sequence[Person],
    *,
    due_by: datetime,
    now: datetime,
    pass_began: datetime | None = None,
    passed_over: Collection[int] = (),
    worker_id: str | None = None,
) -> list[DueRow]:
    """The claimable follow-ups of these people, earliest due first; rows a click holds locked are skipped."""
    if not people:
        return []
    rows = session.execute(
        select(
            FollowUp.id,
            FollowUp.workspace_id,
            FollowUp.assignee_user_id,
            FollowUp.customer_id,
            FollowUp.due_at,
            FollowUp.due_text,
        )
        .where(
            _claimable(due_by, now, pass_began, passed_over, worker_id),
            tuple_(FollowUp.workspace_id, FollowUp.assignee_user_id).in_(people),
        )
        .order_by(FollowUp.due_at, FollowUp.id)
        .with_for_update(skip_locked=True)
    )
    return [DueRow(*row) for row in rows]


def recipients(session: Session, people: Iterable[Person]) -> dict[Person, Recipient]:
    """The members among these people; someone who never used the bot has no row and gets defaults."""
    people = list(people)
    if not people:
        return {}
    rows = session.scalars(select(Member).where(tuple_(Member.workspace_id, Member.slack_user_id).in_(people)))
    return {(row.workspace_id, row.slack_user_id): _recipient(row) for row in rows}


def claim(session: Session, ids: Sequence[int], worker: str, lease_until: datetime) -> None:
    """Lease rows this transaction has just found claimable (and, on PostgreSQL, locked)."""
    if ids:
        session.execute(
            update(FollowUp).where(FollowUp.id.in_(ids)).values(claimed_by=worker, lease_until=lease_until),
            execution_options=_NO_SYNC,
        )


def defer(session: Session, ids: Sequence[int], until: datetime) -> None:
    """Leave rows for later (the morning digest covers them) without counting it as a failed attempt."""
    if ids:
        session.execute(
            update(FollowUp).where(FollowUp.id.in_(ids)).values(next_attempt_at=until), execution_options=_NO_SYNC
        )


def extend_leases(session: Session, ids: Sequence[int], worker: str, lease_until: datetime) -> int:
    """Push this worker's leases further out; rows another process took over are not touched."""
    if not ids:
        return 0
    result = session.execute(
        update(FollowUp)
        .where(FollowUp.id.in_(ids), FollowUp.claimed_by == worker, FollowUp.nudged_at.is_(None))
        .values(lease_until=lease_until),
        execution_options=_NO_SYNC,
    )
    return result.rowcount or 0


def still_claimed(
    session: Session, ids: Sequence[int], worker: str, *, due_by: datetime, lease_after: datetime
) -> list[int]:
    """Which of these rows may be sent now: still open, due, not nudged, and ours until at least `lease_after`."""
    if not ids:
        return []
    found = set(
        session.scalars(
            select(FollowUp.id).where(
                FollowUp.id.in_(ids),
                FollowUp.claimed_by == worker,
                FollowUp.lease_until > lease_after,
                FollowUp.status == "open",
                FollowUp.nudged_at.is_(None),
                FollowUp.due_at <= due_by,
            )
        )
    )
    return [i for i in ids if i in found]


def mark_nudged(
    session: Session, ids: Sequence[int], worker: str, *, now: datetime, channel: str | None, ts: str | None
) -> int:
    """Slack accepted the message for these rows: nudged, with where it is so buttons can update it in place."""
    if not ids:
        return 0
    result = session.execute(
        update(FollowUp)
        .where(FollowUp.id.in_(ids), FollowUp.claimed_by == worker)
        .values(
            nudged_at=now,
            nudge_channel=channel,
            nudge_ts=ts,
            claimed_by=None,
            lease_until=None,
            next_attempt_at=None,
            last_error=None,
        ),
        execution_options=_NO_SYNC,
    )
    return result.rowcount or 0


def release(session: Session, ids: Sequence[int], worker: str) -> int:
    """Give claimed rows back untouched, for any process to take at once."""
    if not ids:
        return 0
    result = session.execute(
        update(FollowUp)
        .where(FollowUp.id.in_(ids), FollowUp.claimed_by == worker, FollowUp.nudged_at.is_(None))
        .values(claimed_by=None, lease_until=None),
        execution_options=_NO_SYNC,
    )
    return result.rowcount or 0


def undelivered(session: Session, ids: Iterable[int], *, due_by: datetime) -> dict[int, datetime | None]:
    """Which of these follow-ups are still open, due by `due_by` and not nudged, with when each may be claimed
    again: the end of its backoff, or of the lease another process holds on it; None when it may be at once."""
    ids = list(ids)
    if not ids:
        return {}
    rows = session.execute(
        select(FollowUp.id, FollowUp.next_attempt_at, FollowUp.lease_until).where(
            FollowUp.id.in_(ids),
            FollowUp.status == "open",
            FollowUp.nudged_at.is_(None),
            FollowUp.due_at <= due_by,
        )
    )
    return {row_id: max((t for t in times if t is not None), default=None) for row_id, *times in rows}


def attempts_of(session: Session, ids: Sequence[int], worker: str) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.execute(
        select(FollowUp.id, FollowUp.attempts).where(FollowUp.id.in_(ids), FollowUp.claimed_by == worker)
    )
    return {row_id: attempts for row_id, attempts in rows}


def back_off(session: Session, follow_up_id: int, worker: str, *, attempts: int, until: datetime, error: str) -> int:
    """A failed attempt: released with the error, and not to be tried again before `until`."""
    result = session.execute(
        update(FollowUp)
        .where(FollowUp.id == follow_up_id, FollowUp.claimed_by == worker)
        .values(claimed_by=None, lease_until=None, attempts=attempts, next_attempt_at=until, last_error=error[:200]),
        execution_options=_NO_SYNC,
    )
    return result.rowcount or 0


def park(session: Session, ids: Sequence[int], worker: str, *, until: datetime, error: str) -> int:
    """Rows with nowhere to go for now: released, looked at again at `until`, with the reason kept."""
    if not ids:
        return 0
    result = session.execute(
        update(FollowUp)
        .where(FollowUp.id.in_(ids), FollowUp.claimed_by == worker)
        .values(claimed_by=None, lease_until=None, next_attempt_at=until, last_error=error[:200]),
        execution_options=_NO_SYNC,
    )
    return result.rowcount or 0


# --------------------------------------------------------------------------------------------------------
# People who left
# --------------------------------------------------------------------------------------------------------


def customer_owners(session: Session, workspace_id: int, customer_ids: Iterable[int]) -> dict[int, str]:
    """Each customer's owner, following merges to the surviving customer; customers without one are left out."""
    live = live_customers_by_id(session, workspace_id, set(customer_ids))
    return {customer_id: row.owner_user_id for customer_id, row in live.items() if row.owner_user_id}


def departed_user_ids(session: Session, workspace_id: int, user_ids: Iterable[str]) -> set[str]:
    user_ids = set(user_ids)
    if not user_ids:
        return set()
    return set(
        session.scalars(
            select(Member.slack_user_id).where(
                Member.workspace_id == workspace_id, Member.slack_user_id.in_(user_ids), Member.deleted.is_(True)
            )
        )
    )


def mark_departed(session: Session, workspace_id: int, user_id: str, now: datetime) -> None:
    """Slack said this person is gone; kept until their profile is next read (it may say otherwise)."""
    session.execute(
        update(Member)
        .where(Member.workspace_id == workspace_id, Member.slack_user_id == user_id)
        .values(deleted=True, refreshed_at=now),
        execution_options=_NO_SYNC,
    )


def reassign_claimed(
    session: Session,
    workspace_id: int,
    moves: Sequence[tuple[int, str, str]],
    worker: str,
    *,
    now: datetime,
    reason: str,
) -> int:
    """Hand claimed rows (follow-up id, from, to) to someone else, due at once for them, each recorded."""
    moved = []
    for follow_up_id, from_user, to_user in moves:
        result = session.execute(
            update(FollowUp)
            .where(FollowUp.id == follow_up_id, FollowUp.claimed_by == worker)
            .values(
                assignee_user_id=to_user,
                taken_over_from=from_user,
                claimed_by=None,
                lease_until=None,
                attempts=0,
                next_attempt_at=None,
                last_error=None,
            ),
            execution_options=_NO_SYNC,
        )
        if result.rowcount:
            moved.append((follow_up_id, {"from_": from_user, "to": to_user, "reason": reason}))
    record_many(session, workspace_id, None, "reassigned", FollowUp, moved, now)
    return len(moved)


def record_sent_to_channel(
    session: Session, workspace_id: int, ids: Sequence[int], from_user: str, channel: str, *, now: datetime, reason: str
) -> None:
    details = {"from_": from_user, "to": channel, "reason": reason}
    record_many(session, workspace_id, None, "reassigned", FollowUp, [(i, dict(details)) for i in ids], now)


# --------------------------------------------------------------------------------------------------------
# The daily digest
# --------------------------------------------------------------------------------------------------------


def digest_candidates(session: Session, *, latest_day: date, before: datetime, now: datetime) -> list[Recipient]:
    """Members with the digest on who may not have had today's yet (in any zone, today is at most
    `latest_day`, or a claim of it ran out by `now`) and have something open that is due before `before`:
    nobody else can get a digest."""
    has_something = exists().where(
        FollowUp.workspace_id == Member.workspace_id,
        FollowUp.assignee_user_id == Member.slack_user_id,
        FollowUp.status == "open",
        FollowUp.due_at < before,
    )
    rows = session.scalars(
        select(Member).where(
            Member.digest_enabled.is_(True),
            Member.deleted.is_(False),
            Member.workspace_id.not_in(UNINSTALLED_IDS),
            or_(Member.digest_sent_on.is_(None), Member.digest_sent_on < latest_day, Member.digest_lease_until <= now),
            has_something,
        )
    )
    return [_recipient(row) for row in rows]


def claim_digest(
    session: Session, member_id: int, day: date, worker: str, *, now: datetime, lease_until: datetime
) -> bool:
    """Take the member's digest for their local `day` until `lease_until`; of two processes trying, one gets it.
    A claim of the same day whose lease ran out by `now` (its process died before Slack answered) is taken over."""
    result = session.execute(
        update(Member)
        .where(
            Member.id == member_id,
            Member.digest_enabled.is_(True),
            or_(
                Member.digest_sent_on.is_(None),
                Member.digest_sent_on < day,
                and_(Member.digest_sent_on == day, Member.digest_lease_until <= now),
            ),
        )
        .values(digest_sent_on=day, digest_claimed_by=worker, digest_lease_until=lease_until),
        execution_options=_NO_SYNC,
    )
    return bool(result.rowcount)


def hold_digest(session: Session, member_id: int, day: date, worker: str, *, lease_until: datetime) -> bool:
    """The claim is still this worker's, now held until `lease_until`: asked right before the digest is sent, so
    one whose lease ran out while it waited (for its turn, or out a 429) and that another process took over, or
    already sent, is never sent twice."""
    result = session.execute(
        update(Member)
        .where(Member.id == member_id, Member.digest_sent_on == day, Member.digest_claimed_by == worker)
        .values(digest_lease_until=lease_until),
        execution_options=_NO_SYNC,
    )
    return bool(result.rowcount)


def digest_done(session: Session, member_id: int, day: date, worker: str) -> None:
    """The day's digest is settled (Slack accepted it, or there was nothing to say, or the person left): the
    day stays marked and the claim ends, so nobody takes it over."""
    session.execute(
        update(Member)
        .where(Member.id == member_id, Member.digest_sent_on == day, Member.digest_claimed_by == worker)
        .values(digest_claimed_by=None, digest_lease_until=None),
        execution_options=_NO_SYNC,
    )


def unclaim_digest(session: Session, member_id: int, day: date, worker: str, previous: date | None) -> None:
    """The digest did not go out: give the day back (`previous`, the day marked before the claim) so the next
    tick tries again. A claim taken over from a process that died found `day` marked already: none is put back."""
    before = previous if previous is not None and previous < day else None
    session.execute(
        update(Member)
        .where(Member.id == member_id, Member.digest_sent_on == day, Member.digest_claimed_by == worker)
        .values(digest_sent_on=before, digest_claimed_by=None, digest_lease_until=None),
        execution_options=_NO_SYNC,
    )


def open_follow_ups_for_digest(
    session: Session, workspace_id: int, user_id: str, *, now: datetime, overdue_before: datetime, day_ends: datetime
) -> tuple[list[int], list[int], list[int]]:
    """A person's open follow-ups for their digest: overdue (due before `overdue_before`, the digest's own hour),
    due today (the rest, before `day_ends`), and the ones it covers (due by `now`: told about on time)."""
    rows = session.execute(
        select(FollowUp.id, FollowUp.due_at)
        .where(
            FollowUp.workspace_id == workspace_id,
            FollowUp.assignee_user_id == user_id,
            FollowUp.status == "open",
            FollowUp.due_at < day_ends,
        )
        .order_by(FollowUp.due_at, FollowUp.id)
    )
    overdue, today, covered = [], [], []
    for row_id, due_at in rows:
        (overdue if due_at < overdue_before else today).append(row_id)
        if due_at <= now:
            covered.append(row_id)
    return overdue, today, covered


def mark_nudged_by_digest(
    session: Session, ids: Sequence[int], *, now: datetime, lease_now: datetime, channel: str | None, ts: str | None
) -> int:
    """The digest was accepted: the un-nudged rows it listed as overdue count as nudged by it.

    Rows a dispatcher holds under a live lease are left to it (it marks them itself after its own send).
    """
    if not ids:
        return 0
    result = session.execute(
        update(FollowUp)
        .where(
            FollowUp.id.in_(ids),
            FollowUp.status == "open",
            FollowUp.nudged_at.is_(None),
            FollowUp.due_at <= now,
            or_(FollowUp.lease_until.is_(None), FollowUp.lease_until <= lease_now),
        )
        .values(nudged_at=lease_now, nudge_channel=channel, nudge_ts=ts, next_attempt_at=None, last_error=None),
        execution_options=_NO_SYNC,
    )
    return result.rowcount or 0


def _recipient(row: Member) -> Recipient:
    return Recipient(
        id=row.id,
        workspace_id=row.workspace_id,
        user_id=row.slack_user_id,
        tz=row.tz,
        deleted=bool(row.deleted),
        digest_enabled=bool(row.digest_enabled),
        digest_hour=row.digest_hour if row.digest_hour is not None else 9,
        digest_sent_on=row.digest_sent_on,
        digest_lease_until=row.digest_lease_until,
    )


def open_due_instants_between(session: Session, after: datetime, before: datetime, limit: int) -> list[datetime]:
    """The distinct instants strictly between `after` and `before` at which an open follow-up falls due."""
    rows = session.scalars(
        select(FollowUp.due_at)
        .where(FollowUp.status == "open", FollowUp.due_at > after, FollowUp.due_at < before)
        .group_by(FollowUp.due_at)
        .order_by(FollowUp.due_at)
        .limit(limit)
    )
    return list(rows)


def members_with_digest_on(session: Session) -> list[Recipient]:
    """Every member who gets a daily digest: someone still here with it switched on."""
    rows = session.scalars(select(Member).where(Member.digest_enabled.is_(True), Member.deleted.is_(False)))
    return [_recipient(row) for row in rows]
