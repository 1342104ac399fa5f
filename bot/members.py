"""Who is acting: their time zone and department, refreshed from Slack's profile now and then."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from storage import workspaces as workspace_store

PROFILE_MAX_AGE = timedelta(days=1)
# When Slack could not tell, ask again this much later rather than on every request.
PROFILE_RETRY = timedelta(minutes=15)


@dataclass(frozen=True)
class Author:
    """The person acting, as every operation needs them: who, in which time zone, from which department."""

    user_id: str
    tz: ZoneInfo
    department: str | None


@dataclass(frozen=True)
class Profile:
    """What `users.info` tells about a person."""

    name: str | None
    real_name: str | None
    tz: str | None
    is_admin: bool
    deleted: bool


ProfileFetcher = Callable[[str], Profile | None]


def author_for(
    session: Session,
    workspace_id: int,
    user_id: str,
    profile: Profile | None,
    *,
    default_tz: ZoneInfo,
    now: datetime,
) -> Author:
    """The acting member, their stored profile renewed from `profile` when it is due (the first time, then daily).

    The caller asks Slack for `profile` before its write transaction opens (None: Slack could not tell), so no
    network call ever runs while the store's write lock is held.
    """
    member = workspace_store.member(session, workspace_id, user_id)
    if is_stale(member, now):
        if profile is not None:
            member = workspace_store.save_member_profile(
                session,
                workspace_id,
                user_id,
                name=profile.name,
                real_name=profile.real_name,
                tz=profile.tz,
                is_admin=profile.is_admin,
                deleted=profile.deleted,
                now=now,
            )
        else:
            member = workspace_store.profile_unavailable(
                session, workspace_id, user_id, retry_after=now - PROFILE_MAX_AGE + PROFILE_RETRY
            )
    tz = zone(member.tz if member else None, default_tz)
    return Author(user_id=user_id, tz=tz, department=member.department if member else None)


class _Refreshed(Protocol):
    refreshed_at: datetime | None


def is_stale(member: _Refreshed | None, now: datetime) -> bool:
    return member is None or member.refreshed_at is None or now - member.refreshed_at > PROFILE_MAX_AGE


def fresh_author(
    session: Session, workspace_id: int, user_id: str, *, default_tz: ZoneInfo, now: datetime
) -> Author | None:
    """The acting member from the store alone (no write, no Slack call), or None when their profile is due."""
    member = workspace_store.acting_member(session, workspace_id, user_id)
    if member is None or is_stale(member, now):
        return None
    return Author(user_id=user_id, tz=zone(member.tz, default_tz), department=member.department)


def zone(name: str | None, default: ZoneInfo) -> ZoneInfo:
    if not name:
        return default
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return default
