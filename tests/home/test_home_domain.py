"""What the Home gathers, as plain data with `now` passed in: which owned customers have gone quiet."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.home import QUIET_SHOWN, home_for
from storage.customers import add_customer
from storage.models import Touchpoint
from storage.workspaces import workspace_for_team
from tests.conftest import START, TEAM

QUIET_DAYS = 30


@pytest.fixture
def store(runtime):
    """A writer session on TEAM's workspace: (session, workspace id)."""
    with runtime.sessions.begin() as session:
        yield session, workspace_for_team(session, TEAM).id


def customer(store, name: str, *, owner: str = "U0ALICE", added_days_ago: int = 100, **extra) -> int:
    session, workspace_id = store
    row = add_customer(session, workspace_id, name, owner_user_id=owner, now=START - timedelta(days=added_days_ago))
    for field, value in extra.items():  # merged_into_id, deleted_at: set as a merge or a delete leaves them
        setattr(row, field, value)
    session.flush()
    return row.id


def touch(store, customer_id: int, ago: timedelta, *, author: str = "U0BOB", **extra) -> None:
    session, workspace_id = store
    session.add(
        Touchpoint(
            workspace_id=workspace_id,
            customer_id=customer_id,
            author_user_id=author,
            kind="call",
            summary="a call",
            occurred_at=START - ago,
            source="command",
            **extra,
        )
    )
    session.flush()


def quiet_names(store, user: str = "U0ALICE", days: int = QUIET_DAYS) -> list[str]:
    session, workspace_id = store
    home = home_for(session, workspace_id, user, now=START, quiet_after_days=days)
    return [c.name for c in home.quiet]


def test_quiet_means_untouched_for_longer_than_the_threshold(store):
    warm = customer(store, "Warm")
    cold = customer(store, "Cold")
    touch(store, warm, timedelta(days=QUIET_DAYS) - timedelta(minutes=1))
    touch(store, cold, timedelta(days=QUIET_DAYS) + timedelta(minutes=1))
    customer(store, "Never touched, added long ago", added_days_ago=QUIET_DAYS + 1)
    customer(store, "Never touched, added lately", added_days_ago=QUIET_DAYS - 1)

    assert quiet_names(store) == ["Never touched, added long ago", "Cold"]  # quiet for 31 days, then 30
    assert quiet_names(store, days=60) == []


def test_the_longest_quiet_come_first_with_the_last_touch_as_it_was(store):
    for days in (40, 90, 60):
        touch(store, customer(store, f"Quiet {days}"), timedelta(days=days))
    session, workspace_id = store

    home = home_for(session, workspace_id, "U0ALICE", now=START, quiet_after_days=QUIET_DAYS)

    assert [c.name for c in home.quiet] == ["Quiet 90", "Quiet 60", "Quiet 40"]
    assert home.quiet[0].last_touch_at == START - timedelta(days=90)


def test_a_removed_touchpoint_does_not_keep_a_customer_warm(store):
    acme = customer(store, "Acme")
    touch(store, acme, timedelta(days=1), deleted_at=START, deleted_by="U0BOB")

    assert quiet_names(store) == ["Acme"]


def test_touchpoints_of_a_customer_merged_in_count_for_the_survivor(store):
    survivor = customer(store, "Acme Corp")
    absorbed = customer(store, "ACME Inc", merged_into_id=survivor)
    touch(store, absorbed, timedelta(days=2))

    assert quiet_names(store) == []  # the merged-away record is never listed itself


def test_only_live_customers_the_viewer_owns_are_listed(store):
    customer(store, "Bob's", owner="U0BOB")
    customer(store, "Nobody's", owner=None)
    customer(store, "Deleted", deleted_at=START - timedelta(days=1))
    customer(store, "Alice's")

    assert quiet_names(store) == ["Alice's"]
    assert quiet_names(store, user="U0BOB") == ["Bob's"]


def test_the_list_is_capped_and_the_total_counted(store):
    for i in range(QUIET_SHOWN + 5):
        customer(store, f"Customer {i:02d}", added_days_ago=100 + i)
    session, workspace_id = store

    home = home_for(session, workspace_id, "U0ALICE", now=START, quiet_after_days=QUIET_DAYS)

    assert (len(home.quiet), home.quiet_total) == (QUIET_SHOWN, QUIET_SHOWN + 5)
    assert home.quiet[0].name == f"Customer {QUIET_SHOWN + 4:02d}"  # added longest ago
