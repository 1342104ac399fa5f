"""SQLite writers of several processes take turns on a lock file: the next gets in as soon as one commits."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as StoreTimeout

import storage.db
from storage.db import create_store_engine, make_session_factory
from storage.migrate import upgrade


@pytest.fixture
def two_processes(tmp_path):
    """Two engines on one SQLite file, as two worker processes would have."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first, second = create_store_engine(url), create_store_engine(url)
    upgrade(first)
    yield make_session_factory(first), make_session_factory(second)
    first.dispose()
    second.dispose()


def insert_workspace(session, team_id):
    session.execute(text("INSERT INTO workspaces (team_id, created_at) VALUES (:t, CURRENT_TIMESTAMP)"), {"t": team_id})


def test_a_writer_waits_for_the_other_process_and_gets_in_right_after_it_commits(two_processes):
    first, second = two_processes
    got_in: list[float] = []

    def write_from_the_other_process():
        with second.begin() as other:
            insert_workspace(other, "T2")
            got_in.append(time.monotonic())

    with first.begin() as session:
        insert_workspace(session, "T1")
        writer = threading.Thread(target=write_from_the_other_process)
        writer.start()
        time.sleep(0.3)
        assert got_in == []  # still waiting while the first transaction is open
    committed = time.monotonic()
    writer.join(timeout=5)

    # Well before SQLite's own busy timeout (2 s) would have let it retry.
    assert len(got_in) == 1 and got_in[0] - committed < 0.5
    with second.begin() as session:
        assert session.scalar(text("SELECT count(*) FROM workspaces")) == 2


def test_a_writer_gives_up_with_a_store_timeout_when_the_other_process_never_lets_go(two_processes, monkeypatch):
    first, second = two_processes
    monkeypatch.setattr(storage.db, "SQLITE_BUSY_TIMEOUT_MS", 300)

    with first.begin() as session:
        insert_workspace(session, "T1")
        started = time.monotonic()
        with pytest.raises(StoreTimeout), second.begin() as other:
            insert_workspace(other, "T2")
        assert 0.25 < time.monotonic() - started < 2.0

    with second.begin() as session:  # the lock was let go with the failed attempt: the next write gets in
        insert_workspace(session, "T3")
        assert session.scalar(text("SELECT count(*) FROM workspaces")) == 2
