"""`:home` in `touchpoint shell`: the Home tab rendered as text, its buttons and menus pressed by number."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from storage.models import FollowUp
from tests.conftest import Run
from tests.helpers import after


def test_home_shows_follow_ups_with_numbered_done_and_snooze_and_redraws_after_each(
    run_shell: Run, engine: Engine
) -> None:
    out = run_shell(
        "/log Acme: call with Dana & co, follow up in 1 hour",
        "/log Globex: demo, follow up friday",
        ":advance 2h",
        ":home",
        "2",
        "4 tomorrow",
        ":user bob",
        ":home",
    )

    home = after(out, ":home")
    assert home.startswith("Touchpoint · Home tab\n")
    assert "  [1] Log touchpoint\n" in home
    assert "  Acme — ⏰ 1 hour overdue (due Wed 25 Nov, 11:30)\n  call: call with Dana & co\n  [2] Done\n" in home
    assert "  [3] 😴 Snooze…: 1 hour | Tomorrow 09:00 | Next Monday 09:00 | Pick a date…\n" in home
    assert "  Globex — due Fri 27 Nov, 09:00\n" in home
    assert "  📝 Your latest touchpoints\n" in home

    done = after(out, "2")
    assert done.startswith("Touchpoint · Home tab\n")
    assert "  ✅ Done: your follow-up with Acme.\n  [2] Undo\n" in done
    assert "Acme — " not in done

    snoozed = after(out, "4 tomorrow")
    assert "  😴 Snoozed your follow-up with Globex until Thu 26 Nov, 09:00.\n" in snoozed
    assert "  Globex — due Thu 26 Nov, 09:00\n" in snoozed

    assert "Welcome to Touchpoint." in after(out, ":home", nth=2)  # Bob has nothing yet
    with Session(engine) as session:
        acme, globex = session.scalars(select(FollowUp).order_by(FollowUp.id))
    assert (acme.status, acme.completed_by) == ("done", "U0ALICE")
    assert globex.due_at.isoformat() == "2026-11-26T08:00:00+00:00"
