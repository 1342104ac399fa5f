"""What a person's Home tab shows: their latest touchpoints, overdue follow-ups and the customers they own
that have gone quiet. Every query is scoped to one workspace."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Row, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from storage.models import Customer, FollowUp, Touchpoint


class QuietCustomerRow(NamedTuple):
    id: int
    name: str
    created_at: datetime
    last_touch_at: datetime | None


def latest_touchpoints_by(
    session: Session, workspace_id: int, user_id: str, limit: int
) -> list[Row[tuple[Touchpoint, str | None]]]:
    """The person's own touchpoints, newest first, with the current name of their customer (if one is set)."""
    return list(
        session.execute(
            select(Touchpoint, Customer.name)
            .outerjoin(Customer, Customer.id == Touchpoint.customer_id)
            .where(
                Touchpoint.workspace_id == workspace_id,
                Touchpoint.author_user_id == user_id,
                Touchpoint.deleted_at.is_(None),
            )
            .order_by(Touchpoint.occurred_at.desc(), Touchpoint.id.desc())
            .limit(limit)
        )
    )


def overdue_follow_up_count(session: Session, workspace_id: int, user_id: str, now: datetime) -> int:
    """How many of the person's open follow-ups fell due at or before `now`."""
    return (
        session.scalar(
            select(func.count())
            .select_from(FollowUp)
            .where(
                FollowUp.workspace_id == workspace_id,
                FollowUp.assignee_user_id == user_id,
                FollowUp.status == "open",
                FollowUp.due_at <= now,
            )
        )
        or 0
    )


def quiet_customers_owned_by(
    session: Session, workspace_id: int, user_id: str, quiet_since: datetime, limit: int
) -> tuple[list[QuietCustomerRow], int]:
    """Live customers the person owns with no touchpoint since `quiet_since`, the longest quiet first, and how
    many there are. A customer never touched counts from when it was added; touchpoints of customers merged
    into it count as its own."""
    family = aliased(Customer)  # the customer itself and those merged into it
    last_touch = func.max(Touchpoint.occurred_at)
    quiet_from = func.coalesce(last_touch, Customer.created_at)
    owned = (
        select(Customer.id, Customer.name, Customer.created_at, last_touch.label("last_touch_at"))
        .outerjoin(
            family,
            and_(
                family.workspace_id == Customer.workspace_id,
                or_(family.id == Customer.id, family.merged_into_id == Customer.id),
            ),
        )
        .outerjoin(
            Touchpoint,
            and_(
                Touchpoint.workspace_id == Customer.workspace_id,
                Touchpoint.customer_id == family.id,
                Touchpoint.deleted_at.is_(None),
            ),
        )
        .where(
            Customer.workspace_id == workspace_id,
            Customer.owner_user_id == user_id,
            Customer.deleted_at.is_(None),
            Customer.merged_into_id.is_(None),
        )
        .group_by(Customer.id, Customer.name, Customer.created_at)
        .having(quiet_from < quiet_since)
    )
    rows = session.execute(owned.order_by(quiet_from, Customer.id).limit(limit))
    total = session.scalar(select(func.count()).select_from(owned.subquery())) or 0
    return [QuietCustomerRow(*row) for row in rows], total
