"""The sums behind the measures (`bot.reports.measures`): every one computed in the database, grouped there.

Each query takes the workspace and the period's bounds (UTC instants, `start` included, `end` not) and answers
one question; none loads the period's touchpoints, or anything per customer, into Python: what comes back is
counted already, a row per group (a few names excepted). SQLite and PostgreSQL differ in date arithmetic and
JSON, so those few expressions are built per dialect below (`_Dates`, `_has_tag`, the tags of
`new_customer_sources`); the rest is the same SQL on both.

The indexes they lean on (migrations 0009 and 0014_report_speed), each answering its query from the index
alone: touchpoints (workspace_id, occurred_at, then every column the period's counts read) and (workspace_id,
customer_id, occurred_at, id, deleted_at, author_department) for the probes per customer; follow-ups
(workspace_id, due_at, then what decides an outcome); customers (workspace_id, stage, owner, created_at and what
makes one live); stage changes (workspace_id, changed_at, stages, customer) and (workspace_id, customer_id,
changed_at, stages). How many customers went untouched in a window is every customer less the touched ones (a
semi-join, `IN`, which both stores hash or index), never `NOT IN` a list of every touched customer: PostgreSQL
rescans such a list per customer once it outgrows `work_mem`. Untouched active customers and quiet ones are told
by their last touch (`customers.last_touched_at`, a copy of `customer_touches.last_at`, both kept by triggers),
which ix_customers_stage holds beside the stage, owner and id (a PostgreSQL index holds no row id of its own:
migration 0021); only those their last touch leaves undecided are looked up in the touchpoints (`_untouched_in`,
`quiet_customer_counts`). The first touchpoints of new customers are `customer_touches`' too. `bench/report.py`
times all of it on 1,000,000 touchpoints.

Long on purpose: one query per measure, each with its own dialect-neutral date arithmetic, kept together
so the indexes and the queries that need them are read side by side.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    case,
    extract,
    func,
    literal,
    or_,
    select,
    text,
    true,
    union,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from storage import day_counts
from storage.models import Customer, CustomerTouch, FollowUp, Member, StageChange, Touchpoint, UTCDateTime


@dataclass(frozen=True)
class Scope:
    """Which touchpoints (and the follow-ups they made) count: None everywhere is all of the workspace's.

    `user_id` is the author of a touchpoint and the assignee of a follow-up; `department` is the author's
    department as recorded on the touchpoint; `tag` one of the touchpoint's tags.
    """

    department: str | None = None
    user_id: str | None = None
    customer_id: int | None = None
    tag: str | None = None


EVERYTHING = Scope()


class _Dates:
    """Date arithmetic on UTC instants stored without a zone, as each dialect spells it."""

    def __init__(self, session: Session) -> None:
        self.sqlite = session.get_bind().dialect.name == "sqlite"

    def days_between(self, earlier: Any, later: Any) -> ColumnElement[float]:
        """`later - earlier` in days, as a fraction."""
        if self.sqlite:
            return func.julianday(later) - func.julianday(earlier)
        return extract("epoch", later - earlier) / 86400.0

    def within_days(self, earlier: Any, later: Any, days: Any) -> ColumnElement[bool]:
        """`later` no more than `days` (a number or an integer expression) after `earlier`."""
        if self.sqlite:
            return func.julianday(later) - func.julianday(earlier) <= days
        return later <= earlier + func.make_interval(0, 0, 0, days)

    def within_seconds(self, earlier: Any, later: Any, seconds: float) -> ColumnElement[bool]:
        """`later` no more than `seconds` after `earlier`."""
        if self.sqlite:
            return (func.julianday(later) - func.julianday(earlier)) * 86400.0 <= seconds
        return later <= earlier + func.make_interval(0, 0, 0, 0, 0, 0, seconds)


def _instant(value: datetime) -> ColumnElement[datetime]:
    return literal(value, UTCDateTime())


def _has_tag(session: Session, tag: str) -> ColumnElement[bool]:
    """The touchpoint's tags (a JSON list of lower-case words) hold `tag`."""
    if session.get_bind().dialect.name == "sqlite":
        clause = "EXISTS (SELECT 1 FROM json_each(touchpoints.tags) WHERE json_each.value = :report_tag)"
    else:
        clause = (
            "EXISTS (SELECT 1 FROM json_array_elements_text(touchpoints.tags) AS tag(value)"
            " WHERE tag.value = :report_tag)"
        )
    return text(clause).bindparams(report_tag=tag)  # type: ignore[return-value]


def _touchpoints_in(
    session: Session, workspace_id: int, start: datetime, end: datetime, scope: Scope
) -> list[ColumnElement[bool]]:
    where = [
        Touchpoint.workspace_id == workspace_id,
        Touchpoint.occurred_at >= start,
        Touchpoint.occurred_at < end,
        Touchpoint.deleted_at.is_(None),
    ]
    if scope.department is not None:
        where.append(Touchpoint.author_department == scope.department)
    if scope.user_id is not None:
        where.append(Touchpoint.author_user_id == scope.user_id)
    if scope.customer_id is not None:
        where.append(Touchpoint.customer_id == scope.customer_id)
    if scope.tag is not None:
        where.append(_has_tag(session, scope.tag))
    return where


def _some(column: Any, *where: ColumnElement[bool]) -> Any:
    """EXISTS over rows meeting `where`, selecting only `column` (an indexed id): SQLite reads `SELECT *`
    as needing every column, and would look each probed row up in its table instead of the index alone."""
    return select(column).where(*where).exists()


def _live(customers: Any = Customer) -> list[ColumnElement[bool]]:
    return [customers.deleted_at.is_(None), customers.merged_into_id.is_(None)]


# ---------------------------------------------------------------------------------------------------------
# Touchpoints and coverage
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TouchpointCount:
    week: int  # which of `week_starts` (0 first)
    department: str | None
    kind: str
    source: str
    count: int


@dataclass
class TouchpointCounts:
    """A period's touchpoints counted per (week, author's department) and per (kind, source): the totals by
    department, kind, source and week are sums of one or the other."""

    by_week_department: Counter[tuple[int, str | None]] = field(default_factory=Counter)
    by_kind_source: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, row: TouchpointCount) -> None:
        self.by_week_department[(row.week, row.department)] += row.count
        self.by_kind_source[(row.kind, row.source)] += row.count

    def without_zeros(self) -> TouchpointCounts:
        return TouchpointCounts(+self.by_week_department, +self.by_kind_source)


def touchpoint_counts(
    session: Session,
    workspace_id: int,
    start: datetime,
    end: datetime,
    scope: Scope,
    week_starts: Sequence[datetime],
) -> TouchpointCounts:
    """The period's touchpoints counted per week and author's department, and per kind and source.

    `week_starts` are the instants the weeks begin (the first is `start`); a touchpoint falls in the last one
    that is not after it. For the whole workspace or a department, the UTC days that lie whole inside the period
    are read from the day counts (`storage.day_counts`) and only the rest from the touchpoints; a person, customer
    or tag reads them all.
    """
    weeks = list(week_starts)
    if scope.user_id is not None or scope.customer_id is not None or scope.tag is not None:
        return _touchpoints_counted(session, workspace_id, [(start, end)], scope, weeks)
    days = day_counts.whole_days(start, end, weeks)
    weekly, kinds = day_counts.day_counts(session, workspace_id, days, scope.department)
    counted = TouchpointCounts()
    for week, department, count in weekly:
        counted.by_week_department[(week, department)] += count
    for kind, source, count in kinds:
        counted.by_kind_source[(kind, source)] += count
    stretches = [*days.rest, *((begins, ends) for begins, ends, _ in days.moved)]
    for part, row in _touchpoints_counted_by_part(session, workspace_id, stretches, scope, weeks):
        if part < len(days.rest):
            counted.add(row)
        else:  # a split day's smaller part: its day counted whole in the other week
            counted.by_week_department[(row.week, row.department)] += row.count
            counted.by_week_department[(days.moved[part - len(days.rest)][2], row.department)] -= row.count
    return counted.without_zeros()


# Stretches counted per statement: SQLite allows 500 SELECTs in one compound, and a custom period of ten years
# has over 500 weeks, each beginning inside a UTC day.
_MOST_PARTS = 100


def _touchpoints_counted(
    session: Session,
    workspace_id: int,
    stretches: Sequence[tuple[datetime, datetime]],
    scope: Scope,
    week_starts: list[datetime],
) -> TouchpointCounts:
    """`touchpoint_counts` of the touchpoints themselves over these stretches of the period."""
    counted = TouchpointCounts()
    for _, row in _touchpoints_counted_by_part(session, workspace_id, stretches, scope, week_starts):
        counted.add(row)
    return counted.without_zeros()


def _touchpoints_counted_by_part(
    session: Session,
    workspace_id: int,
    stretches: Sequence[tuple[datetime, datetime]],
    scope: Scope,
    week_starts: list[datetime],
) -> list[tuple[int, TouchpointCount]]:
    """The touchpoints of each stretch counted (which stretch, its counts), in one statement: a range of
    ix_touchpoints_occurred each (a year's 55 short ones, not the year read with 55 tests a row), each bucketed
    by the weeks it overlaps only."""
    parts = []
    for index, (start, end) in enumerate(stretches):
        first = max(i for i, begins in enumerate(week_starts) if begins <= start) if week_starts[0] <= start else 0
        overlapping = [begins for begins in week_starts[first:] if begins < end]
        week = _bucket(Touchpoint.occurred_at, overlapping or week_starts[:1], first)
        parts.append(
            select(
                literal(index).label("part"),
                week.label("week"),
                Touchpoint.author_department,
                Touchpoint.kind,
                Touchpoint.source,
                func.count(),
            )
            .where(*_touchpoints_in(session, workspace_id, start, end, scope))
            .group_by(week, Touchpoint.author_department, Touchpoint.kind, Touchpoint.source)
        )
    counted = []
    for at in range(0, len(parts), _MOST_PARTS):
        some = parts[at : at + _MOST_PARTS]
        for part, w, department, kind, source, count in session.execute(
            some[0] if len(some) == 1 else union_all(*some)
        ):
            counted.append((int(part), TouchpointCount(int(w), department, kind, source, count)))
    return counted


def _bucket(instant: Any, starts: list[datetime], first: int) -> ColumnElement[int]:
    """Which of `starts` (sorted) `instant` falls after, as nested CASEs that halve the list: a year's 53 weeks
    cost six comparisons a row, not up to 53."""
    if len(starts) == 1:
        return literal(first)
    middle = len(starts) // 2
    return case(
        (instant < starts[middle], _bucket(instant, starts[:middle], first)),
        else_=_bucket(instant, starts[middle:], first + middle),
    )


@dataclass(frozen=True)
class CoverageCount:
    stage: str | None
    departments: int  # distinct departments that touched the customer, 3 meaning three or more; 0: none recorded
    customers: int


def coverage_counts(
    session: Session, workspace_id: int, start: datetime, end: datetime, scope: Scope
) -> list[CoverageCount]:
    """Customers touched in the period, counted by their current stage and by how many departments touched them."""
    touched = (
        select(Touchpoint.customer_id, func.count(Touchpoint.author_department.distinct()).label("departments"))
        .where(*_touchpoints_in(session, workspace_id, start, end, scope), Touchpoint.customer_id.is_not(None))
        .group_by(Touchpoint.customer_id)
        .subquery()
    )
    bucket = case((touched.c.departments >= 3, 3), else_=touched.c.departments)
    rows = session.execute(
        select(Customer.stage, bucket, func.count())
        .join(touched, touched.c.customer_id == Customer.id)
        .where(Customer.workspace_id == workspace_id)
        .group_by(Customer.stage, bucket)
    )
    return [CoverageCount(stage, int(departments), count) for stage, departments, count in rows]


def customers_in_stage_untouched(
    session: Session, workspace_id: int, stage: str, start: datetime, end: datetime, scope: Scope, *, names: int = 5
) -> tuple[int, list[str]]:
    """How many live customers in `stage` have no touchpoint (within the scope) in the period, and a few names.

    The names are the ones touched longest ago (never touched first), for the things worth acting on.
    """
    where = [Customer.workspace_id == workspace_id, Customer.stage == stage, *_live()]
    if scope.customer_id is not None:
        where.append(Customer.id == scope.customer_id)
    untouched = select(Customer.id, Customer.name).where(
        *where, _untouched_in(session, workspace_id, start, end, scope)
    )
    if not names:
        return session.scalar(select(func.count()).select_from(untouched.subquery())) or 0, []
    # One pass: the names in order, each row carrying how many there are in all.
    ordered = session.execute(
        untouched.add_columns(func.count().over().label("total"))
        .order_by(Customer.last_touched_at.asc().nulls_first(), Customer.id)
        .limit(names)
    ).all()
    return (ordered[0].total if ordered else 0), [row.name for row in ordered]


def _untouched_in(session: Session, workspace_id: int, start: datetime, end: datetime, scope: Scope) -> Any:
    """The customer of the outer query has no touchpoint in the period and scope. Its last touch (kept on its row,
    `last_touched_at`) decides most customers without reading a touchpoint: never touched, or last before the
    period, it is untouched; last inside it, touched (unless the scope narrows the touchpoints). Only the rest,
    touched since the period ended (or, narrowed, in it), probe ix_touchpoints_customer."""
    narrowed = scope.department is not None or scope.user_id is not None or scope.tag is not None
    last = Customer.last_touched_at
    undecided = last >= (start if narrowed else end)
    return or_(last.is_(None), last < start, and_(undecided, ~_touched(session, workspace_id, start, end, scope)))


def _touched_at_or_after(session: Session, workspace_id: int, instant: datetime) -> bool:
    """Whether any live touchpoint of the workspace happened at `instant` or later: one step of ix_touchpoints_occurred.
    When none did (a window that ends now), every customer's last touch lies before the window's end."""
    later = select(Touchpoint.id).where(
        Touchpoint.workspace_id == workspace_id, Touchpoint.occurred_at >= instant, Touchpoint.deleted_at.is_(None)
    )
    return session.scalar(select(later.exists())) or False


def _touched(session: Session, workspace_id: int, start: datetime, end: datetime, scope: Scope) -> Any:
    """The customer of the outer query (`customers.id`) has a touchpoint in the period and scope: one probe of
    ix_touchpoints_customer per customer, an anti-join rather than a list of every touched customer
    (which PostgreSQL would rescan per customer once the list outgrows its memory)."""
    return _some(
        Touchpoint.id, *_touchpoints_in(session, workspace_id, start, end, scope), Touchpoint.customer_id == Customer.id
    )


def _touched_customers(session: Session, workspace_id: int, start: datetime, end: datetime, scope: Scope) -> Any:
    """The customers the period's touchpoints (in the scope) name, for `Customer.id.in_(…)`: a semi-join both
    stores answer in one pass over the period, where `_touched` probes once per customer."""
    return select(Touchpoint.customer_id).where(*_touchpoints_in(session, workspace_id, start, end, scope))


# ---------------------------------------------------------------------------------------------------------
# Follow-ups kept
# ---------------------------------------------------------------------------------------------------------

# Whether a follow-up was kept is `bot.followups.rules.kept_on_time` (its due time on the next working day, in the
# viewer's zone), the rule the customer card uses too. The store decides only what is certain whatever the week
# and the clocks: closed (or, open, `now`) within the shortest grace, or after the longest one, given by the
# caller (`GRACE_AT_LEAST`, `GRACE_AT_MOST`) and widened by a second against the store's float arithmetic. The
# rest, "near_done" and "near_open", is read by `follow_ups_near_grace` for the rule to judge.
NEAR_DONE, NEAR_OPEN = "near_done", "near_open"
_MARGIN_S = 1.0


@dataclass(frozen=True)
class FollowUpCount:
    assignee: str
    department: str | None
    outcome: str  # on_time, late, open_overdue, open (its grace not yet over), near_done, near_open
    count: int


def _follow_ups_due(
    session: Session, workspace_id: int, start: datetime, end: datetime, scope: Scope
) -> list[ColumnElement[bool]]:
    where = [
        FollowUp.workspace_id == workspace_id,
        FollowUp.due_at >= start,
        FollowUp.due_at < end,
        FollowUp.status != "cancelled",
        Touchpoint.id == FollowUp.touchpoint_id,
        Touchpoint.workspace_id == workspace_id,
    ]
    if scope.department is not None:
        where.append(Touchpoint.author_department == scope.department)
    if scope.user_id is not None:
        where.append(FollowUp.assignee_user_id == scope.user_id)
    if scope.customer_id is not None:
        where.append(FollowUp.customer_id == scope.customer_id)
    if scope.tag is not None:
        where.append(_has_tag(session, scope.tag))
    return where


def _outcome(dates: _Dates, now: datetime, shortest: timedelta, longest: timedelta) -> ColumnElement[str]:
    surely_kept = shortest.total_seconds() - _MARGIN_S
    surely_past = longest.total_seconds() + _MARGIN_S
    done = FollowUp.status == "done"
    return case(
        (and_(done, dates.within_seconds(FollowUp.due_at, FollowUp.completed_at, surely_kept)), "on_time"),
        (and_(done, ~dates.within_seconds(FollowUp.due_at, FollowUp.completed_at, surely_past)), "late"),
        (done, NEAR_DONE),
        (dates.within_seconds(FollowUp.due_at, _instant(now), surely_kept), "open"),
        (~dates.within_seconds(FollowUp.due_at, _instant(now), surely_past), "open_overdue"),
        else_=NEAR_OPEN,
    )


def follow_up_counts(
    session: Session,
    workspace_id: int,
    start: datetime,
    end: datetime,
    scope: Scope,
    *,
    now: datetime,
    shortest: timedelta,
    longest: timedelta,
) -> list[FollowUpCount]:
    """Follow-ups that fell due in the period (by `now`), counted by assignee, department and outcome.

    The department is the one recorded on the touchpoint that made the follow-up. Outcomes the store cannot
    be sure of are counted as NEAR_DONE and NEAR_OPEN (see above).
    """
    outcome = _outcome(_Dates(session), now, shortest, longest)
    rows = session.execute(
        select(FollowUp.assignee_user_id, Touchpoint.author_department, outcome, func.count())
        .where(*_follow_ups_due(session, workspace_id, start, min(end, now), scope))
        .group_by(FollowUp.assignee_user_id, Touchpoint.author_department, outcome)
    )
    return [FollowUpCount(assignee, department, kind, count) for assignee, department, kind, count in rows]


@dataclass(frozen=True)
class NearGrace:
    assignee: str
    department: str | None
    due_at: datetime
    completed_at: datetime | None  # None: still open


def follow_ups_near_grace(
    session: Session,
    workspace_id: int,
    start: datetime,
    end: datetime,
    scope: Scope,
    *,
    now: datetime,
    shortest: timedelta,
    longest: timedelta,
) -> list[NearGrace]:
    """The follow-ups `follow_up_counts` counted as NEAR_DONE or NEAR_OPEN, for `kept_on_time` to judge."""
    outcome = _outcome(_Dates(session), now, shortest, longest)
    rows = session.execute(
        select(
            FollowUp.assignee_user_id,
            Touchpoint.author_department,
            FollowUp.due_at,
            case((FollowUp.status == "done", FollowUp.completed_at)),
        ).where(
            *_follow_ups_due(session, workspace_id, start, min(end, now), scope), outcome.in_([NEAR_DONE, NEAR_OPEN])
        )
    )
    return [NearGrace(assignee, department, due, completed) for assignee, department, due, completed in rows]


def late_delay_percentiles(
    session: Session,
    workspace_id: int,
    start: datetime,
    end: datetime,
    scope: Scope,
    *,
    now: datetime,
    shortest: timedelta,
    longest: timedelta,
    judged_late_hours: Sequence[float] = (),
    percents: Sequence[int] = (50, 90),
) -> dict[int, float]:
    """The delay in hours (closed minus due) of the follow-ups done late, at each percent, by nearest rank.

    Nearest rank: of n delays in order, the one at position ceil(n × p / 100). The late ones are those the
    store is sure of, ranked in the database with window functions (only the ranks asked for come back), and
    `judged_late_hours`, the near ones `kept_on_time` found late: these are all shorter than the longest grace,
    so they come first in the order.
    """
    judged = sorted(judged_late_hours)
    before = len(judged)
    dates = _Dates(session)
    delay = dates.days_between(FollowUp.due_at, FollowUp.completed_at) * 24.0
    late = (
        select(
            delay.label("hours"),
            func.row_number().over(order_by=delay).label("position"),
            func.count().over().label("n"),
        )
        .where(
            *_follow_ups_due(session, workspace_id, start, min(end, now), scope),
            _outcome(dates, now, shortest, longest) == "late",
        )
        .subquery()
    )
    rank = {percent: ((late.c.n + before) * percent + 99) // 100 - before for percent in percents}
    rows = session.execute(
        select(late.c.position, late.c.n, late.c.hours).where(
            or_(*(late.c.position == wanted for wanted in rank.values()))
        )
    ).all()
    stored = max((n for _, n, _ in rows), default=None)
    if stored is None:  # none of the ranks asked for is in the store: count what it holds
        stored = session.scalar(select(func.count()).select_from(late)) or 0
    found: dict[int, float] = {}
    total = before + stored
    for percent in percents:
        position = (total * percent + 99) // 100
        if not total:
            continue
        if position <= before:
            found[percent] = judged[position - 1]
        else:
            found[percent] = next(float(hours) for at, _, hours in rows if at == position - before)
    return found


@dataclass(frozen=True)
class FollowUpWeekCount:
    week: int  # which of `week_starts` (0 first) the follow-up fell due in
    outcome: str  # as `follow_up_counts` counts it, NEAR_DONE and NEAR_OPEN included
    count: int


def follow_up_counts_by_week(
    session: Session,
    workspace_id: int,
    start: datetime,
    end: datetime,
    scope: Scope,
    week_starts: Sequence[datetime],
    *,
    now: datetime,
    shortest: timedelta,
    longest: timedelta,
) -> list[FollowUpWeekCount]:
    """The follow-ups `follow_up_counts` counts, per week they fell due in instead of per person: the chart's
    lower panel. `week_starts` as in `touchpoint_counts`; NEAR_DONE and NEAR_OPEN are left to the caller to
    judge (`follow_ups_near_grace` lists them)."""
    outcome = _outcome(_Dates(session), now, shortest, longest)
    week = _bucket(FollowUp.due_at, list(week_starts), 0)
    rows = session.execute(
        select(week.label("week"), outcome.label("outcome"), func.count())
        .where(*_follow_ups_due(session, workspace_id, start, min(end, now), scope))
        .group_by(week, outcome)
    )
    return [FollowUpWeekCount(int(w), kind, count) for w, kind, count in rows]


# ---------------------------------------------------------------------------------------------------------
# Quiet customers
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuietCount:
    stage: str | None
    owner: str | None
    customers: int


def quiet_customer_counts(
    session: Session, workspace_id: int, as_of: datetime, quiet_after_days: int, scope: Scope
) -> list[QuietCount]:
    """Live customers, existing at `as_of`, with no touchpoint in the `quiet_after_days` before it, by stage and owner.

    A customer never touched is quiet once it was created that long before. The scope's customer and person
    (as the customer's owner) narrow it; department and tag do not.

    Counted as every such customer less the ones touched in the window, both in one pass over ix_customers_stage:
    a customer's last touch decides whether it was touched, unless it came after the window; only then is it looked
    up: among the window's touched customers (one pass over the window's touchpoints) when the workspace has
    touchpoints after the window, else (the period that ends now) by a probe of its own. Asking each of 100,000
    customers for a touchpoint took a probe each.
    """
    since = as_of - timedelta(days=quiet_after_days)
    where = [Customer.workspace_id == workspace_id, *_live(), Customer.created_at < since]
    if scope.customer_id is not None:
        where.append(Customer.id == scope.customer_id)
    if scope.user_id is not None:
        where.append(Customer.owner_user_id == scope.user_id)
    # Touched in the window: last touched inside it, or after it and found among the window's touchpoints.
    if _touched_at_or_after(session, workspace_id, as_of):  # many may be: the window's customers, gathered once
        found = Customer.id.in_(_touched_customers(session, workspace_id, since, as_of, EVERYTHING))
    else:  # none was; only a touchpoint written since that look can have moved one: probed on its own
        found = _touched(session, workspace_id, since, as_of, EVERYTHING)
    last = Customer.last_touched_at
    touched = and_(last >= since, or_(last < as_of, found))
    rows = session.execute(
        select(Customer.stage, Customer.owner_user_id, func.count(), func.count(case((touched, 1))))
        .where(*where)
        .group_by(Customer.stage, Customer.owner_user_id)
    )
    quiet = ((stage, owner, existing - touched) for stage, owner, existing, touched in rows)
    return [QuietCount(stage, owner, count) for stage, owner, count in quiet if count]


# ---------------------------------------------------------------------------------------------------------
# Stage moves, conversion, churn
# ---------------------------------------------------------------------------------------------------------


def _stage_changes_in(workspace_id: int, start: datetime, end: datetime, scope: Scope) -> list[ColumnElement[bool]]:
    where = [StageChange.workspace_id == workspace_id, StageChange.changed_at >= start, StageChange.changed_at < end]
    if scope.customer_id is not None:
        where.append(StageChange.customer_id == scope.customer_id)
    return where


def stage_move_counts(
    session: Session, workspace_id: int, start: datetime, end: datetime, scope: Scope
) -> dict[tuple[str | None, str | None], int]:
    """Moves from one stage to another in the period, counted per (from, to)."""
    rows = session.execute(
        select(StageChange.from_stage, StageChange.to_stage, func.count())
        .where(*_stage_changes_in(workspace_id, start, end, scope))
        .group_by(StageChange.from_stage, StageChange.to_stage)
    )
    return {(from_stage, to_stage): count for from_stage, to_stage, count in rows}


def stage_conversions(
    session: Session,
    workspace_id: int,
    start: datetime,
    end: datetime,
    scope: Scope,
    stages: Sequence[str],
    *,
    within_days: int = 90,
) -> dict[str, tuple[int, int]]:
    """Per stage but the last: customers that entered it in the period, and how many of them then moved to the
    next stage within `within_days` of entering (of any entry in the period).

    Each entry is joined to the moves into its next stage (an outer join on the customer and that stage), which
    PostgreSQL hashes in one pass where an EXISTS per entry probed the index once each (41 -> 12 ms for 30 days);
    SQLite probes ix_stage_changes_customer either way.
    """
    if len(stages) < 2:
        return {}
    dates = _Dates(session)
    entered = aliased(StageChange)
    later = aliased(StageChange)
    next_stage = case(*((entered.to_stage == stage, stages[i + 1]) for i, stage in enumerate(stages[:-1])))
    reached = and_(
        later.workspace_id == workspace_id,
        later.customer_id == entered.customer_id,
        later.to_stage == next_stage,
        later.changed_at > entered.changed_at,
        later.changed_at >= start,  # implied, and it bounds the moves PostgreSQL hashes
        dates.within_days(entered.changed_at, later.changed_at, within_days),
    )
    where = [
        entered.workspace_id == workspace_id,
        entered.changed_at >= start,
        entered.changed_at < end,
        entered.to_stage.in_(stages[:-1]),
    ]
    if scope.customer_id is not None:
        where.append(entered.customer_id == scope.customer_id)
    rows = session.execute(
        select(entered.to_stage, func.count(entered.customer_id.distinct()), func.count(later.customer_id.distinct()))
        .outerjoin(later, reached)
        .where(*where)
        .group_by(entered.to_stage)
    )
    return {stage: (count, converted) for stage, count, converted in rows}


def churn_after_silence(
    session: Session,
    workspace_id: int,
    start: datetime,
    end: datetime,
    scope: Scope,
    churned: str,
    quiet_after_days: int,
) -> tuple[int, int]:
    """Customers that moved to `churned` in the period, and how many of them had no touchpoint in the
    `quiet_after_days` before the move."""
    dates = _Dates(session)
    heard = _some(
        Touchpoint.id,
        Touchpoint.workspace_id == workspace_id,
        Touchpoint.customer_id == StageChange.customer_id,
        Touchpoint.deleted_at.is_(None),
        Touchpoint.occurred_at < StageChange.changed_at,
        dates.within_days(Touchpoint.occurred_at, StageChange.changed_at, quiet_after_days),
    )
    row = session.execute(
        select(
            func.count(StageChange.customer_id.distinct()),
            func.count(case((~heard, StageChange.customer_id)).distinct()),
        ).where(*_stage_changes_in(workspace_id, start, end, scope), StageChange.to_stage == churned)
    ).one()
    return int(row[0]), int(row[1])


# ---------------------------------------------------------------------------------------------------------
# Sources of new customers
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewCustomers:
    """The customers first touched in a window, counted by what their first touchpoint carried."""

    customers: int
    by_tag: dict[str, tuple[int, int]]  # tag: (customers, of them advanced)
    event: tuple[int, int]  # first touchpoint of kind `event`: (customers, of them advanced)


def new_customer_sources(
    session: Session,
    workspace_id: int,
    windows: Sequence[tuple[datetime, datetime]],
    scope: Scope,
    stages: Sequence[str],
    *,
    within_days: int = 90,
) -> list[NewCustomers]:
    """For each window (`start` included, `end` not; the windows do not overlap), the customers whose first live
    touchpoint ever falls in it, kept when that touchpoint is in the scope: how many, and per tag of that touchpoint
    and for one of kind `event`, how many and how many of those then advanced a stage (to a later one in `stages`)
    within `within_days`.

    The first touchpoints are the store's own record of them (`customer_touches`, kept by triggers, migration
    0019), found by its index on when they happened: grouping every touchpoint of the workspace by customer to
    find each one's first took 115 ms on 1,000,000 touchpoints, for a window of a day as for a year. They are
    counted here too: a year's first touchpoints sent to Python to be counted took longer than finding them.
    """
    if not windows:
        return []
    dates = _Dates(session)
    low, high = min(start for start, _ in windows), max(end for _, end in windows)
    firsts = (
        select(CustomerTouch.first_touchpoint_id.label("touchpoint_id"))
        .where(CustomerTouch.workspace_id == workspace_id, CustomerTouch.first_at >= low, CustomerTouch.first_at < high)
        .subquery()
    )
    rank = {stage: index for index, stage in enumerate(stages)}

    def stage_rank(column: Any) -> ColumnElement[int]:
        return case(*((column == stage, index) for stage, index in rank.items()), else_=-1)

    advanced = _some(
        StageChange.id,
        StageChange.workspace_id == workspace_id,
        StageChange.customer_id == Touchpoint.customer_id,
        StageChange.changed_at >= Touchpoint.occurred_at,
        dates.within_days(Touchpoint.occurred_at, StageChange.changed_at, within_days),
        stage_rank(StageChange.to_stage) > stage_rank(StageChange.from_stage),
        StageChange.from_stage.is_not(None),
    )
    window = case(
        *(
            (and_(Touchpoint.occurred_at >= start, Touchpoint.occurred_at < end), index)
            for index, (start, end) in enumerate(windows)
        )
    )
    found = (
        select(
            window.label("window"),
            Touchpoint.customer_id,
            Touchpoint.kind,
            Touchpoint.tags,
            case((advanced, 1), else_=0).label("advanced"),
        )
        .join(firsts, firsts.c.touchpoint_id == Touchpoint.id)
        .where(*_touchpoints_in(session, workspace_id, low, high, scope))
        .cte("firsts")
    )
    if session.get_bind().dialect.name == "sqlite":
        tag = func.json_each(found.c.tags).table_valued("value")
    else:
        tag = func.json_array_elements_text(found.c.tags).table_valued("value")
    customers, moved = found.c.customer_id, case((found.c.advanced == 1, found.c.customer_id))
    # One first touchpoint a customer, so counting customers once per tag counts a tag written twice once.
    per_tag = (
        select(
            found.c.window, literal("tag"), tag.c.value, func.count(customers.distinct()), func.count(moved.distinct())
        )
        .select_from(found)
        .join(tag, true())
        .group_by(found.c.window, tag.c.value)
    )

    def per_window(what: str) -> Any:
        return select(found.c.window, literal(what), literal(None, String), func.count(), func.count(moved))

    event = per_window("event").where(found.c.kind == "event")
    counted = [NewCustomers(0, {}, (0, 0)) for _ in windows]
    rows = session.execute(
        union_all(per_tag, per_window("all").group_by(found.c.window), event.group_by(found.c.window))
    )
    for index, what, name, total, advanced_too in rows:
        if index is None:  # between two windows that do not meet
            continue
        got = counted[index]
        if what == "tag":
            got.by_tag[name] = (total, advanced_too)
        elif what == "all":
            counted[index] = NewCustomers(total, got.by_tag, got.event)
        else:
            counted[index] = NewCustomers(got.customers, got.by_tag, (total, advanced_too))
    return counted


# ---------------------------------------------------------------------------------------------------------
# What a filter may name
# ---------------------------------------------------------------------------------------------------------


def known_departments(session: Session, workspace_id: int) -> list[str]:
    """Departments people are in or have logged from, in name order."""
    members = select(Member.department.label("name")).where(
        Member.workspace_id == workspace_id, Member.department.is_not(None)
    )
    logged = (
        select(Touchpoint.author_department.label("name"))
        .where(Touchpoint.workspace_id == workspace_id, Touchpoint.author_department.is_not(None))
        .distinct()
    )
    found = union(members, logged).subquery()
    return [name for name in session.scalars(select(found.c.name).order_by(found.c.name)) if name]


def known_people(session: Session, workspace_id: int) -> dict[str, str]:
    """The workspace's members, user id to the name they go by."""
    rows = session.execute(
        select(Member.slack_user_id, Member.name, Member.real_name)
        .where(Member.workspace_id == workspace_id, Member.deleted.is_(False))
        .order_by(Member.name)
    )
    return {user_id: name or real_name or user_id for user_id, name, real_name in rows}


def known_tags(session: Session, workspace_id: int) -> list[str]:
    """Every tag the workspace's touchpoints carry, in order."""
    if session.get_bind().dialect.name == "sqlite":
        query = (
            "SELECT DISTINCT json_each.value FROM touchpoints, json_each(touchpoints.tags) "
            "WHERE touchpoints.workspace_id = :workspace_id AND touchpoints.deleted_at IS NULL ORDER BY 1"
        )
    else:
        query = (
            "SELECT DISTINCT tag.value FROM touchpoints, json_array_elements_text(touchpoints.tags) AS tag(value) "
            "WHERE touchpoints.workspace_id = :workspace_id AND touchpoints.deleted_at IS NULL ORDER BY 1"
        )
    return [str(tag) for tag in session.scalars(text(query), {"workspace_id": workspace_id})]


def customer_names(session: Session, workspace_id: int, customer_ids: Sequence[int]) -> dict[int, str]:
    if not customer_ids:
        return {}
    rows = session.execute(
        select(Customer.id, Customer.name).where(Customer.workspace_id == workspace_id, Customer.id.in_(customer_ids))
    )
    return dict(rows.tuples())
