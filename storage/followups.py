"""Follow-ups: reading them for nudges, lists and digests, and the changes people make by clicking.

Every change is a conditional UPDATE on the state the change starts from, so of two clicks racing (two
processes, or a double click) exactly one changes the row; the caller reads how many rows changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.orm import Session

from storage.models import Customer, FollowUp, Member, Touchpoint
from storage.scoping import scoped_join
from storage.workspaces import member_row


@dataclass(frozen=True)
class FollowUpView:
    """A follow-up with what it follows up: every list, nudge and digest is drawn from these."""

    id: int
    workspace_id: int
    touchpoint_id: int
    customer_id: int | None
    customer_name: str | None
    assignee_user_id: str
    due_at: datetime
    status: str
    nudged_at: datetime | None
    # What was promised: the touchpoint it follows up, who logged it and when it happened.
    kind: str
    summary: str
    logged_by: str
    logged_at: datetime
    completed_at: datetime | None = None
    completed_by: str | None = None
    taken_over_from: str | None = None  # whose it was before they left the workspace


def follow_up_views(session: Session, ids: Sequence[int]) -> list[FollowUpView]:
    """The follow-ups with their touchpoint and customer, in the order of `ids`."""
    if not ids:
        return []
    rows = session.execute(_views().where(FollowUp.id.in_(ids)))
    views = {follow_up.id: _view(follow_up, touchpoint, name) for follow_up, touchpoint, name in rows}
    return [views[i] for i in ids if i in views]


def follow_up_view(session: Session, workspace_id: int, follow_up_id: int) -> FollowUpView | None:
    row = session.execute(
        _views().where(FollowUp.workspace_id == workspace_id, FollowUp.id == follow_up_id)
    ).one_or_none()
    return None if row is None else _view(*row)


def open_follow_ups_assigned_to(
    session: Session, workspace_id: int, user_id: str, limit: int
) -> tuple[list[FollowUpView], int]:
    """A person's open follow-ups, the earliest due (so the most overdue) first, and how many there are."""
    return _open_page(session, workspace_id, FollowUp.assignee_user_id == user_id, limit)


def open_follow_ups_with(
    session: Session, workspace_id: int, customer_ids: Sequence[int], limit: int
) -> tuple[list[FollowUpView], int]:
    """Everyone's open follow-ups with these customers, earliest due first, and how many there are."""
    return _open_page(session, workspace_id, FollowUp.customer_id.in_(customer_ids), limit)


_follow_ups = FollowUp.__table__.c
# Built once, like the statements below: `/log` asks them on every line about a known customer. Not ordered in
# SQL: asked to order by due_at, SQLite without statistics (a store migrated while empty has none) read every
# follow-up of the workspace through ix_follow_ups_due (80,000 on the benchmark's store: half of /log's CPU),
# where ix_follow_ups_assignee finds the person's open ones directly; they are few, and sorted here.
_OPEN_DUES = select(_follow_ups.id, _follow_ups.due_at).where(
    _follow_ups.workspace_id == bindparam("workspace_id"),
    _follow_ups.status == "open",
    _follow_ups.assignee_user_id == bindparam("user_id"),
    _follow_ups.customer_id.in_(bindparam("customer_ids", expanding=True)),
)


def open_follow_up_dues_before(
    session: Session, workspace_id: int, user_id: str, customer_ids: Sequence[int], touchpoint_id: int | None
) -> list[tuple[int, datetime]]:
    """(id, due) of a person's open follow-ups with these customers that were set before `touchpoint_id` was
    logged (all of them when it is None: the touchpoint is not saved yet), the earliest due first."""
    query = _OPEN_DUES
    if touchpoint_id is not None:
        touchpoints = Touchpoint.__table__.c
        logged = select(touchpoints.created_at).where(touchpoints.id == touchpoint_id).scalar_subquery()
        query = query.where(_follow_ups.touchpoint_id != touchpoint_id, _follow_ups.created_at <= logged)
    params = {"workspace_id": workspace_id, "user_id": user_id, "customer_ids": list(customer_ids)}
    return sorted(((follow_up_id, due_at) for follow_up_id, due_at in session.execute(query, params)), key=_due_first)


def _due_first(row: tuple[int, datetime]) -> tuple[datetime, int]:
    return row[1], row[0]


_customers = Customer.__table__.c
_MERGED_INTO = select(_customers.id).where(
    _customers.workspace_id == bindparam("workspace_id"),
    _customers.merged_into_id.in_(bindparam("ids", expanding=True)),
)


def customer_ids_merged_into(session: Session, workspace_id: int, customer_id: int) -> list[int]:
    """The customer and every customer merged into it, so their follow-ups and touchpoints count as its own."""
    ids, frontier = [customer_id], [customer_id]
    for _ in range(5):  # merge chains are short; the bound guards against a cycle
        found = session.scalars(_MERGED_INTO, {"workspace_id": workspace_id, "ids": frontier})
        frontier = [i for i in found if i not in ids]
        if not frontier:
            break
        ids.extend(frontier)
    return ids


def mark_done(session: Session, workspace_id: int, follow_up_id: int, user_id: str, now: datetime) -> bool:
    return _change(
        session,
        workspace_id,
        follow_up_id,
        FollowUp.status == "open",
        status="done",
        completed_at=now,
        completed_by=user_id,
    )


def mark_open(session: Session, workspace_id: int, follow_up_id: int) -> bool:
    """Undo *Done*; the nudge fields are left alone, so it is not nudged a second time."""
    return _change(
        session,
        workspace_id,
        follow_up_id,
        FollowUp.status == "done",
        status="open",
        completed_at=None,
        completed_by=None,
    )


def reschedule(session: Session, workspace_id: int, follow_up_id: int, due_at: datetime, due_text: str) -> bool:
    """A new due time, nudged afresh then: the nudge mark, any retry backoff and any claim are cleared.

    `due_text` says how it was set, replacing the words it was first set with: whether those named a time of
    their own decides whether the morning digest covers it (bot.capture.due_times.asks_for_a_time).

    Clearing the claim means a dispatcher sending the old nudge at this very moment cannot mark the row as
    nudged afterwards (its mark is conditional on its claim), so the new time is never skipped.
    """
    return _change(
        session,
        workspace_id,
        follow_up_id,
        FollowUp.status == "open",
        due_at=due_at,
        due_text=due_text[:200],
        nudged_at=None,
        next_attempt_at=None,
        claimed_by=None,
        lease_until=None,
    )


def hand_over(session: Session, workspace_id: int, follow_up_id: int, from_user: str, to_user: str) -> bool:
    return _change(
        session,
        workspace_id,
        follow_up_id,
        FollowUp.status == "open",
        FollowUp.assignee_user_id == from_user,
        assignee_user_id=to_user,
    )


def set_digest(
    session: Session, workspace_id: int, user_id: str, *, enabled: bool | None, hour: int | None
) -> tuple[Member, bool]:
    """Change the member's digest settings where given; the member and whether anything changed."""
    member = member_row(session, workspace_id, user_id)
    before = (member.digest_enabled, member.digest_hour)
    if enabled is not None:
        member.digest_enabled = enabled
    if hour is not None:
        member.digest_hour = hour
    session.flush()
    changed = before != (member.digest_enabled, member.digest_hour)
    if changed:
        _release_held_for_digest(session, workspace_id, user_id)
    return member, changed


def _release_held_for_digest(session: Session, workspace_id: int, user_id: str) -> None:
    """Follow-ups held back for the old digest time are looked at again on the next dispatch pass."""
    session.execute(
        update(FollowUp)
        .where(
            FollowUp.workspace_id == workspace_id,
            FollowUp.assignee_user_id == user_id,
            FollowUp.status == "open",
            FollowUp.nudged_at.is_(None),
            FollowUp.last_error.is_(None),  # a failed send keeps its backoff
        )
        .values(next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )


def _change(session: Session, workspace_id: int, follow_up_id: int, *conditions: object, **values: object) -> bool:
    result = session.execute(
        update(FollowUp)
        .where(FollowUp.workspace_id == workspace_id, FollowUp.id == follow_up_id, *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    # Objects already in the session are not refreshed here; reads go through _views(), which repopulates them.
    return result.rowcount == 1


def _open_page(session: Session, workspace_id: int, condition: object, limit: int) -> tuple[list[FollowUpView], int]:
    where = (FollowUp.workspace_id == workspace_id, FollowUp.status == "open", condition)
    rows = session.execute(_views().where(*where).order_by(FollowUp.due_at, FollowUp.id).limit(limit))
    total = session.scalar(select(func.count()).select_from(FollowUp).where(*where)) or 0
    return [_view(*row) for row in rows], total


def _views() -> Select[tuple[FollowUp, Touchpoint, str | None]]:
    return (
        select(FollowUp, Touchpoint, Customer.name)
        .join(Touchpoint, scoped_join(Touchpoint, FollowUp, FollowUp.touchpoint_id))
        .outerjoin(Customer, scoped_join(Customer, FollowUp, FollowUp.customer_id))
        .execution_options(populate_existing=True)
    )


def _view(follow_up: FollowUp, touchpoint: Touchpoint, customer_name: str | None) -> FollowUpView:
    return FollowUpView(
        id=follow_up.id,
        workspace_id=follow_up.workspace_id,
        touchpoint_id=touchpoint.id,
        customer_id=follow_up.customer_id,
        customer_name=customer_name or touchpoint.customer_text,
        assignee_user_id=follow_up.assignee_user_id,
        due_at=follow_up.due_at,
        status=follow_up.status,
        nudged_at=follow_up.nudged_at,
        kind=touchpoint.kind,
        summary=touchpoint.summary,
        logged_by=touchpoint.author_user_id,
        logged_at=touchpoint.occurred_at,
        completed_at=follow_up.completed_at,
        completed_by=follow_up.completed_by,
        taken_over_from=follow_up.taken_over_from,
    )
