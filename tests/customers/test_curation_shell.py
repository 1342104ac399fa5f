"""`touchpoint shell` renders the look-alike question and its buttons like any other reply."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from storage.customers import add_customer
from storage.models import Customer, Touchpoint
from storage.workspaces import workspace_for_team
from tests.conftest import Run


def test_the_shell_asks_about_a_look_alike_and_uses_the_existing_customer(run_shell: Run, engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        workspace = workspace_for_team(session, "T0LOCAL")
        for name in ("Acme", "Acme Logistics"):  # both close to "Acmee Ltd": /log cannot tell which
            add_customer(session, workspace.id, name, now=datetime(2026, 11, 1, tzinfo=UTC))

    out = run_shell("/log Acmee Ltd: demo of pallets", "3", "1")

    assert "[1] Acme  [2] Acme Logistics  [3] Create “Acmee Ltd”" in out
    assert "Acmee Ltd looks like Acme: use it?" in out
    assert "[1] Use Acme  [2] Create “Acmee Ltd” anyway" in out
    with Session(engine) as session:
        acme = session.scalars(select(Customer.id).where(Customer.name == "Acme")).one()
        assert session.scalars(select(Customer.name).order_by(Customer.id)).all() == ["Acme", "Acme Logistics"]
        assert {t.customer_id for t in session.scalars(select(Touchpoint))} == {acme}
