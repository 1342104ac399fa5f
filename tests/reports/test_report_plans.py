"""The report's passes over the customers read ix_customers_stage alone on SQLite, whatever statistics the store
has: a store migrated while empty has none, and SQLite plans by guesses until something runs ANALYZE. Read row by
row through another index (ix_customers_merged_into answers `merged_into_id IS NULL` too) and then sorted, the
same counts took four times as long (migration 0017's note), and the customers' last touch (migration 0020) is
only in this index. The quiet customers' pass is held on PostgreSQL too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage import reports as report_store
from storage.db import create_store_engine
from storage.migrate import upgrade
from tests.helpers import plans_of

END = datetime(2026, 12, 1, tzinfo=UTC)
START = END - timedelta(days=30)


@pytest.fixture
def fresh(tmp_path):
    engine = create_store_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def customer_plans(plan: str) -> list[str]:
    return [line for line in plan.splitlines() if " customers " in f" {line} "]


def test_quiet_customers_are_counted_from_the_stage_index_alone(engine):
    """On the store the suite runs on, migrated empty: on PostgreSQL too, whose indexes hold only their columns, so
    that without the id in ix_customers_stage (migration 0021) each customer was read from the table (126 MB
    against 7 MB of index on 100,000 customers)."""
    plan = plans_of(
        engine, lambda session: report_store.quiet_customer_counts(session, 1, END, 30, report_store.EVERYTHING)
    )

    if engine.dialect.name == "sqlite":
        from_index = "SEARCH customers USING COVERING INDEX ix_customers_stage (workspace_id=?)"
        assert customer_plans(plan) == [from_index], plan
    else:
        assert "Index Only Scan using ix_customers_stage on customers" in plan, plan


@pytest.mark.parametrize("scope", [report_store.EVERYTHING, report_store.Scope(department="Sales")])
def test_untouched_customers_of_a_stage_are_found_from_the_stage_index(fresh, scope):
    plan = plans_of(
        fresh,
        lambda session: report_store.customers_in_stage_untouched(session, 1, "active", START, END, scope),
    )

    by_stage = "SEARCH customers USING INDEX ix_customers_stage (workspace_id=? AND stage=?)"
    assert customer_plans(plan) == [by_stage], plan
    assert "SCAN touchpoints" not in plan, plan
