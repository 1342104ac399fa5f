"""`touchpoint socket --with-scheduler` sends a due nudge itself, and the nudge's Done, clicked over the socket,
closes the follow-up and redraws the DM in place."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from storage.customers import add_customer
from storage.models import FollowUp, Member, Touchpoint
from storage.workspaces import workspace_for_team
from tests.conftest import TEAM
from tests.helpers import element, texts

# The scheduler looks for due nudges every 2 s; a busy machine may take longer to get round to it.
NUDGE_TIMEOUT_S = 30


def due_follow_up(engine, user: str, customer: str, due_at: datetime) -> int:
    """A touchpoint `user` logged with a follow-up for them, due at `due_at`; no digest for them to fold it into."""
    with Session(engine) as session, session.begin():
        workspace = workspace_for_team(session, TEAM)
        session.add(Member(workspace_id=workspace.id, slack_user_id=user, tz="Europe/Lisbon", digest_enabled=False))
        row = add_customer(session, workspace.id, customer, now=due_at - timedelta(days=2))
        tp = Touchpoint(
            workspace_id=workspace.id,
            customer_id=row.id,
            author_user_id=user,
            kind="call",
            summary="call about the spring order",
            occurred_at=due_at - timedelta(days=2),
            source="command",
        )
        session.add(tp)
        session.flush()
        follow_up = FollowUp(
            workspace_id=workspace.id, touchpoint_id=tp.id, customer_id=row.id, assignee_user_id=user, due_at=due_at
        )
        session.add(follow_up)
        session.flush()
        return follow_up.id


def nudge_to(socket_app, channel: str) -> dict:
    """The first message the app posted into `channel` (a DM), as the person sees it, with its channel and ts."""
    deadline = time.monotonic() + NUDGE_TIMEOUT_S
    while time.monotonic() < deadline:
        for call in socket_app.api.calls_to("chat.postMessage"):
            if call.ok and call.response["channel"] == channel:
                return {**call.response["message"], "channel": channel}
        time.sleep(0.1)
    raise AssertionError(f"no message to {channel} within {NUDGE_TIMEOUT_S}s; the app said:\n{socket_app.log()}")


def test_a_due_follow_up_is_nudged_and_done_clicked_over_the_socket_closes_it(socket_app):
    follow_up_id = due_follow_up(socket_app.engine, "U0ERIN", "Umbrella Corp", datetime.now(UTC) - timedelta(minutes=1))

    dm = nudge_to(socket_app, "DU0ERIN")
    assert "Follow up with *Umbrella Corp*" in texts(dm)
    before = len(socket_app.api.calls_to("response_url"))
    block_id, done = element(dm, "fu_done")
    clicked = socket_app.slack.click("U0ERIN", done, block_id=block_id, channel=dm["channel"], message=dm)

    assert clicked.status == 200 and clicked.body == ""
    update = socket_app.api.wait_for("response_url", count=before + 1, timeout=10)[before].params
    assert update["replace_original"] is True
    assert "Done by <@U0ERIN>" in texts(update)
    with Session(socket_app.engine) as session:
        row = session.get(FollowUp, follow_up_id)
        assert (row.status, row.completed_by) == ("done", "U0ERIN")
        assert row.nudged_at is not None and row.nudge_channel == "DU0ERIN"
