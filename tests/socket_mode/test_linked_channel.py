"""A linked channel's message events over Socket Mode log its conversation as over the Events API: once, however
often the socket delivers them."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.local.simulator import channel_message
from storage.models import Conversation, Touchpoint
from tests.conftest import TEAM
from tests.helpers import texts
from tests.socket_mode.helpers import add_customers

CHANNEL = "C0HOOLI"
HOOLI = "T0HOOLI"


def conversations_in(engine) -> list[tuple[str, int]]:
    with Session(engine) as session:
        rows = session.execute(
            select(Touchpoint.summary, Conversation.message_count)
            .join(Conversation, Conversation.touchpoint_id == Touchpoint.id)
            .where(Touchpoint.channel_id == CHANNEL)
        )
        return [(summary, count) for summary, count in rows]


def eventually(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not (found := check()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def test_a_linked_channels_messages_over_the_socket_make_one_touchpoint(socket_app):
    add_customers(socket_app.engine, "Hooli")
    socket_app.api.add_channel(CHANNEL, "hooli-shared", shared_with=(HOOLI,))
    socket_app.api.add_user("U0GAVIN", name="gavin", team_id=HOOLI)
    socket_app.api.add_user("U0RICHARD", name="richard")  # of this folder's tests, only this one's
    before = len(socket_app.api.calls_to("response_url"))

    socket_app.slack.command("U0RICHARD", f"hooli link <#{CHANNEL}|hooli-shared>", command="/customer")

    linked = socket_app.api.wait_for("response_url", count=before + 1, timeout=10)[before]
    assert f"Linked <#{CHANNEL}> to *Hooli*" in texts(linked.params)
    start = time.time()
    first = channel_message("U0GAVIN", "Our Nucleus demo is late", channel=CHANNEL, ts=f"{start:.6f}", team=HOOLI)
    reply = channel_message("U0RICHARD", "On it", channel=CHANNEL, ts=f"{start + 60:.6f}", team=TEAM)
    socket_app.slack.event(first, event_id="Ev0NUCLEUS")
    socket_app.slack.event(first, event_id="Ev0NUCLEUS", retry=1)
    socket_app.slack.event(reply, event_id="Ev0ONIT")

    assert eventually(lambda: conversations_in(socket_app.engine) == [("Our Nucleus demo is late", 2)])
