"""Reading the socket-linked app's store from the tests."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from storage.customers import add_customer
from storage.models import Touchpoint
from storage.workspaces import workspace_for_team
from tests.conftest import TEAM


def add_customers(engine: Engine, *names: str) -> None:
    with Session(engine) as session, session.begin():
        workspace = workspace_for_team(session, TEAM)
        for name in names:
            add_customer(session, workspace.id, name, now=datetime.now(UTC))


def touchpoints_by(engine: Engine, user: str) -> list[Touchpoint]:
    with Session(engine) as session:
        rows = session.scalars(select(Touchpoint).where(Touchpoint.author_user_id == user).order_by(Touchpoint.id))
        return list(rows)
