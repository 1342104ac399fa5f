"""`touchpoint shell` renders the look-alike question and its buttons like any other reply."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from storage.models import Customer, Touchpoint
from tests.conftest import Run


def test_the_shell_asks_about_a_look_alike_and_uses_the_existing_customer(run_shell: Run, engine: Engine) -> None:
    out = run_shell("/log Acme: call with Dana", "1", "/log Acmee Ltd: demo of pallets", "2", "1")

    assert "Acmee Ltd looks like Acme: use it?" in out
    assert "[1] Use Acme  [2] Create “Acmee Ltd” anyway" in out
    with Session(engine) as session:
        assert session.scalars(select(Customer.name)).all() == ["Acme"]
        assert {t.customer_id for t in session.scalars(select(Touchpoint))} == {
            session.scalars(select(Customer.id)).one()
        }
