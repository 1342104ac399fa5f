"""Everything the shell prints quotes in one way, “like this”, whether the words are the shell's or the app's."""

from __future__ import annotations

import re

from tests.conftest import Run

# Quoting with straight marks, "like this" or 'like this'; apostrophes (don't, Acme's) are not quotes.
_STRAIGHT_QUOTE = re.compile(r"\"|(?<![\w])'[^'\n]+'(?![\w])")


def test_the_shell_and_the_app_quote_alike(run_shell: Run) -> None:
    out = run_shell(
        "/log Acme: call with Dana, follow up blorp",
        "/log Globex: demo, follow up 13pm",
        "/log Initech: call, follow up feb 30",
        "/log Umbrella: call, follow up 12/03",
        "/log help",
        "/followups",
        "/customer zzzz",
        ":advance -1d",
        ":advance 3 fortnights",
        ":user zed",
        "2 nonsense",
        "/log",
        ":set kind nonsense",
        ":nope",
        "hello there",
    )

    assert "I couldn't read “blorp” as a date or time." in out
    assert "“13pm” is not a valid time of day." in out
    assert _STRAIGHT_QUOTE.findall(out) == []
