"""Every figure of the JSON report, for a store whose history is known (tests/reports/history.py), matches the
value computed by hand from it, on SQLite and on PostgreSQL (the suite runs on both)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from bot.reports.measures import build_report, figure_rows, report_json
from bot.reports.periods import Filter, Period
from storage.db import make_session_factory
from storage.models import Customer
from tests.reports.history import MADE_AT, QUIET_AFTER_DAYS, build_history

BERLIN = ZoneInfo("Europe/Berlin")
NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30), BERLIN, "2026-11-01..2026-11-30")

# (measure, value, previous): every figure the report has, worked out by hand from the history.
FIGURES: list[tuple[str, Any, Any]] = [
    # 10 touchpoints in November (the deleted one and the one of 1 December left out), 4 in October.
    ("touchpoints.total", 10, 4),
    ("touchpoints.by_department.Finance", 0, 2),
    ("touchpoints.by_department.Sales", 5, 2),
    ("touchpoints.by_department.Support", 5, 0),
    ("touchpoints.by_kind.call", 4, 2),
    ("touchpoints.by_kind.email", 2, 1),
    ("touchpoints.by_kind.event", 2, 0),
    ("touchpoints.by_kind.meeting", 1, 1),
    ("touchpoints.by_kind.note", 1, 0),
    ("touchpoints.by_source.command", 7, 4),
    ("touchpoints.by_source.import", 1, 0),
    ("touchpoints.by_source.modal", 1, 0),
    ("touchpoints.by_source.shortcut", 1, 0),
    # Weeks of seven local days from 1 November (and from 2 October for the previous period).
    ("touchpoints.by_week.2026-11-01.total", 4, 0),
    ("touchpoints.by_week.2026-11-01.by_department.Sales", 3, 0),
    ("touchpoints.by_week.2026-11-01.by_department.Support", 1, 0),
    ("touchpoints.by_week.2026-11-08.total", 2, 1),
    ("touchpoints.by_week.2026-11-08.by_department.Finance", 0, 1),
    ("touchpoints.by_week.2026-11-08.by_department.Sales", 1, 0),
    ("touchpoints.by_week.2026-11-08.by_department.Support", 1, 0),
    ("touchpoints.by_week.2026-11-15.total", 2, 2),
    ("touchpoints.by_week.2026-11-15.by_department.Finance", 0, 1),
    ("touchpoints.by_week.2026-11-15.by_department.Sales", 1, 1),
    ("touchpoints.by_week.2026-11-15.by_department.Support", 1, 0),
    ("touchpoints.by_week.2026-11-22.total", 1, 0),
    ("touchpoints.by_week.2026-11-22.by_department.Support", 1, 0),
    ("touchpoints.by_week.2026-11-29.total", 1, 1),
    ("touchpoints.by_week.2026-11-29.by_department.Sales", 0, 1),
    ("touchpoints.by_week.2026-11-29.by_department.Support", 1, 0),
    # Acme, Globex, Initech (two departments each), Umbrella, Soylent (one); October: Stark, Acme (2), Globex.
    ("coverage.customers_touched", 5, 3),
    ("coverage.by_stage.active", 2, 2),
    ("coverage.by_stage.churned", 1, 0),
    ("coverage.by_stage.lead", 1, 0),
    ("coverage.by_stage.onboarding", 1, 1),
    ("coverage.by_departments.1", 2, 2),
    ("coverage.by_departments.2", 3, 1),
    ("coverage.active_untouched", 1, 1),  # Wayne
    # November: early, due day, Friday→Monday twice on time; Tuesday→Friday and Friday→Monday+1h late; one open.
    ("follow_ups.due", 7, 2),
    ("follow_ups.on_time", 4, 1),
    ("follow_ups.late", 2, 0),
    ("follow_ups.open_overdue", 1, 1),
    ("follow_ups.open", 0, 0),
    ("follow_ups.on_time_rate", 0.5714, 0.5),
    ("follow_ups.late_delay_median_hours", 72.0, None),
    ("follow_ups.late_delay_p90_hours", 73.0, None),
    ("follow_ups.by_assignee.U0ANNA.due", 4, 1),
    ("follow_ups.by_assignee.U0ANNA.on_time", 3, 1),
    ("follow_ups.by_assignee.U0ANNA.late", 1, 0),
    ("follow_ups.by_assignee.U0ANNA.open_overdue", 0, 0),
    ("follow_ups.by_assignee.U0ANNA.open", 0, 0),
    ("follow_ups.by_assignee.U0ANNA.on_time_rate", 0.75, 1.0),
    ("follow_ups.by_assignee.U0BEN.due", 3, 0),
    ("follow_ups.by_assignee.U0BEN.on_time", 1, 0),
    ("follow_ups.by_assignee.U0BEN.late", 1, 0),
    ("follow_ups.by_assignee.U0BEN.open_overdue", 1, 0),
    ("follow_ups.by_assignee.U0BEN.open", 0, 0),
    ("follow_ups.by_assignee.U0BEN.on_time_rate", 0.3333, None),
    ("follow_ups.by_assignee.U0CARA.due", 0, 1),
    ("follow_ups.by_assignee.U0CARA.on_time", 0, 0),
    ("follow_ups.by_assignee.U0CARA.late", 0, 0),
    ("follow_ups.by_assignee.U0CARA.open_overdue", 0, 1),
    ("follow_ups.by_assignee.U0CARA.open", 0, 0),
    ("follow_ups.by_assignee.U0CARA.on_time_rate", None, 0.0),
    ("follow_ups.by_department.Finance.due", 0, 1),
    ("follow_ups.by_department.Finance.on_time", 0, 0),
    ("follow_ups.by_department.Finance.late", 0, 0),
    ("follow_ups.by_department.Finance.open_overdue", 0, 1),
    ("follow_ups.by_department.Finance.open", 0, 0),
    ("follow_ups.by_department.Finance.on_time_rate", None, 0.0),
    ("follow_ups.by_department.Sales.due", 4, 1),
    ("follow_ups.by_department.Sales.on_time", 3, 1),
    ("follow_ups.by_department.Sales.late", 1, 0),
    ("follow_ups.by_department.Sales.open_overdue", 0, 0),
    ("follow_ups.by_department.Sales.open", 0, 0),
    ("follow_ups.by_department.Sales.on_time_rate", 0.75, 1.0),
    ("follow_ups.by_department.Support.due", 3, 0),
    ("follow_ups.by_department.Support.on_time", 1, 0),
    ("follow_ups.by_department.Support.late", 1, 0),
    ("follow_ups.by_department.Support.open_overdue", 1, 0),
    ("follow_ups.by_department.Support.open", 0, 0),
    ("follow_ups.by_department.Support.on_time_rate", 0.3333, None),
    # At the end of November: Hooli, Stark, Wayne; at the end of October: Hooli, Soylent, Wayne.
    ("quiet_customers.total", 3, 3),
    ("quiet_customers.by_stage.active", 1, 1),
    ("quiet_customers.by_stage.churned", 1, 2),
    ("quiet_customers.by_stage.onboarding", 1, 0),
    ("quiet_customers.by_owner.(none)", 1, 2),
    ("quiet_customers.by_owner.U0BEN", 1, 1),
    ("quiet_customers.by_owner.U0CARA", 1, 0),
    ("stage_moves.active -> at-risk", 0, 1),
    ("stage_moves.active -> churned", 1, 0),
    ("stage_moves.at-risk -> churned", 1, 0),
    ("stage_moves.lead -> prospect", 1, 0),
    ("stage_moves.onboarding -> active", 1, 1),
    ("stage_moves.prospect -> onboarding", 1, 1),
    ("conversion.lead.entered", 0, 0),
    ("conversion.lead.reached_next", 0, 0),
    ("conversion.lead.rate", None, None),
    ("conversion.prospect.entered", 1, 0),  # Initech, onboarding 15 days later
    ("conversion.prospect.reached_next", 1, 0),
    ("conversion.prospect.rate", 1.0, None),
    ("conversion.onboarding.entered", 1, 1),
    ("conversion.onboarding.reached_next", 0, 0),
    ("conversion.onboarding.rate", 0.0, 0.0),
    ("conversion.active.entered", 1, 1),
    ("conversion.active.reached_next", 0, 0),
    ("conversion.active.rate", 0.0, 0.0),
    ("conversion.at-risk.entered", 0, 1),  # Soylent, churned 21 days later
    ("conversion.at-risk.reached_next", 0, 1),
    ("conversion.at-risk.rate", None, 1.0),
    ("churn.churned", 2, 0),  # Soylent and Hooli
    ("churn.quiet_before", 1, 0),  # Hooli, untouched since September
    # New in November: Initech (expo2026, an event, advanced) and Umbrella (fair2026, an event); October: Stark.
    ("sources.new_customers", 2, 1),
    ("sources.by_tag.expo2026.customers", 1, 0),
    ("sources.by_tag.expo2026.advanced", 1, 0),
    ("sources.by_tag.fair2026.customers", 1, 0),
    ("sources.by_tag.fair2026.advanced", 0, 0),
    ("sources.event.customers", 2, 0),
    ("sources.event.advanced", 1, 0),
]


@pytest.fixture
def report_data(engine: Engine) -> dict[str, Any]:
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        workspace_id = build_history(session)
    with sessions() as session:
        report = build_report(session, workspace_id, NOVEMBER, Filter(), now=MADE_AT, quiet_after_days=QUIET_AFTER_DAYS)
        return {"rows": list(figure_rows(report)), "json": report_json(report), "actions": report.actions}


def test_every_figure_matches_the_hand_computed_value(report_data: dict[str, Any]) -> None:
    assert report_data["rows"] == [(measure, value, previous) for measure, value, previous in FIGURES]


def test_the_json_has_the_documented_shape(report_data: dict[str, Any]) -> None:
    data = report_data["json"]
    assert list(data) == [
        "period",
        "touchpoints",
        "coverage",
        "follow_ups",
        "quiet_customers",
        "stage_moves",
        "conversion",
        "churn",
        "sources",
    ]
    assert data["touchpoints"]["total"] == {"value": 10, "previous": 4}
    assert data["touchpoints"]["by_department"]["Sales"] == {"value": 5, "previous": 2}
    assert data["follow_ups"]["on_time_rate"] == {"value": 0.5714, "previous": 0.5}
    assert data["period"]["first_day"] == "2026-11-01"
    assert data["period"]["start"] == "2026-10-31T23:00:00+00:00"
    assert data["period"]["previous"] == {"first_day": "2026-10-02", "last_day": "2026-10-31"}


def test_the_things_worth_acting_on_are_named(report_data: dict[str, Any]) -> None:
    assert [(action.kind, action.count) for action in report_data["actions"]] == [
        ("overdue_follow_ups", 1),
        ("active_gone_quiet", 1),
        ("department_stopped_logging", 2),
    ]
    said = " ".join(action.text for action in report_data["actions"])
    assert "Wayne" in said and "Finance logged 2 touchpoints in the previous period and none" in said


@pytest.mark.parametrize(
    ("chosen", "figures"),
    [
        (Filter(department="Support"), {"touchpoints.total": (5, 0), "follow_ups.due": (3, 0)}),
        (Filter(tag="expo2026"), {"touchpoints.total": (1, 0), "sources.new_customers": (1, 0)}),
        (Filter(user_id="U0BEN"), {"touchpoints.total": (5, 0), "follow_ups.late": (1, 0)}),
        (
            Filter(customer_name="Acme"),
            {
                "touchpoints.total": (3, 2),
                "coverage.customers_touched": (1, 1),
                "stage_moves.onboarding -> active": (1, 0),
            },
        ),
    ],
)
def test_a_filter_narrows_the_figures(engine: Engine, chosen: Filter, figures: dict[str, tuple[Any, Any]]) -> None:
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        workspace_id = build_history(session)
    with sessions() as session:
        if chosen.customer_name:  # named in the table, its id found in the store
            customer_id = session.scalar(select(Customer.id).where(Customer.name == chosen.customer_name))
            chosen = replace(chosen, customer_id=customer_id)
        report = build_report(session, workspace_id, NOVEMBER, chosen, now=MADE_AT, quiet_after_days=QUIET_AFTER_DAYS)
        found = {measure: (value, previous) for measure, value, previous in figure_rows(report)}
    assert {measure: found.get(measure) for measure in figures} == figures
