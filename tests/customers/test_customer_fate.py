"""Contacts make a customer findable; old references learn what became of their customer."""

from __future__ import annotations

from bot.customers.lookup import customer_fate
from bot.customers.name_index import CustomerIndexes
from storage.customers import add_contact, customer
from storage.workspaces import workspace_for_team
from tests.conftest import TEAM
from tests.helpers import seed_customers


def test_a_contact_name_and_email_find_their_customer(runtime):
    ids = seed_customers(runtime, TEAM, {"name": "Acme Corp"})
    with runtime.sessions.begin() as session:
        workspace = workspace_for_team(session, TEAM)
        row = customer(session, workspace.id, ids["Acme Corp"])
        add_contact(session, row, name="Dana Scully", email=" Dana@Acme.com ", now=runtime.now())
    with runtime.sessions.begin() as session:
        index = CustomerIndexes().current(session, workspace.id)
        assert index.exact("dana@acme.com") == {row.id}
        assert index.exact("Dana Scully") == {row.id}


def test_a_merged_customer_points_to_its_survivor_and_other_workspaces_see_nothing(runtime):
    ids = seed_customers(runtime, TEAM, {"name": "Acme Corp"}, {"name": "Acme Inc"})
    other = seed_customers(runtime, "T0OTHER", {"name": "Initech"})
    with runtime.sessions.begin() as session:
        workspace = workspace_for_team(session, TEAM)
        customer(session, workspace.id, ids["Acme Inc"]).merged_into_id = ids["Acme Corp"]
    with runtime.sessions.begin() as session:
        fate = customer_fate(session, workspace.id, ids["Acme Inc"])
        assert (fate.asked_name, fate.current.name, fate.merged, fate.deleted) == ("Acme Inc", "Acme Corp", True, False)
        assert customer_fate(session, workspace.id, ids["Acme Corp"]).merged is False
        assert customer_fate(session, workspace.id, other["Initech"]) is None
