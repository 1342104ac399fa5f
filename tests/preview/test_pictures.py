"""The README's pictures are what the app sends today: rebuilt from the real replies, they match what is committed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.preview import samples
from bot.preview.svg import render_svg

DOCS = Path(__file__).resolve().parents[2] / "docs" / "pictures"
README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module")
def pictures() -> dict[str, str]:
    return {name: render_svg(picture) for name, picture in samples.sample_pictures().items()}


def test_every_committed_picture_is_what_the_code_draws_today(pictures: dict[str, str]) -> None:
    assert sorted(path.stem for path in DOCS.glob("*.svg")) == sorted(samples.SAMPLES)
    stale = [name for name, svg in pictures.items() if (DOCS / f"{name}.svg").read_text(encoding="utf-8") != svg]
    assert stale == [], "run `touchpoint preview --write-docs` and commit docs/pictures"


def test_the_readme_shows_every_picture() -> None:
    readme = README.read_text(encoding="utf-8")

    for name in samples.SAMPLES:
        assert f"(docs/pictures/{name}.svg)" in readme


def test_the_pictures_hold_what_each_reply_says(pictures: dict[str, str]) -> None:
    assert "Globex Corporation" in pictures["log-reply"] and "Only visible to you" in pictures["log-reply"]
    assert "Follow up with" in pictures["nudge"] and ">Initech<" in pictures["nudge"]
    assert "Good morning!" in pictures["digest"] and ">1 overdue<" in pictures["digest"]
    assert ">Acme Corp<" in pictures["customer-card"] and "dana@acme.com" in pictures["customer-card"]
    assert "Your follow-ups" in pictures["home-tab"] and ">Home<" in pictures["home-tab"]
    assert "Log a touchpoint" in pictures["log-form"] and ">Save<" in pictures["log-form"]


def test_write_docs_redraws_them(tmp_path: Path, capsys: pytest.CaptureFixture[str], pictures: dict[str, str]) -> None:
    assert main(["preview", "--write-docs", "--dir", str(tmp_path)]) == 0

    assert {path.stem: path.read_text(encoding="utf-8") for path in tmp_path.glob("*.svg")} == pictures
    assert capsys.readouterr().out.count("wrote ") == len(samples.SAMPLES)
