"""The HTTP API asks Slack who an e-mail address is with the bot token of the caller's own installation."""

from __future__ import annotations

from sqlalchemy import select

from bot.api.tokens import create_token
from storage.models import Touchpoint
from storage.workspaces import find_workspace
from tests.api.conftest import Client
from tests.api.test_post_touchpoints import DELIVERY
from tests.installations.test_scheduler_tokens import log_with_follow_up


def test_an_author_named_by_e_mail_is_looked_up_with_the_installations_token(
    install, workspace_of, served, standin, runtime
):
    install("T0SOUTH")
    north = install("T0NORTH")
    standin.add_user("U0ALICE", name="alice", tz="Europe/Berlin", team_id="T0NORTH")
    log_with_follow_up(workspace_of("T0NORTH"), standin, "U0ALICE", "Quokka Ltd: call")
    with runtime.sessions.begin() as session:
        token = create_token(session, find_workspace(session, "T0NORTH").id, "shop", now=runtime.now())

    reply = Client(served, token).post(
        "/api/v1/touchpoints", {**DELIVERY, "customer": {"name": "Quokka Ltd"}, "author": "alice@example.com"}
    )

    assert reply.status == 201, reply.body
    assert [call.token for call in standin.calls_to("users.lookupByEmail")] == [north.bot_token]
    with runtime.readers.begin() as session:
        assert session.get(Touchpoint, reply.body["id"]).author_user_id == "U0ALICE"
        assert len(session.scalars(select(Touchpoint)).all()) == 2
