"""Each customer's first and last live touchpoint (customer_touches), and the last one's copy on the customer's
row (customers.last_touched_at): kept by the store's triggers through every write to the touchpoints, whichever
code made it, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import functools
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage import reports as report_store
from storage.db import make_session_factory
from storage.models import Customer, CustomerTouch, Touchpoint, Workspace
from tests.helpers import run_at_once

MADE_AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def sessions(engine):
    return make_session_factory(engine)


@pytest.fixture
def customers(sessions) -> tuple[int, list[int]]:
    """A workspace and its six customers."""
    with sessions.begin() as session:
        workspace = Workspace(team_id="T0TOUCHES", name="Touches")
        session.add(workspace)
        session.flush()
        rows = [
            Customer(workspace_id=workspace.id, name=f"Customer {n}", name_key=f"customer {n}", created_at=MADE_AT)
            for n in range(6)
        ]
        session.add_all(rows)
        session.flush()
        return workspace.id, [row.id for row in rows]


def touchpoint(workspace_id: int, customer_id: int | None, at: datetime, department: str | None = None) -> Touchpoint:
    return Touchpoint(
        workspace_id=workspace_id,
        customer_id=customer_id,
        author_user_id="U0ANNA",
        author_department=department,
        kind="call",
        summary="",
        occurred_at=at,
        source="command",
    )


def add_touches(sessions, workspace_id: int, touches: list[tuple[int, str | None, datetime]]) -> None:
    """Touchpoints of (customer, department, when)."""
    with sessions.begin() as session:
        session.add_all(touchpoint(workspace_id, customer, at, department) for customer, department, at in touches)


def add_touchpoints(sessions, workspace_id: int, customer_ids: list[int | None], rng: random.Random) -> list[int]:
    with sessions.begin() as session:
        # Whole hours over a month, so that two of a customer's touchpoints often share an instant.
        rows = [
            touchpoint(
                workspace_id,
                customer_id,
                datetime(2026, 10, 1, tzinfo=UTC) + timedelta(hours=rng.randrange(30 * 24) // 24 * 24),
            )
            for customer_id in customer_ids
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def worked_out(session: Session, workspace_id: int) -> dict[int, tuple[int, datetime, datetime]]:
    """What the table must say: per customer, its first live touchpoint (by instant, then id) and its last instant."""
    bounds: dict[int, tuple[int, datetime, datetime]] = {}
    rows = session.execute(
        select(Touchpoint.customer_id, Touchpoint.id, Touchpoint.occurred_at)
        .where(
            Touchpoint.workspace_id == workspace_id,
            Touchpoint.deleted_at.is_(None),
            Touchpoint.customer_id.is_not(None),
        )
        .order_by(Touchpoint.occurred_at, Touchpoint.id)
    )
    for customer_id, touchpoint_id, at in rows:
        first_id, first_at, _ = bounds.get(customer_id, (touchpoint_id, at, at))
        bounds[customer_id] = (first_id, first_at, at)
    return bounds


def kept(session: Session, workspace_id: int) -> dict[int, tuple[int, datetime, datetime]]:
    rows = session.execute(
        select(
            CustomerTouch.customer_id, CustomerTouch.first_touchpoint_id, CustomerTouch.first_at, CustomerTouch.last_at
        ).where(CustomerTouch.workspace_id == workspace_id)
    )
    return {customer_id: (first_id, first_at, last_at) for customer_id, first_id, first_at, last_at in rows}


def copied(session: Session, workspace_id: int) -> dict[int, datetime | None]:
    """Every customer's last touch as its own row holds it."""
    rows = session.execute(select(Customer.id, Customer.last_touched_at).where(Customer.workspace_id == workspace_id))
    return {customer_id: at for customer_id, at in rows}


def as_kept(session: Session, workspace_id: int) -> dict[int, tuple[int, datetime, datetime]]:
    """The table's rows, once each customer's row is found to hold the same last touch (None: never touched)."""
    found = kept(session, workspace_id)
    assert copied(session, workspace_id) == {
        customer_id: found[customer_id][2] if customer_id in found else None
        for customer_id in copied(session, workspace_id)
    }
    return found


def test_the_first_and_last_touch_follow_every_write_to_the_touchpoints(sessions, customers):
    workspace_id, customer_ids = customers
    rng = random.Random(5)
    ids = add_touchpoints(sessions, workspace_id, [rng.choice([*customer_ids[:5], None]) for _ in range(120)], rng)
    with sessions() as session:
        firsts = {first for first, _, _ in worked_out(session, workspace_id).values()}
    first_ones = sorted(firsts)
    steps = [
        update(Touchpoint).where(Touchpoint.id.in_(first_ones[:2])).values(deleted_at=MADE_AT),  # the first goes
        update(Touchpoint).where(Touchpoint.id.in_(first_ones[:1])).values(deleted_at=MADE_AT + timedelta(hours=1)),
        update(Touchpoint).where(Touchpoint.id == first_ones[0]).values(deleted_at=None),  # and comes back
        update(Touchpoint).where(Touchpoint.id.in_(ids[10:20])).values(customer_id=customer_ids[5]),  # fixed later
        update(Touchpoint).where(Touchpoint.id.in_(ids[20:25])).values(customer_id=None),
        update(Touchpoint).where(Touchpoint.id.in_(ids[25:30])).values(occurred_at=datetime(2026, 9, 1, tzinfo=UTC)),
        update(Touchpoint).where(Touchpoint.id.in_(ids[30:35])).values(occurred_at=datetime(2026, 12, 1, tzinfo=UTC)),
        update(Touchpoint).where(Touchpoint.id.in_(ids[40:50])).values(summary="edited: moves nothing"),
        # A merge moves every touchpoint of one customer onto another.
        update(Touchpoint).where(Touchpoint.customer_id == customer_ids[1]).values(customer_id=customer_ids[0]),
        delete(Touchpoint).where(Touchpoint.id.in_(ids[50:60])),
        # Every touchpoint of a customer deleted: it has no first touchpoint any more.
        update(Touchpoint).where(Touchpoint.customer_id == customer_ids[2]).values(deleted_at=MADE_AT),
    ]
    for number, step in enumerate(steps):
        with sessions.begin() as session:
            session.execute(step)
        with sessions() as session:
            assert as_kept(session, workspace_id) == worked_out(session, workspace_id), number
    add_touchpoints(sessions, workspace_id, [customer_ids[2], customer_ids[3], None], rng)  # back, and earlier ones
    with sessions() as session:
        assert customer_ids[2] in as_kept(session, workspace_id)
        assert customer_ids[1] not in as_kept(session, workspace_id)
        assert as_kept(session, workspace_id) == worked_out(session, workspace_id)


def test_writers_at_once_on_one_customer_leave_its_bounds_right(sessions, customers):
    workspace_id, customer_ids = customers

    def write(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(15):
            ids = add_touchpoints(sessions, workspace_id, [customer_ids[0], customer_ids[1]], rng)
            with sessions.begin() as session:
                session.execute(update(Touchpoint).where(Touchpoint.id == ids[0]).values(deleted_at=MADE_AT))

    failures = run_at_once([functools.partial(write, seed) for seed in range(4)])

    assert failures == []
    with sessions() as session:
        assert as_kept(session, workspace_id) == worked_out(session, workspace_id)


def test_active_customers_untouched_in_a_period_are_told_by_their_last_touch_or_a_probe(sessions, customers):
    workspace_id, ids = customers
    start, end = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
    touches = [  # (customer, department, when)
        (ids[1], "Sales", datetime(2026, 9, 1, tzinfo=UTC)),  # last touched before the period
        (ids[2], "Sales", datetime(2026, 10, 10, tzinfo=UTC)),  # in it, by Sales only
        (ids[3], "Sales", datetime(2026, 11, 20, tzinfo=UTC)),  # after it only
        (ids[4], "Support", datetime(2026, 10, 5, tzinfo=UTC)),  # in it, and after it
        (ids[4], "Sales", datetime(2026, 11, 25, tzinfo=UTC)),
    ]
    with sessions.begin() as session:
        session.execute(update(Customer).where(Customer.id.in_(ids[:5])).values(stage="active"))
    add_touches(sessions, workspace_id, touches)

    def untouched(scope: report_store.Scope, names: int = 5) -> tuple[int, list[str]]:
        with sessions() as session:
            return report_store.customers_in_stage_untouched(
                session, workspace_id, "active", start, end, scope, names=names
            )

    # Never touched first, then the one touched longest ago.
    assert untouched(report_store.EVERYTHING) == (3, ["Customer 0", "Customer 1", "Customer 3"])
    assert untouched(report_store.EVERYTHING, names=0) == (3, [])
    # Narrowed to Support, Sales' touch in the period does not count.
    assert untouched(report_store.Scope(department="Support")) == (
        4,
        ["Customer 0", "Customer 1", "Customer 2", "Customer 3"],
    )


@pytest.mark.parametrize("later_seen", [True, False])
def test_quiet_customers_are_told_by_their_last_touch_or_looked_up(sessions, customers, monkeypatch, later_seen):
    """A customer last touched after the window is looked up, among the window's touched customers when the
    workspace has touchpoints after it, else (a touchpoint written while the report runs) by a probe of its own:
    either way the same count."""
    workspace_id, ids = customers
    as_of = datetime(2027, 2, 1, tzinfo=UTC)  # the window: the 30 days before
    touches = [  # (customer, department, when); Customers 0 and 5: never touched, quiet
        (ids[1], None, datetime(2027, 1, 10, tzinfo=UTC)),  # in the window
        (ids[2], None, datetime(2026, 12, 20, tzinfo=UTC)),  # before it only: quiet
        (ids[3], None, datetime(2027, 1, 20, tzinfo=UTC)),  # in it, and after it
        (ids[3], None, datetime(2027, 3, 1, tzinfo=UTC)),
        (ids[4], None, datetime(2027, 3, 5, tzinfo=UTC)),  # after it only: quiet
    ]
    add_touches(sessions, workspace_id, touches)
    monkeypatch.setattr(report_store, "_touched_at_or_after", lambda *_args: later_seen)

    with sessions() as session:
        quiet = report_store.quiet_customer_counts(session, workspace_id, as_of, 30, report_store.EVERYTHING)

    assert sum(row.customers for row in quiet) == 4
