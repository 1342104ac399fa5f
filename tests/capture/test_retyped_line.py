"""A line typed again because its reply never came is one touchpoint, not two."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from bot import blocks
from bot.capture.touchpoints import log_line
from bot.members import Author
from storage.models import FollowUp, Touchpoint
from storage.workspaces import workspace_for_team
from tests.conftest import BERLIN, TEAM
from tests.helpers import element, elements, seed_customers, texts

LINE = "Acme: call with Dana about the renewal, follow up friday"


@pytest.fixture
def customers(runtime):
    return seed_customers(runtime, TEAM, {"name": "Acme Corp"})


def saved(runtime) -> list[Touchpoint]:
    with runtime.sessions.begin() as session:
        return list(session.scalars(select(Touchpoint).order_by(Touchpoint.id)))


def test_the_same_line_again_within_minutes_gets_the_touchpoint_already_logged(slack, runtime, clock, customers):
    first = slack.command("U0ALICE", LINE).json()
    clock.advance(minutes=9)

    again = slack.command("U0ALICE", LINE).json()

    [tp] = saved(runtime)
    assert "logged this line already" in texts(again)
    assert "logged this line already" not in texts(first)
    assert again["blocks"][0]["text"]["text"] == first["blocks"][0]["text"]["text"]
    assert element(again, blocks.UNDO)[1]["value"] == element(again, blocks.EDIT)[1]["value"] == str(tp.id)
    assert blocks.CLOSE_FOLLOW_UP not in {e["action_id"] for _, e in elements(again)}  # its own follow-up
    with runtime.sessions.begin() as session:
        assert len(session.scalars(select(FollowUp)).all()) == 1


def test_the_same_line_later_or_from_someone_else_or_after_undo_is_a_new_touchpoint(
    slack, standin, runtime, clock, customers
):
    first = slack.command("U0ALICE", LINE).json()
    by_bob = slack.command("U0BOB", LINE).json()
    slack.click("U0ALICE", element(first, blocks.UNDO)[1])
    standin.wait_for("response_url")  # the undo is done (it runs after the click is acknowledged)
    clock.advance(minutes=1)
    after_undo = slack.command("U0ALICE", LINE).json()
    clock.advance(minutes=11)

    later = slack.command("U0ALICE", LINE).json()

    assert not any("logged this line already" in texts(reply) for reply in (by_bob, after_undo, later))
    assert [(tp.author_user_id, tp.deleted_at is not None) for tp in saved(runtime)] == [
        ("U0ALICE", True),
        ("U0BOB", False),
        ("U0ALICE", False),
        ("U0ALICE", False),
    ]


def test_the_same_line_sent_twice_at_once_is_saved_once(runtime, clock, customers):
    # The second copy arrives while the first one's transaction is still open. On PostgreSQL (read committed)
    # it found no earlier copy and saved its own: two touchpoints of one line.
    alice = Author("U0ALICE", BERLIN, "sales")
    with runtime.sessions.begin() as session:
        workspace_id = workspace_for_team(session, TEAM).id
    second: list = []

    def send_again() -> None:
        with runtime.sessions.begin() as session:
            second.append(log_line(session, runtime.indexes, workspace_id, alice, LINE, now=clock()))

    with runtime.sessions.begin() as session:
        first = log_line(session, runtime.indexes, workspace_id, alice, LINE, now=clock())
        other = threading.Thread(target=send_again)
        other.start()
        other.join(timeout=0.5)  # it waits for this transaction: still running
        assert other.is_alive()
    other.join(timeout=10)

    [tp] = saved(runtime)
    assert not first.already_logged and second[0].already_logged
    assert second[0].touchpoint.id == tp.id
