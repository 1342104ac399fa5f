"""A link that drops, or that Slack asks to refresh, is replaced through apps.connections.open, and the next
request arrives on the new link and is answered there."""

from __future__ import annotations

from tests.helpers import texts
from tests.socket_mode.conftest import APP_TOKEN
from tests.socket_mode.helpers import add_customers, touchpoints_by

# The app notices a dropped link when its stream ends and reconnects within a second; on a busy machine, longer.
RELINK_TIMEOUT_S = 30


def opened_links(socket_app) -> list:
    return [c for c in socket_app.api.calls_to("apps.connections.open") if c.ok]


def test_a_dropped_link_is_reopened_and_the_next_command_is_answered_on_the_new_one(socket_app):
    add_customers(socket_app.engine, "Initech")
    link = socket_app.link
    links_before, asked_before = len(link.links), len(opened_links(socket_app))

    dropped = link.drop()  # no close frame: the network just went away
    reopened = link.wait_for_link(count=links_before + 1, timeout=RELINK_TIMEOUT_S)
    reply = socket_app.slack.command("U0DAVE", "Initech: call about the printer")

    assert reopened.ticket != dropped.ticket
    assert len(opened_links(socket_app)) > asked_before  # a fresh URL, asked for with the app-level token
    assert {c.token for c in opened_links(socket_app)} == {APP_TOKEN}
    assert link.acks[-1].ticket == link.open_links()[-1].ticket
    assert "Initech" in texts(reply.json())
    assert [tp.summary for tp in touchpoints_by(socket_app.engine, "U0DAVE")] == ["call about the printer"]


def test_a_refresh_moves_the_app_to_a_new_link_and_the_old_one_is_let_go(socket_app):
    link = socket_app.link
    links_before = len(link.links)

    old = link.refresh()
    link.wait_for_link(count=links_before + 1, timeout=RELINK_TIMEOUT_S)
    reply = socket_app.slack.command("U0DAVE", "help")

    assert old.closed.wait(RELINK_TIMEOUT_S)
    assert link.open_links() and old not in link.open_links()
    assert link.acks[-1].ticket != old.ticket
    assert "/log" in texts(reply.json())
    assert link.refused == []  # every link was opened with a ticket apps.connections.open had just handed out
