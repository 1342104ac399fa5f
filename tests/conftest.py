"""Shared fixtures: a migrated store (SQLite, or PostgreSQL from TEST_DATABASE_URL), the Web API
stand-in, and the real app served over HTTP and driven by signed requests."""

from __future__ import annotations

import io
import os
import shutil
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from bot.api.routes import api_application
from bot.app import build_app
from bot.cli import main
from bot.config import Settings, normalize_database_url
from bot.local import shell
from bot.local.simulator import SlackSimulator, http_transport
from bot.local.slack_standin import SlackStandIn
from bot.runtime import Runtime
from bot.server import wsgi_app
from storage.db import create_store_engine
from storage.installations import SLACK_METADATA
from storage.migrate import upgrade
from storage.models import Base
from tests.write_guard import WriteGuard, guarding_writes

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
TEAM = "T0ACME"
# Wednesday 25 November 2026, 10:30 in Berlin: the instant every test starts from.
START = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


class Clock:
    """A clock tests move by hand instead of sleeping."""

    def __init__(self, start: datetime) -> None:
        self.instant = start

    def __call__(self) -> datetime:
        return self.instant

    def advance(self, **delta: float) -> None:
        self.instant += timedelta(**delta)


@pytest.fixture(autouse=True)
def no_web_api_call_inside_a_write(monkeypatch: pytest.MonkeyPatch) -> Iterator[WriteGuard]:
    """Every test: no listener (or anything else) calls Slack while its thread holds a write transaction open."""
    with guarding_writes(monkeypatch) as guard:
        yield guard
    assert not guard.violations, "\n\n".join(guard.violations)


@contextmanager
def migrated_database(server_url: str) -> Iterator[str]:
    """A PostgreSQL database of its own on the server at `server_url`, migrated to head, dropped afterwards."""
    url = make_url(normalize_database_url(server_url))
    name = f"touchpoint_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    test_url = url.set(database=name).render_as_string(hide_password=False)
    try:
        engine = create_store_engine(test_url)
        upgrade(engine)
        engine.dispose()
        yield test_url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def store_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated store made once per run: a SQLite file to copy, or a fresh PostgreSQL database."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        path = tmp_path_factory.mktemp("store") / "template.db"
        engine = create_store_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()
        yield str(path)
        return
    with migrated_database(server_url) as test_url:
        yield test_url


def fresh_store(store_template: str, directory: Path) -> str:
    """A store at the head revision with nothing in it: the SQLite template copied into `directory`, or the
    PostgreSQL test database emptied. On PostgreSQL every test shares that one database, so a store that must
    outlive a test takes `lasting_store` instead."""
    if store_template.startswith("postgresql"):
        engine = create_engine(store_template)
        sorted_tables = [*reversed(Base.metadata.sorted_tables), *SLACK_METADATA.sorted_tables]
        tables = ", ".join(f'"{t.name}"' for t in sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return store_template
    path = directory / "touchpoint.db"
    shutil.copyfile(store_template, path)
    return f"sqlite:///{path}"


@contextmanager
def lasting_store(store_template: str, directory: Path) -> Iterator[str]:
    """An empty store for a fixture wider than one test (a folder's running app): a SQLite copy, or on
    PostgreSQL a database of its own, which the tests that run meanwhile (each emptying the shared test
    database, then filling it) never touch."""
    if not store_template.startswith("postgresql"):
        yield fresh_store(store_template, directory)
        return
    with migrated_database(store_template) as url:
        yield url


@pytest.fixture
def database_url(store_template: str, tmp_path: Path) -> str:
    """A store of the test's own: a copied SQLite file, or the PostgreSQL test database emptied first."""
    return fresh_store(store_template, tmp_path)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_store_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


def make_settings(
    database_url: str, api_url: str = "http://127.0.0.1:9/api/", hooks_url: str = "http://127.0.0.1:9/respond/"
) -> Settings:
    return Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_app_token=None,
        slack_api_url=api_url,
        database_url=database_url,
        port=3000,
        default_tz=ZoneInfo("UTC"),
        slack_hooks_url=hooks_url,
    )


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn(team_id=TEAM) as server:
        server.add_user("U0ALICE", name="alice", real_name="Alice Archer", tz="Europe/Berlin")
        server.add_user("U0BOB", name="bob", real_name="Bob Baker", tz="America/New_York")
        server.add_user("U0CAROL", name="carol", real_name="Carol Chen", tz="Asia/Tokyo")
        yield server


@pytest.fixture
def runtime(engine: Engine, standin: SlackStandIn, clock: Clock, database_url: str) -> Iterator[Runtime]:
    rt = Runtime(settings=make_settings(database_url, standin.api_url, standin.hooks_url), engine=engine, clock=clock)
    yield rt
    rt.dispose()


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    # socketserver's default backlog of 5 resets connections when forty people log at once on a busy machine.
    request_queue_size = 128


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served(runtime: Runtime, standin: SlackStandIn) -> Iterator[str]:
    """The app and the HTTP API behind a real HTTP server on loopback; yields its base URL."""
    app = build_app(runtime)
    server = make_server(
        "127.0.0.1",
        0,
        wsgi_app(app, runtime.engine, runtime.settings, api=api_application(runtime, app.client)),
        server_class=_ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def slack(served: str, standin: SlackStandIn, clock: Clock) -> SlackSimulator:
    return SlackSimulator(
        http_transport(served + "/slack/events"),
        SIGNING_SECRET,
        team_id=TEAM,
        response_url=standin.response_url,
    )


Run = Callable[..., str]


@pytest.fixture
def run_shell(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Any, database_url: str
) -> Run:
    """Run `touchpoint shell` on scripted lines; returns what it printed. Stderr must stay clean."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "SLACK_API_URL",
        "SLACK_HOOKS_URL",
        "LOG_LEVEL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DEFAULT_TZ", "UTC")
    monkeypatch.setattr(shell, "wall_clock", lambda: START)

    def run(*lines: str, args: tuple[str, ...] = ()) -> str:
        monkeypatch.setattr(sys, "stdin", io.StringIO("".join(line + "\n" for line in lines)))
        assert main(["shell", *args]) == 0
        captured = capsys.readouterr()
        assert "Traceback" not in captured.out + captured.err
        assert "\x1b[" not in captured.out  # not a terminal: no ANSI codes
        return captured.out

    return run
