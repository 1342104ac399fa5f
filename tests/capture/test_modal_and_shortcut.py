"""The log form, its customer typeahead, editing, and the *Log as touchpoint* message shortcut."""

from __future__ import annotations

import json
import urllib.request

import pytest
from sqlalchemy import select

from storage.models import Customer, FollowUp, Touchpoint
from tests.conftest import TEAM
from tests.helpers import element, seed_customers


@pytest.fixture
def customers(runtime):
    return seed_customers(runtime, TEAM, {"name": "Acme Corp", "domain": "acme.com"}, {"name": "Globex"})


def form(customer_value: str, **fields: str) -> dict:
    values = {
        "customer": {"customer_select": {"type": "external_select", "selected_option": {"value": customer_value}}},
        "kind": {"value": {"type": "static_select", "selected_option": {"value": fields.get("kind", "meeting")}}},
        "summary": {"value": {"type": "plain_text_input", "value": fields.get("summary", "demo of the new line")}},
        "tags": {"value": {"type": "plain_text_input", "value": fields.get("tags", "#demo")}},
    }
    if "follow_up_text" in fields:
        values["follow_up_text"] = {"value": {"type": "plain_text_input", "value": fields["follow_up_text"]}}
    if "follow_up_date" in fields:
        values["follow_up_date"] = {"value": {"type": "datepicker", "selected_date": fields["follow_up_date"]}}
    if "occurred" in fields:
        values["occurred"] = {"value": {"type": "datetimepicker", "selected_date_time": int(fields["occurred"])}}
    return values


def opened_view(standin, count=1):
    return standin.wait_for("views.open", count=count)[-1].params["view"]


def test_the_typeahead_finds_customers_and_offers_to_create_what_was_typed(slack, customers):
    options = slack.options("U0ALICE", "customer_select", "acme").json()["options"]

    assert options[0] == {
        "text": {"type": "plain_text", "text": "Acme Corp", "emoji": True},
        "value": str(customers["Acme Corp"]),
    }
    assert options[-1]["value"] == "new:acme"
    assert slack.options("U0ALICE", "customer_select", "Acme Corp").json()["options"][-1]["value"] != "new:Acme Corp"


def test_the_modal_logs_a_touchpoint_with_a_follow_up(slack, standin, runtime, customers):
    slack.command("U0ALICE", "")
    view = opened_view(standin)

    reply = slack.submit("U0ALICE", view, form(str(customers["Globex"]), follow_up_text="tomorrow 3pm"))

    assert reply.status == 200 and reply.body == ""
    with runtime.sessions.begin() as session:
        tp = session.scalars(select(Touchpoint)).one()
        follow_up = session.scalars(select(FollowUp)).one()
    assert (tp.customer_id, tp.kind, tp.summary, tp.tags, tp.source) == (
        customers["Globex"],
        "meeting",
        "demo of the new line",
        ["demo"],
        "modal",
    )
    assert follow_up.due_at.isoformat() == "2026-11-26T14:00:00+00:00"  # 15:00 Berlin
    [confirmation] = standin.wait_for("chat.postEphemeral")
    assert confirmation.params["user"] == "U0ALICE"
    assert confirmation.params["blocks"][0]["text"]["text"].startswith("Logged *meeting* with *Globex*")
    assert confirmation.params["blocks"][1]["elements"][1]["text"] == "`#demo`"  # tags not in the summary


def test_validation_errors_appear_on_the_field_and_nothing_is_saved(slack, standin, runtime, customers):
    slack.command("U0ALICE", "")
    view = opened_view(standin)
    values = form(str(customers["Globex"]), follow_up_text="blorp")
    del values["customer"]

    reply = slack.submit("U0ALICE", view, values).json()

    assert reply["response_action"] == "errors"
    assert set(reply["errors"]) == {"customer", "follow_up_text"}
    with runtime.sessions.begin() as session:
        assert session.scalars(select(Touchpoint)).all() == []


def test_a_new_customer_can_be_created_from_the_form(slack, standin, runtime, customers):
    slack.command("U0ALICE", "")
    slack.submit("U0ALICE", opened_view(standin), form("new:Hooli"))

    with runtime.sessions.begin() as session:
        hooli = session.scalars(select(Customer).where(Customer.name == "Hooli")).one()
        assert session.scalars(select(Touchpoint)).one().customer_id == hooli.id


def test_edit_opens_the_form_prefilled_and_updates_the_reply_in_place(slack, standin, runtime, customers):
    reply = slack.command("U0ALICE", "Acme: call with Dana, follow up friday").json()
    _, edit = element(reply, "tp_edit")
    slack.click("U0ALICE", edit)
    view = opened_view(standin)
    summary_block = next(b for b in view["blocks"] if b["block_id"] == "summary")
    assert summary_block["element"]["initial_value"] == "call with Dana"

    slack.submit("U0ALICE", view, form(str(customers["Globex"]), kind="call", summary="call with Dana and Lee"))

    [updated] = standin.wait_for("response_url")
    assert updated.params["replace_original"] is True
    with runtime.sessions.begin() as session:
        tp = session.scalars(select(Touchpoint)).one()
        statuses = [f.status for f in session.scalars(select(FollowUp))]
    assert (tp.customer_id, tp.summary) == (customers["Globex"], "call with Dana and Lee")
    assert statuses == ["cancelled"]  # the edit cleared the follow-up fields


def test_editing_a_summary_longer_than_the_form_holds_keeps_it_whole_unless_its_words_change(
    slack, standin, runtime, customers
):
    long = " ".join(f"word{i}" for i in range(500))  # 3,889 characters: a line Slack takes, a field it doesn't
    reply = slack.command("U0ALICE", f"Acme: {long}").json()
    _, edit = element(reply, "tp_edit")
    slack.click("U0ALICE", edit)
    view = opened_view(standin)
    shown = next(b for b in view["blocks"] if b["block_id"] == "summary")["element"]["initial_value"]
    assert len(shown) == 3000

    slack.submit("U0ALICE", view, form(str(customers["Globex"]), kind="call", summary=shown))
    with runtime.sessions.begin() as session:
        kept = session.scalars(select(Touchpoint)).one()
    slack.click("U0ALICE", edit)
    slack.submit("U0ALICE", opened_view(standin, count=2), form(str(customers["Globex"]), summary="short now"))
    with runtime.sessions.begin() as session:
        changed = session.scalars(select(Touchpoint)).one()

    assert (kept.kind, kept.customer_id, kept.summary) == ("call", customers["Globex"], long)
    assert changed.summary == "short now"


def test_the_message_shortcut_keeps_the_messages_author_and_permalink(slack, standin, runtime, customers):
    message = {
        "type": "message",
        "user": "U0BOB",
        "ts": "1764064800.000200",
        "text": "Globex wants 40 more units &amp; a discount",
    }
    slack.shortcut("U0ALICE", message, callback_id="log_message", channel="C0SALES")
    view = opened_view(standin)
    summary_block = next(b for b in view["blocks"] if b["block_id"] == "summary")
    assert summary_block["element"]["initial_value"] == "Globex wants 40 more units & a discount"

    slack.submit("U0ALICE", view, form(str(customers["Globex"]), summary=summary_block["element"]["initial_value"]))

    with runtime.sessions.begin() as session:
        tp = session.scalars(select(Touchpoint)).one()
    assert (tp.author_user_id, tp.source, tp.channel_id) == ("U0BOB", "shortcut", "C0SALES")
    assert tp.permalink == "https://example.slack.com/archives/C0SALES/p1764064800000200"


def test_health_answers_when_the_store_answers(served):
    with urllib.request.urlopen(served + "/healthz") as response:
        assert (response.status, response.read()) == (200, b"ok\n")


def test_the_home_tab_offers_a_log_button(slack, standin):
    slack.event({"type": "app_home_opened", "user": "U0ALICE", "tab": "home", "channel": "D0ALICE"})

    [published] = standin.wait_for("views.publish")
    assert published.params["user_id"] == "U0ALICE"
    assert "open_log_modal" in json.dumps(published.params["view"])
