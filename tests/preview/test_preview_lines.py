"""`touchpoint preview --line`: the app's answer to shell lines on the demo's sample, drawn."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main


def test_the_answer_to_a_line_is_drawn(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    picture = tmp_path / "card.svg"

    assert main(["preview", "--line", "/customer globx", "--svg", str(picture)]) == 0

    assert capsys.readouterr().out.startswith("https://app.slack.com/block-kit-builder/#")
    svg = picture.read_text(encoding="utf-8")
    assert "Globex Corporation" in svg and "Only visible to you" in svg


def test_an_open_form_is_what_is_drawn(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    picture = tmp_path / "form.svg"

    assert main(["preview", "--line", "/log", "--line", ":set customer acme", "--svg", str(picture)]) == 0

    svg = picture.read_text(encoding="utf-8")
    assert "Log a touchpoint" in svg and "Acme Corp" in svg  # the form, with the customer picked


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["--line", ":now"], "the app showed nothing for :now"),
        (["nudge", "--line", "/customer acme"], "either what to draw or --line"),
    ],
)
def test_nothing_to_draw_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], problem: str
) -> None:
    assert main(["preview", *argv]) == 2

    err = capsys.readouterr().err
    assert problem in err and err.count("\n") == 1
