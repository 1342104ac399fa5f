"""The card's Set stage, Set owner, Edit and Contacts buttons, end to end: click, modal, submit, confirmation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.cli import main
from storage.curation import stage_changes
from storage.customers import add_contact, add_names
from storage.models import AuditEvent, Contact, Customer, CustomerName, StageChange, Workspace
from storage.workspaces import workspace_for_team
from tests.conftest import START, TEAM
from tests.helpers import count, seed_customers, texts


@pytest.fixture
def customers(runtime, standin):
    standin.add_user("U0DAVE", name="dave", real_name="Dave Admin", tz="Europe/London", is_admin=True)
    return seed_customers(
        runtime,
        TEAM,
        {"name": "Acme Corp", "domain": "acme.com", "aliases": ["ACME"]},
        {"name": "Globex"},
    )


def click(slack, standin, user: str, action_id: str, customer_id: int) -> dict:
    """Press a card button; the modal it opens."""
    opened = len(standin.calls_to("views.open"))
    assert slack.click(user, {"action_id": action_id, "value": str(customer_id)}).status == 200
    return standin.wait_for("views.open", count=opened + 1)[-1].params["view"]


def confirmation(standin, count: int = 1) -> dict:
    return standin.wait_for("response_url", count=count)[-1].params


def block(view: dict, block_id: str) -> dict:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def text_value(value: str) -> dict:
    return {"value": {"type": "plain_text_input", "value": value}}


def chosen(value: str) -> dict:
    return {"value": {"type": "static_select", "selected_option": {"value": value}}}


def audit(runtime, action: str) -> list[AuditEvent]:
    with runtime.sessions.begin() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def row(runtime, customer_id: int) -> Customer:
    with runtime.sessions.begin() as session:
        return session.get(Customer, customer_id)


# --- stages ------------------------------------------------------------------------------------------------------


def test_set_stage_offers_the_default_stages_and_keeps_who_and_when(slack, standin, runtime, customers, clock):
    view = click(slack, standin, "U0ALICE", "card_set_stage", customers["Acme Corp"])

    options = [o["value"] for o in block(view, "stage")["element"]["options"]]
    assert options == ["lead", "prospect", "onboarding", "active", "at-risk", "churned"]
    assert all(b.get("block_id") != "stages" for b in view["blocks"])  # only admins edit the list
    assert slack.submit("U0ALICE", view, {"stage": chosen("prospect")}).body == ""
    assert "*Acme Corp*: stage none → prospect." in texts(confirmation(standin))

    clock.advance(days=2)
    view = click(slack, standin, "U0BOB", "card_set_stage", customers["Acme Corp"])
    assert block(view, "stage")["element"]["initial_option"]["value"] == "prospect"
    slack.submit("U0BOB", view, {"stage": chosen("active")})
    confirmation(standin, count=2)

    assert row(runtime, customers["Acme Corp"]).stage == "active"
    with runtime.sessions.begin() as session:
        workspace = workspace_for_team(session, TEAM)
        changes = stage_changes(session, workspace.id, customers["Acme Corp"])
        assert stage_changes(session, workspace.id, customers["Globex"]) == []
        history = [(c.customer_id, c.from_stage, c.to_stage, c.changed_by, c.changed_at) for c in changes]
    later = clock()
    assert history == [
        (customers["Acme Corp"], None, "prospect", "U0ALICE", START),
        (customers["Acme Corp"], "prospect", "active", "U0BOB", later),
    ]
    assert [(e.actor_user_id, e.details) for e in audit(runtime, "stage_set")] == [
        ("U0ALICE", {"before": None, "after": "prospect"}),
        ("U0BOB", {"before": "prospect", "after": "active"}),
    ]


def test_setting_the_same_stage_again_records_nothing(slack, standin, runtime, customers):
    view = click(slack, standin, "U0ALICE", "card_set_stage", customers["Globex"])
    slack.submit("U0ALICE", view, {"stage": chosen("lead")})
    view = click(slack, standin, "U0ALICE", "card_set_stage", customers["Globex"])
    slack.submit("U0ALICE", view, {"stage": chosen("lead")})

    assert "Nothing changed for *Globex*" in texts(confirmation(standin, count=2))
    with runtime.sessions.begin() as session:
        assert count(session, StageChange) == 1


def test_an_admin_edits_the_workspaces_stages_from_the_set_stage_modal(slack, standin, runtime, customers):
    view = click(slack, standin, "U0DAVE", "card_set_stage", customers["Globex"])
    assert block(view, "stages")["element"]["initial_value"] == "lead, prospect, onboarding, active, at-risk, churned"

    bad = slack.submit("U0DAVE", view, {"stage": chosen("trial"), "stages": text_value(" , ;")}).json()
    assert bad["response_action"] == "errors" and "at least one stage" in bad["errors"]["stages"]
    missing = slack.submit("U0DAVE", view, {"stage": chosen("lead"), "stages": text_value("Trial, Paying")}).json()
    assert missing["errors"] == {"stage": "Pick one of this workspace's stages."}
    with runtime.sessions.begin() as session:
        assert session.scalars(select(Workspace.stages)).one() is None  # nothing half-saved

    values = {"stage": chosen("trial"), "stages": text_value("Lead\nFree Trial, trial; Paying customer, lead")}
    values["stage"] = chosen("free-trial")
    assert slack.submit("U0DAVE", view, values).body == ""

    assert "stages now lead, free-trial, trial, paying-customer" in texts(confirmation(standin))
    assert row(runtime, customers["Globex"]).stage == "free-trial"
    view = click(slack, standin, "U0ALICE", "card_set_stage", customers["Acme Corp"])
    assert [o["value"] for o in block(view, "stage")["element"]["options"]] == [
        "lead",
        "free-trial",
        "trial",
        "paying-customer",
    ]
    [event] = audit(runtime, "stages_set")
    assert event.actor_user_id == "U0DAVE" and event.details["after"][-1] == "paying-customer"


def test_a_non_admin_cannot_change_the_stages_even_by_sending_the_field(slack, standin, runtime, customers):
    view = click(slack, standin, "U0ALICE", "card_set_stage", customers["Globex"])

    slack.submit("U0ALICE", view, {"stage": chosen("lead"), "stages": text_value("just, mine")})

    confirmation(standin)
    with runtime.sessions.begin() as session:
        assert session.scalars(select(Workspace.stages)).one() is None
    assert row(runtime, customers["Globex"]).stage == "lead"


# --- owner -------------------------------------------------------------------------------------------------------


def test_set_owner_saves_the_person_picked_and_audits_it(slack, standin, runtime, customers):
    view = click(slack, standin, "U0ALICE", "card_set_owner", customers["Acme Corp"])
    assert "initial_user" not in block(view, "owner")["element"]

    slack.submit("U0ALICE", view, {"owner": {"value": {"type": "users_select", "selected_user": "U0BOB"}}})

    assert "*Acme Corp*: owner <@U0BOB>." in texts(confirmation(standin))
    assert row(runtime, customers["Acme Corp"]).owner_user_id == "U0BOB"
    [event] = audit(runtime, "owner_set")
    assert (event.actor_user_id, event.details) == ("U0ALICE", {"before": None, "after": "U0BOB"})
    view = click(slack, standin, "U0ALICE", "card_set_owner", customers["Acme Corp"])
    assert block(view, "owner")["element"]["initial_user"] == "U0BOB"


# --- names: rename, aliases, domains -----------------------------------------------------------------------------


def names_form(name: str, aliases: str, domains: str) -> dict:
    return {"name": text_value(name), "aliases": text_value(aliases), "domains": text_value(domains)}


def active_names(runtime, customer_id: int, kind: str) -> list[str]:
    with runtime.sessions.begin() as session:
        return list(
            dict.fromkeys(
                session.scalars(
                    select(CustomerName.value)
                    .where(
                        CustomerName.customer_id == customer_id,
                        CustomerName.kind == kind,
                        CustomerName.active.is_(True),
                    )
                    .order_by(CustomerName.id)
                )
            )
        )


def test_rename_keeps_the_old_name_as_an_alias_and_aliases_and_domains_are_added_and_removed(
    slack, standin, runtime, customers
):
    acme = customers["Acme Corp"]
    view = click(slack, standin, "U0ALICE", "card_edit", acme)
    assert block(view, "name")["element"]["initial_value"] == "Acme Corp"
    assert block(view, "aliases")["element"]["initial_value"] == "ACME"
    assert block(view, "domains")["element"]["initial_value"] == "acme.com"
    with runtime.sessions.begin() as session:
        rows_before = count(session, CustomerName)

    form = names_form("Acme Corporation", "Roadrunner Supplies", "https://www.acme.de/\nacme.com")
    assert slack.submit("U0ALICE", view, form).body == ""

    said = texts(confirmation(standin))
    assert "renamed from “Acme Corp” to “Acme Corporation”" in said
    assert "aliases added: Roadrunner Supplies" in said and "aliases removed: ACME" in said
    assert "domains added: acme.de" in said
    customer = row(runtime, acme)
    assert (customer.name, customer.domain) == ("Acme Corporation", "acme.de")
    assert active_names(runtime, acme, "name") == ["Acme Corporation"]
    assert sorted(active_names(runtime, acme, "alias")) == ["Acme Corp", "Roadrunner Supplies"]
    assert active_names(runtime, acme, "domain") == ["acme.com", "acme.de"]
    with runtime.sessions.begin() as session:
        assert count(session, CustomerName) > rows_before  # rows are appended and switched off, never deleted
        assert count(session, CustomerName, CustomerName.value == "ACME") >= 1
        assert count(session, CustomerName, CustomerName.value == "ACME", CustomerName.active.is_(True)) == 0
    [event] = audit(runtime, "names_edited")
    assert event.details["name"] == ["Acme Corp", "Acme Corporation"]

    # The old name still finds the customer, from /log too.
    reply = slack.command("U0ALICE", "Acme Corp: call with Dana").json()
    assert reply["blocks"][0]["text"]["text"].startswith("Logged *call* with *Acme Corporation*")
    assert (
        slack.command("U0ALICE", "Roadrunner Supplies: call")
        .json()["blocks"][0]["text"]["text"]
        .startswith("Logged *call* with *Acme Corporation*")
    )

    # A removed alias no longer finds it, in this process's index too.
    view = click(slack, standin, "U0ALICE", "card_edit", acme)
    slack.submit("U0ALICE", view, names_form("Acme Corporation", "Acme Corp", "acme.de\nacme.com"))
    assert "aliases removed: Roadrunner Supplies" in texts(confirmation(standin, count=2))
    reply = slack.command("U0ALICE", "Roadrunner Supplies: call back").json()  # not the line logged above
    assert "I don't know “Roadrunner Supplies” yet" in texts(reply)


def test_aliases_the_form_cannot_hold_are_kept_as_they_are(slack, standin, runtime, customers):
    many = [f"Acme division {n:02d} " + "x" * 180 for n in range(20)]  # about 4,000 characters together
    with runtime.sessions.begin() as session:
        add_names(session, session.get(Customer, customers["Globex"]), "alias", many)
    view = click(slack, standin, "U0ALICE", "card_edit", customers["Globex"])
    shown = block(view, "aliases")["element"]["initial_value"].split("\n")
    assert 0 < len(shown) < 20 and shown == many[: len(shown)]
    assert f"{20 - len(shown)} more are not shown here" in block(view, "aliases")["hint"]["text"]

    slack.submit("U0ALICE", view, names_form("Globex", "\n".join([*shown[1:], "Globex Europe"]), ""))

    said = texts(confirmation(standin))
    assert "aliases added: Globex Europe" in said and f"aliases removed: {many[0]}" in said
    assert sorted(active_names(runtime, customers["Globex"], "alias")) == sorted([*many[1:], "Globex Europe"])


def test_the_edit_form_says_what_is_wrong_and_changes_nothing(slack, standin, runtime, customers):
    view = click(slack, standin, "U0ALICE", "card_edit", customers["Acme Corp"])

    empty = slack.submit("U0ALICE", view, names_form("  ?! ", "", "acme.com")).json()
    assert set(empty["errors"]) == {"name"}
    bad_domain = slack.submit("U0ALICE", view, names_form("Acme Corp", "", "not a domain")).json()
    assert "“not a domain” is not a domain" in bad_domain["errors"]["domains"]
    taken = slack.submit("U0ALICE", view, names_form("globex", "", "acme.com")).json()
    assert "Another customer is already called “Globex”" in taken["errors"]["name"]

    assert row(runtime, customers["Acme Corp"]).name == "Acme Corp"
    assert audit(runtime, "names_edited") == []


def test_names_typed_into_the_form_are_escaped_in_the_confirmation(slack, standin, runtime, customers):
    view = click(slack, standin, "U0ALICE", "card_edit", customers["Globex"])

    slack.submit("U0ALICE", view, names_form("Globex <!here>", "<@U0BOB>", ""))

    redrawn = confirmation(standin)
    # Every mrkdwn text of the redrawn card (the header is plain_text, which Slack never parses for mentions).
    said = "\n".join(
        [redrawn["text"], *(b["text"]["text"] for b in redrawn["blocks"] if b.get("text", {}).get("type") == "mrkdwn")]
        + [e["text"] for b in redrawn["blocks"] if b["type"] == "context" for e in b["elements"]]
    )
    assert "<!here>" not in said and "&lt;!here&gt;" in said and "&lt;@U0BOB&gt;" in said


def test_the_card_a_change_was_made_from_is_redrawn_with_what_changed_on_top(slack, standin, runtime, customers):
    view = click(slack, standin, "U0ALICE", "card_set_stage", customers["Globex"])

    slack.submit(
        "U0ALICE", view, {"stage": {"value": {"type": "static_select", "selected_option": {"value": "active"}}}}
    )

    redrawn = confirmation(standin)
    assert redrawn["replace_original"] is True
    assert redrawn["blocks"][0]["type"] == "context" and "stage none → active" in texts(redrawn)
    assert redrawn["blocks"][1]["text"]["text"] == "Globex"
    assert "Stage: active" in texts(redrawn).replace("*", "")


# --- contacts ------------------------------------------------------------------------------------------------------


def contact_values(prefix: str, name: str = "", email: str = "", phone: str = "", role: str = "") -> dict:
    return {
        f"contact:{prefix}:name": text_value(name),
        f"contact:{prefix}:email": text_value(email),
        f"contact:{prefix}:phone": text_value(phone),
        f"contact:{prefix}:role": text_value(role),
    }


def live_contacts(runtime) -> list[Contact]:
    with runtime.sessions.begin() as session:
        return list(session.scalars(select(Contact).where(Contact.deleted_at.is_(None)).order_by(Contact.id)))


def test_contacts_are_added_edited_and_removed_and_their_names_follow(slack, standin, runtime, customers):
    acme = customers["Acme Corp"]
    view = click(slack, standin, "U0ALICE", "card_contacts", acme)
    assert block(view, "contact:new:name")["optional"] is True

    values = contact_values("new", "Dana Scully", "Dana@Acme.com", "+1 555 0100", "Buyer")
    assert slack.submit("U0ALICE", view, values).body == ""

    assert "contact added: Dana Scully" in texts(confirmation(standin))
    [dana] = live_contacts(runtime)
    assert (dana.customer_id, dana.name, dana.email, dana.phone, dana.role) == (
        acme,
        "Dana Scully",
        "dana@acme.com",
        "+1 555 0100",
        "Buyer",
    )
    assert active_names(runtime, acme, "email") == ["dana@acme.com"]

    view = click(slack, standin, "U0BOB", "card_contacts", acme)
    assert block(view, f"contact:{dana.id}:email")["element"]["initial_value"] == "dana@acme.com"
    values = {
        **contact_values(str(dana.id), "Dana Scully", "dana.scully@acme.com", "+1 555 0100", "Head of buying"),
        **contact_values("new", "Lee Adama", "lee@acme.com"),
    }
    slack.submit("U0BOB", view, values)

    said = texts(confirmation(standin, count=2))
    assert "contact updated: Dana Scully" in said and "contact added: Lee Adama" in said
    assert [(c.name, c.email, c.role) for c in live_contacts(runtime)] == [
        ("Dana Scully", "dana.scully@acme.com", "Head of buying"),
        ("Lee Adama", "lee@acme.com", None),
    ]
    assert sorted(active_names(runtime, acme, "email")) == ["dana.scully@acme.com", "lee@acme.com"]
    [edited] = audit(runtime, "contact_edited")
    assert edited.details["before"]["email"] == "dana@acme.com"
    assert edited.details["after"]["email"] == "dana.scully@acme.com"

    lee = live_contacts(runtime)[1]
    view = click(slack, standin, "U0ALICE", "card_contacts", acme)
    remove = {"value": {"type": "checkboxes", "selected_options": [{"value": "remove"}]}}
    values = {
        **contact_values(str(dana.id), "Dana Scully", "dana.scully@acme.com"),
        f"contact:{dana.id}:remove": remove,
        **contact_values(str(lee.id), "Lee Adama", "lee@acme.com"),
    }
    assert slack.submit("U0ALICE", view, values).body == ""

    assert "contact removed: Dana Scully" in texts(confirmation(standin, count=3))
    assert [c.name for c in live_contacts(runtime)] == ["Lee Adama"]
    with runtime.sessions.begin() as session:
        assert session.get(Contact, dana.id).deleted_at == START  # kept, switched off
    assert active_names(runtime, acme, "contact") == ["Lee Adama"]
    assert active_names(runtime, acme, "email") == ["lee@acme.com"]
    assert [e.entity_id for e in audit(runtime, "contact_removed")] == [dana.id]


def test_a_contact_needs_a_name_and_a_real_email(slack, standin, runtime, customers):
    view = click(slack, standin, "U0ALICE", "card_contacts", customers["Globex"])

    reply = slack.submit("U0ALICE", view, contact_values("new", "", "not-an-email", "", "CFO")).json()

    assert reply["response_action"] == "errors"
    assert set(reply["errors"]) == {"contact:new:name", "contact:new:email"}
    assert live_contacts(runtime) == []


# --- buttons on an old card ----------------------------------------------------------------------------------------


def test_a_button_for_a_deleted_or_unknown_customer_explains_instead_of_opening(slack, standin, runtime, customers):
    with runtime.sessions.begin() as session:
        session.get(Customer, customers["Globex"]).deleted_at = START
    other = seed_customers(runtime, "T0OTHER", {"name": "Hooli"})

    slack.click("U0ALICE", {"action_id": "card_edit", "value": str(customers["Globex"])})
    first = standin.wait_for("response_url")[0].params
    slack.click("U0ALICE", {"action_id": "card_set_stage", "value": str(other["Hooli"])})
    second = standin.wait_for("response_url", count=2)[1].params

    assert "*Globex* was deleted" in texts(first)
    assert "no longer in this workspace's store" in texts(second) and "Hooli" not in texts(second)
    assert standin.calls_to("views.open") == []


# --- the stages from the command line ----------------------------------------------------------------------------


def test_the_stages_command_shows_and_sets_a_workspaces_stages(capsys, runtime, database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    seed_customers(runtime, TEAM, {"name": "Acme Corp"})

    assert main(["stages", "--team", TEAM]) == 0
    assert capsys.readouterr().out == "lead, prospect, onboarding, active, at-risk, churned\n"
    assert main(["stages", "--team", TEAM, "--set", "Lead, Trial, Paying customer, Churned"]) == 0
    assert capsys.readouterr().out == "lead, trial, paying-customer, churned\n"
    assert main(["stages", "--set", ",,"]) == 2
    assert "at least one stage" in capsys.readouterr().err
    assert main(["stages", "--team", "T0NOPE"]) == 2
    assert "no workspace with team id T0NOPE" in capsys.readouterr().err

    with runtime.sessions.begin() as session:
        assert session.scalars(select(Workspace.stages)).one() == ["lead", "trial", "paying-customer", "churned"]
    [event] = audit(runtime, "stages_set")
    assert event.actor_user_id is None and event.details["before"][0] == "lead"


def test_emptying_a_contact_asks_to_tick_remove_instead(slack, standin, runtime, customers):
    with runtime.sessions.begin() as session:
        dana = add_contact(session, session.get(Customer, customers["Globex"]), name="Dana", now=START)
    view = click(slack, standin, "U0ALICE", "card_contacts", customers["Globex"])

    reply = slack.submit("U0ALICE", view, contact_values(str(dana.id))).json()

    assert reply["errors"] == {f"contact:{dana.id}:name": "A contact needs a name: tick Remove to remove the contact."}
    assert [c.name for c in live_contacts(runtime)] == ["Dana"]
