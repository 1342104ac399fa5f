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
    # 8am is a time asked for: nudged at that instant, an hour before the first of those digests.
    assert arrived.count("🔔 Follow up with Acme — due Thu 26 Nov, 08:00") == 1
    assert arrived.index("🔔 Follow up with") < arrived.index("☀️ Good morning!")


def test_a_restarted_shell_resumes_its_clock_where_the_store_left_off(run_shell: Run) -> None:
    run_shell("/log Acme: call with Dana", "1", ":advance 2d", "/log Acme: visited the plant")

    out = run_shell(":now", "/customer acme")

    assert "The clock resumes where this store left off: Fri 27 Nov 2026, 10:30 (Europe/Berlin), 2 days ahead" in out
    assert after(out, ":now").startswith("It is Fri 27 Nov 2026, 10:30 for @alice (Europe/Berlin).")
    card = after(out, "/customer acme")
    assert "Last touch: just now (Fri 27 Nov, 10:30)" in card
    assert " in 2 days" not in card


def test_a_fresh_store_starts_at_real_time(run_shell: Run) -> None:
    out = run_shell(":now")

    assert "resumes" not in out
    assert after(out, ":now").startswith("It is Wed 25 Nov 2026, 10:30 for @alice (Europe/Berlin).\n")
