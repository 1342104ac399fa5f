"""Merging two customers from the card, who may do it, undoing it, and old buttons pointing to the survivor."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.curation import stage_changes
from storage.customers import add_contact
from storage.models import AuditEvent, Contact, Customer, CustomerName, FollowUp, Touchpoint
from tests.conftest import TEAM
from tests.helpers import element, seed_customers, texts


@pytest.fixture
def customers(runtime, standin):
    standin.add_user("U0DAVE", name="dave", real_name="Dave Admin", tz="Europe/London", is_admin=True)
    ids = seed_customers(
        runtime,
        TEAM,
        {"name": "Acme Corp", "domain": "acme.com", "owner_user_id": "U0BOB"},
        {"name": "Acme Inc", "domain": "acme.io", "aliases": ["Roadrunner Supplies"], "stage": "lead"},
        {"name": "Globex", "owner_user_id": "U0CAROL"},
    )
    with runtime.sessions.begin() as session:
        add_contact(
            session, session.get(Customer, ids["Acme Inc"]), name="Dana Scully", email="dana@acme.io", now=runtime.now()
        )
    return ids


@pytest.fixture
def logged(slack, customers):
    """A touchpoint with a follow-up for each Acme, logged through /log."""
    first = slack.command("U0ALICE", "Acme Corp: call with Lee, follow up friday").json()
    second = slack.command("U0ALICE", "Acme Inc: demo with Dana, follow up monday").json()
    assert "*Acme Corp*" in texts(first) and "*Acme Inc*" in texts(second)


def open_merge(slack, standin, user: str, customer_id: int) -> dict:
    opened = len(standin.calls_to("views.open"))
    slack.click(user, {"action_id": "card_merge", "value": str(customer_id)})
    return standin.wait_for("views.open", count=opened + 1)[-1].params["view"]


def merge_form(other: int, keep: str = "this") -> dict:
    return {
        "other": {"merge_customer_select": {"type": "external_select", "selected_option": {"value": str(other)}}},
        "survivor": {"value": {"type": "radio_buttons", "selected_option": {"value": keep}}},
    }


def rows(runtime, model) -> list:
    with runtime.sessions.begin() as session:
        return list(session.scalars(select(model).order_by(model.id)))


def active_values(runtime, customer_id: int) -> set[tuple[str, str]]:
    with runtime.sessions.begin() as session:
        found = session.execute(
            select(CustomerName.kind, CustomerName.value).where(
                CustomerName.customer_id == customer_id, CustomerName.active.is_(True)
            )
        )
        return set(found)


def test_the_owner_merges_everything_into_their_customer_and_undo_puts_it_all_back(
    slack, standin, runtime, customers, logged
):
    corp, inc = customers["Acme Corp"], customers["Acme Inc"]
    names_before = {corp: active_values(runtime, corp), inc: active_values(runtime, inc)}
    options = slack.options("U0BOB", "merge_customer_select", "acme", block_id="other").json()["options"]
    assert {o["value"] for o in options} >= {str(corp), str(inc)}
    assert not any(o["value"].startswith("new:") for o in options)  # merging never creates a customer
    view = open_merge(slack, standin, "U0BOB", corp)
    assert view["callback_id"] == "curation_merge"

    assert slack.submit("U0BOB", view, merge_form(inc)).body == ""

    [done] = standin.wait_for("response_url")
    said = texts(done.params)
    assert "Merged *Acme Inc* into *Acme Corp*: 1 touchpoint, 1 follow-up, 1 contact moved" in said
    assert "“Acme Inc” is now an alias of Acme Corp" in said
    assert {t.customer_id for t in rows(runtime, Touchpoint)} == {corp}
    assert {f.customer_id for f in rows(runtime, FollowUp)} == {corp}
    assert [c.customer_id for c in rows(runtime, Contact)] == [corp]
    with runtime.sessions.begin() as session:
        absorbed, survivor = session.get(Customer, inc), session.get(Customer, corp)
        assert absorbed.merged_into_id == corp and absorbed.deleted_at is None
        assert (survivor.name, survivor.domain, survivor.stage) == ("Acme Corp", "acme.com", "lead")
    assert active_values(runtime, inc) == set()
    assert {
        ("alias", "Acme Inc"),
        ("alias", "Roadrunner Supplies"),
        ("domain", "acme.io"),
        ("contact", "Dana Scully"),
        ("email", "dana@acme.io"),
    } <= active_values(runtime, corp)
    [event] = [e for e in rows(runtime, AuditEvent) if e.action == "merged"]
    tp_inc = [t.id for t in rows(runtime, Touchpoint) if t.summary.startswith("demo")]
    assert (event.actor_user_id, event.entity_id, event.details["survivor"]) == ("U0BOB", inc, corp)
    assert event.details["touchpoints"] == tp_inc
    assert event.details["follow_ups"] == [f.id for f in rows(runtime, FollowUp) if f.touchpoint_id in tp_inc]
    assert event.details["contacts"] == [c.id for c in rows(runtime, Contact)]

    # The absorbed names now find the survivor, on /log too.
    for line in ("Acme Inc: invoice sent", "Roadrunner Supplies: call", "dana@acme.io: emailed"):
        assert slack.command("U0ALICE", line).json()["blocks"][0]["text"]["text"].startswith("Logged")
    assert {t.customer_id for t in rows(runtime, Touchpoint)} == {corp}

    _, undo = element(done.params, "merge_undo")
    slack.click("U0BOB", undo)

    [_, undone] = standin.wait_for("response_url", count=2)
    assert "Undone: *Acme Inc* is its own customer again" in texts(undone.params)
    _, open_again = element(undone.params, "card_open")
    assert open_again["value"] == str(inc)
    by_summary = {t.summary: t.customer_id for t in rows(runtime, Touchpoint)}
    assert by_summary["demo with Dana"] == inc and by_summary["call with Lee"] == corp
    assert by_summary["invoice sent"] == corp  # logged after the merge: not part of what the merge moved
    assert {f.customer_id for f in rows(runtime, FollowUp)} == {corp, inc}
    assert [c.customer_id for c in rows(runtime, Contact)] == [inc]
    with runtime.sessions.begin() as session:
        absorbed, survivor = session.get(Customer, inc), session.get(Customer, corp)
        assert absorbed.merged_into_id is None and survivor.stage is None
        history = [
            (c.from_stage, c.to_stage, c.changed_by) for c in stage_changes(session, absorbed.workspace_id, corp)
        ]
    assert history == [(None, "lead", "U0BOB"), ("lead", None, "U0BOB")]  # the stage it gained, and gave back
    assert active_values(runtime, inc) == names_before[inc]
    assert active_values(runtime, corp) == names_before[corp]
    [unmerged] = [e for e in rows(runtime, AuditEvent) if e.action == "unmerged"]
    assert (unmerged.actor_user_id, unmerged.details["merge"], unmerged.details["touchpoints"]) == (
        "U0BOB",
        event.id,
        tp_inc,
    )
    assert (
        slack.command("U0ALICE", "Acme Inc: call about the invoice")
        .json()["blocks"][0]["text"]["text"]
        .startswith("Logged *call* with *Acme Inc*")
    )

    slack.click("U0BOB", undo)  # a second undo changes nothing
    [*_, again] = standin.wait_for("response_url", count=3)
    assert "already undone" in texts(again.params)


def test_an_admin_may_keep_the_other_customer(slack, standin, runtime, customers):
    view = open_merge(slack, standin, "U0DAVE", customers["Acme Inc"])

    assert slack.submit("U0DAVE", view, merge_form(customers["Acme Corp"], keep="other")).body == ""

    assert "Merged *Acme Inc* into *Acme Corp*" in texts(standin.wait_for("response_url")[0].params)
    with runtime.sessions.begin() as session:
        assert session.get(Customer, customers["Acme Inc"]).merged_into_id == customers["Acme Corp"]


def test_someone_neither_admin_nor_owner_is_refused_and_nothing_moves(slack, standin, runtime, customers, logged):
    view = open_merge(slack, standin, "U0CAROL", customers["Acme Corp"])

    reply = slack.submit("U0CAROL", view, merge_form(customers["Acme Inc"])).json()

    assert reply["response_action"] == "errors"
    assert reply["errors"]["survivor"] == (
        "Only a workspace admin or the owner of Acme Corp can merge another customer into it."
    )
    with runtime.sessions.begin() as session:
        assert session.get(Customer, customers["Acme Inc"]).merged_into_id is None
    assert {t.customer_id for t in rows(runtime, Touchpoint)} == {customers["Acme Corp"], customers["Acme Inc"]}
    assert not [e for e in rows(runtime, AuditEvent) if e.action == "merged"]


def test_owning_the_absorbed_customer_is_not_enough(slack, standin, runtime, customers):
    view = open_merge(slack, standin, "U0CAROL", customers["Globex"])

    reply = slack.submit("U0CAROL", view, merge_form(customers["Acme Inc"], keep="other")).json()

    assert (
        reply["errors"]["survivor"]
        == "Only a workspace admin can merge another customer into Acme Inc (it has no owner)."
    )


def test_merging_into_itself_or_another_workspaces_customer_is_refused(slack, standin, runtime, customers):
    other = seed_customers(runtime, "T0OTHER", {"name": "Hooli"})
    view = open_merge(slack, standin, "U0DAVE", customers["Globex"])

    itself = slack.submit("U0DAVE", view, merge_form(customers["Globex"])).json()
    foreign = slack.submit("U0DAVE", view, merge_form(other["Hooli"])).json()
    missing = slack.submit("U0DAVE", view, {"survivor": merge_form(1)["survivor"]}).json()

    assert "same customer" in itself["errors"]["other"]
    assert foreign["errors"] == {"other": "That customer is not in this workspace."}
    assert missing["errors"] == {"other": "Pick the customer to merge with."}
    with runtime.sessions.begin() as session:
        assert session.get(Customer, other["Hooli"]).merged_into_id is None
        assert session.get(Customer, customers["Globex"]).merged_into_id is None


def test_buttons_on_an_old_card_of_a_merged_customer_point_to_the_survivor(slack, standin, runtime, customers):
    view = open_merge(slack, standin, "U0DAVE", customers["Acme Corp"])
    slack.submit("U0DAVE", view, merge_form(customers["Acme Inc"]))
    standin.wait_for("response_url")

    for action_id in ("card_set_stage", "card_set_owner", "card_edit", "card_contacts", "card_merge"):
        slack.click("U0ALICE", {"action_id": action_id, "value": str(customers["Acme Inc"])})

    replies = [c.params for c in standin.wait_for("response_url", count=6)[1:]]
    for reply in replies:
        assert "*Acme Inc* was merged into *Acme Corp*" in texts(reply)
        assert element(reply, "card_open")[1]["value"] == str(customers["Acme Corp"])
    assert len(standin.calls_to("views.open")) == 1  # only the merge modal itself


def test_a_modal_submitted_after_its_customer_was_merged_says_so(slack, standin, runtime, customers):
    opened = len(standin.calls_to("views.open"))
    slack.click("U0ALICE", {"action_id": "card_set_stage", "value": str(customers["Acme Inc"])})
    stage_view = standin.wait_for("views.open", count=opened + 1)[-1].params["view"]
    merge_view = open_merge(slack, standin, "U0DAVE", customers["Acme Corp"])
    slack.submit("U0DAVE", merge_view, merge_form(customers["Acme Inc"]))
    standin.wait_for("response_url")

    stage = {"stage": {"value": {"type": "static_select", "selected_option": {"value": "active"}}}}
    assert slack.submit("U0ALICE", stage_view, stage).body == ""

    [_, told] = standin.wait_for("response_url", count=2)
    assert "*Acme Inc* was merged into *Acme Corp*" in texts(told.params)
    with runtime.sessions.begin() as session:
        assert session.get(Customer, customers["Acme Corp"]).stage == "lead"  # filled by the merge, not "active"


def test_the_merge_typeahead_leaves_out_the_customer_whose_card_it_is(slack, standin, customers):
    view = open_merge(slack, standin, "U0DAVE", customers["Acme Corp"])
    payload = {
        "type": "block_suggestion",
        "team": {"id": TEAM, "domain": "example"},
        "user": {"id": "U0DAVE", "team_id": TEAM},
        "api_app_id": "A0TOUCH",
        "token": "legacy-verification-token",
        "action_id": "merge_customer_select",
        "block_id": "other",
        "value": "acme",
        "view": {**view, "id": "V1"},
    }

    options = slack.interaction(payload).json()["options"]

    assert [o["value"] for o in options] == [str(customers["Acme Inc"])]


def test_only_the_merger_an_admin_or_the_owner_may_undo_a_merge(slack, standin, runtime, customers):
    view = open_merge(slack, standin, "U0BOB", customers["Acme Corp"])
    slack.submit("U0BOB", view, merge_form(customers["Acme Inc"]))
    [done] = standin.wait_for("response_url")
    _, undo = element(done.params, "merge_undo")

    slack.click("U0CAROL", undo)

    [_, refused] = standin.wait_for("response_url", count=2)
    assert refused.params["replace_original"] is False
    assert "Only the person who merged, a workspace admin or the customer's owner" in texts(refused.params)
    with runtime.sessions.begin() as session:
        assert session.get(Customer, customers["Acme Inc"]).merged_into_id == customers["Acme Corp"]

    slack.click("U0DAVE", undo)

    [*_, undone] = standin.wait_for("response_url", count=3)
    assert "Undone" in texts(undone.params)
    with runtime.sessions.begin() as session:
        assert session.get(Customer, customers["Acme Inc"]).merged_into_id is None
