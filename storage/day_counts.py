"""The live touchpoints counted per UTC day, author's department, kind and source, so that a report reads a
period's whole days from a few hundred rows a day instead of every touchpoint in them.

Kept by the store itself (migration 0018): triggers on `touchpoints` append a change (+1, or -1 and +1 when a
touchpoint is deleted, restored, moved to another day or given another kind) to `touchpoint_count_changes` for
every insert, update and delete, whichever code path made it. Appending conflicts with nothing, so writers never
wait on each other for a counter. `fold_count_changes` (the scheduler's worker, every `FOLD_EVERY_S`) moves the
changes into `touchpoint_day_counts`: the rows it deletes (`DELETE … RETURNING`) are the ones it adds, so two
processes folding at once add each change once, and their upserts go in one order, so they never deadlock. A
reader adds the day counts and the changes not folded yet: right whether or not a worker runs, fast once it does.

Days are UTC days; a report's period and weeks begin at the viewer's midnight. `whole_days` says which UTC days
lie whole inside a period and inside one week; the rest of the period (its first and last hours, the days a week
begins on) is counted from the touchpoints themselves (`storage.reports.touchpoint_counts`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, delete, func, literal, select, union_all
from sqlalchemy.orm import Session

from storage.models import TouchpointCountChange, TouchpointDayCount

FOLD_EVERY_S = 30.0
FOLD_MOST = 10_000  # changes moved per transaction: an import's 100,000 fold in ten short ones


def fold_count_changes(session: Session, *, most: int = FOLD_MOST) -> int:
    """Move up to `most` of the oldest changes into the day counts; how many were moved."""
    oldest = select(TouchpointCountChange.id).order_by(TouchpointCountChange.id).limit(most)
    moved = session.execute(
        delete(TouchpointCountChange)
        .where(TouchpointCountChange.id.in_(oldest.scalar_subquery()))
        .returning(
            TouchpointCountChange.workspace_id,
            TouchpointCountChange.day,
            TouchpointCountChange.department,
            TouchpointCountChange.kind,
            TouchpointCountChange.source,
            TouchpointCountChange.change,
        )
    ).all()
    sums: Counter[tuple[int, date, str, str, str]] = Counter()
    for workspace_id, day, department, kind, source, change in moved:
        sums[(workspace_id, day, department, kind, source)] += change
    rows = [
        {"workspace_id": w, "day": d, "department": dep, "kind": k, "source": s, "touchpoints": n}
        for (w, d, dep, k, s), n in sorted(sums.items())  # one order for every folder: no deadlock between two
        if n
    ]
    if rows:
        if session.get_bind().dialect.name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        upsert = insert(TouchpointDayCount).values(rows)
        session.execute(
            upsert.on_conflict_do_update(
                index_elements=["workspace_id", "day", "department", "kind", "source"],
                set_={"touchpoints": TouchpointDayCount.touchpoints + upsert.excluded.touchpoints},
            )
        )
    return len(moved)


def fold_all(sessions: Any) -> int:
    """Fold every change there is, a transaction per `FOLD_MOST`: the scheduler's job, and `touchpoint nudge`'s."""
    total = 0
    while True:
        with sessions.begin() as session:
            moved = fold_count_changes(session)
        total += moved
        if moved < FOLD_MOST:
            return total


@dataclass(frozen=True)
class WholeDays:
    """The UTC days [first, last] that lie whole inside a period, each inside one of its weeks, and the stretches
    of the period ([start, end) instants) outside them, to be counted from the touchpoints."""

    first: date | None
    last: date | None
    split: list[date]  # the days between `first` and `last` a week begins inside: not whole, read from `rest`
    week_from: list[date]  # week i's whole days are those from week_from[i] on (before week_from[i + 1])
    rest: list[tuple[datetime, datetime]]


def whole_days(start: datetime, end: datetime, week_starts: Sequence[datetime]) -> WholeDays:
    """Which of the period's UTC days can be read from the day counts: those between its first and last UTC
    midnight that no week begins inside (a week beginning at 23:00 UTC splits that day)."""
    splits = {instant for instant in week_starts[1:] if not _midnight(instant)}
    day = _next_midnight(start)
    whole: list[date] = []
    split: list[date] = []
    while day + timedelta(days=1) <= end:
        inside = any(day < instant < day + timedelta(days=1) for instant in splits)
        (split if inside else whole).append(day.date())
        day += timedelta(days=1)
    rest: list[tuple[datetime, datetime]] = []
    cursor = start
    for each in whole:
        begins = datetime.combine(each, time(0), tzinfo=UTC)
        if cursor < begins:
            rest.append((cursor, begins))
        cursor = begins + timedelta(days=1)
    if cursor < end:
        rest.append((cursor, end))
    week_from = [_next_midnight(instant).date() for instant in week_starts]
    first, last = (whole[0], whole[-1]) if whole else (None, None)
    between = [each for each in split if first is not None and last is not None and first < each < last]
    return WholeDays(first, last, between, week_from, rest)


def _midnight(instant: datetime) -> bool:
    return instant.astimezone(UTC).time() == time(0)


def _next_midnight(instant: datetime) -> datetime:
    """The first UTC midnight at or after `instant`."""
    at = instant.astimezone(UTC)
    midnight = datetime.combine(at.date(), time(0), tzinfo=UTC)
    return midnight if midnight == at else midnight + timedelta(days=1)


def day_counts(
    session: Session, workspace_id: int, days: WholeDays, department: str | None
) -> list[tuple[int, str | None, str, str, int]]:
    """(week, department, kind, source, touchpoints) over the whole days, the day counts and the changes not
    folded yet added; the department None where none was recorded."""
    if days.first is None or days.last is None:
        return []

    def grouped(table: Any, amount: Any) -> Any:
        where = [table.workspace_id == workspace_id, table.day >= days.first, table.day <= days.last]
        if days.split:
            where.append(table.day.not_in(days.split))
        if department is not None:
            where.append(table.department == department)
        week = _week_of(table.day, days.week_from, 0)
        return (
            select(week.label("week"), table.department, table.kind, table.source, func.sum(amount).label("n"))
            .where(*where)
            .group_by(week, table.department, table.kind, table.source)
        )

    both = union_all(
        grouped(TouchpointDayCount, TouchpointDayCount.touchpoints),
        grouped(TouchpointCountChange, TouchpointCountChange.change),
    ).subquery()
    rows = session.execute(
        select(both.c.week, both.c.department, both.c.kind, both.c.source, func.sum(both.c.n)).group_by(
            both.c.week, both.c.department, both.c.kind, both.c.source
        )
    )
    return [(int(week), dep or None, kind, source, int(n)) for week, dep, kind, source, n in rows if n]


def _week_of(day: Any, week_from: list[date], first: int) -> ColumnElement[int]:
    """Which week a whole day is in, as nested CASEs halving the list (a year's 53 weeks: six comparisons)."""
    if len(week_from) == 1:
        return literal(first)
    middle = len(week_from) // 2
    return case(
        (day < week_from[middle], _week_of(day, week_from[:middle], first)),
        else_=_week_of(day, week_from[middle:], first + middle),
    )
