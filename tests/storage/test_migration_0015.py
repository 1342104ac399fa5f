"""Migration 0015 makes every workspace of an older store an installation of its own, and keeps all it held:
after the upgrade each workspace finds its own customers and touchpoints over Slack, and only its own."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bot.local.simulator import SlackSimulator, http_transport
from storage.db import create_store_engine
from storage.migrate import upgrade
from tests.conftest import SIGNING_SECRET, TEAM
from tests.helpers import texts
from tests.storage.test_migration_0008 import empty_store_url  # noqa: F401 - the fixture, used by name

RIVAL = "T0RIVAL"
OLD = "'2026-11-20 10:00:00'"


@pytest.fixture
def database_url(empty_store_url):  # noqa: F811 - the fixture above, used by name
    """A store at revision 0010 with customers and touchpoints in two workspaces, then upgraded to the head."""
    engine = create_store_engine(empty_store_url)
    upgrade(engine, "0010")
    with engine.begin() as connection:
        run = connection.execute
        run(text(f"INSERT INTO workspaces (id, team_id, name, created_at) VALUES (1, '{TEAM}', 'Acme HQ', {OLD})"))
        run(
            text(
                "INSERT INTO workspaces (id, team_id, enterprise_id, created_at)"
                f" VALUES (2, '{RIVAL}', 'E0GRID', {OLD})"
            )
        )
        for customer_id, workspace_id, name in [(1, 1, "Quokka Ltd"), (2, 2, "Quokka Systems"), (3, 2, "Pelican AG")]:
            run(
                text(
                    "INSERT INTO customers (id, workspace_id, name, name_key, created_at, updated_at)"
                    f" VALUES (:id, :ws, :name, :key, {OLD}, {OLD})"
                ),
                {"id": customer_id, "ws": workspace_id, "name": name, "key": name.lower()},
            )
            run(
                text(
                    "INSERT INTO customer_names (workspace_id, customer_id, kind, value, key, active)"
                    " VALUES (:ws, :id, 'name', :name, :key, :active)"
                ),
                {"id": customer_id, "ws": workspace_id, "name": name, "key": name.lower(), "active": True},
            )
        for touchpoint_id, workspace_id, customer_id, summary in [
            (1, 1, 1, "renewal call before the upgrade"),
            (2, 2, 2, "rival's own visit before the upgrade"),
        ]:
            run(
                text(
                    "INSERT INTO touchpoints (id, workspace_id, customer_id, author_user_id, kind, summary, tags,"
                    " occurred_at, source, created_at)"
                    f" VALUES (:id, :ws, :customer, 'U0ALICE', 'call', :summary, '[]', {OLD}, 'command', {OLD})"
                ),
                {"id": touchpoint_id, "ws": workspace_id, "customer": customer_id, "summary": summary},
            )
    upgrade(engine)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT team_id, enterprise_id, is_enterprise_install, uninstalled_at FROM workspaces ORDER BY id")
        ).all()
    engine.dispose()
    # Each workspace is an installation of its own, active; one in a Grid org was not installed org-wide.
    assert [tuple(row) for row in rows] == [(TEAM, None, False, None), (RIVAL, "E0GRID", False, None)]
    return empty_store_url


def find(slack: SlackSimulator, typed: str) -> str:
    reply = slack.command("U0ALICE", typed, command="/customer")
    assert reply.status == 200
    return texts(reply.json())


def test_each_workspace_still_finds_its_own_customers_and_touchpoints_after_0015(slack, served, standin):
    # One person seen from both workspaces, as the stand-in answers both: a member of each.
    standin.add_user("U0ALICE", name="alice", tz="Europe/Berlin", also_in=(RIVAL,))
    rival = SlackSimulator(
        http_transport(served + "/slack/events"),
        SIGNING_SECRET,
        team_id=RIVAL,
        response_url=standin.response_url,
        enterprise_id="E0GRID",
    )

    ours = find(slack, "quokka")
    theirs = find(rival, "quokka")

    assert "Quokka Ltd" in ours and "renewal call before the upgrade" in ours
    assert "Quokka Systems" not in ours and "rival's own visit" not in ours
    assert "Quokka Systems" in theirs and "rival's own visit before the upgrade" in theirs
    assert "Quokka Ltd" not in theirs
    assert "Pelican AG" in find(rival, "pelican") and "No customer matches" in find(slack, "pelican")
