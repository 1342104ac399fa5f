"""The tenant is the installation: every workspace of an org-wide install shares one store, while separate
installs, of one org or of none, never see each other's customers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.local.simulator import SlackSimulator
from bot.runtime import Runtime
from storage.models import Member, Touchpoint, Workspace
from tests.conftest import make_settings
from tests.helpers import element, texts

ORG = "E0ORG"


@pytest.fixture
def runtime(engine, standin, clock, database_url) -> Runtime:
    """The single-token app (tests/conftest.py's), not this folder's OAuth one: tenancy holds either way."""
    return Runtime(settings=make_settings(database_url, standin.api_url, standin.hooks_url), engine=engine, clock=clock)


@pytest.fixture(autouse=True)
def people_of_the_org(standin) -> None:
    """Alice, Bob and Carol as Slack shows them to each of these workspaces: people of the org, in all of them."""
    for user, name, tz in (
        ("U0ALICE", "alice", "Europe/Berlin"),
        ("U0BOB", "bob", "America/New_York"),
        ("U0CAROL", "carol", "Asia/Tokyo"),
    ):
        standin.add_user(user, name=name, tz=tz, enterprise_id=ORG, also_in=("T0NORTH", "T0SOUTH", "T0OWN", "T0SOLO"))


def log(slack: SlackSimulator, user: str, line: str) -> dict:
    reply = slack.command(user, line)
    assert reply.status == 200
    return reply.json()


def log_new_customer(slack: SlackSimulator, standin, user: str, line: str) -> None:
    """Log a line about a customer nobody knows yet and press Create, as a person would."""
    block_id, create = element(log(slack, user, line), "tp_create_customer")
    standin.clear()
    assert slack.click(user, create, block_id=block_id).status == 200
    [update] = standin.wait_for("response_url")
    assert update.params["blocks"][0]["text"]["text"].startswith("Logged")


def card(slack: SlackSimulator, user: str, typed: str) -> str:
    reply = slack.command(user, typed, command="/customer")
    assert reply.status == 200
    return texts(reply.json())


def test_two_workspaces_of_an_org_wide_install_log_and_find_the_same_customer(workspace_of, standin, runtime):
    north, south = workspace_of("T0NORTH", ORG, org_wide=True), workspace_of("T0SOUTH", ORG, org_wide=True)
    log_new_customer(north, standin, "U0ALICE", "Quokka Ltd: call about the renewal")

    found = card(south, "U0BOB", "quokka")

    assert "Quokka Ltd" in found and "call about the renewal" in found and "<@U0ALICE>" in found
    assert "Logged *payment* with *Quokka Ltd*" in texts(log(south, "U0BOB", "Quokka Ltd: invoice sent"))
    with runtime.sessions.begin() as session:
        [tenant] = session.scalars(select(Workspace)).all()
        assert (tenant.team_id, tenant.enterprise_id, tenant.is_enterprise_install) == (ORG, ORG, True)
        customers = {t.customer_id for t in session.scalars(select(Touchpoint))}
        assert len(customers) == 1 and None not in customers


def test_a_person_is_one_member_whichever_workspace_of_the_org_they_write_from(workspace_of, standin, runtime):
    north, south = workspace_of("T0NORTH", ORG, org_wide=True), workspace_of("T0SOUTH", ORG, org_wide=True)
    log_new_customer(north, standin, "U0ALICE", "Quokka Ltd: call")
    log(south, "U0ALICE", "Quokka Ltd: visit")

    with runtime.sessions.begin() as session:
        assert [m.slack_user_id for m in session.scalars(select(Member))] == ["U0ALICE"]
        assert len(session.scalars(select(Touchpoint)).all()) == 2


def test_separate_installs_never_see_each_others_customers(workspace_of, standin, runtime):
    org, solo = workspace_of("T0NORTH", ORG, org_wide=True), workspace_of("T0SOLO")
    # A workspace of the same org that installed the app on its own is a tenant of its own too.
    own = workspace_of("T0OWN", ORG)
    log_new_customer(org, standin, "U0ALICE", "Quokka Ltd: call about the renewal")

    for other in (solo, own):
        found = card(other, "U0BOB", "quokka")
        assert "call about the renewal" not in found and "No customer matches" in found

    with runtime.sessions.begin() as session:
        keys = {w.team_id: w.is_enterprise_install for w in session.scalars(select(Workspace))}
    assert keys == {ORG: True, "T0SOLO": False, "T0OWN": False}
