"""`Asked`: what a report button carries (the words and the instant), and nothing else it could be fed."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.reports.asked import MAX_WORDS, Asked, read_words
from bot.reports.periods import ReportWordsError

AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def test_a_buttons_value_brings_back_the_same_words_and_instant() -> None:
    asked = Asked("this quarter #expo2026 <@U0DANA>", AT)

    assert Asked.from_value(asked.as_value()) == asked
    assert len(Asked("x" * MAX_WORDS, AT).as_value()) <= 2000


@pytest.mark.parametrize(
    "value",
    [
        "",
        "acme",
        "[]",
        '{"words": "last week"}',
        '{"words": "last week", "at": "yesterday"}',
        '{"words": "last week", "at": "2026-12-02T09:00:00"}',  # no offset: no instant
        '{"words": ["last", "week"], "at": "2026-12-02T09:00:00+00:00"}',
    ],
)
def test_a_value_it_did_not_write_is_refused(value: str) -> None:
    assert Asked.from_value(value) is None


def test_words_too_long_to_carry_are_refused_before_anything_is_looked_up() -> None:
    with pytest.raises(ReportWordsError, match="try for example"):
        read_words(None, None, 1, "U0ANNA", "acme " * MAX_WORDS, now=AT, tz=ZoneInfo("UTC"))  # type: ignore[arg-type]
