"""Fixtures of the command-line tests: the test store as DATABASE_URL, and sessions on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage.db import make_session_factory


@pytest.fixture
def store(engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Engine:
    """The test store as DATABASE_URL, run from a directory without a .env file."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_TZ", "UTC")
    monkeypatch.chdir(tmp_path)
    return engine


@pytest.fixture
def sessions(store: Engine) -> sessionmaker[Session]:
    return make_session_factory(store)
