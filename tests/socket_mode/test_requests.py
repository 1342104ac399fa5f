"""A slash command, a click and an event reach the app over the socket, are acknowledged there, and act.

A slash command's reply comes back as the ack's payload (Socket Mode has no HTTP response to carry it); what a
click redraws goes to its response_url, on the Web API stand-in's hooks; an event's answer is a Web API call.
"""

from __future__ import annotations

from tests.helpers import element, texts
from tests.socket_mode.helpers import add_customers, touchpoints_by


def test_a_slash_command_is_acknowledged_with_its_reply_and_the_touchpoint_is_stored(socket_app):
    add_customers(socket_app.engine, "Acme Corp")

    reply = socket_app.slack.command("U0ALICE", "Acme: call with Dana about the renewal #renewal")

    assert reply.status == 200
    said = texts(reply.json())
    assert "Logged" in said and "Acme Corp" in said
    [stored] = touchpoints_by(socket_app.engine, "U0ALICE")
    assert "call with Dana about the renewal" in stored.summary
    assert stored.deleted_at is None


def test_undo_clicked_on_the_reply_is_acknowledged_and_answers_at_the_response_url(socket_app):
    add_customers(socket_app.engine, "Globex Corporation")
    reply = socket_app.slack.command("U0BOB", "Globex: demo went well").json()
    before = len(socket_app.api.calls_to("response_url"))
    block_id, undo = element(reply, "tp_undo")

    clicked = socket_app.slack.click("U0BOB", undo, block_id=block_id)

    assert clicked.status == 200 and clicked.body == ""  # acknowledged over the socket, with nothing to say
    answered = socket_app.api.wait_for("response_url", count=before + 1, timeout=10)[before]
    assert answered.path.startswith("/respond/act")  # the click's own response_url, on the hooks host
    assert element(answered.params, "tp_restore")
    [undone] = touchpoints_by(socket_app.engine, "U0BOB")
    assert undone.deleted_at is not None and undone.deleted_by == "U0BOB"


def test_opening_the_home_tab_publishes_the_home_view(socket_app):
    before = len(socket_app.api.calls_to("views.publish"))

    acked = socket_app.slack.event({"type": "app_home_opened", "user": "U0CAROL", "channel": "DU0CAROL", "tab": "home"})

    assert acked.status == 200 and acked.body == ""
    published = socket_app.api.wait_for("views.publish", count=before + 1, timeout=10)[before]
    assert published.params["user_id"] == "U0CAROL"
    assert published.params["view"]["type"] == "home"
    assert published.token == "xoxb-test-token"
