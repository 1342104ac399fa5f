"""`touchpoint installations` lists every installation: team or enterprise, name, installed at, active, and how
many customers and open follow-ups it holds."""

from __future__ import annotations

import json

import pytest

from bot.cli import main
from tests.installations.test_scheduler_tokens import log_with_follow_up
from tests.installations.test_uninstall import wait_until_uninstalled

ORG = "E0ORG"


@pytest.fixture
def cli(monkeypatch, tmp_path, database_url, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> str:
        assert main(["installations", *args]) == 0
        captured = capsys.readouterr()
        assert captured.err == ""
        return captured.out

    return run


def test_it_lists_workspaces_and_org_installs_with_what_they_hold(install, workspace_of, standin, runtime, cli):
    install("T0NORTH", team_name="North\nTeam")
    install(enterprise_id=ORG, enterprise_name="Grid Org", is_enterprise_install=True)
    log_with_follow_up(workspace_of("T0NORTH"), standin, "U0ALICE", "Quokka Ltd: call, follow up thursday 11:00")
    log_with_follow_up(workspace_of("T0NORTH"), standin, "U0ALICE", "Pelican AG: call")
    in_org = workspace_of("T0GRIDA", ORG, org_wide=True)
    log_with_follow_up(in_org, standin, "U0CAROL", "Wombat Inc: call, follow up thursday 11:00")
    assert in_org.event({"type": "app_uninstalled"}).status == 200
    wait_until_uninstalled(runtime, ORG)

    table = cli().splitlines()
    listed = json.loads(cli("--format", "json"))

    assert table[0].split() == [
        "TEAM",
        "OR",
        "ENTERPRISE",
        "KIND",
        "NAME",
        "INSTALLED",
        "ACTIVE",
        "CUSTOMERS",
        "OPEN",
        "FOLLOW-UPS",
    ]
    assert table[1].split() == [
        ORG,
        "org-wide",
        "Grid",
        "Org",
        "2026-11-25",
        "09:30",
        "UTC",
        "no",
        "(uninstalled)",
        "1",
        "1",
    ]
    assert table[2].split() == ["T0NORTH", "workspace", "North", "Team", "2026-11-25", "09:30", "UTC", "yes", "2", "1"]
    assert listed == [
        {
            "team_id": None,
            "enterprise_id": ORG,
            "kind": "org-wide",
            "name": "Grid Org",
            "installed_at": "2026-11-25T09:30:00+00:00",
            "active": False,
            "customers": 1,
            "open_follow_ups": 1,
        },
        {
            "team_id": "T0NORTH",
            "enterprise_id": None,
            "kind": "workspace",
            "name": "North\nTeam",
            "installed_at": "2026-11-25T09:30:00+00:00",
            "active": True,
            "customers": 2,
            "open_follow_ups": 1,
        },
    ]


def test_an_empty_store_says_how_to_install(runtime, cli):
    assert "no installations yet" in cli()
    assert json.loads(cli("--format", "json")) == []
