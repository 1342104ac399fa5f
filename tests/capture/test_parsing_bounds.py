"""A /log line of any shape is parsed in time linear in its length, and no line loses the touchpoint.

Slack caps a message at 4,000 characters; a line that costs seconds holds the GIL, stalls every other
request of the worker and, past gunicorn's timeout, kills it with the line unsaved. Speed goals are not
timed here (see bench/parse_worst.py for real figures): the bounds below are generous enough for a busy
two-core machine, and still two orders of magnitude under what the quadratic and cubic shapes cost.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.capture.due_times import warm_up
from bot.capture.parsing import parse_log_line
from bot.customers.matching import NameIndex, NameRow
from bot.text import name_keys

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
SLACK_MAX = 4000
BOUND_SECONDS = 1.0  # measured worst case after the fix: a few milliseconds

# Runs of one character or word, each a shape that once cost time quadratic or cubic in its length.
PIECES = [
    "-",
    " ",
    "#",
    ":",
    "—",
    "–",
    "@",
    "7",
    ",",
    ".",
    "\u00a0",
    "follow up ",
    "in 3 days ",
    "ping ",
    "f/u-",
    "and ",
    "- ",
    " -",
    ": ",
    "<@U1> ",
    "<@U1|ping ",
    "<",
    "😀",
    "日本語 ",
    "العربية ",
    "Müller ",
    "x",
]
# (head, run, tail): the run repeated to fill the line.
ADVERSARIAL = {
    "dashes before a clause": ("Acme: notes ", "-", "x, follow up friday"),
    "spaces before a clause": ("Acme", " ", "x: follow up friday"),
    "spaces without a separator": ("a", " ", "a"),
    "em dashes and spaces": ("Acme ", "— ", "x follow up friday"),
    "commas and dashes": ("Acme: notes ", ",-. ", "x, and follow up friday"),
    "hashes": ("Acme: ", "#", ""),
    "colons": ("Acme", ":", ""),
    "at signs": ("Acme: ", "@", ""),
    "digits": ("Acme: follow up ", "1", ""),
    "follow up repeated": ("Acme: ", "follow up ", ""),
    "in 3 days repeated": ("Acme: follow up ", "in 3 days ", ""),
    "ping repeated": ("Acme: ", "ping ", ""),
    "ping and a date repeated": ("Acme: ", "ping dec 3 ", ""),
    "mentions and markers": ("Acme: ", "<@U1> ping ", ""),
    "unclosed mention labels": ("Acme: ", "ping <@U1|", ""),
    "emoji": ("Acme: ", "😀", " follow up friday"),
    "mixed scripts": ("Acme: ", "日本語 العربية Müller ñ ", " f/u friday"),
}


def adversarial(shape: str, chars: int) -> str:
    head, run, tail = ADVERSARIAL[shape]
    room = chars - len(head) - len(tail)
    return head + (run * (room // len(run) + 1))[:room] + tail


@pytest.fixture(scope="module")
def names() -> NameIndex:
    index = NameIndex()
    names = ["Acme Corp", "Globex", "Müller GmbH", "Initech Systems", "Wayne Enterprises", "Umbrella"]
    rows = [NameRow(row_id, row_id, key) for row_id, key in enumerate(sorted(set().union(*map(name_keys, names))), 1)]
    index.add(rows)
    warm_up()  # dateparser's first use costs a second: not the line's doing
    return index


def parse(line: str, names: NameIndex):
    return parse_log_line(line, names, now=NOW, tz=BERLIN, author="U0ALICE")


def seconds_to_parse(line: str, names: NameIndex) -> float:
    """The faster of two runs, so a pause of the machine under the first run does not fail the test."""
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        parse(line, names)
        timings.append(time.perf_counter() - started)
        if timings[-1] < BOUND_SECONDS:
            break
    return min(timings)


@pytest.mark.parametrize("shape", ADVERSARIAL)
def test_an_adversarial_line_of_slacks_maximum_length_parses_quickly(names, shape):
    line = adversarial(shape, SLACK_MAX)
    assert len(line) == SLACK_MAX
    assert seconds_to_parse(line, names) < BOUND_SECONDS


@pytest.mark.parametrize("shape", ADVERSARIAL)
def test_parsing_is_linear_so_ten_times_the_length_is_still_quick(names, shape):
    # Ten times Slack's maximum: linear work costs ~10x a few milliseconds, quadratic work 100x, i.e. many
    # seconds for the shapes above. This is what tells linear from quadratic without timing a goal.
    assert seconds_to_parse(adversarial(shape, 10 * SLACK_MAX), names) < 2 * BOUND_SECONDS


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.sampled_from(PIECES), st.integers(1, SLACK_MAX)), min_size=1, max_size=4),
    st.sampled_from(["", "Acme: ", "Acme ", "acme.com - "]),
    st.sampled_from(["", " follow up friday", ", f/u in 2 weeks", " ping <@U1> tomorrow 3pm"]),
)
def test_any_line_up_to_slacks_maximum_parses_quickly(names, runs, head, tail):
    body = "".join(piece * count for piece, count in runs)
    line = head + body[: SLACK_MAX - len(head) - len(tail)] + tail

    assert seconds_to_parse(line, names) < BOUND_SECONDS
    parsed = parse(line, names)
    assert len(parsed.summary) <= len(line)
    assert parsed.follow_up is None or parsed.follow_up.due_at > NOW
