"""Follow-ups kept: the report judges by the customer card's rule (`bot.followups.rules.kept_on_time`), the
grace ending at the due time on the next working day in the viewer's zone, summer time ending or not."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from bot.reports.measures import build_report, figure_rows
from bot.reports.periods import Filter, Period
from storage.customers import add_customer
from storage.db import make_session_factory
from storage.models import FollowUp, Touchpoint, Workspace
from tests.reports.history import at

BERLIN = ZoneInfo("Europe/Berlin")
# Summer time ends in Berlin on Sunday 25 October 2026: Friday 10:00 to Monday 10:00 is 73 hours.
PERIOD = Period(date(2026, 10, 19), date(2026, 10, 30), BERLIN)
NOW = at("2026-10-30 10:00")


def test_the_grace_is_the_next_working_day_in_the_viewers_zone(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        workspace = Workspace(team_id="T0KEPT")
        session.add(workspace)
        session.flush()
        acme = add_customer(session, workspace.id, "Acme", now=at("2026-01-01 12:00"))
        line = Touchpoint(
            workspace_id=workspace.id,
            customer_id=acme.id,
            author_user_id="U0ANNA",
            author_department="Sales",
            kind="call",
            summary="call",
            tags=[],
            occurred_at=at("2026-10-19 12:00"),
            source="command",
        )
        session.add(line)
        session.flush()
        for due, done in [
            ("2026-10-23 08:00", "2026-10-26 08:30"),  # Friday 10:00, done Monday 9:30 in Berlin: 72.5 h, kept
            ("2026-10-23 08:00", "2026-10-26 09:30"),  # Friday 10:00, done Monday 10:30: 73.5 h, late
            ("2026-10-22 08:00", "2026-10-23 09:00"),  # Thursday, done Friday an hour past: 25 h, late
            ("2026-10-26 08:00", "2026-10-30 08:00"),  # Monday, done Friday: 96 h, late
            ("2026-10-29 12:00", None),  # open for 22 hours: its grace not over
            ("2026-10-28 09:00", None),  # open since Wednesday: its grace ended Thursday
        ]:
            session.add(
                FollowUp(
                    workspace_id=workspace.id,
                    touchpoint_id=line.id,
                    customer_id=acme.id,
                    assignee_user_id="U0ANNA",
                    due_at=at(due),
                    status="done" if done else "open",
                    completed_at=at(done) if done else None,
                )
            )
        workspace_id = workspace.id
    with sessions() as session:
        report = build_report(session, workspace_id, PERIOD, Filter(), now=NOW, quiet_after_days=30)
    figures = {measure: value for measure, value, _ in figure_rows(report) if measure.count(".") == 1}
    assert {measure: value for measure, value in figures.items() if measure.startswith("follow_ups.")} == {
        "follow_ups.due": 6,
        "follow_ups.on_time": 1,
        "follow_ups.late": 3,
        "follow_ups.open_overdue": 1,
        "follow_ups.open": 1,
        "follow_ups.on_time_rate": 0.2,
        # Delays 25 (judged one by one), 73.5 and 96 hours (certain in the store), ranked together.
        "follow_ups.late_delay_median_hours": 73.5,
        "follow_ups.late_delay_p90_hours": 96.0,
    }
