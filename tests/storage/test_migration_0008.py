"""Migration 0008 keeps every customer when a workspace already has live customers whose names fold alike."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.config import normalize_database_url
from storage.db import create_store_engine
from storage.migrate import upgrade


@pytest.fixture
def empty_store_url(tmp_path) -> Iterator[str]:
    """A store with no schema yet: a new SQLite file, or a new PostgreSQL database beside the test one."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    url = make_url(normalize_database_url(server_url))
    name = f"touchpoint_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_duplicates_made_before_0008_survive_it_and_the_oldest_live_one_holds_the_name(empty_store_url):
    engine = create_store_engine(empty_store_url)
    upgrade(engine, "0007")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO workspaces (id, team_id, created_at) VALUES (1, 'T1', '2026-01-01')"))
        connection.execute(text("INSERT INTO workspaces (id, team_id, created_at) VALUES (2, 'T2', '2026-01-01')"))
        for customer_id, workspace_id, name, merged_into in [
            (1, 1, "Acme", None),
            (2, 1, "ACME", None),  # a duplicate made by the old race
            (3, 1, "acme!", 1),  # merged away: it no longer holds its name
            (4, 2, "Acme", None),  # another workspace's Acme is its own
            (5, 1, "🙂", None),  # a name that folds to nothing holds no key
        ]:
            connection.execute(
                text(
                    "INSERT INTO customers (id, workspace_id, name, created_at, updated_at, merged_into_id)"
                    " VALUES (:id, :ws, :name, '2026-01-01', '2026-01-01', :merged)"
                ),
                {"id": customer_id, "ws": workspace_id, "name": name, "merged": merged_into},
            )

    upgrade(engine)

    with engine.connect() as connection:
        keys = dict(connection.execute(text("SELECT id, name_key FROM customers ORDER BY id")).all())
    engine.dispose()
    assert keys == {1: "acme", 2: None, 3: "acme", 4: "acme", 5: None}
