"""`chart_spec`: what the chart shows, counted from the hand-computed history (tests/reports/history.py).

November 2026 in Berlin cut into weeks from the 1st: 1–7, 8–14, 15–21, 22–28, 29–30 November.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from bot.reports.chart_data import chart_spec, days_in_words
from bot.reports.measures import build_report
from bot.reports.periods import Filter, Period
from storage.db import make_session_factory
from tests.reports.history import MADE_AT, QUIET_AFTER_DAYS, build_history

BERLIN = ZoneInfo("Europe/Berlin")
NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30), BERLIN, "2026-11-01..2026-11-30")
WEEKS = [date(2026, 11, day) for day in (1, 8, 15, 22, 29)]


@pytest.mark.parametrize(
    ("chosen", "by_department", "on_time", "late"),
    [
        (
            Filter(),
            {"Finance": [0] * 5, "Sales": [3, 1, 1, 0, 0], "Support": [1, 1, 1, 1, 1]},
            # Due 4 Nov (early) and 6 Nov (Friday, done Monday): kept; 10 and 13 Nov done late; 17 and 20 Nov
            # kept; 26 Nov still open past its grace: late; 30 Nov cancelled: not counted.
            [2, 0, 2, 0, 0],
            [0, 2, 0, 1, 0],
        ),
        (Filter(department="Support"), {"Support": [1, 1, 1, 1, 1]}, [0, 0, 1, 0, 0], [0, 1, 0, 1, 0]),
    ],
)
def test_the_chart_counts_touchpoints_and_follow_ups_kept_per_local_week(
    engine: Engine,
    chosen: Filter,
    by_department: dict[str, list[int]],
    on_time: list[int],
    late: list[int],
) -> None:
    with make_session_factory(engine).begin() as session:
        workspace_id = build_history(session)
        made = build_report(session, workspace_id, NOVEMBER, chosen, now=MADE_AT, quiet_after_days=QUIET_AFTER_DAYS)
        spec = chart_spec(session, workspace_id, made)

    assert list(spec.week_starts) == WEEKS
    assert {name: list(counts) for name, counts in spec.touchpoints_by_department.items()} == by_department
    assert (list(spec.follow_ups_on_time), list(spec.follow_ups_late)) == (on_time, late)
    assert spec.title == f"Touchpoints and follow-ups · 1 Nov – 30 Nov 2026 · {chosen.describe()}"


def test_the_chart_agrees_with_the_reports_follow_up_figures(engine: Engine) -> None:
    with make_session_factory(engine).begin() as session:
        workspace_id = build_history(session)
        made = build_report(session, workspace_id, NOVEMBER, Filter(), now=MADE_AT, quiet_after_days=QUIET_AFTER_DAYS)
        spec = chart_spec(session, workspace_id, made)

    kept = made.follow_ups.kept
    assert sum(spec.follow_ups_on_time) == kept.on_time.value
    assert sum(spec.follow_ups_late) == (kept.late.value or 0) + (kept.open_overdue.value or 0)
    assert spec.touchpoints == made.touchpoints.total.value


@pytest.mark.parametrize(
    ("first", "last", "said"),
    [
        (date(2026, 11, 1), date(2026, 11, 30), "1 Nov – 30 Nov 2026"),
        (date(2025, 12, 15), date(2026, 1, 14), "15 Dec 2025 – 14 Jan 2026"),
        (date(2026, 11, 25), date(2026, 11, 25), "25 Nov 2026"),
    ],
)
def test_a_period_is_said_in_days(first: date, last: date, said: str) -> None:
    assert days_in_words(Period(first, last, BERLIN)) == said
