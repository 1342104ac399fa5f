"""What the report's chart shows, counted for a `Report`: `chart_spec(session, workspace_id, report)`.

The touchpoints per week by department come from the report itself (`Report.touchpoints.by_week`); the
follow-ups kept on time vs late per week are one more grouped query (`storage.reports.follow_ups_kept_by_week`),
with the same rule as the report's on-time rate. Weeks are the report's: runs of seven local days in the
viewer's zone from the period's first day (`Period.weeks`). Nothing here imports the plotting library:
`ChartSpec` is a plain dataclass, and drawing it is `bot.reports.chart.render_chart`'s job.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date

from sqlalchemy.orm import Session

from bot.reports.chart import ChartSpec
from bot.reports.measures import GRACE_BOUNDS, Report, judged_outcome, scope_of
from bot.reports.periods import Period
from storage import reports as report_store

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def chart_spec(session: Session, workspace_id: int, report: Report) -> ChartSpec:
    """The chart of `report`: its touchpoints per week by department, and its follow-ups kept vs late per week."""
    period = report.period
    weeks = period.weeks()
    departments = sorted({name for week in report.touchpoints.by_week for name in week.by_department})
    by_department = {
        name: [
            int(week.by_department[name].value or 0) if name in week.by_department else 0
            for week in report.touchpoints.by_week
        ]
        for name in departments
    }
    on_time, late = [0] * len(weeks), [0] * len(weeks)
    starts = [start for _, start, _ in weeks]
    scope, grace = scope_of(report.filter), {"now": report.made_at, **GRACE_BOUNDS}
    # Kept or not by the rule the report's figures use: the store settles what is certain, the rest is judged.
    counted = [
        (row.week, row.outcome, row.count)
        for row in report_store.follow_up_counts_by_week(
            session, workspace_id, period.start, period.end, scope, starts, **grace
        )
        if row.outcome not in (report_store.NEAR_DONE, report_store.NEAR_OPEN)
    ]
    for near in report_store.follow_ups_near_grace(session, workspace_id, period.start, period.end, scope, **grace):
        outcome = judged_outcome(near.due_at, near.completed_at, report.made_at, period.tz)
        counted.append((bisect_right(starts, near.due_at) - 1, outcome, 1))
    for week, outcome, count in counted:
        if outcome == "on_time":
            on_time[week] += count
        elif outcome in ("late", "open_overdue"):
            late[week] += count
    return ChartSpec(
        title=chart_title(report),
        week_starts=[first for first, _, _ in weeks],
        touchpoints_by_department=by_department,
        follow_ups_on_time=on_time,
        follow_ups_late=late,
    )


def chart_title(report: Report) -> str:
    """The period's days and the filter in words: "Touchpoints and follow-ups · 1 Nov – 30 Nov 2026 · everyone"."""
    return f"Touchpoints and follow-ups · {days_in_words(report.period)} · {report.filter.describe()}"


def figures_title(report: Report) -> str:
    """The CSV file's title, like the chart's: "Report figures · 1 Nov – 30 Nov 2026 · everyone"."""
    return f"Report figures · {days_in_words(report.period)} · {report.filter.describe()}"


def days_in_words(period: Period) -> str:
    if period.first == period.last:
        return _day(period.first, year=True)
    return f"{_day(period.first, year=period.first.year != period.last.year)} – {_day(period.last, year=True)}"


def _day(day: date, *, year: bool) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]}" + (f" {day.year}" if year else "")
