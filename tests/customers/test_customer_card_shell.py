"""`/customer` in `touchpoint shell`: the card reads as text and its buttons can be pressed."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.conftest import Run
from tests.helpers import after


def test_the_card_reads_well_in_the_shell_and_its_buttons_work(run_shell: Run, engine: Engine) -> None:
    out = run_shell(
        "/log Acme Corp: call with Dana, follow up friday",
        "1",  # create Acme Corp
        "/customer acme",
        "4",  # Full history
        ":close",
        "5",  # Share in channel
        "/customer",
        "/customer acem",
    )

    card = after(out, "/customer acme")
    assert card.splitlines()[:3] == [
        "Touchpoint · only visible to you",
        "  Acme Corp",
        "  Stage: not set   Owner: nobody yet   Domain: none",
    ]
    assert "  Last touch: just now (Wed 25 Nov, 10:30)" in card
    assert "  • @alice, due Fri 27 Nov, 09:00: call with Dana" in card
    assert "  [1] Log touchpoint  [2] Set stage  [3] Set owner  [4] Full history  [5] Share in channel" in card
    assert "  [6] Edit names  [7] Contacts  [8] Merge" in card
    assert "History: Acme Corp" in after(out, "4")
    shared = after(out, "5")
    assert "Touchpoint · in #general" in shared and "Shared by @alice with `/customer`" in shared
    assert "[1] Acme Corp" in after(out, "/customer")
    assert "Did you mean this one?" in after(out, "/customer acem")
