"""Touchpoints, their follow-ups and the audit trail."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from storage.models import AuditEvent, Customer, FollowUp, Touchpoint
from storage.scoping import scoped_join


def record(
    session: Session,
    workspace_id: int,
    actor: str | None,
    action: str,
    entity: Touchpoint | FollowUp | Customer,
    now: datetime,
    **details: Any,
) -> None:
    entity_type = entity.__tablename__.removesuffix("s")
    add_audit_event(session, workspace_id, actor, action, entity_type, entity.id, now, **details)


def add_audit_event(
    session: Session,
    workspace_id: int,
    actor: str | None,
    action: str,
    entity_type: str,
    entity_id: int,
    now: datetime,
    **details: Any,
) -> AuditEvent:
    """One entry of the audit trail, flushed so callers that undo it later can point at its id."""
    event = AuditEvent(
        workspace_id=workspace_id,
        actor_user_id=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        details=details,
        at=now,
    )
    session.add(event)
    session.flush()
    return event


# Built once: `/log` inserts these on every line, and the ORM's flush costs more than the inserts themselves.
_INSERT_TOUCHPOINT = insert(Touchpoint.__table__).returning(Touchpoint.__table__.c.id)
_INSERT_FOLLOW_UP = insert(FollowUp.__table__)
_INSERT_AUDIT_EVENT = insert(AuditEvent.__table__)


def insert_touchpoint(session: Session, **values: Any) -> int:
    """A new touchpoint's row (columns of `Touchpoint` by name); its id."""
    return session.execute(_INSERT_TOUCHPOINT, values).scalar_one()


def insert_follow_up(session: Session, **values: Any) -> None:
    session.execute(_INSERT_FOLLOW_UP, values)


def insert_audit_event(session: Session, **values: Any) -> None:
    session.execute(_INSERT_AUDIT_EVENT, values)


def touchpoint(session: Session, workspace_id: int, touchpoint_id: int) -> Touchpoint | None:
    return session.scalar(
        select(Touchpoint).where(Touchpoint.workspace_id == workspace_id, Touchpoint.id == touchpoint_id)
    )


def follow_up_of(session: Session, workspace_id: int, touchpoint_id: int) -> FollowUp | None:
    """The touchpoint's latest follow-up, whatever its status."""
    return session.scalar(
        select(FollowUp)
        .where(FollowUp.workspace_id == workspace_id, FollowUp.touchpoint_id == touchpoint_id)
        .order_by(FollowUp.id.desc())
        .limit(1)
    )


def audit_trail(session: Session, workspace_id: int, entity_type: str, entity_id: int) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.workspace_id == workspace_id,
                AuditEvent.entity_type == entity_type,
                AuditEvent.entity_id == entity_id,
            )
            .order_by(AuditEvent.id)
        )
    )


def touchpoints_for_export(
    session: Session, workspace_id: int, batch_size: int = 1000
) -> Iterator[tuple[Touchpoint, str | None, datetime | None]]:
    """Every live touchpoint with its customer's name and its open follow-up's due time, oldest first."""
    latest_follow_up = (
        select(FollowUp.touchpoint_id, FollowUp.due_at)
        .where(FollowUp.workspace_id == workspace_id, FollowUp.status == "open")
        .subquery()
    )
    query = (
        select(Touchpoint, Customer.name, latest_follow_up.c.due_at)
        .outerjoin(Customer, scoped_join(Customer, Touchpoint, Touchpoint.customer_id))
        .outerjoin(latest_follow_up, latest_follow_up.c.touchpoint_id == Touchpoint.id)
        .where(Touchpoint.workspace_id == workspace_id, Touchpoint.deleted_at.is_(None))
        .order_by(Touchpoint.occurred_at, Touchpoint.id)
        .execution_options(yield_per=batch_size)
    )
    yield from session.execute(query)


def record_many(
    session: Session,
    workspace_id: int,
    actor: str | None,
    action: str,
    entity_type: type[Touchpoint | FollowUp | Customer],
    entities: Iterable[tuple[int, dict[str, Any]]],
    now: datetime,
) -> None:
    """`record` for a batch of entities of one type, (entity id, details) each, in one statement."""
    rows = [
        {
            "workspace_id": workspace_id,
            "actor_user_id": actor,
            "action": action,
            "entity_type": entity_type.__tablename__.removesuffix("s"),
            "entity_id": entity_id,
            "details": details,
            "at": now,
        }
        for entity_id, details in entities
    ]
    if rows:
        session.execute(insert(AuditEvent), rows)
