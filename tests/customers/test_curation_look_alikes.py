"""Creating a customer that looks like an existing one asks first, on every create path; nothing typed is lost."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.customers.curation import look_alikes
from bot.customers.name_index import CustomerIndexes
from storage.models import Customer, FollowUp, Touchpoint
from storage.workspaces import workspace_for_team
from tests.conftest import TEAM
from tests.helpers import count, element, seed_customers, texts


@pytest.fixture
def customers(runtime):
    return seed_customers(
        runtime,
        TEAM,
        {"name": "Acme Corp", "domain": "acme.com", "aliases": ["Roadrunner Supplies"]},
        {"name": "Globex"},
        {"name": "Wayne Enterprises", "domain": "wayne-ent.com"},
    )


def customer_names(runtime) -> list[str]:
    with runtime.sessions.begin() as session:
        return list(session.scalars(select(Customer.name).order_by(Customer.id)))


def alike_names(runtime, typed: str) -> list[tuple[str, str, str]]:
    with runtime.sessions.begin() as session:
        workspace = workspace_for_team(session, TEAM)
        found = look_alikes(session, CustomerIndexes(), workspace.id, typed)
    return [(a.name, a.kind, a.matched) for a in found]


def test_look_alikes_by_legal_form_alias_domain_and_typo_but_not_exact_or_unrelated_names(runtime, customers):
    assert alike_names(runtime, "Acme Inc") == [("Acme Corp", "name", "Acme Corp")]
    assert alike_names(runtime, "Roadrunner Supplies GmbH") == [("Acme Corp", "alias", "Roadrunner Supplies")]
    assert alike_names(runtime, "wayne-ent.com") == [("Wayne Enterprises", "domain", "wayne-ent.com")]
    assert alike_names(runtime, "Globexx") == [("Globex", "name", "Globex")]
    assert alike_names(runtime, "AB Globex") == [("Globex", "name", "Globex")]  # a leading legal form
    assert alike_names(runtime, "Acme Corp") == []  # the same name: creating it simply uses that customer
    assert alike_names(runtime, "Umbrella Corp") == []
    assert alike_names(runtime, "   ") == []
    assert seed_customers(runtime, "T0OTHER", {"name": "Hooli"})
    assert alike_names(runtime, "Hooli Inc") == []  # another workspace's customers are never suggested


def test_the_log_replys_create_asks_first_and_use_it_finishes_the_saved_line(slack, standin, runtime, customers):
    # Acme Corp and Acme Logistics both come close to "Acmee Ltd": /log cannot tell, so it offers Create.
    seed_customers(runtime, TEAM, {"name": "Acme Logistics"})
    reply = slack.command("U0ALICE", "Acmee Ltd: call with Dana about pallets, follow up friday").json()
    block_id, create = element(reply, "tp_create_customer")

    slack.click("U0ALICE", create, block_id=block_id)

    [question] = standin.wait_for("response_url")
    assert question.params["replace_original"] is True
    assert "*Acmee Ltd* looks like *Acme Corp*: use it?" in texts(question.params)
    assert "call with Dana about pallets" in texts(question.params)  # the saved line is still shown
    assert customer_names(runtime) == ["Acme Corp", "Globex", "Wayne Enterprises", "Acme Logistics"]
    block_id, use = element(question.params, "tp_pick_customer", "Use Acme Corp")

    slack.click("U0ALICE", use, block_id=block_id)

    [_, logged] = standin.wait_for("response_url", count=2)
    assert logged.params["blocks"][0]["text"]["text"].startswith("Logged *call* with *Acme Corp*")
    with runtime.sessions.begin() as session:
        tp = session.scalars(select(Touchpoint)).one()
        follow_up = session.scalars(select(FollowUp)).one()
    assert tp.customer_id == follow_up.customer_id == customers["Acme Corp"]
    assert customer_names(runtime) == ["Acme Corp", "Globex", "Wayne Enterprises", "Acme Logistics"]


def test_create_anyway_creates_the_new_customer_and_finishes_the_line(slack, standin, runtime, customers):
    seed_customers(runtime, TEAM, {"name": "Acme Logistics"})
    reply = slack.command("U0ALICE", "Acmee Ltd: call with Dana").json()
    block_id, create = element(reply, "tp_create_customer")
    slack.click("U0ALICE", create, block_id=block_id)
    [question] = standin.wait_for("response_url")
    block_id, anyway = element(question.params, "tp_create_customer_anyway")
    assert anyway["text"]["text"] == "Create “Acmee Ltd” anyway"

    slack.click("U0ALICE", anyway, block_id=block_id)

    [_, logged] = standin.wait_for("response_url", count=2)
    assert logged.params["blocks"][0]["text"]["text"].startswith("Logged *call* with *Acmee Ltd*")
    with runtime.sessions.begin() as session:
        created = session.scalars(select(Customer).where(Customer.name == "Acmee Ltd")).one()
        assert session.scalars(select(Touchpoint)).one().customer_id == created.id


def test_a_clear_typo_with_another_legal_form_is_read_as_the_customer_by_log_itself(slack, runtime, customers):
    reply = slack.command("U0ALICE", "Globexx Ltd: call with Dana").json()

    assert reply["blocks"][0]["text"]["text"] == "Logged *call* with *Globex*"
    assert "I read “Globexx Ltd” as Globex." in texts(reply)
    assert customer_names(runtime) == ["Acme Corp", "Globex", "Wayne Enterprises"]


def test_a_name_like_no_one_is_created_at_once_from_the_log_reply(slack, standin, runtime, customers):
    reply = slack.command("U0ALICE", "Umbrella Corp: call").json()
    block_id, create = element(reply, "tp_create_customer")

    slack.click("U0ALICE", create, block_id=block_id)

    [logged] = standin.wait_for("response_url")
    assert logged.params["blocks"][0]["text"]["text"].startswith("Logged *call* with *Umbrella Corp*")
    assert customer_names(runtime)[-1] == "Umbrella Corp"


def test_the_card_create_button_asks_about_a_domain_look_alike_then_creates_anyway(slack, standin, runtime, customers):
    slack.click("U0ALICE", {"action_id": "card_create", "value": "wayne-ent.com"})

    [question] = standin.wait_for("response_url")
    assert "*wayne-ent.com* looks like *Wayne Enterprises* (domain wayne-ent.com): use it?" in texts(question.params)
    _, open_existing = element(question.params, "card_open")
    assert open_existing["value"] == str(customers["Wayne Enterprises"])
    _, anyway = element(question.params, "card_create_anyway")

    slack.click("U0ALICE", anyway)

    [_, created] = standin.wait_for("response_url", count=2)
    assert "Created *wayne-ent.com*" in texts(created.params)
    with runtime.sessions.begin() as session:
        new = session.scalars(select(Customer).where(Customer.name == "wayne-ent.com")).one()
    _, open_new = element(created.params, "card_open")
    assert open_new["value"] == str(new.id)


def test_the_card_create_button_creates_a_new_name_and_escapes_it(slack, standin, runtime, customers):
    slack.click("U0ALICE", {"action_id": "card_create", "value": "Initech <!channel>"})

    [created] = standin.wait_for("response_url")
    assert "Created *Initech &lt;!channel&gt;*" in texts(created.params)
    assert "<!channel>" not in created.params["blocks"][0]["text"]["text"]
    assert customer_names(runtime)[-1] == "Initech <!channel>"


def test_the_card_create_button_refuses_a_name_without_letters_or_too_long(slack, standin, runtime, customers):
    slack.click("U0ALICE", {"action_id": "card_create", "value": " 🙂 !! "})
    slack.click("U0ALICE", {"action_id": "card_create", "value": "Umbrella " * 30})

    said = "\n".join(texts(call.params) for call in standin.wait_for("response_url", count=2))
    assert "needs a name with at least one letter" in said
    assert "at most 200 characters" in said
    assert len(customer_names(runtime)) == 3


def log_form(customer_value: str) -> dict:
    return {
        "customer": {"customer_select": {"type": "external_select", "selected_option": {"value": customer_value}}},
        "kind": {"value": {"type": "static_select", "selected_option": {"value": "meeting"}}},
        "summary": {"value": {"type": "plain_text_input", "value": "demo of the new line"}},
    }


def asked_view(slack, standin):
    slack.command("U0ALICE", "")
    [opened] = standin.wait_for("views.open")
    view = opened.params["view"]
    reply = slack.submit("U0ALICE", view, log_form("new:Acme Inc")).json()
    assert reply["response_action"] == "update"
    return reply["view"]


def test_the_log_form_asks_about_a_look_alike_keeping_everything_typed(slack, standin, runtime, customers):
    updated = asked_view(slack, standin)

    block_ids = [b.get("block_id") for b in updated["blocks"]]
    assert block_ids.index("look_alike:Acme Inc") == block_ids.index("customer") + 1
    question = updated["blocks"][block_ids.index("look_alike:Acme Inc")]
    assert question["label"]["text"] == "“Acme Inc” looks like Acme Corp: use it?"
    assert [o["value"] for o in question["element"]["options"]] == [str(customers["Acme Corp"]), "new:Acme Inc"]
    assert updated["callback_id"] == "log_modal"
    with runtime.sessions.begin() as session:
        assert count(session, Touchpoint) == 0  # nothing saved yet, nothing lost: the form is still open

    values = {
        **log_form("new:Acme Inc"),
        "look_alike:Acme Inc": {
            "value": {"type": "radio_buttons", "selected_option": {"value": str(customers["Acme Corp"])}}
        },
    }
    assert slack.submit("U0ALICE", updated, values).body == ""

    with runtime.sessions.begin() as session:
        tp = session.scalars(select(Touchpoint)).one()
    assert (tp.customer_id, tp.summary) == (customers["Acme Corp"], "demo of the new line")
    assert customer_names(runtime) == ["Acme Corp", "Globex", "Wayne Enterprises"]


def test_the_log_form_creates_the_look_alike_anyway_when_asked_to(slack, standin, runtime, customers):
    updated = asked_view(slack, standin)
    values = {
        **log_form("new:Acme Inc"),
        "look_alike:Acme Inc": {"value": {"type": "radio_buttons", "selected_option": {"value": "new:Acme Inc"}}},
    }

    assert slack.submit("U0ALICE", updated, values).body == ""

    with runtime.sessions.begin() as session:
        created = session.scalars(select(Customer).where(Customer.name == "Acme Inc")).one()
        assert session.scalars(select(Touchpoint)).one().customer_id == created.id


def test_an_unanswered_question_is_pointed_out_and_a_changed_name_is_asked_afresh(slack, standin, runtime, customers):
    updated = asked_view(slack, standin)
    unanswered = {**log_form("new:Acme Inc"), "look_alike:Acme Inc": {"value": {"type": "radio_buttons"}}}

    reply = slack.submit("U0ALICE", updated, unanswered).json()

    assert reply == {
        "response_action": "errors",
        "errors": {"look_alike:Acme Inc": "Use an existing customer, or create “Acme Inc” anyway."},
    }
    renamed = {**log_form("new:Globexx"), "look_alike:Acme Inc": {"value": {"type": "radio_buttons"}}}
    again = slack.submit("U0ALICE", updated, renamed).json()
    assert again["response_action"] == "update"
    block_ids = [b.get("block_id") for b in again["view"]["blocks"]]
    assert "look_alike:Globexx" in block_ids and "look_alike:Acme Inc" not in block_ids
    with runtime.sessions.begin() as session:
        assert count(session, Touchpoint) == 0
