"""`/customer` over signed HTTP: the card, its buttons, the chooser, not-found, old buttons, other workspaces."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.blocks.card import card_message
from bot.customers.card import customer_card
from storage.customers import add_contact, customer
from storage.models import Customer, CustomerName, Touchpoint
from storage.workspaces import set_department, workspace_for_team
from tests.conftest import BERLIN, TEAM
from tests.helpers import element, elements, seed_customers, texts


@pytest.fixture
def customers(runtime):
    ids = seed_customers(
        runtime,
        TEAM,
        {"name": "Acme Corp", "domain": "acme.com", "owner_user_id": "U0CAROL", "stage": "active"},
        {"name": "Globex"},
        {"name": "Umbrella Corporation", "aliases": ["Umbrella"]},
        {"name": "Umbrella Health"},
        {"name": "Wayne Enterprises", "domain": "wayne.com"},
    )
    with runtime.sessions.begin() as session:
        workspace = workspace_for_team(session, TEAM)
        add_contact(
            session,
            customer(session, workspace.id, ids["Acme Corp"]),
            name="Dana Scully",
            email="dana@acme.com",
            role="Head of purchasing",
            now=runtime.now(),
        )
    return ids


def find(slack, text: str, user: str = "U0ALICE") -> dict:
    reply = slack.command(user, text, command="/customer")
    assert reply.status == 200
    return reply.json()


def log(slack, user: str, line: str) -> None:
    assert slack.command(user, line).status == 200


def action_ids(message: dict) -> list[str]:
    return [e["action_id"] for _, e in elements(message)]


def test_a_clear_match_shows_the_card_with_its_story_in_the_viewers_time_zone(slack, clock, customers):
    log(slack, "U0ALICE", "Acme: call with Dana about the renewal, follow up friday")
    clock.advance(hours=2)
    log(slack, "U0BOB", "Acme: invoice 1042 paid late #billing")
    clock.advance(days=1)

    card = find(slack, "acme", user="U0BOB")

    shown = texts(card)
    assert card["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "Acme Corp"}}
    assert "*Stage:* active" in shown and "*Owner:* <@U0CAROL>" in shown and "*Domain:* acme.com" in shown
    # Bob is in New York: the last touch (11:30 UTC, Wed 25 Nov) reads 06:30 there.
    assert "*Last touch:* yesterday (Wed 25 Nov, 06:30)" in shown
    assert "*Last 90 days:* 2 touchpoints" in shown
    assert "by kind: call 1, payment 1" in shown
    assert "<@U0ALICE>, due Fri 27 Nov, 03:00: call with Dana about the renewal" in shown
    latest = shown[shown.index("*Latest touchpoints:*") :]
    assert latest.index("invoice 1042 paid late") < latest.index("call with Dana about the renewal")
    assert "• *payment* · Wed 25 Nov, 06:30 (yesterday) · <@U0BOB>" in latest
    assert "Dana Scully (Head of purchasing, dana@acme.com)" in shown
    assert action_ids(card) == [
        "card_log",
        "card_set_stage",
        "card_set_owner",
        "card_history",
        "card_share",
        "card_edit",
        "card_contacts",
        "card_merge",
        "card_link_channel",
    ]
    assert {e["value"] for _, e in elements(card)} == {str(customers["Acme Corp"])}
    assert card.get("response_type", "ephemeral") == "ephemeral"


def test_the_card_counts_the_last_90_days_by_department_and_links_each_touchpoint_to_its_message(
    slack, standin, runtime, clock, customers
):
    with runtime.sessions.begin() as session:
        workspace = workspace_for_team(session, TEAM)
        for user, department in (("U0ALICE", "sales"), ("U0BOB", "support")):
            set_department(session, workspace.id, user, department)
        old = Touchpoint(
            workspace_id=workspace.id,
            customer_id=customers["Acme Corp"],
            author_user_id="U0CAROL",
            author_department="finance",
            kind="meeting",
            summary="kick-off, long ago",
            occurred_at=clock.instant - timedelta(days=120),
            source="import",
        )
        session.add(old)
        from_message = Touchpoint(
            workspace_id=workspace.id,
            customer_id=customers["Acme Corp"],
            author_user_id="U0BOB",
            author_department="support",
            kind="email",
            summary="parts arrived",
            occurred_at=clock.instant - timedelta(hours=1),
            source="shortcut",
            permalink="https://example.slack.com/archives/C0SALES/p1764064800000200",
        )
        session.add(from_message)
    log(slack, "U0ALICE", "Acme: call with Dana")
    log(slack, "U0ALICE", "Acme: demo meeting")
    log(slack, "U0BOB", "Acme: ticket about a broken part")

    shown = texts(find(slack, "acme corp"))

    assert "*Last 90 days:* 4 touchpoints\n• by department: sales 2, support 2" in shown
    assert "kick-off, long ago" not in shown.split("*Latest touchpoints:*")[0]
    assert "parts arrived · <https://example.slack.com/archives/C0SALES/p1764064800000200|message>" in shown
    assert "<@U0BOB>, support" in shown


def test_several_plausible_matches_offer_a_chooser_and_a_choice_replaces_it_with_the_card(slack, standin, customers):
    chooser = find(slack, "umbrela helth")
    chooser = find(slack, "umbr")

    assert "Several customers match “umbr”" in texts(chooser)
    labels = {e["text"]["text"]: e["value"] for _, e in elements(chooser) if e["action_id"] == "card_choose"}
    assert labels == {
        "Umbrella Corporation": str(customers["Umbrella Corporation"]),
        "Umbrella Health": str(customers["Umbrella Health"]),
    }

    block_id, choice = element(chooser, "card_choose", "Umbrella Health")
    assert slack.click("U0ALICE", choice, block_id=block_id).status == 200
    [update] = standin.wait_for("response_url")
    assert update.params["replace_original"] is True
    assert update.params["blocks"][0]["text"]["text"] == "Umbrella Health"


def test_typos_partial_words_domains_and_contact_emails_open_the_card_directly(slack, customers):
    for typed, name in (
        ("umbrela corp", "Umbrella Corporation"),
        ("wayne ent", "Wayne Enterprises"),
        ("acme.com", "Acme Corp"),
        ("ACME", "Acme Corp"),
        ("globx", "Globex"),
    ):
        card = find(slack, typed)
        assert card["blocks"][0]["text"]["text"] == name, typed

    card = find(slack, "dana@acme.com")
    assert card["blocks"][1]["text"]["text"] == "Acme Corp"
    assert "Found by its contact e-mail “dana@acme.com”" in texts(card)


def test_no_match_offers_the_closest_names_and_to_create_what_was_typed(slack, customers):
    reply = find(slack, "Globe Trotters &lt;!here&gt;")  # as Slack sends what was typed

    shown = texts(reply)
    assert "No customer matches “Globe Trotters &lt;!here&gt;”" in shown
    assert "<!here>" not in shown
    _, create = element(reply, "card_create")
    assert create["value"] == "Globe Trotters <!here>"
    closest = [e["text"]["text"] for _, e in elements(reply) if e["action_id"] == "card_choose"]
    assert closest and closest[0] == "Globex"


def test_customer_alone_lists_the_customers_the_viewer_touched_most_recently(slack, clock, customers):
    assert "haven't logged a touchpoint" in texts(find(slack, ""))
    log(slack, "U0ALICE", "Globex: call")
    clock.advance(minutes=5)
    log(slack, "U0ALICE", "Acme: meeting")
    clock.advance(minutes=5)
    log(slack, "U0BOB", "Wayne Enterprises: email")

    reply = find(slack, "  ")

    assert "Customers you touched most recently" in texts(reply)
    assert [e["text"]["text"] for _, e in elements(reply)] == ["Acme Corp", "Globex"]


def test_log_touchpoint_opens_the_log_form_prefilled_with_the_customer(slack, standin, runtime, customers):
    card = find(slack, "acme")
    block_id, log_button = element(card, "card_log")

    assert slack.click("U0ALICE", log_button, block_id=block_id).status == 200

    view = standin.wait_for("views.open")[0].params["view"]
    [customer_block] = [b for b in view["blocks"] if b["block_id"] == "customer"]
    assert customer_block["element"]["initial_option"]["value"] == str(customers["Acme Corp"])
    values = {
        "customer": {
            "customer_select": {"type": "external_select", "selected_option": {"value": str(customers["Acme Corp"])}}
        },
        "kind": {"value": {"type": "static_select", "selected_option": {"value": "visit"}}},
        "summary": {"value": {"type": "plain_text_input", "value": "plant tour"}},
    }
    assert slack.submit("U0ALICE", view, values).status == 200
    with runtime.sessions.begin() as session:
        tp = session.scalars(select(Touchpoint)).one()
    assert (tp.customer_id, tp.kind, tp.summary) == (customers["Acme Corp"], "visit", "plant tour")
    [confirmation] = standin.wait_for("chat.postEphemeral")
    assert confirmation.params["channel"] == "C0GENERAL"


def test_full_history_pages_through_every_touchpoint(slack, standin, runtime, clock, customers):
    with runtime.sessions.begin() as session:
        workspace = workspace_for_team(session, TEAM)
        for n in range(45):
            session.add(
                Touchpoint(
                    workspace_id=workspace.id,
                    customer_id=customers["Globex"],
                    author_user_id="U0ALICE",
                    kind="call",
                    summary=f"call number {n + 1}",
                    occurred_at=clock.instant - timedelta(hours=45 - n),
                    source="import",
                )
            )
    card = find(slack, "globex")
    block_id, history = element(card, "card_history")
    slack.click("U0ALICE", history, block_id=block_id)
    view = standin.wait_for("views.open")[0].params["view"]

    shown = texts(view)
    assert "call number 45" in shown and "call number 26" in shown and "call number 25" not in shown
    assert [e["text"]["text"] for _, e in elements(view)] == ["Next →"]

    for page, expected in ((2, ("call number 25", "call number 6")), (3, ("call number 5", "call number 1"))):
        block_id, next_button = element(view, "card_history_page", "Next")
        slack.click_in_view("U0ALICE", {**view, "id": "V0HIST"}, next_button, block_id=block_id)
        update = standin.wait_for("views.update", count=page - 1)[-1].params
        assert update["view_id"] == "V0HIST"
        view = update["view"]
        assert all(text in texts(view) for text in expected)
    assert [e["text"]["text"] for _, e in elements(view)] == ["← Previous"]
    assert "Touchpoints 41–45" in texts(view)


def test_share_posts_the_card_in_the_channel_saying_who_shared_it(slack, standin, customers):
    card = find(slack, "acme")
    assert not standin.calls_to("chat.postMessage")  # nothing is visible to others until Share is pressed
    block_id, share = element(card, "card_share")

    slack.click("U0BOB", share, block_id=block_id, channel="C0SALES")

    [posted] = standin.wait_for("chat.postMessage")
    assert posted.params["channel"] == "C0SALES"
    assert "Shared by <@U0BOB> with `/customer` · times in America/New_York" in texts(posted.params)
    assert "card_share" not in action_ids(posted.params)
    [update] = standin.wait_for("response_url")
    assert "Shared the card of *Acme Corp* in this channel" in texts(update.params)
    assert update.params["replace_original"] is True


def test_share_where_the_bot_is_not_invited_says_how_to_fix_it(slack, standin, customers):
    card = find(slack, "acme")
    standin.fail_next("chat.postMessage", error="not_in_channel")
    block_id, share = element(card, "card_share")

    slack.click("U0BOB", share, block_id=block_id, channel="C0PRIVATE")

    [update] = standin.wait_for("response_url")
    assert "invite me first" in texts(update.params)
    assert update.params["replace_original"] is False


def test_old_buttons_of_a_merged_customer_show_the_survivor_and_of_a_deleted_one_say_so(
    slack, standin, runtime, clock, customers
):
    card = find(slack, "umbrella health")
    with runtime.sessions.begin() as session:
        session.get(Customer, customers["Umbrella Health"]).merged_into_id = customers["Umbrella Corporation"]
        session.get(Customer, customers["Globex"]).deleted_at = clock.instant

    for action_id in ("card_share", "card_choose"):
        block_id, button = element(card, "card_share") if action_id == "card_share" else element(card, "card_history")
        slack.click("U0ALICE", {**button, "action_id": action_id}, block_id=block_id)
    updates = standin.wait_for("response_url", count=2)
    for update in updates:
        assert "*Umbrella Health* was merged into *Umbrella Corporation*" in texts(update.params)
        assert update.params["blocks"][1]["text"]["text"] == "Umbrella Corporation"
    assert not standin.calls_to("chat.postMessage")  # a merged card is shown first, never shared unseen

    block_id, log_button = element(card, "card_log")
    slack.click("U0ALICE", log_button, block_id=block_id)
    view = standin.wait_for("views.open")[0].params["view"]
    [customer_block] = [b for b in view["blocks"] if b["block_id"] == "customer"]
    assert customer_block["element"]["initial_option"]["value"] == str(customers["Umbrella Corporation"])

    for action_id in ("card_open", "card_history", "card_log"):
        slack.click("U0ALICE", {"action_id": action_id, "value": str(customers["Globex"])})
    gone = standin.wait_for("response_url", count=6)[3:]
    assert all("*Globex* was deleted" in texts(update.params) for update in gone)
    assert len(standin.calls_to("views.open")) == 1


def test_a_viewer_never_sees_another_workspaces_customers(slack, standin, runtime, customers):
    others = seed_customers(runtime, "T0OTHER", {"name": "Initech", "domain": "initech.com"}, {"name": "Acme Labs"})

    reply = find(slack, "initech")
    assert "No customer matches" in texts(reply)
    assert "Initech" not in json.dumps(reply).replace("“initech”", "")
    assert "Acme Labs" not in json.dumps(find(slack, "acme labs"))

    slack.click("U0ALICE", {"action_id": "card_open", "value": str(others["Initech"])})
    [update] = standin.wait_for("response_url")
    assert "not in this workspace's store" in texts(update.params)
    assert "Initech" not in json.dumps(update.params)


def test_card_open_from_a_view_sends_the_card_as_a_direct_message(slack, standin, customers):
    reply = slack.click_in_view(
        "U0ALICE", {"id": "V0HOME", "type": "home"}, {"action_id": "card_open", "value": str(customers["Acme Corp"])}
    )
    assert reply.status == 200
    [dm] = standin.wait_for("chat.postMessage")
    assert dm.params["channel"] == "U0ALICE"
    assert dm.params["blocks"][0]["text"]["text"] == "Acme Corp"


def test_bad_input_answers_sensibly(slack, runtime, customers):
    seed_customers(
        runtime,
        TEAM,
        {"name": "Газпром нефть"},
        {"name": "東京物産"},
        {"name": "<!channel> & Sons"},
        {"name": "Zürich Versicherung AG"},
    )

    assert "Look up a customer" in texts(find(slack, "help"))
    for typed in ("?!… 🎉🎉", "***", "—"):
        assert "it has no letters or digits" in texts(find(slack, typed)), typed
    huge = find(slack, "Acme " + "x" * 5000)
    assert "first 100 characters" in texts(huge)
    assert len(json.dumps(huge)) < 20_000
    assert find(slack, "газпром")["blocks"][0]["text"]["text"] == "Газпром нефть"
    assert find(slack, "gazprom")["blocks"][0]["text"]["text"] == "Газпром нефть"
    assert find(slack, "東京物産")["blocks"][0]["text"]["text"] == "東京物産"
    assert find(slack, "zuerich versicherung")["blocks"][0]["text"]["text"] == "Zürich Versicherung AG"
    card = find(slack, "sons")
    assert "<!channel>" not in json.dumps(card).replace('"text": "<!channel> & Sons"', "")


def test_the_card_stays_within_block_kit_limits_for_a_busy_customer(runtime, clock, customers):
    with runtime.sessions.begin() as session:
        workspace = workspace_for_team(session, TEAM)
        row = customer(session, workspace.id, customers["Acme Corp"])
        for n in range(30):
            add_contact(session, row, name=f"Contact {n} " + "x" * 150, email=f"c{n}@acme.com", now=clock.instant)
            session.add(
                Touchpoint(
                    workspace_id=workspace.id,
                    customer_id=row.id,
                    author_user_id="U0ALICE",
                    kind="note",
                    summary="y" * 4000,
                    occurred_at=clock.instant - timedelta(hours=n),
                    source="import",
                )
            )
    with runtime.readers.begin() as session:
        card = customer_card(session, workspace.id, customers["Acme Corp"], now=clock.instant, tz=BERLIN)
    reply = card_message(card, BERLIN, clock.instant)
    assert len(reply["blocks"]) <= 50
    for block in reply["blocks"]:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
    assert "…and 23 more" in texts(reply)


def test_a_name_switched_off_no_longer_finds_its_customer(slack, runtime, customers):
    assert find(slack, "globex")["blocks"][0]["text"]["text"] == "Globex"
    with runtime.sessions.begin() as session:
        for name in session.scalars(select(CustomerName).where(CustomerName.customer_id == customers["Globex"])):
            name.active = False  # as a rename does: the row stays, switched off

    reply = find(slack, "globex")

    assert "No customer matches “globex”" in texts(reply)
    assert all(e["action_id"] == "card_create" for _, e in elements(reply))


def test_a_button_with_a_value_that_is_no_customer_id_says_so(slack, standin, customers):
    slack.click("U0ALICE", {"action_id": "card_choose", "value": "not-a-number"})

    [update] = standin.wait_for("response_url")
    assert "not in this workspace's store" in texts(update.params)


def test_many_plausible_matches_show_five_and_say_how_many_more(slack, runtime, customers):
    seed_customers(runtime, TEAM, *({"name": f"Nordwind Logistik {n}"} for n in range(9)))

    reply = find(slack, "nordwind")

    assert len([e for _, e in elements(reply) if e["action_id"] == "card_choose"]) == 5
    assert "(4 more match: type more of the name to narrow it down.)" in texts(reply)
