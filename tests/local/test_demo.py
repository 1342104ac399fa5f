"""`:demo` fills an empty store with a realistic sample, and the README's shell examples work on it first try."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from storage.models import Customer, FollowUp, Touchpoint
from tests.conftest import START, Run
from tests.helpers import after

README = Path(__file__).resolve().parents[2] / "README.md"
# What the shell prints when a line did not do what it says: none of it may follow a README example.
_FAILED = re.compile(r"⚠|I don't know|There is no|Nothing in the app|is not a command|did not reach|failed")


def readme_shell_lines() -> list[str]:
    """The lines of the README's shell example, without their `← what it does` notes."""
    section = README.read_text(encoding="utf-8").split("### What the shell does", 1)[1]
    block = section.split("```\n", 2)[1]
    return [line.split("←")[0].strip() for line in block.splitlines() if line.split("←")[0].strip()]


def counts(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(Customer)),
            session.scalar(select(func.count()).select_from(Touchpoint)),
            session.scalar(select(func.count()).select_from(FollowUp).where(FollowUp.status == "open")),
        )


def test_the_readme_shell_examples_work_on_the_demo_store(run_shell: Run) -> None:
    lines = readme_shell_lines()
    assert lines[:2] == ["/log Globx: demo went well, follow up friday", "/customer mueller"]

    out = run_shell(*lines, args=("--demo",))

    assert "Added the demo: 7 customers, 8 touchpoints from sales, support and finance, 3 open follow-ups." in out
    for line in lines:
        assert not _FAILED.search(after(out, line)), (line, after(out, line))
    assert "Logged meeting with Globex Corporation · follow-up Fri 27 Nov, 09:00" in after(out, lines[0])
    assert "I read “Globx” as Globex Corporation." in after(out, lines[0])
    assert after(out, "/customer mueller").startswith("Touchpoint · only visible to you\n  Müller GmbH\n")
    assert after(out, "4").startswith("Form: History: Müller GmbH")
    assert after(out, "/customer acme.com").startswith("Touchpoint · only visible to you\n  Acme Corp\n")
    assert "☀️ Good morning!" in after(out, ":advance 2d")
    assert after(out, ":messages").startswith("#")


def test_the_readme_lookups_find_the_demo_customers(run_shell: Run) -> None:
    queries = {
        "umbrela": "Umbrella Corporation",
        "https://www.acme.com": "Acme Corp",
        "dana@acme.com": "Acme Corp",
        "wayne ent": "Wayne Enterprises",
        "Acme Inc": "Acme Corp",
        "газпром": "Газпром",
        "gazprom": "Газпром",
        "Globx": "Globex Corporation",
    }
    out = run_shell(":demo", *(f"/customer {query}" for query in queries))

    for query, name in queries.items():
        card = after(out, f"/customer {query}")
        assert f"\n  {name}\n  Stage: " in card, (query, card)


def test_the_demo_goes_only_into_an_empty_store_unless_asked_twice(run_shell: Run, engine: Engine) -> None:
    run_shell("/log Initrode: call with Peter")
    assert counts(engine) == (0, 1, 0)

    out = run_shell(":demo", ":demo", args=("--demo",))

    assert "This store already has customers or touchpoints" in out
    assert after(out, ":demo").startswith("Added the demo")  # the second time it was asked
    assert counts(engine) == (7, 9, 3)


def test_the_demo_is_dated_from_the_shells_clock(run_shell: Run, engine: Engine) -> None:
    out = run_shell(":demo", "/followups")

    listing = after(out, "/followups")
    assert listing.index("Acme Corp") < listing.index("Globex Corporation")
    with Session(engine) as session:
        latest = session.scalar(select(func.max(Touchpoint.occurred_at)))
        due = list(session.scalars(select(FollowUp.due_at).order_by(FollowUp.due_at)))
    assert latest == START - timedelta(days=1)
    assert due == [
        datetime(2026, 11, 24, 2, 0, tzinfo=UTC),  # Carol's, yesterday 11:00 in Tokyo: overdue
        datetime(2026, 11, 26, 9, 0, tzinfo=UTC),  # Alice's, tomorrow 10:00 in Berlin
        datetime(2026, 11, 27, 8, 0, tzinfo=UTC),  # Alice's, in two days at 09:00
    ]


def test_an_empty_store_is_offered_the_demo(run_shell: Run) -> None:
    assert "The store is empty: `:demo` fills it with sample customers" in run_shell()
    assert "The store is empty" not in run_shell(args=("--demo",))
    assert "The store is empty" not in run_shell()  # it has the demo now
