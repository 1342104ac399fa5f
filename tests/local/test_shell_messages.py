"""Buttons of older messages stay reachable, and a person can only press what Slack would show them."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from storage.models import Customer, FollowUp
from tests.conftest import Run
from tests.helpers import after


def test_an_older_message_is_pressed_by_its_number(run_shell: Run, engine: Engine) -> None:
    out = run_shell("/log Acme: call with Dana", "/followups", ":messages", "1.1", ":press 1.9", "7.1")

    listing = after(out, ":messages")
    assert listing.startswith("#1 Touchpoint · only visible to you — Logged call with “Acme” (customer not set yet)\n")
    assert "  [1] Create “Acme”\n" in listing and "  [2] Undo  [3] Edit\n" in listing
    assert "`:press 3.2`, or just `3.2`" in listing
    assert after(out, "1.1").startswith("Touchpoint · only visible to you · updated\n  Logged call with Acme\n")
    assert after(out, ":press 1.9") == "Message #1 has [1]–[3]. `:messages` lists them.\n"
    assert after(out, "7.1").startswith("Message #7 does not exist. `:messages` lists the ones with buttons.\n")
    with Session(engine) as session:
        assert session.scalars(select(Customer.name)).all() == ["Acme"]


def test_someone_elses_direct_message_cannot_be_pressed(run_shell: Run, engine: Engine) -> None:
    out = run_shell(
        "/log Acme: call with Dana, follow up tomorrow", ":advance 1d", ":user bob", "1", ":messages", "2.1"
    )

    refusal = (
        "That is @alice's direct message: in Slack only @alice sees it, so nobody else can press its buttons. "
        "`:user alice` to act as them.\n"
    )
    assert "Touchpoint · direct message\n  ☀️ Good morning!" in after(out, ":advance 1d")
    assert after(out, "1") == refusal
    assert after(out, ":messages").startswith("#2 Touchpoint · direct message to @alice — ☀️ Good morning!")
    assert after(out, "2.1").startswith(refusal)
    with Session(engine) as session:
        assert session.scalars(select(FollowUp.status)).one() == "open"
