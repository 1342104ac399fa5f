"""app_uninstalled and tokens_revoked: nothing more is sent for the installation, its due nudges wait unsent (not
marked sent), its data is kept, and a reinstall resumes them with the new token."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from storage.installations import SLACK_METADATA
from storage.models import Customer, FollowUp, Workspace
from tests.installations.test_scheduler_tokens import log_with_follow_up, scheduler

ORG = "E0ORG"


def wait_until_uninstalled(runtime, key: str, timeout: float = 5.0) -> None:
    """The event is acknowledged first and handled right after: wait for its mark."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with runtime.readers.begin() as session:
            if session.scalar(select(Workspace.uninstalled_at).where(Workspace.team_id == key)) is not None:
                return
        time.sleep(0.02)
    raise AssertionError(f"{key} was not marked uninstalled")


def follow_ups(runtime) -> dict[str, tuple]:
    """Each assignee's follow-up: (nudged, attempts, claimed by)."""
    with runtime.readers.begin() as session:
        rows = session.scalars(select(FollowUp))
        return {f.assignee_user_id: (f.nudged_at is not None, f.attempts, f.claimed_by) for f in rows}


def bots_of(runtime, team_id: str | None, enterprise_id: str | None = None) -> int:
    bots = next(t for t in SLACK_METADATA.sorted_tables if t.name == "slack_bots")
    where = [bots.c.team_id == team_id, bots.c.enterprise_id == enterprise_id]
    with runtime.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(bots).where(*where)) or 0


def nudged(standin) -> dict[str, str | None]:
    return {call.params["channel"]: call.token for call in standin.calls_to("chat.postMessage") if call.ok}


def test_an_uninstalled_workspace_gets_nothing_keeps_its_data_and_a_reinstall_resumes(
    install, workspace_of, standin, runtime, clock
):
    north, south = install("T0NORTH"), install("T0SOUTH")
    log_with_follow_up(workspace_of("T0NORTH"), standin, "U0ALICE", "Quokka Ltd: call, follow up thursday 11:00")
    log_with_follow_up(workspace_of("T0SOUTH"), standin, "U0BOB", "Pelican AG: call, follow up thursday 11:00")

    standin.revoke_token(north.bot_token)
    assert workspace_of("T0NORTH").event({"type": "app_uninstalled"}).status == 200
    wait_until_uninstalled(runtime, "T0NORTH")
    clock.advance(days=2)
    scheduler(runtime, standin).run_pass(clock())

    assert nudged(standin) == {"U0BOB": south.bot_token}
    assert follow_ups(runtime)["U0ALICE"] == (False, 0, None)  # waiting: neither sent, nor tried, nor claimed
    assert bots_of(runtime, "T0NORTH") == 0 and bots_of(runtime, "T0SOUTH") == 1
    with runtime.readers.begin() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 2

    renewed = install("T0NORTH")
    standin.clear()
    scheduler(runtime, standin).run_pass(clock())

    assert nudged(standin) == {"U0ALICE": renewed.bot_token}
    assert follow_ups(runtime)["U0ALICE"][0] is True
    assert "Quokka Ltd" in workspace_of("T0NORTH").command("U0ALICE", "quokka", command="/customer").body


def test_revoked_bot_tokens_stop_the_nudges_as_an_uninstall_does(install, workspace_of, standin, runtime, clock):
    north = install("T0NORTH")
    log_with_follow_up(workspace_of("T0NORTH"), standin, "U0ALICE", "Quokka Ltd: call, follow up thursday 11:00")

    standin.revoke_token(north.bot_token)
    revoked = {"type": "tokens_revoked", "tokens": {"bot": ["U0BOT0001"]}}
    assert workspace_of("T0NORTH").event(revoked).status == 200
    wait_until_uninstalled(runtime, "T0NORTH")
    clock.advance(days=2)
    scheduler(runtime, standin).run_pass(clock())

    assert nudged(standin) == {}
    assert follow_ups(runtime)["U0ALICE"] == (False, 0, None)
    assert bots_of(runtime, "T0NORTH") == 0


def test_revoked_user_tokens_alone_change_nothing(install, workspace_of, standin, runtime, clock):
    north = install("T0NORTH")
    log_with_follow_up(workspace_of("T0NORTH"), standin, "U0ALICE", "Quokka Ltd: call, follow up thursday 11:00")

    assert workspace_of("T0NORTH").event({"type": "tokens_revoked", "tokens": {"oauth": ["U0ADMIN"]}}).status == 200
    clock.advance(days=2)
    scheduler(runtime, standin).run_pass(clock())

    assert nudged(standin) == {"U0ALICE": north.bot_token}


def test_an_org_wide_uninstall_stops_every_workspace_of_the_org(install, workspace_of, standin, runtime, clock):
    org = install(enterprise_id=ORG, is_enterprise_install=True)
    solo = install("T0SOLO")
    in_org = workspace_of("T0GRIDA", ORG, org_wide=True)
    log_with_follow_up(in_org, standin, "U0CAROL", "Wombat Inc: call, follow up thursday 11:00")
    log_with_follow_up(workspace_of("T0SOLO"), standin, "U0BOB", "Pelican AG: call, follow up thursday 11:00")

    standin.revoke_token(org.bot_token)
    assert in_org.event({"type": "app_uninstalled"}).status == 200
    wait_until_uninstalled(runtime, ORG)
    clock.advance(days=2)
    scheduler(runtime, standin).run_pass(clock())

    assert nudged(standin) == {"U0BOB": solo.bot_token}
    assert bots_of(runtime, None, ORG) == 0
    assert follow_ups(runtime)["U0CAROL"] == (False, 0, None)
