"""`/report weekly #channel`: subscribed by a signed request, posted by dispatch passes every Monday at 09:00 in the
subscription's zone, once, whatever runs the passes (two dispatchers at once, a restart after the hour).

The clock starts on Thursday 3 December 2026; the week reported on Monday 7 December is 30 November to 6 December.
Alice is in Berlin, so her weekly report is due at 08:00 UTC.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.followups.dispatch import Dispatcher, DispatchOptions, dispatch_client
from bot.local.slack_standin import RecordedCall, SlackStandIn
from bot.reports.weekly import subscribe
from bot.runtime import Runtime
from bot.scheduler import WEEKLY_REPORTS, build_scheduler
from storage.models import AuditEvent, Member, Touchpoint, WeeklyReport
from storage.workspaces import workspace_for_team
from tests.conftest import BERLIN, BOT_TOKEN, TEAM, Clock
from tests.followups.test_dispatch_faults import touchpoint_command, until
from tests.helpers import after, element, texts
from tests.reports.test_report_slack import PNG_SIGNATURE, figures

THURSDAY = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
MONDAY_NINE_BERLIN = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
NEXT_MONDAY_NINE_BERLIN = datetime(2026, 12, 14, 8, 0, tzinfo=UTC)
SALES = "C0SALES"
OTHER_TEAM, OTHER_CHANNEL = "T0OTHER", "C0OTHER"


@pytest.fixture(autouse=True)
def thursday(clock: Clock) -> None:
    clock.instant = THURSDAY


def make_dispatcher(runtime: Runtime, standin: SlackStandIn, worker: str) -> Dispatcher:
    options = DispatchOptions(conversation_interval=0.0, backoff=timedelta(seconds=30), senders=2)
    client = dispatch_client(BOT_TOKEN, standin.api_url, options.http_timeout)
    return Dispatcher(runtime, client, worker_id=worker, options=options, rng=random.Random(3))


def touch(runtime: Runtime, team: str, author: str, when: datetime, department: str = "Sales") -> None:
    with runtime.sessions.begin() as session:
        workspace = workspace_for_team(session, team)
        session.add(
            Touchpoint(
                workspace_id=workspace.id,
                customer_text="Acme",
                author_user_id=author,
                author_department=department,
                kind="call",
                summary=f"call at {when:%d %b %H:%M}",
                tags=[],
                occurred_at=when,
                source="command",
            )
        )


def subscribed(
    runtime: Runtime, channel: str = SALES, *, team: str = TEAM, words: str = "", tz: ZoneInfo = BERLIN
) -> int:
    with runtime.sessions.begin() as session:
        workspace = workspace_for_team(session, team)
        subscribe(session, workspace.id, channel, words, tz=tz, user_id="U0ALICE", now=THURSDAY)
        return workspace.id


def seed_weeks(runtime: Runtime) -> None:
    """Three touchpoints in the week reported (Berlin days 30 Nov to 6 Dec), one the week before, one after."""
    touch(runtime, TEAM, "U0ALICE", datetime(2026, 11, 29, 23, 30, tzinfo=UTC))  # 00:30 on Monday 30 Nov in Berlin
    touch(runtime, TEAM, "U0ALICE", datetime(2026, 12, 2, 12, 0, tzinfo=UTC))
    touch(runtime, TEAM, "U0BOB", datetime(2026, 12, 6, 22, 30, tzinfo=UTC))  # 23:30 on Sunday 6 Dec in Berlin
    touch(runtime, TEAM, "U0BOB", datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    touch(runtime, TEAM, "U0BOB", datetime(2026, 12, 6, 23, 30, tzinfo=UTC))  # 00:30 on Monday 7 Dec: the next week


def posts_in(standin: SlackStandIn, channel: str) -> list[RecordedCall]:
    return [c for c in standin.calls_to("chat.postMessage") if c.ok and c.params.get("channel") == channel]


def weekly_posts(standin: SlackStandIn, channel: str = SALES) -> list[dict[str, Any]]:
    return [c.params for c in posts_in(standin, channel) if "weekly report" not in c.params["text"]]


def row(runtime: Runtime, channel: str = SALES) -> WeeklyReport:
    with runtime.sessions.begin() as session:
        found = session.scalars(select(WeeklyReport).where(WeeklyReport.channel_id == channel)).one()
        session.expunge(found)
        return found


def reply_to(slack, standin: SlackStandIn, words: str, user: str = "U0ALICE") -> dict[str, Any]:
    """What /report answers: in the acknowledgement, or else by response URL."""
    before = len(standin.calls_to("response_url"))
    reply = slack.command(user, words, command="/report")
    assert reply.status == 200
    if reply.body not in (b"", ""):
        return reply.json()
    return standin.wait_for("response_url", count=before + 1)[before].params


# --- subscribing ---


def test_report_weekly_sets_it_up_once_and_says_what_where_and_when_next(slack, standin, runtime):
    said = reply_to(slack, standin, "weekly <#C0SALES|sales>")

    assert "in <#C0SALES> every Monday at 09:00 Europe/Berlin" in said["text"]
    assert "Monday 7 December at 09:00 Europe/Berlin" in said["text"]
    # The way to stop it, as it is typed (the channel outside the backticks, where Slack links it).
    assert "To stop it: `/report weekly` <#C0SALES> `off`." in texts(said)
    assert said.get("response_type") in (None, "ephemeral")
    (notice,) = posts_in(standin, SALES)
    assert "<@U0ALICE> set up the weekly report here" in notice.params["text"]
    assert row(runtime).next_due_at == MONDAY_NINE_BERLIN

    again = reply_to(slack, standin, "weekly <#C0SALES|sales>")
    assert "already gets" in again["text"] and "Monday 7 December" in again["text"]
    assert len(posts_in(standin, SALES)) == 1  # no second notice
    with runtime.sessions.begin() as session:
        assert len(session.scalars(select(WeeklyReport)).all()) == 1
        (started,) = session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "weekly_report")).all()
    assert (started.action, started.actor_user_id, started.details["channel"]) == (
        "weekly_report_started",
        "U0ALICE",
        SALES,
    )


def test_a_channel_another_organisation_reads_is_warned_about_and_set_up_only_on_share_anyway(slack, standin, runtime):
    touch(runtime, TEAM, "U0CAROL", datetime(2026, 12, 2, 12, 0, tzinfo=UTC), department="Finance")
    standin.share_channel(SALES)

    warning = reply_to(slack, standin, "weekly <#C0SALES|sales> finance")

    assert "People outside Touchpoint Stand-in can see <#C0SALES>. Share anyway?" in warning["text"]
    assert not posts_in(standin, SALES)
    with runtime.sessions.begin() as session:
        assert session.scalars(select(WeeklyReport)).all() == []

    block_id, anyway = element(warning, "weekly_share_confirmed")
    before = len(standin.calls_to("response_url"))
    slack.click("U0ALICE", anyway, block_id=block_id, channel=SALES)

    said = standin.wait_for("response_url", count=before + 1)[before].params
    assert "in <#C0SALES> every Monday at 09:00 Europe/Berlin" in said["text"]
    assert len(posts_in(standin, SALES)) == 1  # the notice, so the channel knows
    assert row(runtime).filter_words == "finance"


def test_report_weekly_alone_lists_the_channels_and_off_stops_one_without_deleting_it(slack, standin, runtime, clock):
    reply_to(slack, standin, "weekly <#C0SALES|sales>")
    listed = reply_to(slack, standin, "weekly")
    assert "<#C0SALES>: everyone, next on Monday 7 December at 09:00 Europe/Berlin" in texts(listed)

    stopped = reply_to(slack, standin, "weekly <#C0SALES|sales> off")
    assert (
        "Stopped: <#C0SALES> no longer gets the weekly report. `/report weekly` <#C0SALES> starts it again."
        in (stopped["text"])
    )
    assert "No channel gets the weekly report yet" in reply_to(slack, standin, "weekly")["text"]
    assert row(runtime).stopped_at == THURSDAY  # kept, and the stop recorded
    with runtime.sessions.begin() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "weekly_report")).all()
    assert actions == ["weekly_report_started", "weekly_report_stopped"]

    clock.instant = MONDAY_NINE_BERLIN
    assert make_dispatcher(runtime, standin, "a").send_weekly_reports(MONDAY_NINE_BERLIN).weekly_reports == 0
    assert weekly_posts(standin) == []
    assert "nothing to stop" in reply_to(slack, standin, "weekly <#C0SALES|sales> off")["text"]


def test_a_channel_the_bot_is_not_in_gets_an_instruction_to_invite_it(slack, standin, runtime):
    standin.remove_bot_from(SALES)

    said = reply_to(slack, standin, "weekly <#C0SALES|sales>")

    assert "I'm not in <#C0SALES>" in said["text"] and "`/invite @Touchpoint`" in said["text"]
    with runtime.sessions.begin() as session:
        assert session.scalars(select(WeeklyReport)).all() == []


@pytest.mark.parametrize(
    ("words", "said"),
    [
        ("weekly #sales", "pick it from the list Slack offers"),
        ("weekly <#C0SALES|sales> marketing", "No department"),
        ("weekly <#C0SALES|sales> last month", "always about the previous Monday to Sunday"),
    ],
)
def test_words_it_cannot_use_are_answered_in_the_acknowledgement(slack, standin, runtime, words, said):
    touch(runtime, TEAM, "U0ALICE", datetime(2026, 12, 1, 12, 0, tzinfo=UTC))

    reply = reply_to(slack, standin, words)

    assert said in reply["text"]
    assert posts_in(standin, SALES) == []


# --- posting ---


def test_a_pass_at_nine_on_monday_posts_last_weeks_report_and_its_chart_once(runtime, standin, clock):
    seed_weeks(runtime)
    subscribed(runtime)
    dispatcher = make_dispatcher(runtime, standin, "a")

    clock.instant = MONDAY_NINE_BERLIN - timedelta(seconds=1)
    assert dispatcher.run_pass(clock.instant).weekly_reports == 0
    clock.instant = MONDAY_NINE_BERLIN
    report = dispatcher.run_pass(clock.instant)
    clock.instant += timedelta(minutes=1)
    dispatcher.run_pass(clock.instant)

    assert report.weekly_reports == 1 and "1 weekly report" in report.summary()
    (post,) = weekly_posts(standin)
    assert "Report · 30 Nov – 6 Dec 2026" in texts(post)
    assert "compared with 23 Nov – 29 Nov 2026" in texts(post) and "the weekly report, every Monday" in texts(post)
    assert figures(post)["Touchpoints"] == "3  _↑ from 1_"
    element(post, "report_csv", "Download CSV")
    with pytest.raises(AssertionError):
        element(post, "report_share")  # it is in the channel already
    (chart,) = standin.files
    assert chart.channel == SALES and chart.content.startswith(PNG_SIGNATURE)
    assert chart.name == "report-2026-11-30..2026-12-06.png"
    posted = row(runtime)
    assert posted.next_due_at == NEXT_MONDAY_NINE_BERLIN and posted.last_week_first == date(2026, 11, 30)
    assert posted.claimed_by is None


def test_the_download_csv_button_of_the_post_gives_that_weeks_figures(slack, runtime, standin, clock):
    seed_weeks(runtime)
    subscribed(runtime)
    clock.instant = MONDAY_NINE_BERLIN
    make_dispatcher(runtime, standin, "a").send_weekly_reports(clock.instant)
    (post,) = weekly_posts(standin)
    block_id, button = element(post, "report_csv")

    slack.click("U0BOB", button, block_id=block_id, channel=SALES)

    standin.wait_for("files.completeUploadExternal", count=2)
    csv_file = standin.files[-1]
    assert csv_file.name == "report-2026-11-30..2026-12-06.csv"
    assert "touchpoints.total,3,1" in csv_file.content.decode()


def test_an_empty_week_gets_the_friendly_empty_report_and_no_chart(runtime, standin, clock):
    subscribed(runtime)
    clock.instant = MONDAY_NINE_BERLIN

    make_dispatcher(runtime, standin, "a").send_weekly_reports(clock.instant)

    (post,) = weekly_posts(standin)
    assert "No touchpoints for everyone in 30 Nov – 6 Dec 2026" in post["text"]
    assert standin.files == []


def test_two_dispatchers_at_once_post_each_channels_report_once(runtime, standin, clock):
    seed_weeks(runtime)
    channels = [f"C0TEAM{n:02d}" for n in range(12)]
    for channel in channels:
        subscribed(runtime, channel)
    first, second = make_dispatcher(runtime, standin, "one"), make_dispatcher(runtime, standin, "two")
    clock.instant = MONDAY_NINE_BERLIN + timedelta(seconds=5)
    start = threading.Barrier(2)
    reports = []

    def run(dispatcher: Dispatcher) -> None:
        start.wait()
        reports.append(dispatcher.send_weekly_reports(clock.instant))

    threads = [threading.Thread(target=run, args=(d,)) for d in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(r.weekly_reports for r in reports) == len(channels)
    assert {channel: len(weekly_posts(standin, channel)) for channel in channels} == dict.fromkeys(channels, 1)
    for dispatcher in (first, second):
        assert dispatcher.send_weekly_reports(clock.instant).weekly_reports == 0


def test_after_a_restart_past_nine_the_missed_report_is_posted_once_with_the_right_week(runtime, standin, clock):
    seed_weeks(runtime)
    subscribed(runtime)
    # The process that was running died holding the post: its lease runs out before anyone else may take it.
    with runtime.sessions.begin() as session:
        session.execute(
            WeeklyReport.__table__.update().values(
                claimed_by="dead-host:1:000000", lease_until=MONDAY_NINE_BERLIN + timedelta(minutes=1)
            )
        )
    restarted = make_dispatcher(runtime, standin, "restarted")
    clock.instant = MONDAY_NINE_BERLIN + timedelta(seconds=30)
    assert restarted.send_weekly_reports(clock.instant).weekly_reports == 0

    clock.instant = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)  # back on Tuesday
    assert restarted.send_weekly_reports(clock.instant).weekly_reports == 1
    assert make_dispatcher(runtime, standin, "again").send_weekly_reports(clock.instant).weekly_reports == 0

    (post,) = weekly_posts(standin)
    assert "Report · 30 Nov – 6 Dec 2026" in texts(post) and figures(post)["Touchpoints"] == "3  _↑ from 1_"
    assert row(runtime).next_due_at == NEXT_MONDAY_NINE_BERLIN


def test_a_slack_failure_backs_off_and_the_report_is_posted_once_later(runtime, standin, clock):
    seed_weeks(runtime)
    subscribed(runtime)
    dispatcher = make_dispatcher(runtime, standin, "a")
    standin.fail_next("chat.postMessage", status=500)
    clock.instant = MONDAY_NINE_BERLIN

    failed = dispatcher.send_weekly_reports(clock.instant)
    clock.instant += timedelta(seconds=5)
    too_soon = dispatcher.send_weekly_reports(clock.instant)
    clock.instant += timedelta(minutes=2)
    later = dispatcher.send_weekly_reports(clock.instant)

    assert (failed.failed, failed.weekly_reports, too_soon.weekly_reports, later.weekly_reports) == (1, 0, 0, 1)
    assert len(weekly_posts(standin)) == 1
    assert row(runtime).last_error is None


def test_a_channel_the_bot_was_removed_from_skips_the_week_and_says_why_in_the_list(runtime, standin, clock, slack):
    subscribed(runtime)
    standin.remove_bot_from(SALES)
    clock.instant = MONDAY_NINE_BERLIN

    report = make_dispatcher(runtime, standin, "a").send_weekly_reports(clock.instant)

    assert (report.weekly_reports, report.failed) == (0, 1)
    assert row(runtime).next_due_at == NEXT_MONDAY_NINE_BERLIN and row(runtime).last_error == "not_in_channel"
    listed = texts(reply_to(slack, standin, "weekly"))
    assert "next on Monday 14 December" in listed and "could not be posted: not_in_channel" in listed


def test_a_filter_narrows_each_week_as_it_narrows_report(runtime, standin, clock):
    seed_weeks(runtime)
    touch(runtime, TEAM, "U0CAROL", datetime(2026, 12, 3, 12, 0, tzinfo=UTC), department="Finance")
    subscribed(runtime, words="finance")
    clock.instant = MONDAY_NINE_BERLIN

    make_dispatcher(runtime, standin, "a").send_weekly_reports(clock.instant)

    (post,) = weekly_posts(standin)
    assert "For department Finance" in texts(post) and figures(post)["Touchpoints"] == "1  _↑ from 0_"


def test_another_workspaces_subscription_posts_its_own_figures_in_its_own_channel_only(runtime, standin, clock):
    seed_weeks(runtime)
    for day in range(1, 6):
        touch(runtime, OTHER_TEAM, "U0ZED", datetime(2026, 12, day, 12, 0, tzinfo=UTC))
    subscribed(runtime, OTHER_CHANNEL, team=OTHER_TEAM)
    clock.instant = MONDAY_NINE_BERLIN

    make_dispatcher(runtime, standin, "a").send_weekly_reports(clock.instant)

    (other,) = weekly_posts(standin, OTHER_CHANNEL)
    assert figures(other)["Touchpoints"] == "5  _↑ from 0_"
    assert weekly_posts(standin, SALES) == []  # this workspace subscribed no channel
    assert [f.channel for f in standin.files] == [OTHER_CHANNEL]


def test_the_subscription_is_read_in_the_zone_of_whoever_set_it_up(slack, standin, runtime):
    reply_to(slack, standin, "weekly <#C0SALES|sales>", user="U0BOB")

    assert row(runtime).tz == "America/New_York"
    assert row(runtime).next_due_at == datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
    with runtime.sessions.begin() as session:
        assert session.scalar(select(Member.tz).where(Member.slack_user_id == "U0BOB")) == "America/New_York"


# --- what runs the passes ---


def nudge_env(database_url: str, standin: SlackStandIn) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": standin.api_url,
        "DEFAULT_TZ": "UTC",
        "LOG_LEVEL": "WARNING",
    }


def test_touchpoint_nudge_at_monday_nine_delivers_the_weekly_report(
    runtime, standin, database_url, monkeypatch, capsys
):
    seed_weeks(runtime)
    subscribed(runtime)
    for name, value in nudge_env(database_url, standin).items():
        monkeypatch.setenv(name, value)

    assert main(["nudge", "--at", "2026-12-07T09:00:00+01:00"]) == 0
    assert capsys.readouterr().out == "sent 0 nudges, 0 catch-ups, 0 digests; 0 failed; 1 weekly report\n"
    assert main(["nudge", "--at", "2026-12-07T09:05:00+01:00"]) == 0
    assert capsys.readouterr().out == "sent 0 nudges, 0 catch-ups, 0 digests; 0 failed\n"
    (post,) = weekly_posts(standin)
    assert "Report · 30 Nov – 6 Dec 2026" in texts(post)


def claimants(runtime: Runtime) -> set[str]:
    with runtime.readers.begin() as session:
        return set(session.scalars(select(WeeklyReport.claimed_by).where(WeeklyReport.claimed_by.is_not(None))))


def test_two_touchpoint_nudge_processes_at_once_post_each_report_once(runtime, standin, database_url, tmp_path):
    seed_weeks(runtime)
    channels = [f"C0PROC{n:02d}" for n in range(10)]
    for channel in channels:
        subscribed(runtime, channel)
    command = [*touchpoint_command(), "nudge", "--at", "2026-12-07T09:00:30+01:00"]
    # Both are held at Slack's door until both have started claiming, so their passes overlap.
    standin.hold("chat.postMessage")
    processes = [
        subprocess.Popen(command, env=nudge_env(database_url, standin), cwd=tmp_path, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    try:
        until(lambda: len(claimants(runtime)) == 2, 60, "both processes hold a post at once")
        standin.release("chat.postMessage")
        outs = [p.communicate(timeout=120)[0] for p in processes]
    finally:
        standin.release()
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()

    assert [p.returncode for p in processes] == [0, 0]
    assert {channel: len(weekly_posts(standin, channel)) for channel in channels} == dict.fromkeys(channels, 1)
    posted = sum(int(m.group(1)) for out in outs for m in re.finditer(r"(\d+) weekly reports?", out))
    assert posted == len(channels)


def test_the_scheduler_ticks_the_weekly_reports_every_minute(runtime, standin):
    scheduler = build_scheduler(make_dispatcher(runtime, standin, "a"), background=True)
    scheduler.start(paused=True)
    try:
        job = scheduler.get_job(WEEKLY_REPORTS)
    finally:
        scheduler.shutdown(wait=False)

    assert job.trigger.interval == timedelta(seconds=60) and job.max_instances == 1 and job.coalesce


def test_the_shell_sets_up_the_weekly_report_and_shows_it_when_the_clock_reaches_monday(run_shell, tmp_path):
    # The shell's clock starts on Wednesday 25 November 2026 and alice is in Berlin: Monday 30 November, 08:00 UTC.
    out = run_shell(":demo", "/report weekly #general", ":advance 4d21h", ":advance 2h")

    subscribing = after(out, "/report weekly #general")
    assert (
        "Set up: the previous week's report for everyone in #general every Monday at 09:00 Europe/Berlin" in subscribing
    )
    assert "Monday 30 November at 09:00 Europe/Berlin" in subscribing
    assert "@alice set up the weekly report here" in subscribing
    before, monday = out.split("> :advance 2h", 1)
    assert "Report · 23 Nov – 29 Nov 2026" not in before
    assert monday.count("Report · 23 Nov – 29 Nov 2026") == 1 and "in #general" in monday
    chart = tmp_path / ".touchpoint-files" / "report-2026-11-23..2026-11-29.png"
    assert chart.read_bytes().startswith(PNG_SIGNATURE)


def test_asking_again_with_a_filter_changes_the_one_subscription_and_off_then_on_reuses_it(slack, standin, runtime):
    touch(runtime, TEAM, "U0CAROL", datetime(2026, 12, 1, 12, 0, tzinfo=UTC), department="Finance")
    reply_to(slack, standin, "weekly <#C0SALES|sales>")

    changed = reply_to(slack, standin, "weekly <#C0SALES|sales> finance")
    assert "Changed: the previous week's report for finance in <#C0SALES>" in changed["text"]
    assert "The next is on Monday 7 December" in changed["text"]
    reply_to(slack, standin, "weekly <#C0SALES|sales> off")
    restarted = reply_to(slack, standin, "weekly <#C0SALES|sales>")
    assert "Started again: the previous week's report for everyone" in restarted["text"]

    with runtime.sessions.begin() as session:
        (kept,) = session.scalars(select(WeeklyReport)).all()
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity_id == kept.id).order_by(AuditEvent.id)
        ).all()
    assert (kept.filter_words, kept.stopped_at) == ("", None)
    assert actions == [
        "weekly_report_started",
        "weekly_report_changed",
        "weekly_report_stopped",
        "weekly_report_restarted",
    ]


def test_a_429_waits_for_its_retry_after_before_the_report_is_tried_again(runtime, standin, clock):
    subscribed(runtime)
    standin.fail_next("chat.postMessage", retry_after=120)
    clock.instant = MONDAY_NINE_BERLIN
    dispatcher = make_dispatcher(runtime, standin, "a")

    assert dispatcher.send_weekly_reports(clock.instant).weekly_reports == 0
    assert row(runtime).next_attempt_at == MONDAY_NINE_BERLIN + timedelta(seconds=120)
    clock.instant += timedelta(seconds=119)
    assert dispatcher.send_weekly_reports(clock.instant).weekly_reports == 0
    clock.instant += timedelta(seconds=1)
    assert dispatcher.send_weekly_reports(clock.instant).weekly_reports == 1
    assert len(weekly_posts(standin)) == 1
