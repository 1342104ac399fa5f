"""Touchpoints, their follow-ups and the audit trail."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.models import AuditEvent, Customer, FollowUp, Member, Touchpoint
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


def insert_touchpoints(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """New touchpoints' rows (the same columns each) in one statement; their ids, in the rows' order."""
    if not rows:
        return []
    returning = insert(Touchpoint.__table__).returning(Touchpoint.__table__.c.id, sort_by_parameter_order=True)
    return list(session.scalars(returning, rows))


def _insert_unless_sent(dialect_insert: Any) -> Any:
    """INSERT … ON CONFLICT DO NOTHING on uq_touchpoints_external_id, returning what it inserted."""
    table = Touchpoint.__table__
    return (
        dialect_insert(table)
        .on_conflict_do_nothing(
            index_elements=[table.c.workspace_id, table.c.source_system, table.c.external_id],
            index_where=table.c.external_id.is_not(None),
        )
        .returning(table.c.id, table.c.source_system, table.c.external_id)
    )


# Built once, per dialect: PostgreSQL and SQLite spell ON CONFLICT alike, but SQLAlchemy builds it per dialect.
_INSERT_UNLESS_SENT = {"postgresql": _insert_unless_sent(pg_insert), "sqlite": _insert_unless_sent(sqlite_insert)}


def insert_touchpoints_unless_sent(session: Session, rows: list[dict[str, Any]]) -> list[int | None]:
    """`insert_touchpoints`, leaving out each row whose (source_system, external_id) the workspace has already
    (uq_touchpoints_external_id: sent before, or by another writer a moment ago): its id, in the rows' order,
    is None. One statement for the rows with an external_id, one for the others; no savepoint is needed."""
    ids: list[int | None] = [None] * len(rows)
    keyed = [position for position, row in enumerate(rows) if row["external_id"] is not None]
    plain = [position for position, row in enumerate(rows) if row["external_id"] is None]
    for position, touchpoint_id in zip(plain, insert_touchpoints(session, [rows[p] for p in plain]), strict=True):
        ids[position] = touchpoint_id
    if keyed:
        statement = _INSERT_UNLESS_SENT[session.get_bind().dialect.name]
        made = {
            (system, key): touchpoint_id
            for touchpoint_id, system, key in session.execute(statement, [rows[p] for p in keyed])
        }
        for position in keyed:
            ids[position] = made.get((rows[position]["source_system"], rows[position]["external_id"]))
    return ids


def insert_follow_ups(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(_INSERT_FOLLOW_UP, rows)


def insert_follow_up(session: Session, **values: Any) -> None:
    session.execute(_INSERT_FOLLOW_UP, values)


def insert_audit_event(session: Session, **values: Any) -> None:
    session.execute(_INSERT_AUDIT_EVENT, values)


def insert_audit_events(session: Session, rows: list[dict[str, Any]]) -> None:
    """Audit events (columns of `AuditEvent` by name, the same each) in one statement."""
    if rows:
        session.execute(_INSERT_AUDIT_EVENT, rows)


def refresh_touchpoint_statistics(session: Session) -> None:
    """ANALYZE the touchpoints (on PostgreSQL), for a command that just added many: with statistics from before,
    the planner takes a source system it saw no rows of for a handful, and looks records sent before up
    (`storage.api.touchpoint_ids_by_external_ids`) by reading every row of that system, one batch after another.
    SQLite plans those look-ups by the unique index whatever its statistics say."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE touchpoints"))


def wait_for_the_authors_other_lines(session: Session, workspace_id: int, author_user_id: str) -> None:
    """Until the author's other `/log` lines being saved now are committed: on PostgreSQL a lock for the rest of
    the transaction, per author. Without it two copies of one line sent at once (a retry of a reply that was slow)
    each found no earlier copy, read committed as they are, and both saved. SQLite's writers queue anyway."""
    if session.get_bind().dialect.name != "postgresql":
        return
    key = zlib.crc32(author_user_id.encode("utf-8")) - 2**31  # into PostgreSQL's signed 32-bit range
    session.execute(
        text("SELECT pg_advisory_xact_lock(:workspace_id, :key)"), {"workspace_id": workspace_id, "key": key}
    )


def touchpoint_logged_from_line(
    session: Session, workspace_id: int, author_user_id: str, raw_text: str, since: datetime
) -> Touchpoint | None:
    """The author's latest live touchpoint logged with exactly this `/log` line since `since`, if any."""
    return session.scalar(
        select(Touchpoint)
        .where(
            Touchpoint.workspace_id == workspace_id,
            Touchpoint.author_user_id == author_user_id,
            Touchpoint.occurred_at >= since,  # ix_touchpoints_author
            Touchpoint.source == "command",
            Touchpoint.raw_text == raw_text,
            Touchpoint.deleted_at.is_(None),
        )
        .order_by(Touchpoint.id.desc())
        .limit(1)
    )


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
) -> Iterator[tuple[Touchpoint, str | None, datetime | None, str | None, str | None]]:
    """Every live touchpoint, oldest first, with its customer's name, its latest follow-up's due time and status
    (open, done or cancelled: a done follow-up keeps the instant it was due), and its author's name."""
    latest = (
        select(FollowUp.touchpoint_id, func.max(FollowUp.id).label("id"))
        .where(FollowUp.workspace_id == workspace_id)
        .group_by(FollowUp.touchpoint_id)
        .subquery()
    )
    author_name = func.coalesce(Member.real_name, Member.name)
    query = (
        select(Touchpoint, Customer.name, FollowUp.due_at, FollowUp.status, author_name)
        .outerjoin(Customer, scoped_join(Customer, Touchpoint, Touchpoint.customer_id))
        .outerjoin(latest, latest.c.touchpoint_id == Touchpoint.id)
        .outerjoin(FollowUp, scoped_join(FollowUp, Touchpoint, latest.c.id))
        .outerjoin(
            Member,
            (Member.workspace_id == Touchpoint.workspace_id) & (Member.slack_user_id == Touchpoint.author_user_id),
        )
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
