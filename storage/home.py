"""What a person's Home tab shows: their latest touchpoints, how many follow-ups are overdue, the customers
they own and when each was last touched. Every query is scoped to one workspace."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session, aliased

from storage.models import Customer, FollowUp, Touchpoint
from storage.scoping import scoped_join


class OwnedCustomerRow(NamedTuple):
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
            .outerjoin(Customer, scoped_join(Customer, Touchpoint, Touchpoint.customer_id))
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


def customers_owned_by(session: Session, workspace_id: int, user_id: str) -> list[OwnedCustomerRow]:
    """The live customers the person owns, each with when anyone last touched it (None: never); touchpoints
    of customers merged into it count as its own."""
    live = (Touchpoint.workspace_id == workspace_id, Touchpoint.deleted_at.is_(None))
    own_touch = (
        select(func.max(Touchpoint.occurred_at))
        .where(*live, Touchpoint.customer_id == Customer.id)
        .correlate(Customer)
        .scalar_subquery()
    )
    owned = session.execute(
        select(Customer.id, Customer.name, Customer.created_at, own_touch).where(
            Customer.workspace_id == workspace_id,
            Customer.owner_user_id == user_id,
            Customer.deleted_at.is_(None),
            Customer.merged_into_id.is_(None),
        )
    )
    # Merged customers are few: found from the merged side, by ix_customers_merged_into, in one query.
    merged, survivor = aliased(Customer), aliased(Customer)
    merged_touches: dict[int, datetime] = {
        survivor_id: touched
        for survivor_id, touched in session.execute(
            select(merged.merged_into_id, func.max(Touchpoint.occurred_at))
            .join(survivor, scoped_join(survivor, merged, merged.merged_into_id))
            .join(Touchpoint, scoped_join(merged, Touchpoint, Touchpoint.customer_id))
            .where(
                *live,
                merged.workspace_id == workspace_id,
                merged.merged_into_id.is_not(None),
                survivor.owner_user_id == user_id,
            )
            .group_by(merged.merged_into_id)
        )
    }
    return [
        OwnedCustomerRow(id, name, created_at, _latest(touched, merged_touches.get(id)))
        for id, name, created_at, touched in owned
    ]


def _latest(*moments: datetime | None) -> datetime | None:
    return max((m for m in moments if m is not None), default=None)
