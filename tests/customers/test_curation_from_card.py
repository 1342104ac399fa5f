"""Keeping the store clean from the real customer card: /customer, its buttons, and the card after a merge."""

from __future__ import annotations

import pytest

from storage.customers import add_contact, customer
from storage.workspaces import workspace_for_team
from tests.conftest import TEAM
from tests.helpers import element, seed_customers, texts


@pytest.fixture
def customers(runtime, standin):
    standin.add_user("U0DAVE", name="dave", real_name="Dave Admin", tz="Europe/London", is_admin=True)
    ids = seed_customers(runtime, TEAM, {"name": "Acme Corp", "domain": "acme.com"}, {"name": "Acme Inc"})
    with runtime.sessions.begin() as session:
        workspace = workspace_for_team(session, TEAM)
        add_contact(session, customer(session, workspace.id, ids["Acme Inc"]), name="Dana Scully", now=runtime.now())
    return ids


def card(slack, text: str, user: str = "U0ALICE") -> dict:
    return slack.command(user, text, command="/customer").json()


def test_the_cards_buttons_change_the_customer_and_a_merged_card_points_to_the_survivor(
    slack, standin, runtime, customers
):
    shown = card(slack, "Acme Corp")
    block_id, set_stage = element(shown, "card_set_stage")
    slack.click("U0ALICE", set_stage, block_id=block_id)
    [opened] = standin.wait_for("views.open")
    stage = {"stage": {"value": {"type": "static_select", "selected_option": {"value": "onboarding"}}}}
    assert slack.submit("U0ALICE", opened.params["view"], stage).body == ""
    assert "stage none → onboarding" in texts(standin.wait_for("response_url")[0].params)
    assert "onboarding" in texts(card(slack, "Acme Corp"))

    old_card = card(slack, "Acme Inc", user="U0DAVE")
    block_id, merge = element(old_card, "card_merge")
    slack.click("U0DAVE", merge, block_id=block_id)
    merge_view = standin.wait_for("views.open", count=2)[-1].params["view"]
    values = {
        "other": {
            "merge_customer_select": {
                "type": "external_select",
                "selected_option": {"value": str(customers["Acme Corp"])},
            }
        },
        "survivor": {"value": {"type": "radio_buttons", "selected_option": {"value": "other"}}},
    }
    assert slack.submit("U0DAVE", merge_view, values).body == ""
    merged = standin.wait_for("response_url", count=2)[-1].params
    assert "Merged *Acme Inc* into *Acme Corp*" in texts(merged)

    # The contact and the old name now find the survivor's card.
    assert "Acme Corp" in texts(card(slack, "Dana Scully"))
    assert "Acme Corp" in texts(card(slack, "Acme Inc"))
    # A button of the old card explains, and its Open button shows the survivor's card.
    block_id, edit = element(old_card, "card_edit")
    slack.click("U0ALICE", edit, block_id=block_id)
    told = standin.wait_for("response_url", count=3)[-1].params
    assert "*Acme Inc* was merged into *Acme Corp*" in texts(told)
    _, open_survivor = element(told, "card_open")
    slack.click("U0ALICE", open_survivor)
    opened_card = standin.wait_for("response_url", count=4)[-1].params
    assert "Acme Corp" in texts(opened_card) and "onboarding" in texts(opened_card)
