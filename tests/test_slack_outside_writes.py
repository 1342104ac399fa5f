"""No listener asks Slack anything while it holds a write transaction: on SQLite that would hold every process's
write lock for as long as Slack takes (a slow `users.info`, a 429 with its Retry-After).

`tests/conftest.py` watches every test of the suite with `tests/write_guard.py`; here the guard is shown to catch
a call inside a write, and the writing listeners are driven with the profile due on every request, so each of
them asks Slack for it.
"""

from __future__ import annotations

from datetime import timedelta

from slack_sdk import WebClient
from sqlalchemy import text

from bot import blocks, members
from tests.capture.test_modal_and_shortcut import form, opened_view
from tests.conftest import TEAM
from tests.helpers import element, seed_customers
from tests.home.test_home import _find, _interact, open_home, option


def test_the_guard_catches_a_call_to_slack_inside_a_write_and_not_inside_a_read(
    runtime, standin, no_web_api_call_inside_a_write
):
    client = WebClient(token="xoxb-test", base_url=standin.api_url)
    with runtime.readers.begin() as session:
        session.execute(text("SELECT 1"))
        client.users_info(user="U0ALICE")
    assert no_web_api_call_inside_a_write.violations == []

    with runtime.sessions.begin() as session:
        session.execute(text("SELECT 1"))
        client.users_info(user="U0ALICE")

    [violation] = no_web_api_call_inside_a_write.violations
    assert violation.startswith("users.info called inside a write transaction")
    no_web_api_call_inside_a_write.violations.clear()  # caught as it should be: not this test's failure


def test_writing_listeners_ask_slack_for_the_profile_before_their_write(slack, standin, runtime, monkeypatch):
    ids = seed_customers(runtime, TEAM, {"name": "Acme Corp"}, {"name": "Globex"})
    # The clock stands still here: an age below zero makes the profile due on every request.
    monkeypatch.setattr(members, "PROFILE_MAX_AGE", timedelta(microseconds=-1))

    logged = slack.command("U0ALICE", "Acme: call with Dana, follow up friday").json()
    block_id, department = element(logged, blocks.DEPARTMENT)
    slack.click("U0ALICE", department, block_id=block_id, selected={"value": "sales"})
    standin.wait_for("response_url", count=1)
    slack.click("U0ALICE", element(logged, blocks.UNDO)[1])
    undone = standin.wait_for("response_url", count=2)[-1]
    slack.click("U0ALICE", element(undone.params, blocks.RESTORE)[1])
    standin.wait_for("response_url", count=3)
    slack.click("U0ALICE", element(logged, blocks.EDIT)[1])
    slack.submit("U0ALICE", opened_view(standin), form(str(ids["Globex"]), kind="call"))
    standin.wait_for("response_url", count=4)
    slack.command("U0ALICE", "")
    slack.submit("U0ALICE", opened_view(standin, count=2), form(str(ids["Acme Corp"]), follow_up_text="tomorrow 3pm"))
    standin.wait_for("chat.postEphemeral")
    home = open_home(slack, standin)
    block_id, menu = _find(home, "home_snooze", None)
    follow_up_id = int(menu["options"][0]["value"].split(":")[0])
    _interact(slack, "U0ALICE", home, block_id, menu, selected=option(home, follow_up_id, "pick"))
    standin.wait_for("views.open", count=3)

    # Each of the ten requests asked Slack for the profile; the guard (conftest) saw none do it inside a write.
    assert len(standin.calls_to("users.info")) >= 10
