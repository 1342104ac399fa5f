"""Touchpoints other systems sent, saved many at a time: what `bot.capture.touchpoints.log_record` writes for
one, in one insert per table for a whole batch. The HTTP API's posts (a single one is a batch of one) and
`touchpoint import touchpoints` save through it (`bot.api.intake.save_batch`); a thousand rows cost about what a
handful of single saves do.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.capture.touchpoints import Entry, follow_up_columns, touchpoint_columns
from bot.members import Author
from storage import touchpoints as touchpoint_store


def log_records(
    session: Session, workspace_id: int, records: list[tuple[Author, Entry]], *, now: datetime
) -> list[int | None]:
    """Touchpoints other systems sent, saved as `log_record` saves one but in one insert per table (touchpoints,
    follow-ups, audit events); their ids, in order.

    The entries' customers are live ones of the workspace already (checked by the caller). An entry whose
    (source_system, external_id) the workspace has already, sent before or by another writer a moment ago
    (uq_touchpoints_external_id), is left out with nothing else written for it: its id is None, for the caller
    to look the existing touchpoint up.
    """
    if not records:
        return []
    rows = [
        touchpoint_columns(
            workspace_id, entry.customer_id, entry, entry.author_user_id or actor.user_id, actor.department, now=now
        )
        for actor, entry in records
    ]
    ids = touchpoint_store.insert_touchpoints_unless_sent(session, rows)
    made = [
        (touchpoint_id, actor, entry)
        for touchpoint_id, (actor, entry) in zip(ids, records, strict=True)
        if touchpoint_id
    ]
    follow_ups = [
        follow_up_columns(workspace_id, touchpoint_id, entry.customer_id, entry.follow_up, now=now)
        for touchpoint_id, _, entry in made
        if entry.follow_up is not None
    ]
    touchpoint_store.insert_follow_ups(session, follow_ups)
    events = [
        {
            "workspace_id": workspace_id,
            "actor_user_id": actor.user_id,
            "action": "logged",
            "entity_type": "touchpoint",
            "entity_id": touchpoint_id,
            "details": {"source": entry.source},
            "at": now,
        }
        for touchpoint_id, actor, entry in made
    ]
    touchpoint_store.insert_audit_events(session, events)
    return ids
