"""The follow-up look-up every `/log` about a known customer runs is answered from the index of a person's open
follow-ups on SQLite, whatever statistics the store has: a store migrated while empty has none, and SQLite
(unlike PostgreSQL, whose autovacuum analyzes as a table grows) plans by guesses until something runs ANALYZE."""

from __future__ import annotations

from storage import followups as followup_store
from storage.db import create_store_engine
from storage.migrate import upgrade
from tests.helpers import plans_of


def test_a_persons_open_follow_ups_with_a_customer_never_read_the_workspaces_follow_ups_by_date(tmp_path):
    engine = create_store_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    upgrade(engine)

    plan = plans_of(
        engine, lambda session: followup_store.open_follow_up_dues_before(session, 1, "U0ALICE", [1, 2], None)
    )

    assert "ix_follow_ups_assignee" in plan, plan
    assert "ix_follow_ups_due" not in plan, plan
    engine.dispose()
