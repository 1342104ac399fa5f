"""Workspaces and their members."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, TypeVar

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.engine import Row as ResultRow
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.installations.tenancy import Tenant
from storage.models import AuditEvent, Base, Customer, FollowUp, Member, StageChange, Touchpoint, Workspace

Row = TypeVar("Row", bound=Base)


def _found_or_created(session: Session, query: Select[tuple[Row]], make: Callable[[], Row]) -> Row:
    """The row the query finds, else a new one; another request racing this one may create it first."""
    row = session.scalar(query)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = make()
            session.add(row)
    except IntegrityError:  # the unique constraint says the other request won: use its row
        row = session.scalars(query).one()
    return row


def tenant_row(session: Session, tenant: Tenant) -> Workspace:
    """The workspace row of an installation, created on first contact: for an org-wide install the one row of
    the whole organisation, whichever of its workspaces the request came from."""
    return _found_or_created(
        session,
        select(Workspace).where(Workspace.team_id == tenant.key),
        lambda: Workspace(
            team_id=tenant.key, enterprise_id=tenant.enterprise_id, is_enterprise_install=tenant.is_enterprise_install
        ),
    )


def record_install(session: Session, tenant: Tenant, *, name: str | None, now: datetime) -> Workspace:
    """An OAuth install (or reinstall) of the tenant: its row, named as Slack names it, active again."""
    row = tenant_row(session, tenant)
    row.installed_at, row.uninstalled_at = now, None
    # A workspace first seen before it was installed this way may not have known its org: the store's bot does.
    row.enterprise_id = tenant.enterprise_id
    if name:
        row.name = name
    session.flush()
    return row


def mark_uninstalled(session: Session, key: str, now: datetime) -> bool:
    """The tenant was uninstalled (or its bot token revoked): nothing is sent for it until it is installed again.
    Its data stays. False when the store does not know it, or it was marked already."""
    result = session.execute(
        update(Workspace).where(Workspace.team_id == key, Workspace.uninstalled_at.is_(None)).values(uninstalled_at=now)
    )
    return bool(result.rowcount)


def mark_installed_again(session: Session, key: str) -> bool:
    """Slack delivers requests only for an installed app: one from an uninstalled tenant means it is back."""
    result = session.execute(
        update(Workspace)
        .where(Workspace.team_id == key, Workspace.uninstalled_at.is_not(None))
        .values(uninstalled_at=None)
    )
    return bool(result.rowcount)


def is_uninstalled(session: Session, key: str) -> bool:
    at = session.scalar(select(Workspace.uninstalled_at).where(Workspace.team_id == key))
    return at is not None


@dataclass(frozen=True)
class InstallationRef:
    """How slack-sdk's installation store names a tenant's installation, and whether it is still installed."""

    team_id: str
    enterprise_id: str | None
    is_enterprise_install: bool
    active: bool


def installation_of(session: Session, workspace_id: int) -> InstallationRef | None:
    row = session.get(Workspace, workspace_id)
    if row is None:
        return None
    return InstallationRef(row.team_id, row.enterprise_id, row.is_enterprise_install, row.uninstalled_at is None)


# The installations nothing is sent for until they are installed again (few, usually none): a subquery for the
# claims of nudges, digests and weekly reports.
UNINSTALLED_IDS = select(Workspace.id).where(Workspace.uninstalled_at.is_not(None))


def workspace_for_team(session: Session, team_id: str, enterprise_id: str | None = None) -> Workspace:
    """The workspace row of a Slack team installed on its own, created on first contact."""
    return tenant_row(session, Tenant(team_id=team_id, enterprise_id=enterprise_id))


def find_workspace(session: Session, key: str | None) -> Workspace | None:
    """The workspace named by its key (a team id, or an org-wide install's enterprise id), or the only one in
    the store when none is named."""
    if key:
        return session.scalar(select(Workspace).where(Workspace.team_id == key))
    workspaces = session.scalars(select(Workspace).limit(2)).all()
    return workspaces[0] if len(workspaces) == 1 else None


def team_of(session: Session, workspace_id: int) -> tuple[str, str | None] | None:
    """The Slack team id and enterprise id (None outside a grid org) of a workspace row."""
    row = session.execute(
        select(Workspace.team_id, Workspace.enterprise_id).where(Workspace.id == workspace_id)
    ).one_or_none()
    return None if row is None else (row.team_id, row.enterprise_id)


def all_workspace_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Workspace.id)))


def member(session: Session, workspace_id: int, user_id: str) -> Member | None:
    return session.scalar(select(Member).where(Member.workspace_id == workspace_id, Member.slack_user_id == user_id))


class MemberStanding(NamedTuple):
    """What writing as a member needs of them: whether they left, and the department they log for."""

    slack_user_id: str
    department: str | None
    deleted: bool


_members = Member.__table__.c
# Built once: every API write asks it.
_STANDINGS = select(_members.slack_user_id, _members.department, _members.deleted).where(
    _members.workspace_id == bindparam("workspace_id"), _members.slack_user_id.in_(bindparam("ids", expanding=True))
)


def members_by_user_id(session: Session, workspace_id: int, user_ids: Iterable[str]) -> dict[str, MemberStanding]:
    """The members of these Slack user ids that the workspace knows, by user id, in one query."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    rows = session.execute(_STANDINGS, {"workspace_id": workspace_id, "ids": wanted})
    return {row.slack_user_id: MemberStanding(*row) for row in rows}


# Built once: every request asks it, and building the statement costs more than running it.
_ACTING_MEMBER = select(_members.tz, _members.department, _members.refreshed_at).where(
    _members.workspace_id == bindparam("workspace_id"), _members.slack_user_id == bindparam("user_id")
)


def acting_member(
    session: Session, workspace_id: int, user_id: str
) -> ResultRow[tuple[str | None, str | None, datetime | None]] | None:
    """A member's time zone, department and when their profile was last refreshed: what acting as them needs."""
    return session.execute(_ACTING_MEMBER, {"workspace_id": workspace_id, "user_id": user_id}).one_or_none()


def save_member_profile(
    session: Session,
    workspace_id: int,
    user_id: str,
    *,
    name: str | None,
    real_name: str | None,
    tz: str | None,
    is_admin: bool,
    deleted: bool,
    now: datetime,
) -> Member:
    row = member_row(session, workspace_id, user_id)
    row.name, row.real_name, row.tz = name, real_name, tz
    row.is_admin, row.deleted, row.refreshed_at = is_admin, deleted, now
    session.flush()
    return row


def profile_unavailable(session: Session, workspace_id: int, user_id: str, *, retry_after: datetime) -> Member:
    """Remember that Slack gave no profile, dated so that it is asked for again after a short while."""
    row = member_row(session, workspace_id, user_id)
    row.refreshed_at = retry_after
    session.flush()
    return row


def set_department(session: Session, workspace_id: int, user_id: str, department: str) -> int:
    """Keep the department and give it to the member's touchpoints that were logged without one."""
    row = member_row(session, workspace_id, user_id)
    row.department = department
    result = session.execute(
        update(Touchpoint)
        .where(
            Touchpoint.workspace_id == workspace_id,
            Touchpoint.author_user_id == user_id,
            Touchpoint.author_department.is_(None),
        )
        .values(author_department=department)
    )
    return result.rowcount or 0


def team_ids(session: Session) -> list[str]:
    return list(session.scalars(select(Workspace.team_id).order_by(Workspace.team_id)))


def member_row(session: Session, workspace_id: int, user_id: str) -> Member:
    """The member's row, created if missing."""
    return _found_or_created(
        session,
        select(Member).where(Member.workspace_id == workspace_id, Member.slack_user_id == user_id),
        lambda: Member(workspace_id=workspace_id, slack_user_id=user_id),
    )


def latest_instant_recorded(session: Session) -> datetime | None:
    """The latest moment anything in the store says happened: a touchpoint, a change, a nudge, a new customer.

    A clock that was moved forward (the shell's) resumes from here, so nothing recorded lies in its future.
    """
    columns = (
        Touchpoint.occurred_at,
        Touchpoint.created_at,
        AuditEvent.at,
        StageChange.changed_at,
        FollowUp.nudged_at,
        FollowUp.completed_at,
        Customer.created_at,
    )
    found = [session.scalar(select(func.max(column))) for column in columns]
    return max((at for at in found if at is not None), default=None)


def workspace_has_data(session: Session, workspace_id: int) -> bool:
    """Whether the workspace holds any customer or touchpoint (a sample is never mixed in unasked)."""
    customers = select(Customer.id).where(Customer.workspace_id == workspace_id).limit(1)
    touchpoints = select(Touchpoint.id).where(Touchpoint.workspace_id == workspace_id).limit(1)
    return session.scalar(customers) is not None or session.scalar(touchpoints) is not None


@dataclass(frozen=True)
class InstallationSummary:
    """One installation as `touchpoint installations` lists it."""

    key: str  # the team id, or an org-wide install's enterprise id
    is_enterprise_install: bool
    name: str | None
    installed_at: datetime  # the last OAuth install, else when the workspace first used the app
    active: bool
    customers: int
    open_follow_ups: int


def installations_with_counts(session: Session) -> list[InstallationSummary]:
    """Every installation with its live customers and open follow-ups, by key."""
    customers = (
        select(Customer.workspace_id, func.count().label("n"))
        .where(Customer.deleted_at.is_(None), Customer.merged_into_id.is_(None))
        .group_by(Customer.workspace_id)
        .subquery()
    )
    follow_ups = (
        select(FollowUp.workspace_id, func.count().label("n"))
        .where(FollowUp.status == "open")
        .group_by(FollowUp.workspace_id)
        .subquery()
    )
    rows = session.execute(
        select(Workspace, func.coalesce(customers.c.n, 0), func.coalesce(follow_ups.c.n, 0))
        .outerjoin(customers, customers.c.workspace_id == Workspace.id)
        .outerjoin(follow_ups, follow_ups.c.workspace_id == Workspace.id)
        .order_by(Workspace.team_id)
    )
    return [
        InstallationSummary(
            key=row.team_id,
            is_enterprise_install=row.is_enterprise_install,
            name=row.name,
            installed_at=row.installed_at or row.created_at,
            active=row.uninstalled_at is None,
            customers=n_customers,
            open_follow_ups=n_follow_ups,
        )
        for row, n_customers, n_follow_ups in rows
    ]
