"""A linked Slack Connect channel, served by the app with its listener pool tracked so a test knows when the work
an event set off after its acknowledgement is done, and the people on both sides of it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from wsgiref.simple_server import make_server

import pytest

from bot.app import build_app
from bot.local.simulator import Reply, SlackSimulator, http_transport
from bot.server import wsgi_app
from tests.conftest import SIGNING_SECRET, START, TEAM, _QuietHandler, _ThreadingWSGIServer
from tests.helpers import seed_customers
from tests.test_workspace_isolation import TrackedExecutor

SHARED = "C0SHARED"
PARTNER = "T0PARTNER"  # Acme's own Slack organisation, on the other side of the shared channel
DANA = "U0DANA"  # Acme's people
EVE = "U0EVE"


def ts(minutes: float) -> str:
    """A message ts `minutes` after the tests' start instant."""
    return f"{START.timestamp() + minutes * 60:.6f}"


@dataclass
class Channel:
    """Sends events as Slack does and returns once everything they set off is done."""

    slack: SlackSimulator
    executor: TrackedExecutor

    def deliver(self, event: dict, *, event_id: str | None = None, retry: int | None = None) -> Reply:
        reply = self.slack.event(event, event_id=event_id, retry=retry)
        assert reply.status == 200
        self.executor.wait_idle()
        return reply

    def command(self, user: str, text: str, command: str = "/customer") -> Reply:
        reply = self.slack.command(user, text, command=command)
        assert reply.status == 200
        self.executor.wait_idle()
        return reply


@pytest.fixture
def acme(runtime) -> int:
    return seed_customers(runtime, TEAM, {"name": "Acme Corp", "domain": "acme.com"})["Acme Corp"]


@pytest.fixture
def channel(runtime, standin, acme) -> Iterator[Channel]:
    """#acme-shared, shared with Acme's organisation and linked to Acme Corp by Alice."""
    standin.add_channel(SHARED, "acme-shared", shared_with=(PARTNER,))
    standin.add_user(DANA, name="dana", real_name="Dana Scully", team_id=PARTNER)
    standin.add_user(EVE, name="eve", real_name="Eve Moneypenny", team_id=PARTNER)
    executor = TrackedExecutor()
    app = build_app(runtime, listener_executor=executor)
    server = make_server(
        "127.0.0.1",
        0,
        wsgi_app(app, runtime.engine, runtime.settings),
        server_class=_ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    slack = SlackSimulator(
        http_transport(f"http://127.0.0.1:{server.server_port}/slack/events"),
        SIGNING_SECRET,
        team_id=TEAM,
        response_url=standin.response_url,
    )
    linked = Channel(slack, executor)
    linked.command("U0ALICE", f"acme link <#{SHARED}|acme-shared>")
    assert standin.bot_is_member(SHARED)
    yield linked
    server.shutdown()
    server.server_close()
    executor.shutdown()
