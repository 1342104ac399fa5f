"""With one bot token (no OAuth) an uninstall stops the nudges too, keeps them unsent, and the workspace is back
as soon as Slack delivers it a request again (which it does only for an installed app)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.runtime import Runtime
from storage.models import Workspace
from tests.conftest import BOT_TOKEN, TEAM, make_settings
from tests.installations.test_scheduler_tokens import log_with_follow_up, scheduler
from tests.installations.test_uninstall import follow_ups, nudged, wait_until_uninstalled


@pytest.fixture
def runtime(engine, standin, clock, database_url) -> Runtime:
    """tests/conftest.py's single-token app, not this folder's OAuth one."""
    return Runtime(settings=make_settings(database_url, standin.api_url, standin.hooks_url), engine=engine, clock=clock)


def test_an_uninstall_waits_out_the_nudges_until_the_workspace_is_back(slack, standin, runtime, clock):
    log_with_follow_up(slack, standin, "U0ALICE", "Quokka Ltd: call, follow up thursday 11:00")

    assert slack.event({"type": "app_uninstalled"}).status == 200
    wait_until_uninstalled(runtime, TEAM)
    clock.advance(days=2)
    scheduler(runtime, standin).run_pass(clock())

    assert nudged(standin) == {}
    assert follow_ups(runtime)["U0ALICE"] == (False, 0, None)

    # Reinstalled: Slack delivers the workspace's requests again.
    assert slack.command("U0ALICE", "quokka", command="/customer").status == 200
    with runtime.readers.begin() as session:
        assert session.scalar(select(Workspace.uninstalled_at).where(Workspace.team_id == TEAM)) is None
    scheduler(runtime, standin).run_pass(clock())

    assert nudged(standin) == {"U0ALICE": BOT_TOKEN}
