"""`touchpoint report`: the hand-computed history's report as JSON, CSV and a table; bad options in one line."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.cli import main
from storage.db import make_session_factory
from storage.models import Touchpoint
from tests.reports.history import TEAM, at, build_history

NOVEMBER = ["--team", TEAM, "--since", "2026-11-01", "--until", "2026-11-30", "--now", "2026-12-02T10:00:00+01:00"]


@pytest.fixture
def history(engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> int:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_TZ", "Europe/Berlin")
    monkeypatch.setenv("QUIET_AFTER_DAYS", "30")
    monkeypatch.chdir(tmp_path)
    with make_session_factory(engine).begin() as session:
        return build_history(session)


def test_it_prints_the_report_as_json(history: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", *NOVEMBER, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["touchpoints"]["total"] == {"value": 10, "previous": 4}
    assert data["follow_ups"]["on_time_rate"] == {"value": 0.5714, "previous": 0.5}
    assert data["period"]["time_zone"] == "Europe/Berlin"


def test_the_chart_is_written_where_asked_and_said_so(
    history: int, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["report", *NOVEMBER, "--chart", "november.png"]) == 0

    picture = (tmp_path / "november.png").read_bytes()
    assert picture.startswith(b"\x89PNG\r\n\x1a\n") and len(picture) > 10_000
    assert capsys.readouterr().err == f"chart written to {tmp_path / 'november.png'}\n"


def test_filters_are_found_by_name(history: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", *NOVEMBER, "--format", "json", "--customer", "acme", "--user", "anna"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["period"]["filter"]["customer"] == "Acme"
    assert data["period"]["filter"]["user"] == "U0ANNA"
    assert data["touchpoints"]["total"] == {"value": 2, "previous": 1}
    assert main(["report", *NOVEMBER, "--format", "json", "--department", "support", "--tag", "#fair2026"]) == 0
    assert json.loads(capsys.readouterr().out)["touchpoints"]["total"] == {"value": 1, "previous": 0}


def test_the_csv_has_every_figure_and_no_cell_a_spreadsheet_would_run(
    history: int, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    with make_session_factory(engine).begin() as session:
        session.add(
            Touchpoint(
                workspace_id=history,
                author_user_id="U0ANNA",
                author_department="=HYPERLINK(1)",
                kind="call",
                summary="x",
                tags=[],
                occurred_at=at("2026-11-11 12:00"),
                source="command",
            )
        )
    assert main(["report", *NOVEMBER, "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[:3] == [
        ["measure", "value", "previous"],
        ["period", "2026-11-01..2026-11-30 Europe/Berlin", "2026-10-02..2026-10-31"],
        ["filter", "everyone", ""],
    ]
    assert ["touchpoints.total", "11", "4"] in rows
    assert ["touchpoints.by_department.=HYPERLINK(1)", "1", "0"] in rows
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@")]
    assert ["follow_ups.late_delay_median_hours", "72.0", ""] in rows


def test_the_table_starts_with_what_is_worth_acting_on(history: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", *NOVEMBER]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Report for 2026-11-01..2026-11-30 (Europe/Berlin), everyone\n")
    assert "Worth acting on:\n  - 1 follow-up that fell due in the period is still open past the grace" in out
    assert "Finance logged 2 touchpoints in the previous period and none in this one." in out
    assert "touchpoints.total" in out and "+6" in out


def test_a_workspace_with_nothing_logged_gets_a_friendly_empty_report(
    history: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--team", "T0OTHER", "--since", "2026-01-01", "--until", "2026-01-31"]) == 0
    assert "Nothing was logged in this period or the one before" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--since", "2026-12-31", "--until", "2026-10-01"], "ends before it begins"),
        (["--since", "2027-02-01"], "is in the future"),
        (["--since", "2010-01-01", "--until", "2026-11-30"], "longer than 10 years"),
        (["--since", "yesterday"], "--since: 'yesterday' is not a day such as 2026-10-01"),
        (["--now", "soon"], "--now: 'soon' is not an ISO 8601 time"),
        (["--department", "Marketing"], "No department is called Marketing. Known ones: Finance, Sales, Support."),
        (["--tag", "expo2025"], "No tag is called #expo2025. Did you mean: #expo2026"),
        (["--user", "zed"], "No person is called @zed."),
        (["--customer", "Zyxwvut Ltd"], "--customer: no customer is called 'Zyxwvut Ltd'"),
        (["--chart", "no/such/dir/chart.png"], "--chart: cannot write no/such/dir/chart.png"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(
    history: int, capsys: pytest.CaptureFixture[str], options: list[str], says: str
) -> None:
    assert main(["report", "--team", TEAM, "--now", "2026-12-02T10:00:00+01:00", *options]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("touchpoint: ") and captured.err.count("\n") == 1
    assert says in captured.err
