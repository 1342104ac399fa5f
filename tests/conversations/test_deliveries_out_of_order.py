"""Slack's deliveries may cross (listeners run side by side): a message recorded after a later one still lands in
its conversation, and a thread's reply recorded before its parent too. Driven on the domain functions."""

from __future__ import annotations

from sqlalchemy import select

from bot.conversations import capture, links
from storage.models import Conversation, Touchpoint
from storage.workspaces import workspace_for_team
from tests.conftest import TEAM
from tests.conversations.conftest import SHARED, ts
from tests.helpers import seed_customers


def setup(runtime) -> int:
    acme = seed_customers(runtime, TEAM, {"name": "Acme Corp"})["Acme Corp"]
    with runtime.sessions.begin() as session:
        workspace_id = workspace_for_team(session, TEAM).id
        links.link_channel(session, workspace_id, acme, SHARED, "acme-shared", "U0ALICE", runtime.now())
    return workspace_id


def record(runtime, workspace_id, user, minutes, *, customer=True, thread=None) -> capture.Recorded | None:
    message = capture.ChannelMessage(
        SHARED, ts(minutes), ts(thread) if thread is not None else None, user, f"said at {minutes}", customer
    )
    with runtime.sessions.begin() as session:
        return capture.record_message(session, workspace_id, message, runtime.now())


def stored(runtime) -> list[tuple[str, str, int, float]]:
    with runtime.readers.begin() as session:
        rows = session.execute(
            select(Conversation.start_ts, Touchpoint.summary, Conversation.message_count, Touchpoint.occurred_at)
            .join(Touchpoint, Touchpoint.id == Conversation.touchpoint_id)
            .order_by(Conversation.start_ts)
        )
        return [(start, summary, n, occurred.timestamp()) for start, summary, n, occurred in rows]


def test_an_earlier_message_recorded_late_moves_its_conversations_start_back(runtime):
    workspace_id = setup(runtime)
    record(runtime, workspace_id, "U0DANA", 30)
    late = record(runtime, workspace_id, "U0DANA", 0)

    assert stored(runtime) == [(ts(0), "said at 0", 2, float(ts(0)))]
    assert late is not None and late.permalink_for == ts(0)  # its link is asked again, for the new start


def test_a_reply_recorded_before_its_parent_shares_the_parents_conversation(runtime):
    workspace_id = setup(runtime)
    record(runtime, workspace_id, "U0DANA", 5, thread=0)
    record(runtime, workspace_id, "U0ALICE", 0, customer=False)

    assert stored(runtime) == [(ts(0), "said at 5", 2, float(ts(0)))]


def test_a_message_recorded_twice_counts_once(runtime):
    workspace_id = setup(runtime)
    record(runtime, workspace_id, "U0DANA", 0)

    assert record(runtime, workspace_id, "U0DANA", 0) is None
    assert stored(runtime) == [(ts(0), "said at 0", 1, float(ts(0)))]


def test_nothing_is_recorded_for_a_channel_not_linked_or_unlinked(runtime):
    workspace_id = setup(runtime)
    with runtime.sessions.begin() as session:
        links.unlink_channel(session, workspace_id, SHARED, "U0BOB", runtime.now())

    assert record(runtime, workspace_id, "U0DANA", 0) is None
    assert stored(runtime) == []


def test_the_sides_of_a_message(runtime):
    side = capture.is_customer_side
    assert side("T0PARTNER", None, installation_team=TEAM, installation_enterprise=None)
    assert not side(TEAM, None, installation_team=TEAM, installation_enterprise=None)
    # An org-wide install: another workspace of the same enterprise is the company's own people.
    assert not side("T0SISTER", "E0ORG", installation_team=TEAM, installation_enterprise="E0ORG")
    assert side("T0PARTNER", "E0THEIRS", installation_team=TEAM, installation_enterprise="E0ORG")
    assert not side(None, None, installation_team=TEAM, installation_enterprise=None)
