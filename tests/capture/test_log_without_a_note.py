"""`/log Acme:` with nothing after the customer: nothing is saved yet, and the reply asks what happened.

Its button opens the form with the customer filled in; submitting the form logs the touchpoint and
replaces the question, so nothing typed is lost and no empty note is kept.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storage.models import AuditEvent, Touchpoint
from tests.conftest import TEAM
from tests.helpers import element, seed_customers, texts


@pytest.fixture
def customers(runtime):
    return seed_customers(runtime, TEAM, {"name": "Acme Corp", "domain": "acme.com"}, {"name": "Globex"})


def stored(runtime) -> tuple[int, int]:
    with runtime.sessions.begin() as session:
        return (
            session.scalar(select(func.count()).select_from(Touchpoint)),
            session.scalar(select(func.count()).select_from(AuditEvent)),
        )


def customer_field(view: dict) -> dict:
    return next(block for block in view["blocks"] if block["block_id"] == "customer")["element"]


@pytest.mark.parametrize("line", ["Acme:", "acme.com -", "Acme Corp", "Acme: ,"])
def test_a_customer_with_nothing_said_is_asked_about_and_nothing_is_stored(slack, runtime, customers, line):
    reply = slack.command("U0ALICE", line).json()

    assert texts(reply).splitlines()[-1].startswith("What happened with *Acme Corp*?")
    assert len(reply["blocks"]) == 2  # the question and its button
    assert stored(runtime) == (0, 0)


def test_the_button_opens_the_form_with_the_customer_and_the_touchpoint_replaces_the_question(
    slack, standin, runtime, customers
):
    reply = slack.command("U0ALICE", "Acme:").json()
    block_id, button = element(reply, "log_what_happened")

    assert slack.click("U0ALICE", button, block_id=block_id).status == 200

    [opened] = standin.wait_for("views.open")
    view = opened.params["view"]
    assert customer_field(view)["initial_option"]["value"] == str(customers["Acme Corp"])
    values = {
        "customer": {"customer_select": {"selected_option": customer_field(view)["initial_option"]}},
        "kind": {"value": {"selected_option": {"value": "call"}}},
        "summary": {"value": {"type": "plain_text_input", "value": "call with Dana"}},
    }
    assert slack.submit("U0ALICE", view, values).status == 200
    [replaced] = standin.wait_for("response_url")
    assert replaced.params["replace_original"] is True
    assert replaced.params["blocks"][0]["text"]["text"].startswith("Logged *call* with *Acme Corp*")
    with runtime.sessions.begin() as session:
        assert session.scalars(select(Touchpoint.summary)).all() == ["call with Dana"]


def test_an_unknown_customer_is_offered_for_creation_in_the_form(slack, standin, customers):
    reply = slack.command("U0ALICE", "Hooli & Co:").json()

    assert "What happened with *Hooli &amp; Co*?" in texts(reply)
    block_id, button = element(reply, "log_what_happened")
    slack.click("U0ALICE", button, block_id=block_id)
    [opened] = standin.wait_for("views.open")
    assert customer_field(opened.params["view"])["initial_option"]["value"] == "new:Hooli & Co"


@pytest.mark.parametrize("line", ["Acme: follow up friday", "Acme: #renewal", "Acme: call"])
def test_a_line_that_says_anything_is_saved_as_before(slack, runtime, customers, line):
    reply = slack.command("U0ALICE", line).json()

    assert texts(reply).startswith("Logged ")
    assert stored(runtime)[0] == 1
