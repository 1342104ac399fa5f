"""A small store with a known history, the one the report's figures are computed by hand from.

The period is November 2026 in Berlin (local days 1 to 30, so 2026-10-31 23:00 UTC to 2026-11-30 23:00 UTC),
the previous period 2 to 31 October; the report is made on Wednesday 2 December 2026. Stages are the default
ones (lead, prospect, onboarding, active, at-risk, churned); QUIET_AFTER_DAYS is 30.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from storage.customers import add_customer
from storage.models import Customer, FollowUp, Member, StageChange, Touchpoint, Workspace

TEAM = "T0REPORT"
MADE_AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
QUIET_AFTER_DAYS = 30
DEPARTMENTS = {"U0ANNA": "Sales", "U0BEN": "Support", "U0CARA": "Finance"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def build_history(session: Session) -> int:
    """The workspace of the hand-computed report (its id), and a second one whose rows must never count."""
    workspace = Workspace(team_id=TEAM, name="Report test")
    other = Workspace(team_id="T0OTHER", name="Another workspace")
    session.add_all([workspace, other])
    session.flush()
    for user_id, department in DEPARTMENTS.items():
        session.add(
            Member(workspace_id=workspace.id, slack_user_id=user_id, name=user_id[2:].lower(), department=department)
        )

    def customer(name: str, stage: str, owner: str | None, created: str = "2026-06-01 12:00") -> Customer:
        return add_customer(session, workspace.id, name, stage=stage, owner_user_id=owner, now=at(created))

    acme = customer("Acme", "active", "U0ANNA")
    globex = customer("Globex", "active", "U0BEN")
    initech = customer("Initech", "onboarding", "U0ANNA", created="2026-11-03 11:00")
    umbrella = customer("Umbrella", "lead", None, created="2026-11-05 11:00")
    hooli = customer("Hooli", "churned", "U0BEN")
    soylent = customer("Soylent", "churned", None)
    stark = customer("Stark", "onboarding", "U0CARA")
    customer("Wayne", "active", None)  # never touched: quiet, and an active customer untouched

    def touch(
        who: Customer | None,
        author: str,
        kind: str,
        when: str,
        source: str = "command",
        tags: list[str] | None = None,
        deleted: bool = False,
    ) -> Touchpoint:
        row = Touchpoint(
            workspace_id=workspace.id,
            customer_id=who.id if who else None,
            customer_text=None if who else "someone new",
            author_user_id=author,
            author_department=DEPARTMENTS[author],
            kind=kind,
            summary=f"{kind} at {when}",
            tags=tags or [],
            occurred_at=at(when),
            source=source,
            deleted_at=at("2026-11-18 13:00") if deleted else None,
        )
        session.add(row)
        session.flush()
        return row

    # Long before both periods: who is new when.
    touch(acme, "U0ANNA", "call", "2026-08-01 12:00")
    touch(globex, "U0ANNA", "call", "2026-08-02 12:00")
    touch(hooli, "U0BEN", "call", "2026-09-15 12:00")
    touch(soylent, "U0ANNA", "call", "2026-09-20 12:00")
    # The previous period, 2 to 31 October in Berlin.
    p1 = touch(stark, "U0CARA", "meeting", "2026-10-10 12:00")
    p2 = touch(acme, "U0ANNA", "call", "2026-10-20 12:00")
    touch(acme, "U0CARA", "email", "2026-10-21 12:00")
    touch(globex, "U0ANNA", "call", "2026-10-31 22:30")  # 23:30 on 31 October in Berlin
    # The period, 1 to 30 November in Berlin.
    t11 = touch(acme, "U0ANNA", "call", "2026-10-31 23:30")  # 00:30 on 1 November in Berlin
    t1 = touch(acme, "U0ANNA", "call", "2026-11-02 12:00")
    t4 = touch(initech, "U0ANNA", "event", "2026-11-03 12:00", tags=["expo2026"])
    touch(umbrella, "U0BEN", "event", "2026-11-05 12:00", source="import", tags=["fair2026"])
    t2 = touch(acme, "U0BEN", "email", "2026-11-09 12:00", source="modal")
    t7 = touch(soylent, "U0ANNA", "call", "2026-11-12 12:00")
    t3 = touch(globex, "U0ANNA", "meeting", "2026-11-16 12:00")
    touch(globex, "U0ANNA", "call", "2026-11-18 12:00", deleted=True)
    t5 = touch(initech, "U0BEN", "call", "2026-11-20 12:00", source="shortcut")
    t9 = touch(None, "U0BEN", "note", "2026-11-25 12:00")
    t10 = touch(globex, "U0BEN", "email", "2026-11-30 22:30")  # 23:30 on 30 November in Berlin
    touch(acme, "U0ANNA", "call", "2026-12-01 12:00")  # after the period
    del t11

    def follow_up(made_by: Touchpoint, assignee: str, due: str, done: str | None, status: str = "done") -> None:
        session.add(
            FollowUp(
                workspace_id=workspace.id,
                touchpoint_id=made_by.id,
                customer_id=made_by.customer_id,
                assignee_user_id=assignee,
                due_at=at(due),
                status=status if done else "open" if status == "done" else status,
                completed_at=at(done) if done else None,
            )
        )

    follow_up(t1, "U0ANNA", "2026-11-04 09:00", "2026-11-03 10:00")  # early
    follow_up(t3, "U0ANNA", "2026-11-17 09:00", "2026-11-17 16:00")  # on the due day
    follow_up(t2, "U0BEN", "2026-11-10 09:00", "2026-11-13 09:00")  # Tuesday, done Friday: 72 hours late
    follow_up(t5, "U0BEN", "2026-11-20 09:00", "2026-11-23 08:00")  # Friday, done Monday morning: on time
    follow_up(t7, "U0ANNA", "2026-11-13 09:00", "2026-11-16 10:00")  # Friday, done Monday an hour past: late, 73 h
    follow_up(t4, "U0ANNA", "2026-11-06 09:00", "2026-11-09 09:00")  # Friday, done Monday at the same time: on time
    follow_up(t9, "U0BEN", "2026-11-26 09:00", None)  # still open, overdue since Friday
    follow_up(t10, "U0BEN", "2026-11-30 20:00", "2026-11-30 21:00", status="cancelled")  # its touchpoint was edited
    follow_up(p2, "U0ANNA", "2026-10-22 09:00", "2026-10-22 08:00")  # previous period: early
    follow_up(p1, "U0CARA", "2026-10-14 09:00", None)  # previous period: still open, overdue

    def move(who: Customer, source: str, target: str, when: str) -> None:
        session.add(
            StageChange(
                workspace_id=workspace.id, customer_id=who.id, from_stage=source, to_stage=target, changed_at=at(when)
            )
        )

    move(acme, "prospect", "onboarding", "2026-09-01 12:00")
    move(globex, "onboarding", "active", "2026-10-05 12:00")
    move(stark, "prospect", "onboarding", "2026-10-15 12:00")
    move(soylent, "active", "at-risk", "2026-10-25 12:00")
    move(acme, "onboarding", "active", "2026-11-05 12:00")
    move(initech, "lead", "prospect", "2026-11-10 12:00")
    move(soylent, "at-risk", "churned", "2026-11-15 12:00")  # touched three days before: not quiet
    move(hooli, "active", "churned", "2026-11-20 12:00")  # last touched in September: quiet first
    move(initech, "prospect", "onboarding", "2026-11-25 12:00")

    # Another workspace's rows in the same days, which no figure may count.
    stranger = Customer(workspace_id=other.id, name="Acme", stage="active", created_at=at("2026-06-01 12:00"))
    session.add(stranger)
    session.flush()
    session.add(
        Touchpoint(
            workspace_id=other.id,
            customer_id=stranger.id,
            author_user_id="U0ANNA",
            author_department="Sales",
            kind="call",
            summary="elsewhere",
            tags=["expo2026"],
            occurred_at=at("2026-11-10 12:00"),
            source="command",
        )
    )
    session.add(
        StageChange(
            workspace_id=other.id,
            customer_id=stranger.id,
            from_stage="active",
            to_stage="churned",
            changed_at=at("2026-11-11 12:00"),
        )
    )
    session.flush()
    return workspace.id
