"""Events API deliveries already taken on: Slack retries one it thinks was missed, with the same event_id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import HandledEvent


def claim_event(session: Session, team_id: str, event_id: str, now: datetime) -> bool:
    """True for the first delivery of an event; False when one was taken on already, here or in another process.

    On PostgreSQL a retry arriving while the first delivery's claim is uncommitted waits for it, then is refused.
    """
    try:
        with session.begin_nested():
            session.execute(insert(HandledEvent).values(team_id=team_id, event_id=event_id, received_at=now))
    except IntegrityError:
        return False
    return True


def forget_events_received_before(session: Session, before: datetime) -> None:
    """Old claims go: Slack stopped retrying those events long ago."""
    session.execute(delete(HandledEvent).where(HandledEvent.received_at < before))
