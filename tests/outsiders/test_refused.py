"""Someone of another organisation in a Slack Connect channel is refused with a short private note and changes
nothing: a slash command, a button, a form, a menu's options. Members, of the workspace or (org-wide install)
of any workspace of its enterprise, go on as before."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.app import build_app
from bot.blocks import LOG_MODAL
from bot.local.simulator import SlackSimulator, dispatch_transport, http_transport
from storage.models import AuditEvent, Customer, FollowUp, Member, Touchpoint, Workspace
from tests.conftest import SIGNING_SECRET, TEAM
from tests.helpers import count, element, seed_customers, texts
from tests.test_workspace_isolation import TrackedExecutor

CUSTOMER_TEAM = "T0CUSTOMER"  # the customer's own organisation, sharing a channel with ours
EXTERNAL = "U0EXT"  # one of the customer's people
NOTE = "This is Touchpoint Stand-in's internal Touchpoint; only its members can use it."


@pytest.fixture
def customers(runtime):
    return seed_customers(runtime, TEAM, {"name": "Acme Corp", "domain": "acme.com"})


@pytest.fixture
def outsider(served, standin) -> SlackSimulator:
    """Slack sending what the customer's person does in our workspace's shared channel."""
    standin.add_user(EXTERNAL, name="ext", real_name="Eve External", team_id=CUSTOMER_TEAM)
    return SlackSimulator(
        http_transport(served + "/slack/events"),
        SIGNING_SECRET,
        team_id=TEAM,
        user_team_id=CUSTOMER_TEAM,
        response_url=standin.response_url,
    )


def store_counts(runtime) -> dict[str, int]:
    with runtime.readers.begin() as session:
        return {m.__name__: count(session, m) for m in (Touchpoint, Customer, FollowUp, Member, AuditEvent, Workspace)}


def test_an_outsiders_log_is_refused_in_the_acknowledgement_and_nothing_is_kept(outsider, runtime, customers):
    before = store_counts(runtime)

    reply = outsider.command(EXTERNAL, "Acme: we want a discount, follow up tomorrow", channel="C0SHARED")

    assert reply.status == 200
    assert reply.json()["response_type"] == "ephemeral"
    assert NOTE in texts(reply.json())
    assert store_counts(runtime) == before


def test_an_outsiders_customer_lookup_shows_no_card(outsider, runtime, customers):
    before = store_counts(runtime)

    reply = outsider.command(EXTERNAL, "acme", command="/customer", channel="C0SHARED")

    assert NOTE in texts(reply.json())
    assert "Acme Corp" not in reply.body
    assert store_counts(runtime) == before


def test_a_stranger_is_refused_too(slack, standin, runtime, customers):
    standin.add_user("U0STRANGE", is_stranger=True)
    before = store_counts(runtime)

    reply = slack.command("U0STRANGE", "Acme: hello")

    assert NOTE in texts(reply.json())
    assert store_counts(runtime) == before


def test_an_outsiders_click_on_a_card_in_a_shared_channel_is_refused(slack, outsider, standin, runtime, customers):
    card = slack.command("U0ALICE", "acme", command="/customer", channel="C0SHARED").json()
    before = store_counts(runtime)
    standin.clear()

    for action_id in ("card_share", "card_log", "card_history"):
        block_id, button = element(card, action_id)
        assert outsider.click(EXTERNAL, button, block_id=block_id, channel="C0SHARED").status == 200

    notes = standin.wait_for("response_url", count=3)
    assert all(NOTE in texts(n.params) and n.params["response_type"] == "ephemeral" for n in notes)
    assert all(n.params["replace_original"] is False for n in notes)  # the card stays for our people
    assert not standin.calls_to("chat.postMessage") and not standin.calls_to("views.open")
    assert store_counts(runtime) == before


def test_an_outsiders_click_is_refused_even_when_the_store_knows_them(slack, outsider, standin, runtime, customers):
    """What the request says of their organisation decides; an earlier visit as someone else's guest does not."""
    with runtime.sessions.begin() as session:
        workspace = session.scalars(select(Workspace).where(Workspace.team_id == TEAM)).one()
        session.add(Member(workspace_id=workspace.id, slack_user_id=EXTERNAL))
    card = slack.command("U0ALICE", "acme", command="/customer").json()
    standin.clear()

    block_id, button = element(card, "card_share")
    outsider.click(EXTERNAL, button, block_id=block_id, channel="C0SHARED")

    [note] = standin.wait_for("response_url")
    assert NOTE in texts(note.params)
    assert not standin.calls_to("chat.postMessage")


def test_an_outsiders_form_gives_way_to_the_note_and_logs_nothing(outsider, runtime, customers):
    view = {"id": "V0FORM", "type": "modal", "callback_id": LOG_MODAL, "private_metadata": json.dumps({})}
    values = {
        "customer": {"customer_select": {"type": "external_select", "selected_option": {"value": "new:Evil Corp"}}},
        "kind": {"value": {"type": "static_select", "selected_option": {"value": "meeting"}}},
        "summary": {"value": {"type": "plain_text_input", "value": "we were here"}},
    }
    before = store_counts(runtime)

    reply = outsider.submit(EXTERNAL, view, values).json()

    assert reply["response_action"] == "update"
    assert NOTE in texts(reply["view"])
    assert store_counts(runtime) == before


def test_an_outsider_is_offered_no_customers_in_a_menu(outsider, customers):
    reply = outsider.options(EXTERNAL, "customer_select", "acme")

    assert reply.status == 200
    assert "Acme" not in reply.body


def test_a_member_in_the_same_shared_channel_goes_on_as_before(slack, runtime, customers):
    reply = slack.command("U0ALICE", "Acme: call about the renewal", channel="C0SHARED")

    assert "Logged *call* with *Acme Corp*" in texts(reply.json())
    with runtime.readers.begin() as session:
        assert count(session, Touchpoint) == 1


def test_an_org_wide_install_admits_another_workspace_of_its_enterprise(served, standin, runtime):
    """Installed for the whole grid org E0ACME: someone of its workspace T0SIBLING is a member."""
    standin.add_user("U0SIB", name="sib", team_id="T0SIBLING", enterprise_id="E0ACME")
    standin.add_user("U0FAR", name="far", team_id="T0FARAWAY", enterprise_id="E0ELSEWHERE")
    sibling = SlackSimulator(
        http_transport(served + "/slack/events"), SIGNING_SECRET, team_id="T0SIBLING", response_url=standin.response_url
    )
    org_wide = {"enterprise_id": "E0ACME", "is_enterprise_install": "true"}

    logged = sibling.command("U0SIB", "Initech: kickoff", **org_wide).json()
    refused = sibling.command("U0FAR", "Initech: kickoff call", **org_wide).json()

    assert "Logged *meeting* with “Initech”" in texts(logged)
    assert "only its members can use it" in texts(refused)
    with runtime.readers.begin() as session:
        assert [t.author_user_id for t in session.scalars(select(Touchpoint))] == ["U0SIB"]


def test_a_workspace_install_refuses_another_workspace_of_the_same_enterprise(served, standin, runtime):
    """Installed for T0ACME alone: its sibling workspace's people are not its members."""
    standin.add_user("U0SIB", name="sib", team_id="T0SIBLING", enterprise_id="E0ACME")
    grid = SlackSimulator(
        http_transport(served + "/slack/events"), SIGNING_SECRET, team_id=TEAM, response_url=standin.response_url
    )

    reply = grid.command("U0SIB", "Initech: kickoff call", enterprise_id="E0ACME").json()

    assert "only its members can use it" in texts(reply)
    with runtime.readers.begin() as session:
        assert count(session, Touchpoint) == 0


def test_an_outsiders_message_shortcut_opens_no_form(outsider, standin, runtime, customers):
    message = {"type": "message", "user": "U0ALICE", "text": "Acme wants a quote", "ts": "1700000000.000100"}
    before = store_counts(runtime)

    assert outsider.shortcut(EXTERNAL, message, callback_id="log_message", channel="C0SHARED").status == 200

    [note] = standin.wait_for("response_url")
    assert NOTE in texts(note.params)
    assert not standin.calls_to("views.open")
    assert store_counts(runtime) == before


def test_an_outsider_opening_the_apps_home_is_shown_nothing(runtime, standin, customers):
    """In-process, with the listener pool tracked: what the event set off after its acknowledgement is awaited."""
    standin.add_user(EXTERNAL, team_id=CUSTOMER_TEAM)
    executor = TrackedExecutor()
    app = build_app(runtime, listener_executor=executor)
    slack = SlackSimulator(
        dispatch_transport(app, runtime.settings), SIGNING_SECRET, team_id=TEAM, response_url=standin.response_url
    )
    before = store_counts(runtime)

    for user in (EXTERNAL, "U0ALICE"):
        event = {"type": "app_home_opened", "user": user, "channel": "D" + user, "tab": "home"}
        assert slack.event(event).status == 200
        executor.wait_idle()

    assert [c.params["user_id"] for c in standin.calls_to("views.publish")] == ["U0ALICE"]
    with runtime.readers.begin() as session:
        assert count(session, Member, Member.slack_user_id == EXTERNAL) == 0
    assert store_counts(runtime)["Touchpoint"] == before["Touchpoint"]
    executor.shutdown()
