"""The touchpoints' day counts (storage.day_counts): kept by the store's triggers through every write, folded
once each however many processes fold, and read by the report to the same figures as counting every touchpoint."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.reports.periods import read_period
from storage import day_counts
from storage import reports as report_store
from storage.db import make_session_factory
from storage.models import Touchpoint, TouchpointCountChange, TouchpointDayCount, Workspace
from tests.helpers import run_at_once

KINDS = ("call", "email", "meeting", "event")
SOURCES = ("command", "modal", "import", "api")
DEPARTMENTS = ("Sales", "Support", None)
MADE_AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def sessions(engine):
    return make_session_factory(engine)


@pytest.fixture
def workspace_id(sessions) -> int:
    with sessions.begin() as session:
        workspace = Workspace(team_id="T0COUNTS", name="Counts")
        session.add(workspace)
        session.flush()
        return workspace.id


def add_touchpoints(sessions, workspace_id: int, count: int, rng: random.Random, since: datetime) -> list[int]:
    """`count` touchpoints at random instants in the 100 days from `since`, spread over departments, kinds, sources."""
    with sessions.begin() as session:
        rows = [
            Touchpoint(
                workspace_id=workspace_id,
                author_user_id="U0ANNA",
                author_department=rng.choice(DEPARTMENTS),
                kind=rng.choice(KINDS),
                summary="",
                occurred_at=since + timedelta(seconds=rng.randrange(100 * 86400)),
                source=rng.choice(SOURCES),
            )
            for _ in range(count)
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def counted_one_by_one(session: Session, workspace_id: int) -> Counter:
    """What the day counts must say: the live touchpoints, counted in Python by UTC day, department, kind, source."""
    rows = session.execute(
        select(Touchpoint.occurred_at, Touchpoint.author_department, Touchpoint.kind, Touchpoint.source).where(
            Touchpoint.workspace_id == workspace_id, Touchpoint.deleted_at.is_(None)
        )
    )
    return Counter((at.astimezone(UTC).date(), dep or "", kind, source) for at, dep, kind, source in rows)


def kept_by_the_store(session: Session, workspace_id: int) -> Counter:
    """The day counts with the changes not folded yet: what a report reads."""
    found: Counter = Counter()
    for table, amount in (
        (TouchpointDayCount, TouchpointDayCount.touchpoints),
        (TouchpointCountChange, TouchpointCountChange.change),
    ):
        for day, dep, kind, source, n in session.execute(
            select(table.day, table.department, table.kind, table.source, amount).where(
                table.workspace_id == workspace_id
            )
        ):
            found[(day, dep, kind, source)] += n
    return +found  # days whose touchpoints all went count nothing


def test_the_day_counts_follow_every_write_to_the_touchpoints_folded_or_not(sessions, workspace_id):
    rng = random.Random(3)
    ids = add_touchpoints(sessions, workspace_id, 200, rng, datetime(2026, 9, 1, tzinfo=UTC))
    deleted, restored, rekinded, moved, hard_deleted = ids[:10], ids[5:8], ids[20:30], ids[30:40], ids[40:45]
    steps = [
        update(Touchpoint).where(Touchpoint.id.in_(deleted)).values(deleted_at=MADE_AT),
        update(Touchpoint).where(Touchpoint.id.in_(deleted[:2])).values(deleted_at=MADE_AT + timedelta(hours=1)),
        update(Touchpoint).where(Touchpoint.id.in_(restored)).values(deleted_at=None),
        update(Touchpoint).where(Touchpoint.id.in_(rekinded)).values(kind="visit", source="shortcut"),
        update(Touchpoint).where(Touchpoint.id.in_(rekinded[:3])).values(author_department="Finance"),
        update(Touchpoint)
        .where(Touchpoint.id.in_(moved))
        .values(occurred_at=datetime(2026, 12, 1, 23, 30, tzinfo=UTC)),
        update(Touchpoint).where(Touchpoint.id.in_(ids[50:60])).values(summary="edited: counts nothing"),
        delete(Touchpoint).where(Touchpoint.id.in_(hard_deleted)),
    ]
    for number, step in enumerate(steps):
        with sessions.begin() as session:
            session.execute(step)
        if number % 3 == 1:  # some changes folded, others still waiting beside them
            assert day_counts.fold_all(sessions) > 0
        with sessions() as session:
            assert kept_by_the_store(session, workspace_id) == counted_one_by_one(session, workspace_id), number
    day_counts.fold_all(sessions)
    with sessions() as session:
        assert session.scalar(select(TouchpointCountChange.id).limit(1)) is None
        assert kept_by_the_store(session, workspace_id) == counted_one_by_one(session, workspace_id)


def test_two_processes_folding_at_once_add_each_change_once(sessions, workspace_id):
    add_touchpoints(sessions, workspace_id, 3000, random.Random(5), datetime(2026, 9, 1, tzinfo=UTC))

    def fold() -> None:
        while True:
            with sessions.begin() as session:
                if not day_counts.fold_count_changes(session, most=250):
                    return

    failures = run_at_once([fold, fold])

    assert failures == []
    with sessions() as session:
        assert session.scalar(select(TouchpointCountChange.id).limit(1)) is None
        assert kept_by_the_store(session, workspace_id) == counted_one_by_one(session, workspace_id)


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Asia/Kolkata", "America/New_York", "UTC"])
@pytest.mark.parametrize("words", ["last 30 days", "last 90 days", "this week", "yesterday"])
@pytest.mark.parametrize("department", [None, "Sales"])
def test_a_period_counted_from_the_day_counts_matches_every_touchpoint_counted(
    sessions, workspace_id, zone, words, department
):
    rng = random.Random(f"{zone}{words}{department}")
    add_touchpoints(sessions, workspace_id, 1500, rng, MADE_AT - timedelta(days=95))
    day_counts.fold_all(sessions)
    add_touchpoints(sessions, workspace_id, 300, rng, MADE_AT - timedelta(days=95))  # not folded yet
    period, _ = read_period(words, MADE_AT, ZoneInfo(zone))
    weeks = [start for _, start, _ in period.weeks()]
    scope = report_store.Scope(department=department)

    with sessions() as session:
        from_days = report_store.touchpoint_counts(session, workspace_id, period.start, period.end, scope, weeks)
        one_by_one = report_store._touchpoints_counted(
            session, workspace_id, [(period.start, period.end)], scope, weeks
        )

    assert from_days == one_by_one
    assert sum(from_days.by_week_department.values()) == sum(from_days.by_kind_source.values()) > 0


def test_whole_days_leave_the_hours_a_berlin_week_or_period_begins_in_to_the_touchpoints():
    # Berlin's midnight is 23:00 UTC: the period's first and last hours, and each Monday's, split a UTC day.
    start, end = datetime(2026, 11, 1, 23, tzinfo=UTC), datetime(2026, 11, 30, 23, tzinfo=UTC)
    weeks = [start, *(datetime(2026, 11, day, 23, tzinfo=UTC) for day in (8, 15, 22, 29))]

    days = day_counts.whole_days(start, end, weeks)

    assert (days.first, days.last) == (date(2026, 11, 2), date(2026, 11, 29))
    assert days.rest == [(start, datetime(2026, 11, 2, tzinfo=UTC)), (datetime(2026, 11, 30, tzinfo=UTC), end)]
    # Each Sunday counts whole in the week ending on it; its last hour, Monday's in Berlin, moves to the next week.
    assert days.week_from == [date(2026, 11, day) for day in (2, 9, 16, 23, 30)]
    assert days.moved == [
        (datetime(2026, 11, day, 23, tzinfo=UTC), datetime(2026, 11, day + 1, tzinfo=UTC), week)
        for week, day in enumerate((8, 15, 22, 29))
    ]


def test_a_day_a_week_begins_early_in_counts_in_the_later_week_less_its_first_hours():
    # Los Angeles' midnight is 08:00 UTC in winter: most of that UTC day belongs to the week it begins.
    start, end = datetime(2026, 11, 2, 8, tzinfo=UTC), datetime(2026, 11, 16, 8, tzinfo=UTC)
    weeks = [start, datetime(2026, 11, 9, 8, tzinfo=UTC)]

    days = day_counts.whole_days(start, end, weeks)

    assert (days.first, days.last) == (date(2026, 11, 3), date(2026, 11, 15))
    assert days.week_from == [date(2026, 11, 3), date(2026, 11, 9)]
    assert days.moved == [(datetime(2026, 11, 9, tzinfo=UTC), datetime(2026, 11, 9, 8, tzinfo=UTC), 1)]


def test_a_period_shorter_than_a_utc_day_reads_only_the_touchpoints():
    start, end = datetime(2026, 11, 2, 8, tzinfo=UTC), datetime(2026, 11, 3, 7, tzinfo=UTC)

    days = day_counts.whole_days(start, end, [start])

    assert (days.first, days.last, days.rest, days.moved) == (None, None, [(start, end)], [])


def test_a_decade_counted_by_weeks_stays_inside_sqlites_limits_and_matches_every_touchpoint_counted(
    sessions, workspace_id
):
    rng = random.Random(11)
    add_touchpoints(sessions, workspace_id, 400, rng, datetime(2017, 1, 1, tzinfo=UTC))
    add_touchpoints(sessions, workspace_id, 400, rng, datetime(2026, 8, 1, tzinfo=UTC))
    day_counts.fold_all(sessions)
    period, _ = read_period("2016-12-01..2026-11-30", MADE_AT, ZoneInfo("Europe/Berlin"))
    weeks = [start for _, start, _ in period.weeks()]
    assert len(weeks) > 500  # more Mondays than SQLite takes SELECTs in one compound

    with sessions() as session:
        from_days = report_store.touchpoint_counts(
            session, workspace_id, period.start, period.end, report_store.EVERYTHING, weeks
        )
        one_by_one = report_store._touchpoints_counted(
            session, workspace_id, [(period.start, period.end)], report_store.EVERYTHING, weeks
        )

    assert from_days == one_by_one
    assert sum(from_days.by_week_department.values()) == sum(from_days.by_kind_source.values()) == 800
