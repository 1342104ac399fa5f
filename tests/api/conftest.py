"""Fixtures of the HTTP API's tests: a workspace with a token, and a client that speaks real HTTP to `served`."""

from __future__ import annotations

import http.client
import json
import select
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot.api.tokens import create_token
from bot.capture.touchpoints import create_customer
from bot.runtime import Runtime
from storage.workspaces import member_row, workspace_for_team
from tests.cli.conftest import sessions, store
from tests.conftest import START, TEAM

__all__ = ["sessions", "store"]
OTHER_TEAM = "T0OTHER"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any


class Client:
    """Requests to the served API with a bearer token; the body is sent as given (bytes) or as JSON.

    As curl does, the body goes in pieces and the client stops sending once the server has answered: a server
    refusing a body by its Content-Length (413) answers before reading it and closes, and a client that went on
    writing would meet a reset connection instead of the answer (on a busy machine, now and then).
    """

    def __init__(self, base_url: str, token: str | None) -> None:
        self.base, self.token = urlsplit(base_url), token

    def request(
        self, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None, token: Any = ...
    ) -> Reply:
        sent = dict(headers or {})
        bearer = self.token if token is ... else token
        if bearer is not None:
            sent.setdefault("Authorization", f"Bearer {bearer}")
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        connection = http.client.HTTPConnection(self.base.hostname, self.base.port, timeout=30)
        try:
            connection.putrequest(method, path)
            for name, value in {**sent, "Content-Length": str(len(data or b""))}.items():
                connection.putheader(name, value)
            connection.endheaders()
            _send_until_answered(connection, data or b"")
            response = connection.getresponse()
            raw = response.read()
            answer_headers = {k.lower(): v for k, v in response.getheaders()}
        finally:
            connection.close()
        parsed = json.loads(raw) if answer_headers.get("content-type", "").startswith("application/json") else raw
        return Reply(response.status, answer_headers, parsed)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Reply:
        return self.request("POST", path, body, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)


_PIECE = 64 * 1024


def _send_until_answered(connection: http.client.HTTPConnection, data: bytes) -> None:
    for at in range(0, len(data), _PIECE):
        answered, _, _ = select.select([connection.sock], [], [], 0)
        if answered:
            return
        try:
            connection.send(data[at : at + _PIECE])
        except (BrokenPipeError, ConnectionResetError):
            return  # the server answered and closed while this piece was on its way: the answer is waiting


@dataclass
class Installation:
    workspace_id: int
    token: str
    customers: dict[str, int]


def make_installation(runtime: Runtime, team: str, token_name: str, customers: tuple[str, ...]) -> Installation:
    with runtime.sessions.begin() as session:
        workspace_id = workspace_for_team(session, team).id
        member_row(session, workspace_id, "U0ALICE").department = "sales"
        token = create_token(session, workspace_id, token_name, now=START)
        ids = {name: create_customer(session, workspace_id, "U0ALICE", name, now=START) for name in customers}
    return Installation(workspace_id, token, ids)


@pytest.fixture
def acme(runtime: Runtime) -> Installation:
    """Workspace TEAM with a token named `shop`, a member U0ALICE and three customers."""
    return make_installation(runtime, TEAM, "shop", ("Acme Corp", "Globex Corporation", "Initech"))


@pytest.fixture
def other(runtime: Runtime) -> Installation:
    """Another workspace, with a token of its own and a customer of its own."""
    return make_installation(runtime, OTHER_TEAM, "shop", ("Umbrella Ltd",))


@pytest.fixture
def api(served: str, acme: Installation) -> Client:
    return Client(served, acme.token)
