"""A new customer's name is at most 200 characters and has a letter or digit, whichever way it is created;
a name that can't be one is never offered as a *Create* button, and the line it came with stays saved."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.blocks import CREATE_CUSTOMER, PICK_CUSTOMER, logged_reply
from bot.capture.touchpoints import BadName, LogOutcome, TouchpointView, create_customer
from storage.models import Customer, Touchpoint
from storage.workspaces import workspace_for_team
from tests.conftest import BERLIN, START, TEAM
from tests.helpers import count, elements, seed_customers, texts


@pytest.fixture
def customers(runtime):
    return seed_customers(runtime, TEAM, {"name": "Acme Corp"}, {"name": "Globex"})


def customer_names(runtime) -> list[str]:
    with runtime.sessions.begin() as session:
        return list(session.scalars(select(Customer.name).order_by(Customer.id)))


def test_creating_a_customer_refuses_a_name_over_200_characters_and_writes_nothing(runtime):
    with runtime.sessions.begin() as session:
        workspace_id = workspace_for_team(session, TEAM).id
    for name in ("N" * 201, "N" * 39_002, " 🙂 !! "):
        with runtime.sessions.begin() as session, pytest.raises(BadName):
            create_customer(session, workspace_id, "U0ALICE", name, now=START)
    with runtime.sessions.begin() as session:
        assert count(session, Customer) == 0
        create_customer(session, workspace_id, "U0ALICE", "N" * 200, now=START)

    assert customer_names(runtime) == ["N" * 200]


def test_the_log_form_refuses_a_new_name_over_the_limit_and_stays_open(slack, standin, runtime, customers):
    slack.command("U0ALICE", "")
    [opened] = standin.wait_for("views.open")
    values = {
        "customer": {"customer_select": {"type": "external_select", "selected_option": {"value": "new:" + "N" * 201}}},
        "kind": {"value": {"type": "static_select", "selected_option": {"value": "call"}}},
    }

    reply = slack.submit("U0ALICE", opened.params["view"], values).json()

    assert reply == {
        "response_action": "errors",
        "errors": {"customer": "A customer's name has at most 200 characters."},
    }
    with runtime.sessions.begin() as session:
        assert count(session, Touchpoint) == 0
    assert customer_names(runtime) == ["Acme Corp", "Globex"]


def test_the_typeahead_offers_create_only_for_a_name_its_option_holds_whole(slack, customers):
    fits = slack.options("U0ALICE", "customer_select", "N" * 140).json()["options"]
    too_long = slack.options("U0ALICE", "customer_select", "N" * 141).json()["options"]

    assert [option["value"] for option in fits] == ["new:" + "N" * 140]
    assert all(not option["value"].startswith("new:") for option in too_long)  # never a name cut to fit


def test_create_on_a_log_reply_for_text_that_cannot_be_a_name_says_so_and_keeps_the_line(slack, standin, runtime):
    reply = slack.command("U0ALICE", "🙂🙂: called about pallets").json()
    assert all(element["action_id"] != CREATE_CUSTOMER for _, element in elements(reply))
    with runtime.sessions.begin() as session:
        tp = session.scalars(select(Touchpoint)).one()

    # A Create button from an older reply, or one made up: the create path checks the name itself.
    slack.click("U0ALICE", {"action_id": CREATE_CUSTOMER, "value": str(tp.id)}, block_id=f"customer:{tp.id}")

    [said] = standin.wait_for("response_url")
    assert said.params["replace_original"] is False  # the reply with Undo and Edit stays
    assert "A customer needs a name with at least one letter or digit." in texts(said.params)
    assert customer_names(runtime) == []
    with runtime.sessions.begin() as session:
        assert session.get(Touchpoint, tp.id).deleted_at is None


def test_a_log_reply_for_a_39002_character_name_offers_the_closest_customers_but_no_create():
    typed = "N" * 39_002
    tp = TouchpointView(
        id=3,
        customer_id=None,
        customer_name=None,
        customer_text=typed,
        kind="call",
        summary="called about pallets",
        tags=[],
        occurred_at=START,
        author_user_id="U0ALICE",
        department="sales",
        source="command",
        permalink=None,
        deleted=False,
        follow_up_due=None,
        follow_up_assignee=None,
        follow_up_text=None,
    )
    outcome = LogOutcome(touchpoint=tp, matched_by="unknown", typed_customer=typed, candidates=[(5, "Acme Corp")])

    reply = logged_reply(outcome, BERLIN)

    offered = [(element["action_id"], element["text"]["text"]) for _, element in elements(reply)]
    assert (PICK_CUSTOMER, "Acme Corp") in offered
    assert all(action_id != CREATE_CUSTOMER for action_id, _ in offered)
    assert {"Undo", "Edit"} <= {label for _, label in offered}
    assert "A customer's name has at most 200 characters." in texts(reply)
    assert all(len(element.get("value", "")) <= 2000 for _, element in elements(reply))
