"""Follow-ups: reading them for nudges, lists and digests."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.followups import FollowUpView
from storage.models import Customer, FollowUp, Touchpoint


def follow_up_views(session: Session, ids: Sequence[int]) -> list[FollowUpView]:
    """The follow-ups with their touchpoint and customer, in the order of `ids`."""
    if not ids:
        return []
    rows = session.execute(
        select(FollowUp, Touchpoint, Customer.name)
        .join(Touchpoint, Touchpoint.id == FollowUp.touchpoint_id)
        .outerjoin(Customer, Customer.id == FollowUp.customer_id)
        .where(FollowUp.id.in_(ids))
    )
    views = {follow_up.id: _view(follow_up, touchpoint, name) for follow_up, touchpoint, name in rows}
    return [views[i] for i in ids if i in views]


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
    )
