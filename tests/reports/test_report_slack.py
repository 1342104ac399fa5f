"""`/report` through the real path: signed requests to the served app, replies and files at the stand-in.

The store holds the hand-computed history (tests/reports/history.py): November 2026 in Berlin, made on
2 December, beside October. Its figures are the ones tests/reports/test_hand_computed_report.py asserts.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.local.simulator import SlackSimulator, http_transport
from bot.local.slack_standin import SlackStandIn
from storage.db import make_session_factory
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, Clock, Run
from tests.helpers import after, element, texts
from tests.reports.history import MADE_AT, TEAM, build_history

NOVEMBER = "2026-11-01..2026-11-30"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def history(engine: Engine, standin: SlackStandIn, clock: Clock) -> Iterator[int]:
    with make_session_factory(engine).begin() as session:
        workspace_id = build_history(session)
    for user_id in ("U0ANNA", "U0BEN", "U0CARA"):
        # Of one grid org whose other workspaces are T0OTHER and T0EMPTY: a member of each.
        standin.add_user(
            user_id,
            name=user_id[2:].lower(),
            real_name=user_id[2:].title(),
            tz="Europe/Berlin",
            also_in=("T0OTHER", "T0EMPTY"),
        )
    clock.instant = MADE_AT
    yield workspace_id


def team(served: str, standin: SlackStandIn, team_id: str) -> SlackSimulator:
    """Slack sending requests from the workspace `team_id`."""
    return SlackSimulator(
        http_transport(served + "/slack/events"), SIGNING_SECRET, team_id=team_id, response_url=standin.response_url
    )


@pytest.fixture
def slack(served: str, standin: SlackStandIn, history: int) -> SlackSimulator:
    return team(served, standin, TEAM)


def figures(message: dict[str, Any]) -> dict[str, str]:
    """The headline figures of a summary: each field's bold name to what follows it."""
    shown = {}
    for block in message["blocks"]:
        for field in block.get("fields", []):
            name, _, value = field["text"].partition("\n")
            shown[name.strip("*")] = value
    return shown


def summary_of(standin: SlackStandIn, slack: SlackSimulator, words: str, user: str = "U0ANNA") -> dict[str, Any]:
    before = len(standin.calls_to("response_url"))
    reply = slack.command(user, words, command="/report")
    assert reply.status == 200
    assert reply.body in (b"", "")  # acknowledged at once, with nothing in it: the summary comes after
    return standin.wait_for("response_url", count=before + 1)[before].params


def test_report_answers_with_the_summary_and_uploads_the_chart_to_the_dm(
    slack: SlackSimulator, standin: SlackStandIn
) -> None:
    summary = summary_of(standin, slack, NOVEMBER)

    assert figures(summary) == {
        "Touchpoints": "10  _↑ from 4_",
        "Customers touched": "5  _↑ from 3_",
        "Follow-ups kept on time": "57% (4 of 7)  _↑ from 50%_",
        "Quiet customers": "3  _same as before_",
    }
    said = texts(summary)
    assert "1 Nov – 30 Nov 2026" in said and "For everyone · compared with 2 Oct – 31 Oct 2026" in said
    assert "*Worth acting on*" in said and "still open past the grace" in said
    assert summary.get("response_type") in (None, "ephemeral")
    element(summary, "report_share", "Share in channel")
    element(summary, "report_csv", "Download CSV")

    standin.wait_for("files.completeUploadExternal")
    (chart,) = standin.files
    assert chart.content.startswith(PNG_SIGNATURE)
    assert (chart.channel, chart.token) == ("DU0ANNA", BOT_TOKEN)
    assert chart.name == f"report-{NOVEMBER}.png"
    assert chart.title == "Touchpoints and follow-ups · 1 Nov – 30 Nov 2026 · everyone"
    assert [c.params["users"] for c in standin.calls_to("conversations.open")] == ["U0ANNA"]


def test_the_period_is_local_days_in_the_viewers_zone(slack: SlackSimulator, standin: SlackStandIn) -> None:
    # November in New York begins at 04:00 UTC on the 1st (its DST ends that day) and ends at 05:00 UTC on
    # 1 December: the touchpoint of 23:30 UTC on 31 October is October's there, and the 30th's at 22:30 stays in.
    standin.add_user("U0BEN", name="ben", real_name="Ben", tz="America/New_York")

    summary = summary_of(standin, slack, NOVEMBER, user="U0BEN")

    assert figures(summary)["Touchpoints"] == "9  _↑ from 5_"
    assert "made Wed 2 Dec, 04:00" in texts(summary)
    standin.wait_for("files.completeUploadExternal")


def test_a_filter_is_read_and_said(slack: SlackSimulator, standin: SlackStandIn) -> None:
    summary = summary_of(standin, slack, f"{NOVEMBER} support #fair2026")

    assert figures(summary)["Touchpoints"] == "1  _↑ from 0_"
    assert "For department Support, tag #fair2026" in texts(summary)
    standin.wait_for("files.completeUploadExternal")
    assert standin.files[0].title.endswith("· department Support, tag #fair2026")


def test_share_in_channel_posts_the_same_report_visibly_with_its_chart(
    slack: SlackSimulator, standin: SlackStandIn
) -> None:
    summary = summary_of(standin, slack, NOVEMBER)
    standin.wait_for("files.completeUploadExternal")
    _, share = element(summary, "report_share")

    assert slack.click("U0ANNA", share, channel="C0SALES").status == 200

    (posted,) = standin.wait_for("chat.postMessage")
    assert posted.params["channel"] == "C0SALES"
    assert figures(posted.params) == figures(summary)
    assert "shared by <@U0ANNA>" in texts(posted.params)
    standin.wait_for("files.completeUploadExternal", count=2)
    shared_chart = standin.files[1]
    assert (shared_chart.channel, shared_chart.content[:8]) == ("C0SALES", PNG_SIGNATURE)
    note = standin.wait_for("response_url", count=2)[1].params
    assert "Shared the report for 1 Nov – 30 Nov 2026" in note["text"]


def test_a_channel_the_bot_is_not_in_gets_a_private_hint_and_no_chart(
    slack: SlackSimulator, standin: SlackStandIn
) -> None:
    summary = summary_of(standin, slack, NOVEMBER)
    standin.wait_for("files.completeUploadExternal")
    standin.fail_next("chat.postMessage", error="not_in_channel")

    slack.click("U0ANNA", element(summary, "report_share")[1], channel="C0SECRET")

    note = standin.wait_for("response_url", count=2)[1].params
    assert "/invite @Touchpoint" in note["text"] and note["replace_original"] is False
    assert [f.channel for f in standin.files] == ["DU0ANNA"]


def test_a_chart_that_cannot_be_uploaded_loses_nothing_of_the_summary(
    slack: SlackSimulator, standin: SlackStandIn
) -> None:
    standin.fail_next("files.getUploadURLExternal", error="not_allowed_token_type")

    summary = summary_of(standin, slack, NOVEMBER)
    standin.wait_for("files.getUploadURLExternal")

    assert figures(summary)["Touchpoints"] == "10  _↑ from 4_"
    assert standin.files == []


def test_download_csv_uploads_every_figure_to_the_dm(slack: SlackSimulator, standin: SlackStandIn) -> None:
    summary = summary_of(standin, slack, NOVEMBER)
    standin.wait_for("files.completeUploadExternal")
    _, download = element(summary, "report_csv")

    assert slack.click("U0ANNA", download).status == 200

    standin.wait_for("files.completeUploadExternal", count=2)
    sheet = standin.files[1]
    assert (sheet.name, sheet.channel) == (f"report-{NOVEMBER}.csv", "DU0ANNA")
    assert sheet.title == "Report figures · 1 Nov – 30 Nov 2026 · everyone"
    rows = {row[0]: row[1:] for row in csv.reader(io.StringIO(sheet.content.decode("utf-8")))}
    assert rows["touchpoints.total"] == ["10", "4"]
    assert rows["follow_ups.on_time_rate"] == ["0.5714", "0.5"]


@pytest.mark.parametrize(
    ("words", "said"),
    [
        ("next year", "in the future"),
        ("2026-11-30..2026-11-01", "ends before it begins"),
        ("marketing", "Departments: Finance, Sales, Support"),
        ("#expo2025", "Did you mean: #expo2026"),
        ("@nobody", "No person is called `@nobody`"),
    ],
)
def test_bad_words_are_answered_in_the_ack_with_examples(
    slack: SlackSimulator, standin: SlackStandIn, words: str, said: str
) -> None:
    reply = slack.command("U0ANNA", words, command="/report")

    assert reply.status == 200
    answer = reply.json()
    assert said in texts(answer)
    assert "For example: `/report`, `/report last week`" in texts(answer)
    assert standin.calls_to("response_url") == [] and standin.files == []


@pytest.mark.parametrize("words", ["help", "?"])
def test_help_says_what_the_words_may_be(slack: SlackSimulator, standin: SlackStandIn, words: str) -> None:
    answer = slack.command("U0ANNA", words, command="/report").json()

    assert "*Period*: `today`" in texts(answer) and "*Filter*: a department" in texts(answer)
    assert standin.calls_to("response_url") == []


def test_a_workspace_with_no_touchpoints_gets_a_friendly_empty_report_and_no_chart(
    served: str, standin: SlackStandIn, history: int
) -> None:
    summary = summary_of(standin, team(served, standin, "T0EMPTY"), "")

    assert "No touchpoints for everyone in 3 Nov – 2 Dec 2026" in texts(summary)
    assert "/log Acme: call with Dana" in texts(summary)
    assert figures(summary) == {}
    assert standin.calls_to("files.getUploadURLExternal") == [] and standin.files == []


def test_another_workspace_sees_only_its_own_figures_even_with_a_copied_button(
    slack: SlackSimulator, served: str, standin: SlackStandIn
) -> None:
    elsewhere = team(served, standin, "T0OTHER")
    theirs = summary_of(standin, elsewhere, NOVEMBER)
    assert figures(theirs)["Touchpoints"] == "1  _↑ from 0_"
    assert figures(theirs)["Customers touched"] == "1  _↑ from 0_"

    ours = summary_of(standin, slack, NOVEMBER)
    standin.wait_for("files.completeUploadExternal", count=2)
    _, download = element(ours, "report_csv")
    assert json.loads(download["value"]).keys() == {"words", "at"}  # no workspace travels in a button
    elsewhere.click("U0ANNA", download)

    standin.wait_for("files.completeUploadExternal", count=3)
    rows = {row[0]: row[1:] for row in csv.reader(io.StringIO(standin.files[2].content.decode("utf-8")))}
    assert rows["touchpoints.total"] == ["1", "0"]


def test_the_shell_shows_the_summary_and_says_where_it_wrote_the_chart(run_shell: Run, tmp_path: Path) -> None:
    out = after(run_shell(":demo", "/report"), "/report")

    assert "Report · 27 Oct – 25 Nov 2026" in out
    assert "Touchpoints" in out and "Follow-ups kept on time" in out
    chart = tmp_path / ".touchpoint-files" / "report-2026-10-27..2026-11-25.png"
    assert f"file: {chart.name} → {chart} (open it to see the chart)" in out
    assert chart.read_bytes().startswith(PNG_SIGNATURE)


def test_the_shell_lists_report_among_the_commands(run_shell: Run) -> None:
    out = run_shell(":help")

    assert "`/report`" in out.split("Slack commands", 1)[1].split("Buttons and menus", 1)[0]
