"""One real `touchpoint socket --with-scheduler` process for the whole folder, linked to Slack's stand-ins.

It is started as a user starts it (the CLI's own `main`, in a subprocess of its own) with SLACK_API_URL at the
Web API stand-in, whose `apps.connections.open` hands out links of the Socket Mode stand-in. There is no
SLACK_SIGNING_SECRET: Socket Mode needs none. Every test of the folder shares the process, its store and the
stand-ins (starting the app takes seconds), so each works on customers and people of its own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.local.simulator import SlackSimulator
from bot.local.slack_standin import SlackStandIn
from bot.local.socket_mode_standin import SocketModeStandIn
from storage.db import create_store_engine
from tests.conftest import BOT_TOKEN, TEAM, lasting_store
from tests.helpers import start_touchpoint

APP_TOKEN = "xapp-1-A0TOUCH-1-test"
# Starting the app loads the store's indexes and dateparser; on a busy two-core machine that takes a while.
START_TIMEOUT_S = 90


@dataclass
class SocketApp:
    """The running `touchpoint socket` and what it is linked to."""

    process: subprocess.Popen
    api: SlackStandIn
    link: SocketModeStandIn
    slack: SlackSimulator
    engine: Engine
    stderr: Path

    def log(self) -> str:
        return self.stderr.read_text(encoding="utf-8", errors="replace")


def socket_environment(api: SlackStandIn, database_url: str, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEST_")) and k != "LOG_LEVEL"}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_API_URL=api.api_url,
        SLACK_HOOKS_URL=api.hooks_url,
        DATABASE_URL=database_url,
        DEFAULT_TZ="UTC",
        LOG_LEVEL="INFO",
    )
    env.update(overrides)
    return env


def wait_for_first_link(app: SocketApp) -> None:
    """Until the app has linked; an app that exited meanwhile is told at once, with what it said."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while app.process.poll() is None and time.monotonic() < deadline:
        try:
            app.link.wait_for_link(timeout=0.5)
            return
        except AssertionError:
            continue
    raise AssertionError(f"touchpoint socket never linked (exit {app.process.poll()}); it said:\n{app.log()}")


@pytest.fixture(scope="package")
def socket_store(store_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with lasting_store(store_template, tmp_path_factory.mktemp("socket-store")) as url:
        yield url


@pytest.fixture(scope="package")
def socket_app(socket_store: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SocketApp]:
    workdir = tmp_path_factory.mktemp("socket-app")
    with SlackStandIn(team_id=TEAM) as api, SocketModeStandIn() as link:
        for user, name, tz in (
            ("U0ALICE", "alice", "Europe/Berlin"),
            ("U0BOB", "bob", "America/New_York"),
            ("U0CAROL", "carol", "Asia/Tokyo"),
            ("U0DAVE", "dave", "Europe/Berlin"),
            ("U0ERIN", "erin", "Europe/Lisbon"),
        ):
            api.add_user(user, name=name, tz=tz)
        api.attach_socket_mode(link.issue_url)
        stderr = workdir / "stderr.txt"
        process = start_touchpoint(
            ["socket", "--with-scheduler"], socket_environment(api, socket_store), workdir, stderr
        )
        engine = create_store_engine(socket_store)
        # The simulator signs what it sends; the socket transport drops the signature, as Socket Mode has none.
        slack = SlackSimulator(link.transport(), "unused", team_id=TEAM, response_url=api.response_url)
        app = SocketApp(process, api, link, slack, engine, stderr)
        try:
            wait_for_first_link(app)
            yield app
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                status = process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
            engine.dispose()
        # Stopped by SIGTERM it closes its link and exits cleanly; nothing it did along the way crashed.
        assert status == 0, app.log()
        assert "Traceback" not in app.log(), app.log()
