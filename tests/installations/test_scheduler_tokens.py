"""The scheduler sends each installation's nudges with that installation's own bot token (the stand-in records
the token of every call), an org-wide install's with the org's, whichever workspace its people are in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.followups.dispatch import Dispatcher, DispatchOptions, dispatch_client
from bot.installations.tokens import bot_tokens
from bot.reports.weekly import subscribe
from storage.models import FollowUp, WeeklyReport
from storage.workspaces import mark_uninstalled, workspace_for_team
from tests.helpers import element

ORG = "E0ORG"


def log_with_follow_up(slack, standin, user: str, line: str) -> None:
    """Log a line about a new customer, with its follow-up, and press Create."""
    block_id, create = element(slack.command(user, line).json(), "tp_create_customer")
    assert slack.click(user, create, block_id=block_id).status == 200
    standin.wait_for("response_url")
    standin.clear()


def scheduler(runtime, standin) -> Dispatcher:
    """What `touchpoint scheduler` builds: one client for where Slack is, the token of each installation."""
    options = DispatchOptions(conversation_interval=0.0, backoff=timedelta(seconds=30), senders=2)
    client = dispatch_client(runtime.settings.slack_bot_token, standin.api_url, options.http_timeout)
    return Dispatcher(runtime, client, worker_id="test:1:aaaaaa", options=options, bot_tokens=bot_tokens(runtime))


@pytest.fixture
def installed(install, workspace_of, standin):
    """Two workspaces and an org installed, each with a follow-up due Thursday 11:00 for one person."""
    tokens = {
        "U0ALICE": install("T0NORTH").bot_token,
        "U0BOB": install("T0SOUTH").bot_token,
        "U0CAROL": install(enterprise_id=ORG, is_enterprise_install=True).bot_token,
    }
    log_with_follow_up(workspace_of("T0NORTH"), standin, "U0ALICE", "Quokka Ltd: call, follow up thursday 11:00")
    log_with_follow_up(workspace_of("T0SOUTH"), standin, "U0BOB", "Pelican AG: call, follow up thursday 11:00")
    log_with_follow_up(
        workspace_of("T0GRIDB", ORG, org_wide=True), standin, "U0CAROL", "Wombat Inc: call, follow up thursday 11:00"
    )
    return tokens


def test_nudges_of_each_installation_go_out_with_its_own_token(installed, runtime, standin, clock):
    clock.advance(days=2)

    report = scheduler(runtime, standin).send_nudges(clock())

    assert report.nudges == 3
    sent = {(call.params["channel"], call.token) for call in standin.calls_to("chat.postMessage")}
    assert sent == set(installed.items())
    with runtime.sessions.begin() as session:
        assert all(f.nudged_at is not None for f in session.scalars(select(FollowUp)))


def test_digests_of_each_installation_go_out_with_its_own_token(installed, workspace_of, runtime, standin, clock):
    teams = {"U0ALICE": ("T0NORTH",), "U0BOB": ("T0SOUTH",), "U0CAROL": ("T0GRIDB", ORG)}
    for user, team in teams.items():
        slack = workspace_of(*team, org_wide=len(team) > 1)
        assert slack.command(user, "digest 12", command="/followups").status == 200
    standin.clear()
    dispatcher = scheduler(runtime, standin)

    # Thursday noon in Tokyo, Berlin and New York in turn: each person's digest, past their 11:00 follow-up.
    for utc_hour in (3, 11, 17):
        clock.instant = datetime(2026, 11, 26, utc_hour, 0, 5, tzinfo=UTC)
        assert dispatcher.send_digests(clock()).digests == 1

    sent = {(call.params["channel"], call.token) for call in standin.calls_to("chat.postMessage")}
    assert sent == set(installed.items())


def test_a_reinstalled_workspace_is_nudged_with_its_new_token(installed, install, runtime, standin, clock):
    renewed = install("T0NORTH").bot_token
    standin.clear()
    clock.advance(days=2)

    scheduler(runtime, standin).send_nudges(clock())

    tokens = {call.params["channel"]: call.token for call in standin.calls_to("chat.postMessage")}
    assert tokens["U0ALICE"] == renewed != installed["U0ALICE"]
    assert all(call.ok for call in standin.calls_to("chat.postMessage"))


def test_a_rate_limit_in_one_installation_holds_up_no_other(runtime, standin):
    dispatcher = scheduler(runtime, standin)

    dispatcher.pacer(1).pause(30)

    assert dispatcher.pacer(1).book("U0ALICE")[1] is None  # told to ask again after the pause
    wait, ticket = dispatcher.pacer(2).book("U0ALICE")
    assert wait == 0 and ticket is not None
    assert dispatcher.pacer(1) is dispatcher.pacer(1)


def test_weekly_reports_of_each_installation_go_out_with_its_own_token_and_wait_while_uninstalled(
    install, runtime, standin, clock
):
    north, south = install("T0NORTH").bot_token, install("T0SOUTH").bot_token
    with runtime.sessions.begin() as session:
        for team, channel in (("T0NORTH", "C0NORTH"), ("T0SOUTH", "C0SOUTH"), ("T0GONE", "C0GONE")):
            workspace_id = workspace_for_team(session, team).id
            subscribe(session, workspace_id, channel, "", tz=ZoneInfo("UTC"), user_id="U0ALICE", now=clock())
        mark_uninstalled(session, "T0GONE", clock())
    standin.clear()
    monday_nine = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # the first Monday after the clock's Wednesday

    report = scheduler(runtime, standin).send_weekly_reports(monday_nine)

    assert report.weekly_reports == 2
    posted = {(call.params["channel"], call.token) for call in standin.calls_to("chat.postMessage")}
    assert posted == {("C0NORTH", north), ("C0SOUTH", south)}
    with runtime.sessions.begin() as session:
        gone = session.scalars(select(WeeklyReport).where(WeeklyReport.channel_id == "C0GONE")).one()
        assert gone.next_due_at == monday_nine and gone.last_posted_at is None  # waits, not skipped or marked
