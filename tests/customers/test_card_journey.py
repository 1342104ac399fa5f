"""The card's journey over signed `/customer`: stage moves with dates, the first touch, the follow-ups kept."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage.curation import add_stage_change
from storage.customers import customer
from storage.models import FollowUp, StageChange, Touchpoint
from storage.workspaces import workspace_for_team
from tests.conftest import TEAM
from tests.helpers import after, seed_customers, texts


def utc(month: int, day: int, hour: int = 9, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def touch(session, workspace_id: int, customer_id: int, occurred_at: datetime, **fields) -> Touchpoint:
    row = Touchpoint(
        workspace_id=workspace_id,
        customer_id=customer_id,
        author_user_id=fields.pop("author", "U0ALICE"),
        kind=fields.pop("kind", "call"),
        summary=fields.pop("summary", "talked"),
        occurred_at=occurred_at,
        source=fields.pop("source", "command"),
        **fields,
    )
    session.add(row)
    session.flush()
    return row


def promise(session, tp: Touchpoint, due_at: datetime, completed_at: datetime | None = None, **fields) -> None:
    status = fields.pop("status", "done" if completed_at else "open")
    session.add(
        FollowUp(
            workspace_id=tp.workspace_id,
            touchpoint_id=tp.id,
            customer_id=tp.customer_id,
            assignee_user_id="U0ALICE",
            due_at=due_at,
            status=status,
            completed_at=completed_at,
        )
    )


@pytest.fixture
def acme(runtime) -> int:
    """Acme's known story, as seen at the tests' instant (Wed 25 Nov 2026, 10:30 in Alice's Berlin)."""
    ids = seed_customers(runtime, TEAM, {"name": "Acme Corp", "stage": "active"}, {"name": "Globex"})
    with runtime.sessions.begin() as session:
        workspace_id = workspace_for_team(session, TEAM).id
        acme = customer(session, workspace_id, ids["Acme Corp"])
        add_stage_change(session, acme, None, "lead", "U0BOB", utc(3, 12))
        add_stage_change(session, acme, "lead", "prospect", "U0BOB", utc(4, 2))
        add_stage_change(session, acme, "prospect", "active", "U0CAROL", utc(5, 20))

        removed = touch(session, workspace_id, acme.id, utc(1, 5, year=2025), deleted_at=utc(1, 6, year=2025))
        touch(session, workspace_id, acme.id, utc(3, 3, year=2025), kind="event", tags=["expo2025"], source="import")
        tp = touch(session, workspace_id, acme.id, utc(11, 1), author="U0BOB")
        promise(session, tp, due_at=utc(11, 16), completed_at=utc(11, 13, 12))  # early
        promise(session, tp, due_at=utc(11, 17), completed_at=utc(11, 17, 16))  # on its due day
        # Due Friday 17:00 in Berlin, done Monday 16:00: inside one working day's grace, though 71 hours later.
        promise(session, tp, due_at=utc(11, 20, 16), completed_at=utc(11, 23, 15))
        # Due Monday 11:00 in Berlin, done Tuesday 12:00: 25 hours, past the grace.
        promise(session, tp, due_at=utc(11, 16, 10), completed_at=utc(11, 17, 11))
        promise(session, tp, due_at=utc(11, 2), completed_at=utc(11, 9))  # a week late
        promise(session, tp, due_at=utc(11, 23))  # still open, overdue
        # Not counted: not due yet, cancelled, due more than 90 days ago, of a removed touchpoint.
        promise(session, tp, due_at=utc(11, 27))
        promise(session, tp, due_at=utc(11, 18), status="cancelled")
        promise(session, tp, due_at=utc(8, 1), completed_at=utc(8, 20))
        promise(session, removed, due_at=utc(11, 20))
    return ids["Acme Corp"]


def card_text(slack, query: str, user: str = "U0ALICE") -> str:
    reply = slack.command(user, query, command="/customer")
    assert reply.status == 200
    return texts(reply.json())


def test_the_card_shows_the_stage_moves_the_first_touch_and_the_follow_ups_kept(slack, acme):
    shown = card_text(slack, "acme")

    assert "*Journey:* lead (12 Mar) → prospect (2 Apr) → active (20 May, by <@U0CAROL>)" in shown
    assert "*First touch:* event #expo2025, 3 Mar 2025, by <@U0ALICE>, via an import" in shown
    assert "*Follow-ups kept (90 days):* 6 fell due: 3 on time, 2 late, 1 still open and overdue" in shown


def test_the_grace_is_one_working_day_in_the_viewers_zone(slack, acme):
    # For Carol in Tokyo the Friday follow-up fell due on Saturday 01:00: its grace ended on Monday 01:00
    # there (Sunday 16:00 UTC), before it was done; for Alice in Berlin it was kept.
    shown = card_text(slack, "acme", user="U0CAROL")

    assert "*Follow-ups kept (90 days):* 6 fell due: 2 on time, 3 late, 1 still open and overdue" in shown


def test_a_customer_with_no_story_yet_shows_no_journey_and_no_empty_counts(slack, acme):
    shown = card_text(slack, "globex")

    assert "Journey" not in shown and "First touch" not in shown and "Follow-ups kept" not in shown
    assert " 0 " not in shown


def test_a_first_touchpoint_logged_now_is_the_first_touch_and_its_follow_up_counts_once_due(slack, clock, acme):
    assert slack.command("U0BOB", "Globex: met at the fair #expo2026 #berlin, follow up tomorrow").status == 200

    fresh = card_text(slack, "globex")
    assert "*First touch:* event #expo2026 #berlin, 25 Nov, by <@U0BOB>, via `/log`" in fresh
    assert "Follow-ups kept" not in fresh and "Journey" not in fresh

    clock.advance(days=2)
    assert "*Follow-ups kept (90 days):* 1 fell due: 1 still open and overdue" in card_text(slack, "globex")


def test_stage_moves_past_the_last_few_are_summed_up(slack, runtime, acme):
    with runtime.sessions.begin() as session:
        workspace_id = workspace_for_team(session, TEAM).id
        row = customer(session, workspace_id, acme)
        for day, (before, after) in enumerate([("active", "at-risk"), ("at-risk", "active")] * 2, start=1):
            add_stage_change(session, row, before, after, None, utc(6, day))
        row.stage = "at-risk"
        add_stage_change(session, row, "active", "at-risk", "U0ALICE", utc(6, 10))

    shown = card_text(slack, "acme")

    assert (
        "*Journey:* … → active (20 May) → at-risk (1 Jun) → active (2 Jun) → at-risk (3 Jun) → active (4 Jun)"
        " → at-risk (10 Jun, by <@U0ALICE>)"
    ) in shown


def test_a_merged_customers_first_touch_and_follow_ups_are_the_survivors(slack, runtime, acme):
    merged_id = seed_customers(runtime, TEAM, {"name": "Acme GmbH"})["Acme GmbH"]
    with runtime.sessions.begin() as session:
        workspace_id = workspace_for_team(session, TEAM).id
        merged = customer(session, workspace_id, merged_id)
        tp = touch(session, workspace_id, merged.id, utc(1, 2, year=2024), kind="email", source="shortcut")
        promise(session, tp, due_at=utc(11, 24))
        merged.merged_into_id = acme
        merged.deleted_at = utc(11, 24, 12)

    shown = card_text(slack, "acme corp")

    assert "*First touch:* email, 2 Jan 2024, by <@U0ALICE>, via a message shortcut" in shown
    assert "7 fell due: 3 on time, 2 late, 2 still open and overdue" in shown


def test_another_workspaces_rows_never_reach_the_card(slack, runtime, acme):
    seed_customers(runtime, "T0OTHER", {"name": "Other Co"})
    with runtime.sessions.begin() as session:
        other = workspace_for_team(session, "T0OTHER").id
        # A row of another workspace naming Acme's id (a bug, or an id sent from Slack) is not Acme's.
        tp = touch(session, other, acme, utc(1, 1, year=2020), kind="secret")
        promise(session, tp, due_at=utc(11, 20))
        session.add(
            StageChange(
                workspace_id=other, customer_id=acme, from_stage="active", to_stage="hidden", changed_at=utc(11, 1)
            )
        )

    shown = card_text(slack, "acme")

    assert "secret" not in shown and "hidden" not in shown
    assert "→ active (20 May, by <@U0CAROL>)" in shown
    assert "6 fell due: 3 on time, 2 late, 1 still open and overdue" in shown


def test_the_shells_card_shows_the_journey_too(run_shell):
    out = run_shell(
        "/log Acme Corp: met Dana at the fair #expo2026, follow up tomorrow",
        "1",  # create Acme Corp
        "/customer acme",
        ":advance 3d",
        "/customer acme",
    )

    fresh = after(out, "/customer acme")
    assert "  First touch: event #expo2026, 25 Nov, by @alice, via `/log`" in fresh
    assert "Follow-ups kept" not in fresh and "Journey" not in fresh
    later = after(out, "/customer acme", nth=2)
    assert "  Follow-ups kept (90 days): 1 fell due: 1 still open and overdue" in later


def test_a_follow_up_done_at_the_last_instant_of_a_long_grace_is_kept(slack, runtime):
    # Due Friday 23 October 17:00 in Berlin; summer time ends on Sunday, so Monday 17:00 is 73 hours later.
    initech = seed_customers(runtime, TEAM, {"name": "Initech"})["Initech"]
    with runtime.sessions.begin() as session:
        tp = touch(session, workspace_for_team(session, TEAM).id, initech, utc(10, 20))
        promise(session, tp, due_at=utc(10, 23, 15), completed_at=utc(10, 26, 16))
        promise(session, tp, due_at=utc(10, 23, 15), completed_at=datetime(2026, 10, 26, 16, 0, 1, tzinfo=UTC))

    assert "*Follow-ups kept (90 days):* 2 fell due: 1 on time, 1 late" in card_text(slack, "initech")
