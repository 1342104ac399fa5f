"""A listener that fails still answers: Slack gets its acknowledgement in time and the person an apology.

Bolt's thread runner used to throw a listener's acknowledgement away when the listener raised after `ack()`:
Slack then waited out its 3 seconds and showed an error, and nobody was told anything. A form whose submission
raised answered 500, and Slack showed "We had some trouble connecting".
"""

from __future__ import annotations

import json

from sqlalchemy import select

from bot import blocks
from storage.models import Touchpoint
from tests.capture.test_modal_and_shortcut import form, opened_view
from tests.conftest import TEAM
from tests.helpers import seed_customers, texts
from tests.home.test_home import _interact


def test_a_click_whose_listener_fails_right_after_acking_is_acked_and_apologised_for(slack, standin):
    slack.command("U0ALICE", "Globex: call")  # Alice is known: the failing click below does no users.info first
    standin.clear()

    # An Undo on a touchpoint that is not in the store fails a few milliseconds after the click was acked.
    replies = [slack.click("U0ALICE", {"action_id": blocks.UNDO, "value": str(90_000 + n)}) for n in range(5)]

    assert [reply.status for reply in replies] == [200] * 5
    apologies = standin.wait_for("response_url", count=5)
    assert all("no longer in this workspace" in texts(call.params) for call in apologies)


def test_a_form_whose_submission_fails_keeps_the_form_open_with_an_apology(slack, standin, runtime):
    ids = seed_customers(runtime, TEAM, {"name": "Globex"})
    slack.command("U0ALICE", "")
    view = opened_view(standin)
    # The edit of a touchpoint this workspace does not have: the listener raises, the error handler answers.
    view = {**view, "private_metadata": json.dumps({"tp": 999_999})}

    reply = slack.submit("U0ALICE", view, form(str(ids["Globex"])))

    assert reply.status == 200
    body = reply.json()
    assert body["response_action"] == "errors"
    [(block_id, message)] = body["errors"].items()
    assert block_id in {block.get("block_id") for block in view["blocks"] if block["type"] == "input"}
    assert "no longer in this workspace" in message
    with runtime.sessions.begin() as session:
        assert session.scalars(select(Touchpoint)).all() == []


def test_a_home_button_whose_listener_fails_is_apologised_for_by_direct_message(slack, standin):
    home = {"id": "V0HOME", "type": "home", "blocks": []}
    done = {"type": "button", "action_id": "home_done", "value": "not-a-follow-up"}  # fails right after the ack

    _interact(slack, "U0ALICE", home, "home:broken", done)

    [apology] = standin.wait_for("chat.postMessage")
    assert apology.params["channel"] == "U0ALICE"
    assert "something went wrong on our side" in texts(apology.params)
