"""Files the app uploads, in the shell: written beside the store, and the shell says where."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.local import shell
from bot.reports.chart import ChartSpec, render_chart
from bot.uploads import upload_file
from tests.conftest import Run
from tests.helpers import after


@pytest.fixture
def uploading_app(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The shell's real app, plus a `/upload-test NAME` command whose listener uploads a chart to the DM
    of whoever typed it (the shape `/report` will have); returns the file ids it got back."""
    file_ids: list[str] = []
    real_build_app = shell.build_app

    def build_app(*args: Any, **kwargs: Any) -> App:
        app = real_build_app(*args, **kwargs)

        @app.command("/upload-test")
        def upload_test(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            ack()
            chart = ChartSpec("Touchpoints · the test", [], {}, [], [])
            file_id = upload_file(
                client,
                channel=body["user_id"],
                filename=body["text"] or "report.png",
                content=render_chart(chart),
                title="The test's chart",
                initial_comment="Your *report*",
            )
            file_ids.append(file_id or "")

        return app

    monkeypatch.setattr(shell, "build_app", build_app)
    return file_ids


def test_a_chart_uploaded_by_a_listener_is_written_to_disk_and_shown(
    run_shell: Run, uploading_app: list[str], tmp_path: Path
) -> None:
    out = run_shell("/upload-test report.png", "/upload-test report.png")

    path = tmp_path / ".touchpoint-files" / "report.png"
    second = tmp_path / ".touchpoint-files" / "report-2.png"
    assert after(out, "/upload-test report.png").splitlines()[:2] == [
        f"Touchpoint · direct message · file: report.png → {path} (open it to see the chart)",
        "  Your report",
    ]
    assert f"file: report-2.png → {second} (open it to see the chart)" in after(out, "/upload-test report.png", 2)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert second.read_bytes() == path.read_bytes()
    assert all(uploading_app) and len(uploading_app) == 2


def test_a_file_name_is_never_a_path_out_of_the_files_directory(
    run_shell: Run, uploading_app: list[str], tmp_path: Path
) -> None:
    out = run_shell("/upload-test ../../escaped.png")

    assert f"file: escaped.png → {tmp_path / '.touchpoint-files' / 'escaped.png'}" in out
    assert not (tmp_path.parent / "escaped.png").exists()
    assert (tmp_path / ".touchpoint-files" / "escaped.png").is_file()


@pytest.mark.parametrize(
    ("database_url", "where"),
    [
        ("sqlite:////srv/touchpoint/touchpoint.db", Path("/srv/touchpoint/.touchpoint-files")),
        ("sqlite:///:memory:", None),
        ("postgresql+psycopg://touchpoint@db/touchpoint", None),
    ],
)
def test_files_go_beside_a_sqlite_store_else_in_the_current_directory(
    database_url: str, where: Path | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    assert shell.files_directory(database_url) == (where or tmp_path / ".touchpoint-files")
