"""`touchpoint shell` renders the look-alike question and its buttons like any other reply."""

from __future__ import annotations

import io
import sys

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot import shell
from bot.cli import main
from storage.models import Customer, Touchpoint
from tests.conftest import START


def test_the_shell_asks_about_a_look_alike_and_uses_the_existing_customer(
    monkeypatch, capsys, tmp_path, database_url, engine: Engine
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DEFAULT_TZ", "UTC")
    monkeypatch.setattr(shell, "wall_clock", lambda: START)
    lines = ["/log Acme: call with Dana", "1", "/log Acmee Ltd: demo of pallets", "2", "1"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(line + "\n" for line in lines)))

    assert main(["shell"]) == 0

    out = capsys.readouterr().out
    assert "Acmee Ltd looks like Acme: use it?" in out
    assert "[1] Use Acme  [2] Create “Acmee Ltd” anyway" in out
    with Session(engine) as session:
        assert session.scalars(select(Customer.name)).all() == ["Acme"]
        assert {t.customer_id for t in session.scalars(select(Touchpoint))} == {
            session.scalars(select(Customer.id)).one()
        }
