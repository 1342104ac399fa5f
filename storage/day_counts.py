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
lie whole inside a period, each counted in the week that holds most of it; the period's first and last hours, and
the smaller part of a day a week begins inside, are counted from the touchpoints themselves
(`storage.reports.touchpoint_counts`): an hour or a few, where a whole day was.
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
    """The UTC days [first, last] that lie whole inside a period, read from the day counts, and the stretches of
    the period ([start, end) instants) to be read from the touchpoints.

    A day a week begins inside (at 23:00 UTC for Berlin) is counted whole in the week that has most of it, and
    its smaller part is read from the touchpoints too: added to its own week and taken off the week the day
    counted in (`moved`), so an hour is read where the whole day used to be.
    """

    first: date | None
    last: date | None
    week_from: list[date]  # week i's whole days are those from week_from[i] on (before week_from[i + 1])
    rest: list[tuple[datetime, datetime]]  # outside the whole days: the period's first and last hours
    moved: list[tuple[datetime, datetime, int]]  # a split day's smaller part, and the week its day counted in


def whole_days(start: datetime, end: datetime, week_starts: Sequence[datetime]) -> WholeDays:
    """Which of the period's UTC days can be read from the day counts: every one between its first and last UTC
    midnight, each in the week holding most of it."""
    first_midnight = _next_midnight(start)
    days = (end - first_midnight).days if end > first_midnight else 0
    if days < 1:
        return WholeDays(None, None, [first_midnight.date()], [(start, end)], [])
    last_midnight = first_midnight + timedelta(days=days)  # the end of the last whole day
    week_from = [first_midnight.date()]
    moved: list[tuple[datetime, datetime, int]] = []
    for week, begins in enumerate(week_starts[1:], start=1):
        midnight = datetime.combine(begins.astimezone(UTC).date(), time(0), tzinfo=UTC)
        if midnight == begins or not first_midnight <= midnight < last_midnight:
            # At a midnight, or in the period's first or last hours (read from the touchpoints, week by week).
            week_from.append(_next_midnight(begins).date())
        elif begins - midnight <= timedelta(hours=12):  # the later week has most of the day
            week_from.append(midnight.date())
            moved.append((midnight, begins, week))
        else:
            week_from.append(midnight.date() + timedelta(days=1))
            moved.append((begins, midnight + timedelta(days=1), week - 1))
    rest = [(start, first_midnight)] if start < first_midnight else []
    if last_midnight < end:
        rest.append((last_midnight, end))
    return WholeDays(first_midnight.date(), (last_midnight - timedelta(days=1)).date(), week_from, rest, moved)


def _next_midnight(instant: datetime) -> datetime:
    """The first UTC midnight at or after `instant`."""
    at = instant.astimezone(UTC)
    midnight = datetime.combine(at.date(), time(0), tzinfo=UTC)
    return midnight if midnight == at else midnight + timedelta(days=1)


def day_counts(
    session: Session, workspace_id: int, days: WholeDays, department: str | None
) -> tuple[list[tuple[int, str | None, int]], list[tuple[str, str, int]]]:
    """The whole days' touchpoints, the day counts and the changes not folded yet added, counted two ways:
    (week, department, touchpoints), the department None where none was recorded, and (kind, source,
    touchpoints). Not their cross product: a year's is 17,000 rows, these two a few hundred."""
    if days.first is None or days.last is None:
        return [], []

    def summed(*keys: str) -> list[Any]:
        def grouped(table: Any, amount: Any) -> Any:
            where = [table.workspace_id == workspace_id, table.day >= days.first, table.day <= days.last]
            if department is not None:
                where.append(table.department == department)
            columns = {"week": _week_of(table.day, days.week_from, 0), "department": table.department}
            columns |= {"kind": table.kind, "source": table.source}
            picked = [columns[key].label(key) for key in keys]
            return select(*picked, func.sum(amount).label("n")).where(*where).group_by(*picked)

        both = union_all(
            grouped(TouchpointDayCount, TouchpointDayCount.touchpoints),
            grouped(TouchpointCountChange, TouchpointCountChange.change),
        ).subquery()
        picked = [both.c[key] for key in keys]
        return [row for row in session.execute(select(*picked, func.sum(both.c.n)).group_by(*picked)) if row[-1]]

    weekly = [(int(week), department or None, int(n)) for week, department, n in summed("week", "department")]
    kinds = [(kind, source, int(n)) for kind, source, n in summed("kind", "source")]
    return weekly, kinds


def _week_of(day: Any, week_from: list[date], first: int) -> ColumnElement[int]:
    """Which week a whole day is in, as nested CASEs halving the list (a year's 53 weeks: six comparisons)."""
    if len(week_from) == 1:
        return literal(first)
    middle = len(week_from) // 2
    return case(
        (day < week_from[middle], _week_of(day, week_from[:middle], first)),
        else_=_week_of(day, week_from[middle:], first + middle),
    )
