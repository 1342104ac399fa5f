"""What the customer card and its full history read: a customer's touchpoints, follow-ups and contacts, and its
journey (stage moves, the first touchpoint, the follow-ups kept), each counted in the database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from storage.models import Contact, Conversation, CustomerName, FollowUp, StageChange, Touchpoint
from storage.scoping import scoped_join


@dataclass(frozen=True)
class TouchpointRow:
    id: int
    author_user_id: str
    department: str | None
    kind: str
    occurred_at: datetime
    summary: str
    permalink: str | None
    # A touchpoint another system sent (the HTTP API): that system's name and the link back to its record.
    source_system: str | None = None
    url: str | None = None
    # A conversation in a linked channel (bot.conversations): how many messages, and who spoke on each side.
    messages: int | None = None
    participants: dict[str, list[str]] | None = None


@dataclass(frozen=True)
class FollowUpRow:
    id: int
    assignee_user_id: str
    due_at: datetime
    summary: str


@dataclass(frozen=True)
class ContactRow:
    id: int
    name: str
    email: str | None
    phone: str | None
    role: str | None


def touchpoints_page(
    session: Session, workspace_id: int, customer_ids: Sequence[int], *, limit: int, offset: int = 0
) -> list[TouchpointRow]:
    """Touchpoints with these customers, latest first; not the removed ones."""
    rows = session.execute(
        select(
            Touchpoint.id,
            Touchpoint.author_user_id,
            Touchpoint.author_department,
            Touchpoint.kind,
            Touchpoint.occurred_at,
            Touchpoint.summary,
            Touchpoint.permalink,
            Touchpoint.source_system,
            Touchpoint.url,
            Conversation.message_count,
            Conversation.participants,
        )
        .outerjoin(Conversation, scoped_join(Touchpoint, Conversation, Conversation.touchpoint_id))
        .where(
            Touchpoint.workspace_id == workspace_id,
            Touchpoint.customer_id.in_(list(customer_ids)),
            Touchpoint.deleted_at.is_(None),
        )
        .order_by(Touchpoint.occurred_at.desc(), Touchpoint.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [TouchpointRow(*row) for row in rows]


def touch_counts_since(
    session: Session, workspace_id: int, customer_ids: Sequence[int], since: datetime
) -> list[tuple[str | None, str, int]]:
    """(department, kind, how many) of the touchpoints with these customers since a moment."""
    rows = session.execute(
        select(Touchpoint.author_department, Touchpoint.kind, func.count())
        .where(
            Touchpoint.workspace_id == workspace_id,
            Touchpoint.customer_id.in_(list(customer_ids)),
            Touchpoint.occurred_at >= since,
            Touchpoint.deleted_at.is_(None),
        )
        .group_by(Touchpoint.author_department, Touchpoint.kind)
    )
    return [(department, kind, count) for department, kind, count in rows]


def open_follow_ups_for(
    session: Session, workspace_id: int, customer_ids: Sequence[int], limit: int
) -> list[FollowUpRow]:
    """Open follow-ups with these customers, soonest due first, with what the touchpoint said."""
    rows = session.execute(
        select(FollowUp.id, FollowUp.assignee_user_id, FollowUp.due_at, Touchpoint.summary)
        .join(Touchpoint, scoped_join(Touchpoint, FollowUp, FollowUp.touchpoint_id))
        .where(
            FollowUp.workspace_id == workspace_id,
            FollowUp.customer_id.in_(list(customer_ids)),
            FollowUp.status == "open",
            Touchpoint.deleted_at.is_(None),
        )
        .order_by(FollowUp.due_at, FollowUp.id)
        .limit(limit)
    )
    return [FollowUpRow(*row) for row in rows]


def live_contacts(session: Session, workspace_id: int, customer_ids: Sequence[int]) -> list[ContactRow]:
    rows = session.execute(
        select(Contact.id, Contact.name, Contact.email, Contact.phone, Contact.role)
        .where(
            Contact.workspace_id == workspace_id,
            Contact.customer_id.in_(list(customer_ids)),
            Contact.deleted_at.is_(None),
        )
        .order_by(Contact.name, Contact.id)
    )
    return [ContactRow(*row) for row in rows]


def active_aliases(session: Session, workspace_id: int, customer_id: int) -> list[str]:
    values = session.scalars(
        select(CustomerName.value)
        .where(
            CustomerName.workspace_id == workspace_id,
            CustomerName.customer_id == customer_id,
            CustomerName.kind == "alias",
            CustomerName.active.is_(True),
        )
        .order_by(CustomerName.id)
    )
    return list(dict.fromkeys(values))


@dataclass(frozen=True)
class StageChangeRow:
    from_stage: str | None
    to_stage: str | None
    changed_by: str | None
    changed_at: datetime


@dataclass(frozen=True)
class FirstTouchRow:
    kind: str
    occurred_at: datetime
    author_user_id: str
    source: str
    tags: list[str]


def latest_stage_changes(session: Session, workspace_id: int, customer_id: int, limit: int) -> list[StageChangeRow]:
    """A customer's latest stage moves, newest first (from ix_stage_changes_customer)."""
    rows = session.execute(
        select(StageChange.from_stage, StageChange.to_stage, StageChange.changed_by, StageChange.changed_at)
        .where(StageChange.workspace_id == workspace_id, StageChange.customer_id == customer_id)
        .order_by(StageChange.changed_at.desc(), StageChange.id.desc())
        .limit(limit)
    )
    return [StageChangeRow(*row) for row in rows]


def first_touchpoint(session: Session, workspace_id: int, customer_ids: Sequence[int]) -> FirstTouchRow | None:
    """The earliest touchpoint with these customers that was not removed: how the customer came to us."""
    row = session.execute(
        select(Touchpoint.kind, Touchpoint.occurred_at, Touchpoint.author_user_id, Touchpoint.source, Touchpoint.tags)
        .where(
            Touchpoint.workspace_id == workspace_id,
            Touchpoint.customer_id.in_(list(customer_ids)),
            Touchpoint.deleted_at.is_(None),
        )
        .order_by(Touchpoint.occurred_at, Touchpoint.id)
        .limit(1)
    ).first()
    if row is None:
        return None
    kind, occurred_at, author, source, tags = row
    return FirstTouchRow(kind, occurred_at, author, source, list(tags or []))


# How a follow-up that fell due ended, as the GROUP BY below sorts it.
OPEN = "open"
ON_TIME = "on_time"
LATE = "late"
NEAR_GRACE = "near_grace"  # done after the shortest grace and before the longest: `kept_on_time` decides


def follow_up_outcomes_due_between(
    session: Session,
    workspace_id: int,
    customer_ids: Sequence[int],
    since: datetime,
    until: datetime,
    grace_at_least: timedelta,
    grace_at_most: timedelta,
) -> dict[str, int]:
    """How many follow-ups with these customers due in [since, until] are open, done on time, late or near the grace.

    Cancelled ones and those of removed touchpoints are left out. Counted in the database; the few done
    between the shortest and the longest grace are counted as NEAR_GRACE for `closings_near_grace` to sort.
    """
    taken = _hours_between(session, FollowUp.due_at, FollowUp.completed_at)
    outcome = case(
        (FollowUp.status == "open", OPEN),
        (taken <= grace_at_least / timedelta(hours=1), ON_TIME),
        (taken > grace_at_most / timedelta(hours=1), LATE),
        else_=NEAR_GRACE,
    ).label("outcome")
    rows = session.execute(
        select(outcome, func.count())
        .select_from(FollowUp)
        .join(Touchpoint, scoped_join(Touchpoint, FollowUp, FollowUp.touchpoint_id))
        .where(*_kept_window(workspace_id, customer_ids, since, until))
        .group_by(outcome)
    )
    return {name: count for name, count in rows}


def closings_near_grace(
    session: Session,
    workspace_id: int,
    customer_ids: Sequence[int],
    since: datetime,
    until: datetime,
    grace_at_least: timedelta,
    grace_at_most: timedelta,
) -> list[tuple[datetime, datetime]]:
    """(due, completed) of the done follow-ups `follow_up_outcomes_due_between` counted as NEAR_GRACE."""
    taken = _hours_between(session, FollowUp.due_at, FollowUp.completed_at)
    rows = session.execute(
        select(FollowUp.due_at, FollowUp.completed_at)
        .join(Touchpoint, scoped_join(Touchpoint, FollowUp, FollowUp.touchpoint_id))
        .where(
            *_kept_window(workspace_id, customer_ids, since, until),
            FollowUp.status == "done",
            taken > grace_at_least / timedelta(hours=1),
            taken <= grace_at_most / timedelta(hours=1),
        )
    )
    return [(due, completed) for due, completed in rows]


def _kept_window(workspace_id: int, customer_ids: Sequence[int], since: datetime, until: datetime) -> list[Any]:
    return [
        FollowUp.workspace_id == workspace_id,
        FollowUp.customer_id.in_(list(customer_ids)),
        FollowUp.due_at >= since,
        FollowUp.due_at <= until,
        or_(FollowUp.status == "open", and_(FollowUp.status == "done", FollowUp.completed_at.is_not(None))),
        Touchpoint.deleted_at.is_(None),
    ]


def _hours_between(session: Session, start: Any, end: Any) -> ColumnElement[float]:
    """Hours from one timestamp column to another, in the store's own date arithmetic."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0
