"""A /log reply updated in place (the department answered, the touchpoint undone and restored) keeps every
choice it offered: the customer suggestions and *Create*, which asks about look-alikes first."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from storage.customers import add_customer
from storage.models import Customer
from storage.workspaces import workspace_for_team
from tests.conftest import TEAM, Run
from tests.helpers import after, element, elements, seed_customers, texts

FINANCE = {"value": "finance", "text": {"type": "plain_text", "text": "Finance"}}


@pytest.fixture
def customers(runtime):
    # Both come close to "Acmee Ltd", so /log cannot tell which is meant and offers them beside Create.
    return seed_customers(runtime, TEAM, {"name": "Acme Corp"}, {"name": "Acme Logistics"})


def choices(reply: dict) -> list[str]:
    return [e["text"]["text"] for _, e in elements(reply) if e["type"] == "button"]


def test_answering_the_department_keeps_the_suggestions_and_create(slack, standin, runtime, customers):
    first = slack.command("U0ALICE", "Acmee Ltd: booth visitor at expo").json()
    assert choices(first) == ["Acme Corp", "Acme Logistics", "Create “Acmee Ltd”", "Undo", "Edit"]
    block_id, department = element(first, "member_department")

    slack.click("U0ALICE", department, block_id=block_id, selected=FINANCE)

    [updated] = standin.wait_for("response_url")
    assert updated.params["replace_original"] is True
    assert "Thanks! Saved *finance* as your department." in texts(updated.params)
    assert choices(updated.params) == choices(first)
    assert "member_department" not in [e["action_id"] for _, e in elements(updated.params)]
    block_id, create = element(updated.params, "tp_create_customer")

    slack.click("U0ALICE", create, block_id=block_id)  # still asks about the look-alike: no duplicate

    [_, question] = standin.wait_for("response_url", count=2)
    assert "*Acmee Ltd* looks like *Acme Corp*: use it?" in texts(question.params)
    with runtime.sessions.begin() as session:
        assert session.scalars(select(Customer.name).order_by(Customer.id)).all() == ["Acme Corp", "Acme Logistics"]


def test_undo_then_restore_keeps_the_suggestions(slack, standin, runtime, customers):
    first = slack.command("U0ALICE", "Acmee Ltd: booth visitor at expo").json()
    slack.click("U0ALICE", element(first, "tp_undo")[1])
    [undone] = standin.wait_for("response_url")

    slack.click("U0ALICE", element(undone.params, "tp_restore")[1])

    [_, restored] = standin.wait_for("response_url", count=2)
    assert choices(restored.params) == choices(first)


def test_the_shell_keeps_each_choice_under_its_number(run_shell: Run, engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        workspace = workspace_for_team(session, "T0LOCAL")
        for name in ("Acme Corp", "Acme Logistics"):
            add_customer(session, workspace.id, name, now=datetime(2026, 11, 1, tzinfo=UTC))

    out = run_shell("/log Acmee Ltd: booth visitor at expo", "6 finance")

    asked, answered = after(out, "/log Acmee Ltd: booth visitor at expo"), after(out, "6 finance")
    numbered = "[1] Acme Corp  [2] Acme Logistics  [3] Create “Acmee Ltd”"
    assert numbered in asked and numbered in answered
    assert "[4] Undo  [5] Edit" in asked and "[4] Undo  [5] Edit" in answered
    assert "[6] Department:" in asked and "Department:" not in answered
