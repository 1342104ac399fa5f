"""The shell's clock: `:advance` brings what was scheduled on the way, and a restart never goes back in time."""

from __future__ import annotations

from tests.conftest import Run
from tests.helpers import after


def test_advancing_past_the_digest_hour_brings_the_digest(run_shell: Run) -> None:
    # Wednesday 10:30 in Berlin; the follow-up is due Thursday 08:00, an hour before Alice's digest.
    out = run_shell("/log Acme: call with Dana, follow up tomorrow 8am", ":advance 2d")

    arrived = after(out, ":advance 2d")
    assert arrived.startswith("Clock moved 2 days ahead: it is Fri 27 Nov 2026, 10:30 (Europe/Berlin).\n")
    # Thursday's and Friday's 09:00 digests, as a scheduler ticking all along would have sent them.
    assert arrived.count("Touchpoint · direct message\n  ☀️ Good morning! 1 overdue and 0 due today.") == 2
    assert "🔔 Follow up with" not in arrived  # no separate nudge about what the digest covered
