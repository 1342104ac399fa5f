"""The measures of a period, each beside the previous period's value: the report `/report`, the weekly report
and `touchpoint report` show.

`build_report(readers, workspace_id, period, filter, now=..., quiet_after_days=...)` returns a `Report` of plain
dataclasses; the sums run in SQL (`storage.reports`), here they are only put together: from a session factory
(`readers`), a few parts at once, each in a session of its own; from a session, one after the other. `report_json`,
`report_csv` and `report_text` render it. Every figure is a `Figure(value, previous)`. The README's "Measures"
section defines each measure exactly as computed here; change both together.

Long on purpose: one dataclass and one small assembling function per measure, and the JSON, CSV and text
renderings beside the shape they render, so a measure and its output change in one place.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from bot.capture.records import csv_cell
from bot.customers.curation import stages_for
from bot.followups.rules import GRACE_AT_LEAST, GRACE_AT_MOST, grace_until, kept_on_time
from bot.reports.periods import Filter, Period
from bot.text import plural
from storage import reports as report_store
from storage.db import one_store_per_connection
from storage.reports import Scope

# The window after entering a stage (or a first touchpoint) in which a move counts as conversion.
CONVERSION_DAYS = 90
# Where an action's text names its person, for each rendering to show in its own way.
PERSON = "\u2063person\u2063"
# Where a row with no department, stage or owner recorded is counted.
NONE = "(none)"
Number = int | float | None


@dataclass(frozen=True)
class Figure:
    value: Number
    previous: Number

    def as_json(self) -> dict[str, Number]:
        return {"value": self.value, "previous": self.previous}


def _figures(current: dict[str, int], previous: dict[str, int]) -> dict[str, Figure]:
    return {key: Figure(current.get(key, 0), previous.get(key, 0)) for key in sorted({*current, *previous})}


@dataclass(frozen=True)
class Week:
    first: date  # the week's first local day; weeks run seven days from the period's first day
    total: Figure
    by_department: dict[str, Figure]


@dataclass(frozen=True)
class Touchpoints:
    total: Figure
    by_department: dict[str, Figure]
    by_kind: dict[str, Figure]
    by_source: dict[str, Figure]
    by_week: list[Week]


@dataclass(frozen=True)
class Coverage:
    customers_touched: Figure
    by_stage: dict[str, Figure]
    by_departments: dict[str, Figure]  # "1", "2", "3+" departments (and "none" recorded)
    active_stage: str
    active_untouched: Figure
    active_untouched_names: list[str]


@dataclass(frozen=True)
class Kept:
    due: Figure
    on_time: Figure
    late: Figure
    open_overdue: Figure
    open: Figure  # fell due, still open, its grace not over yet
    on_time_rate: Figure  # on_time / (on_time + late + open_overdue), None when that is 0


@dataclass(frozen=True)
class FollowUps:
    kept: Kept
    late_delay_median_hours: Figure
    late_delay_p90_hours: Figure
    by_assignee: dict[str, Kept]
    by_department: dict[str, Kept]


@dataclass(frozen=True)
class Quiet:
    total: Figure
    by_stage: dict[str, Figure]
    by_owner: dict[str, Figure]


@dataclass(frozen=True)
class Conversion:
    stage: str
    next_stage: str
    entered: Figure
    reached_next: Figure
    rate: Figure


@dataclass(frozen=True)
class Churn:
    stage: str
    churned: Figure
    quiet_before: Figure


@dataclass(frozen=True)
class Source:
    customers: Figure  # new customers whose first touchpoint carried it
    advanced: Figure  # of those, the ones that moved at least one stage forward within 90 days


@dataclass(frozen=True)
class Sources:
    new_customers: Figure
    by_tag: dict[str, Source]
    event: Source


@dataclass(frozen=True)
class Action:
    """One of the things most worth acting on, in words, with the count behind it."""

    kind: str  # overdue_follow_ups, active_gone_quiet, department_stopped_logging
    count: int
    text: str  # may hold PERSON where `person` is named: each rendering shows a person its own way
    person: str | None = None  # a Slack user id

    def said(self, person_shown: Callable[[str], str]) -> str:
        """The text with its person shown by `person_shown` (a mention in Slack, @id in a terminal)."""
        return self.text.replace(PERSON, person_shown(self.person)) if self.person else self.text


@dataclass(frozen=True)
class Report:
    period: Period
    previous: Period
    filter: Filter
    made_at: datetime
    touchpoints: Touchpoints
    coverage: Coverage
    follow_ups: FollowUps
    quiet_customers: Quiet
    stage_moves: dict[str, Figure]  # "from -> to"
    conversion: list[Conversion]
    churn: Churn
    sources: Sources
    actions: list[Action] = field(default_factory=list)

    def is_empty(self) -> bool:
        """Nothing logged in either period: the report says so instead of showing zeros."""
        return not (self.touchpoints.total.value or self.touchpoints.total.previous)


def scope_of(chosen: Filter) -> Scope:
    return Scope(department=chosen.department, user_id=chosen.user_id, customer_id=chosen.customer_id, tag=chosen.tag)


# How many of a report's parts are read at once when `build_report` is given a session factory: each holds a
# connection for its part only. Two: a report on two cores takes about half as long; more cores are rarely free.
REPORT_WORKERS = 2

Part = Callable[[Session], Any]


def build_report(
    where: Session | sessionmaker[Session],
    workspace_id: int,
    period: Period,
    chosen: Filter,
    *,
    now: datetime,
    quiet_after_days: int,
    stages: Sequence[str] | None = None,
    workers: int = REPORT_WORKERS,
) -> Report:
    """Every measure of `period` and of the period just before it, for the workspace, narrowed by `chosen`.

    `where` is a session, in which every part is read one after the other (on SQLite, one snapshot); or a
    session factory, from which the parts are read `workers` at a time, each in a read transaction of its own,
    the costliest first. A part holds a measure's current and previous figures together, so each comparison
    is read in one transaction; two parts may be a few milliseconds apart, as two statements already are on
    PostgreSQL under read committed.
    """
    stages = list(stages if stages is not None else _read_in(where, lambda session: stages_for(session, workspace_id)))
    previous = period.previous()
    scope = scope_of(chosen)
    active_stage = _active_stage(stages)
    args = (workspace_id, period, previous, scope)
    # Roughly the costliest first (bench/report.py's breakdown), so the last part to start is a short one.
    parts: dict[str, Part] = {
        "coverage": lambda session: _coverage_counts(session, *args),
        "conversion": lambda session: _conversion(session, *args, stages),
        "quiet_customers": lambda session: _quiet(session, *args, now, quiet_after_days),
        "sources": lambda session: _sources(session, *args, stages),
        "touchpoints": lambda session: _touchpoints(session, *args),
        "active_untouched": lambda session: _active_untouched(session, *args, active_stage),
        "follow_ups": lambda session: _follow_ups(session, *args, now),
        "stage_moves": lambda session: _stage_moves(session, *args),
        "churn": lambda session: _churn(session, *args, stages[-1], quiet_after_days),
    }
    read = _read(where, parts, workers)
    report = Report(
        period=period,
        previous=previous,
        filter=chosen,
        made_at=now,
        touchpoints=read["touchpoints"],
        coverage=_coverage(read["coverage"], read["active_untouched"], active_stage),
        follow_ups=read["follow_ups"],
        quiet_customers=read["quiet_customers"],
        stage_moves=read["stage_moves"],
        conversion=read["conversion"],
        churn=read["churn"],
        sources=read["sources"],
    )
    return _with_actions(report)


def _read_in(where: Session | sessionmaker[Session], part: Part) -> Any:
    """One part read in the session, or in a read transaction of its own from the factory."""
    if isinstance(where, Session):
        return part(where)
    with where.begin() as session:
        return part(session)


def _read(where: Session | sessionmaker[Session], parts: dict[str, Part], workers: int) -> dict[str, Any]:
    """Each part read in `where`: all in the one session, or at once from the factory. A part that fails (a
    statement timeout) fails the report, once the parts already running have ended."""
    if isinstance(where, Session) or workers <= 1 or one_store_per_connection(where.kw["bind"]):
        return _read_in(where, lambda session: {name: part(session) for name, part in parts.items()})
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="report") as pool:
        running = {name: pool.submit(_read_in, where, part) for name, part in parts.items()}
        try:
            return {name: future.result() for name, future in running.items()}
        finally:
            for future in running.values():  # a failed part: the others not yet started need not run
                future.cancel()


def _active_stage(stages: Sequence[str]) -> str:
    """`active`, or in a workspace without it the stage before the last (the last being churned's equivalent)."""
    if "active" in stages:
        return "active"
    return stages[-2] if len(stages) >= 2 else stages[0]


def _named(key: str | None) -> str:
    return key if key else NONE


def _touchpoints(session: Session, workspace_id: int, period: Period, previous: Period, scope: Scope) -> Touchpoints:
    def counted(which: Period) -> report_store.TouchpointCounts:
        week_starts = [start for _, start, _ in which.weeks()]
        return report_store.touchpoint_counts(session, workspace_id, which.start, which.end, scope, week_starts)

    now, before = counted(period), counted(previous)

    def by_department(counts: report_store.TouchpointCounts, week: int | None = None) -> dict[str, int]:
        sums: dict[str, int] = defaultdict(int)
        for (at, department), count in counts.by_week_department.items():
            if week is None or at == week:
                sums[_named(department)] += count
        return sums

    def by(counts: report_store.TouchpointCounts, which: int) -> dict[str, int]:
        sums: dict[str, int] = defaultdict(int)
        for key, count in counts.by_kind_source.items():
            sums[key[which]] += count
        return sums

    def total(counts: report_store.TouchpointCounts, week: int | None = None) -> int:
        return sum(by_department(counts, week).values())

    by_week = [
        Week(
            first,
            Figure(total(now, index), total(before, index)),
            _figures(by_department(now, index), by_department(before, index)),
        )
        for index, (first, _, _) in enumerate(period.weeks())
    ]
    return Touchpoints(
        total=Figure(total(now), total(before)),
        by_department=_figures(by_department(now), by_department(before)),
        by_kind=_figures(by(now, 0), by(before, 0)),
        by_source=_figures(by(now, 1), by(before, 1)),
        by_week=by_week,
    )


@dataclass(frozen=True)
class _Covered:
    """Coverage's counts of one period: customers touched, by stage and by how many departments touched them."""

    by_stage: dict[str, int]
    by_departments: dict[str, int]


def _coverage_counts(
    session: Session, workspace_id: int, period: Period, previous: Period, scope: Scope
) -> tuple[_Covered, _Covered]:
    def counted(which: Period) -> _Covered:
        by_stage: dict[str, int] = defaultdict(int)
        by_departments: dict[str, int] = defaultdict(int)
        for row in report_store.coverage_counts(session, workspace_id, which.start, which.end, scope):
            by_stage[_named(row.stage)] += row.customers
            by_departments[{0: "none", 3: "3+"}.get(row.departments, str(row.departments))] += row.customers
        return _Covered(by_stage, by_departments)

    return counted(period), counted(previous)


def _active_untouched(
    session: Session, workspace_id: int, period: Period, previous: Period, scope: Scope, active_stage: str
) -> tuple[int, list[str], int]:
    """Active customers with no touchpoint in the period (and a few names), and in the previous period."""
    untouched, names = report_store.customers_in_stage_untouched(
        session, workspace_id, active_stage, period.start, period.end, scope
    )
    untouched_before, _ = report_store.customers_in_stage_untouched(
        session, workspace_id, active_stage, previous.start, previous.end, scope, names=0
    )
    return untouched, names, untouched_before


def _coverage(counts: tuple[_Covered, _Covered], untouched: tuple[int, list[str], int], active_stage: str) -> Coverage:
    now, before = counts
    untouched_now, names, untouched_before = untouched
    return Coverage(
        customers_touched=Figure(sum(now.by_stage.values()), sum(before.by_stage.values())),
        by_stage=_figures(now.by_stage, before.by_stage),
        by_departments=_figures(now.by_departments, before.by_departments),
        active_stage=active_stage,
        active_untouched=Figure(untouched_now, untouched_before),
        active_untouched_names=names,
    )


_OUTCOMES = ("on_time", "late", "open_overdue", "open")


def _kept(current: dict[str, int], before: dict[str, int]) -> Kept:
    def figure(outcome: str) -> Figure:
        return Figure(current.get(outcome, 0), before.get(outcome, 0))

    return Kept(
        due=Figure(sum(current.values()), sum(before.values())),
        on_time=figure("on_time"),
        late=figure("late"),
        open_overdue=figure("open_overdue"),
        open=figure("open"),
        on_time_rate=Figure(_on_time_rate(current), _on_time_rate(before)),
    )


def _on_time_rate(counts: dict[str, int]) -> float | None:
    known = counts.get("on_time", 0) + counts.get("late", 0) + counts.get("open_overdue", 0)
    return round(counts.get("on_time", 0) / known, 4) if known else None


# The store's view of how long a grace can be, for the queries that settle what is certain (storage.reports).
GRACE_BOUNDS = {"shortest": GRACE_AT_LEAST, "longest": GRACE_AT_MOST}


def judged_outcome(due_at: datetime, completed_at: datetime | None, now: datetime, tz: ZoneInfo) -> str:
    """A follow-up the store could not settle, judged by `kept_on_time`: on_time, late, open or open_overdue."""
    if completed_at is None:
        return "open" if now <= grace_until(due_at, tz) else "open_overdue"
    return "on_time" if kept_on_time(due_at, completed_at, tz) else "late"


def _follow_ups(
    session: Session, workspace_id: int, period: Period, previous: Period, scope: Scope, now: datetime
) -> FollowUps:
    """Kept or not by `kept_on_time`, the customer card's rule: the store counts what is certain, the rest is judged
    here one follow-up at a time (those closed, or still open, between the shortest and the longest grace)."""
    tz = period.tz
    grace = {"now": now, **GRACE_BOUNDS}
    judged_late: dict[Period, list[float]] = {}

    def counted(which: Period) -> list[report_store.FollowUpCount]:
        rows = [
            row
            for row in report_store.follow_up_counts(session, workspace_id, which.start, which.end, scope, **grace)
            if row.outcome not in (report_store.NEAR_DONE, report_store.NEAR_OPEN)
        ]
        late_hours = judged_late.setdefault(which, [])
        for near in report_store.follow_ups_near_grace(session, workspace_id, which.start, which.end, scope, **grace):
            outcome = judged_outcome(near.due_at, near.completed_at, now, tz)
            if outcome == "late" and near.completed_at is not None:
                late_hours.append((near.completed_at - near.due_at).total_seconds() / 3600)
            rows.append(report_store.FollowUpCount(near.assignee, near.department, outcome, 1))
        return rows

    def grouped(rows: list[report_store.FollowUpCount], key: str) -> dict[str, dict[str, int]]:
        sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for row in rows:
            sums[_named(getattr(row, key))][row.outcome] += row.count
        return sums

    now_rows, before_rows = counted(period), counted(previous)
    everything_now = {o: sum(r.count for r in now_rows if r.outcome == o) for o in _OUTCOMES}
    everything_before = {o: sum(r.count for r in before_rows if r.outcome == o) for o in _OUTCOMES}

    def per(key: str) -> dict[str, Kept]:
        current, before = grouped(now_rows, key), grouped(before_rows, key)
        return {name: _kept(current.get(name, {}), before.get(name, {})) for name in sorted({*current, *before})}

    def percentiles(which: Period) -> dict[int, float]:
        return report_store.late_delay_percentiles(
            session, workspace_id, which.start, which.end, scope, judged_late_hours=judged_late[which], **grace
        )

    delays_now, delays_before = percentiles(period), percentiles(previous)
    return FollowUps(
        kept=_kept(everything_now, everything_before),
        late_delay_median_hours=Figure(_hours(delays_now.get(50)), _hours(delays_before.get(50))),
        late_delay_p90_hours=Figure(_hours(delays_now.get(90)), _hours(delays_before.get(90))),
        by_assignee=per("assignee"),
        by_department=per("department"),
    )


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _quiet(
    session: Session,
    workspace_id: int,
    period: Period,
    previous: Period,
    scope: Scope,
    now: datetime,
    quiet_after_days: int,
) -> Quiet:
    def counted(which: Period) -> list[report_store.QuietCount]:
        return report_store.quiet_customer_counts(session, workspace_id, min(which.end, now), quiet_after_days, scope)

    def by(rows: list[report_store.QuietCount], key: str) -> dict[str, int]:
        sums: dict[str, int] = defaultdict(int)
        for row in rows:
            sums[_named(getattr(row, key))] += row.customers
        return sums

    current, before = counted(period), counted(previous)
    return Quiet(
        total=Figure(sum(r.customers for r in current), sum(r.customers for r in before)),
        by_stage=_figures(by(current, "stage"), by(before, "stage")),
        by_owner=_figures(by(current, "owner"), by(before, "owner")),
    )


def _stage_moves(
    session: Session, workspace_id: int, period: Period, previous: Period, scope: Scope
) -> dict[str, Figure]:
    def counted(which: Period) -> dict[str, int]:
        moves = report_store.stage_move_counts(session, workspace_id, which.start, which.end, scope)
        return {f"{_named(source)} -> {_named(target)}": count for (source, target), count in moves.items()}

    return _figures(counted(period), counted(previous))


def _conversion(
    session: Session, workspace_id: int, period: Period, previous: Period, scope: Scope, stages: Sequence[str]
) -> list[Conversion]:
    def counted(which: Period) -> dict[str, tuple[int, int]]:
        return report_store.stage_conversions(
            session, workspace_id, which.start, which.end, scope, stages, within_days=CONVERSION_DAYS
        )

    current, before = counted(period), counted(previous)
    found = []
    for stage, next_stage in zip(stages, stages[1:], strict=False):
        entered, reached = current.get(stage, (0, 0))
        entered_before, reached_before = before.get(stage, (0, 0))
        found.append(
            Conversion(
                stage,
                next_stage,
                Figure(entered, entered_before),
                Figure(reached, reached_before),
                Figure(_rate(reached, entered), _rate(reached_before, entered_before)),
            )
        )
    return found


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _churn(
    session: Session,
    workspace_id: int,
    period: Period,
    previous: Period,
    scope: Scope,
    churned: str,
    quiet_after_days: int,
) -> Churn:
    def counted(which: Period) -> tuple[int, int]:
        return report_store.churn_after_silence(
            session, workspace_id, which.start, which.end, scope, churned, quiet_after_days
        )

    (total, quiet), (total_before, quiet_before) = counted(period), counted(previous)
    return Churn(churned, Figure(total, total_before), Figure(quiet, quiet_before))


def _sources(
    session: Session, workspace_id: int, period: Period, previous: Period, scope: Scope, stages: Sequence[str]
) -> Sources:
    now, before = report_store.new_customer_sources(
        session,
        workspace_id,
        [(period.start, period.end), (previous.start, previous.end)],
        scope,
        stages,
        within_days=CONVERSION_DAYS,
    )

    def source(current: tuple[int, int], before: tuple[int, int]) -> Source:
        return Source(Figure(current[0], before[0]), Figure(current[1], before[1]))

    return Sources(
        new_customers=Figure(now.customers, before.customers),
        by_tag={
            tag: source(now.by_tag.get(tag, (0, 0)), before.by_tag.get(tag, (0, 0)))
            for tag in sorted({*now.by_tag, *before.by_tag})
        },
        event=source(now.event, before.event),
    )


# ---------------------------------------------------------------------------------------------------------
# The three things most worth acting on
# ---------------------------------------------------------------------------------------------------------


def _with_actions(report: Report) -> Report:
    return replace(report, actions=actions_for(report))


def actions_for(report: Report) -> list[Action]:
    """Overdue follow-ups, active customers gone quiet, a department that stopped logging: those that apply."""
    found = []
    overdue = int(report.follow_ups.kept.open_overdue.value or 0)
    if overdue:
        most = max(report.follow_ups.by_assignee.items(), key=lambda item: (item[1].open_overdue.value or 0, item[0]))
        top = most[1].open_overdue.value or 0
        named = overdue > 1 and top > 1 and most[0] != NONE
        whose = f" ({top} of them assigned to {PERSON})" if named else ""
        verb = "is" if overdue == 1 else "are"
        said = f"{plural(overdue, 'follow-up')} that fell due in the period {verb} still open past the grace{whose}."
        found.append(Action("overdue_follow_ups", overdue, said, most[0] if named else None))
    untouched = int(report.coverage.active_untouched.value or 0)
    if untouched:
        names = report.coverage.active_untouched_names
        listed = f": {', '.join(names)}{', …' if untouched > len(names) else ''}" if names else ""
        found.append(
            Action(
                "active_gone_quiet",
                untouched,
                f"{plural(untouched, report.coverage.active_stage + ' customer')} had no touchpoint in the period"
                f"{listed}.",
            )
        )
    stopped = [
        (name, figure)
        for name, figure in report.touchpoints.by_department.items()
        if name != NONE and not figure.value and figure.previous
    ]
    if stopped:
        name, figure = max(stopped, key=lambda item: (item[1].previous or 0, item[0]))
        before = int(figure.previous or 0)
        said = f"{name} logged {plural(before, 'touchpoint')} in the previous period and none in this one."
        found.append(Action("department_stopped_logging", before, said))
    return found


# ---------------------------------------------------------------------------------------------------------
# JSON, CSV and text
# ---------------------------------------------------------------------------------------------------------


def _kept_json(kept: Kept) -> dict[str, Any]:
    return {
        "due": kept.due.as_json(),
        "on_time": kept.on_time.as_json(),
        "late": kept.late.as_json(),
        "open_overdue": kept.open_overdue.as_json(),
        "open": kept.open.as_json(),
        "on_time_rate": kept.on_time_rate.as_json(),
    }


def _map(figures: dict[str, Figure]) -> dict[str, Any]:
    return {key: figure.as_json() for key, figure in figures.items()}


def report_json(report: Report) -> dict[str, Any]:
    """The report as one object with the documented top-level keys; every figure `{"value": …, "previous": …}`."""
    period, previous, chosen = report.period, report.previous, report.filter
    return {
        "period": {
            "first_day": period.first.isoformat(),
            "last_day": period.last.isoformat(),
            "days": period.days,
            "time_zone": period.tz.key,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "label": period.label,
            "previous": {"first_day": previous.first.isoformat(), "last_day": previous.last.isoformat()},
            "made_at": report.made_at.isoformat(),
            "filter": {
                "department": chosen.department,
                "user": chosen.user_id,
                "customer": chosen.customer_name,
                "customer_id": chosen.customer_id,
                "tag": chosen.tag,
            },
        },
        "touchpoints": {
            "total": report.touchpoints.total.as_json(),
            "by_department": _map(report.touchpoints.by_department),
            "by_kind": _map(report.touchpoints.by_kind),
            "by_source": _map(report.touchpoints.by_source),
            "by_week": [
                {
                    "week": week.first.isoformat(),
                    "total": week.total.as_json(),
                    "by_department": _map(week.by_department),
                }
                for week in report.touchpoints.by_week
            ],
        },
        "coverage": {
            "customers_touched": report.coverage.customers_touched.as_json(),
            "by_stage": _map(report.coverage.by_stage),
            "by_departments": _map(report.coverage.by_departments),
            "active_untouched": report.coverage.active_untouched.as_json(),
        },
        "follow_ups": {
            **_kept_json(report.follow_ups.kept),
            "late_delay_median_hours": report.follow_ups.late_delay_median_hours.as_json(),
            "late_delay_p90_hours": report.follow_ups.late_delay_p90_hours.as_json(),
            "by_assignee": {name: _kept_json(kept) for name, kept in report.follow_ups.by_assignee.items()},
            "by_department": {name: _kept_json(kept) for name, kept in report.follow_ups.by_department.items()},
        },
        "quiet_customers": {
            "total": report.quiet_customers.total.as_json(),
            "by_stage": _map(report.quiet_customers.by_stage),
            "by_owner": _map(report.quiet_customers.by_owner),
        },
        "stage_moves": _map(report.stage_moves),
        "conversion": {
            item.stage: {
                "next_stage": item.next_stage,
                "entered": item.entered.as_json(),
                "reached_next": item.reached_next.as_json(),
                "rate": item.rate.as_json(),
            }
            for item in report.conversion
        },
        "churn": {
            "stage": report.churn.stage,
            "churned": report.churn.churned.as_json(),
            "quiet_before": report.churn.quiet_before.as_json(),
        },
        "sources": {
            "new_customers": report.sources.new_customers.as_json(),
            "by_tag": {
                tag: {"customers": source.customers.as_json(), "advanced": source.advanced.as_json()}
                for tag, source in report.sources.by_tag.items()
            },
            "event": {
                "customers": report.sources.event.customers.as_json(),
                "advanced": report.sources.event.advanced.as_json(),
            },
        },
    }


def figure_rows(report: Report) -> Iterator[tuple[str, Number, Number]]:
    """Every figure of the JSON report as (dotted path, value, previous), in the JSON's order."""

    def walk(node: Any, path: str) -> Iterator[tuple[str, Number, Number]]:
        if isinstance(node, dict) and set(node) == {"value", "previous"}:
            yield path, node["value"], node["previous"]
        elif isinstance(node, dict):
            for key, child in node.items():
                yield from walk(child, f"{path}.{key}" if path else str(key))
        elif isinstance(node, list):
            for child in node:
                label = child.get("week", "") if isinstance(child, dict) else ""
                yield from walk({k: v for k, v in child.items() if k != "week"}, f"{path}.{label}")

    data = report_json(report)
    data.pop("period")
    yield from walk(data, "")


def report_csv(report: Report) -> str:
    """The figures as CSV (measure, value, previous), every cell defused for spreadsheets."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["measure", "value", "previous"])
    period, previous = report.period, report.previous
    writer.writerow(["period", csv_cell(f"{period.describe()} {period.tz.key}"), csv_cell(previous.describe())])
    writer.writerow(["filter", csv_cell(report.filter.describe()), ""])
    for path, value, previous in figure_rows(report):
        writer.writerow([csv_cell(path), csv_cell(value), csv_cell(previous)])
    return out.getvalue()


def report_text(report: Report) -> str:
    """The report as a readable table for a terminal: each figure, the previous period's, and the change."""
    period, previous = report.period, report.previous
    lines = [
        f"Report for {period.describe()} ({_label(period)}{period.tz.key}), {report.filter.describe()}",
        f"compared with {previous.describe()}",
        "",
    ]
    if report.is_empty():
        lines.append("Nothing was logged in this period or the one before: log a touchpoint with /log to start.")
        return "\n".join(lines) + "\n"
    if report.actions:
        lines.append("Worth acting on:")
        lines.extend(f"  - {action.said(lambda user_id: '@' + user_id)}" for action in report.actions)
        lines.append("")
    rows = list(figure_rows(report))
    width = max(len(path) for path, _, _ in rows)
    lines.append(f"{'measure'.ljust(width)}  {'value':>10}  {'previous':>10}  {'change':>8}")
    for path, value, before in rows:
        lines.append(f"{path.ljust(width)}  {_shown(value):>10}  {_shown(before):>10}  {_change(value, before):>8}")
    return "\n".join(lines) + "\n"


def _label(period: Period) -> str:
    """`last 30 days, ` when the period was asked for by name; nothing when its days already say it."""
    return f"{period.label}, " if period.label and period.label != period.describe() else ""


def _shown(value: Number) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _change(value: Number, before: Number) -> str:
    if value is None or before is None:
        return ""
    difference = value - before
    if not difference:
        return "="
    return f"{difference:+.2f}" if isinstance(difference, float) else f"{difference:+d}"
