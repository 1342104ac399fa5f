"""What the customer card and its full history read: a customer's touchpoints, follow-ups and contacts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Contact, CustomerName, FollowUp, Touchpoint
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
        )
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
