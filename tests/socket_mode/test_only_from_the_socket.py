"""What Socket Mode accepts unsigned is accepted only from the socket: the same request over HTTP, with no
signature or a wrong one, is refused with 401 and changes nothing (bot.app's vouching looks at the request's
mode, which only Bolt's Socket Mode adapter sets; bot.edge builds every HTTP request in HTTP mode)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from slack_bolt import BoltRequest

from bot.app import build_app
from bot.local.simulator import SlackSimulator, http_transport
from storage.models import Touchpoint
from tests.conftest import TEAM
from tests.helpers import count, seed_customers, texts

FIELDS = {"team_id": TEAM, "user_id": "U0ALICE", "command": "/log", "text": "Acme: call", "channel_id": "C0GENERAL"}


@pytest.fixture
def unsigned(served, standin):
    """Requests posted to /slack/events as they would come over the socket: no Slack signature at all."""
    return http_transport(served + "/slack/events")


def test_a_command_without_a_signature_is_refused_over_http(unsigned, runtime, standin):
    seed_customers(runtime, TEAM, {"name": "Acme Corp"})
    form = {**FIELDS, "response_url": standin.response_url("cmd1"), "trigger_id": "t1"}

    refused = unsigned(urlencode(form).encode(), {"Content-Type": "application/x-www-form-urlencoded"})

    assert refused.status == 401
    with runtime.sessions.begin() as session:
        assert count(session, Touchpoint) == 0
    assert standin.calls == []


def test_an_envelope_posted_over_http_is_refused_whatever_it_claims(unsigned, runtime, standin):
    envelope = {"envelope_id": "env-1", "type": "slash_commands", "accepts_response_payload": True, "payload": FIELDS}
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=00"}

    assert unsigned(json.dumps(envelope).encode(), headers).status == 401
    assert unsigned(json.dumps(envelope).encode(), {"Content-Type": "application/json"}).status == 401
    with runtime.sessions.begin() as session:
        assert count(session, Touchpoint) == 0


def test_the_same_command_in_socket_mode_is_answered_unsigned(runtime, standin):
    seed_customers(runtime, TEAM, {"name": "Acme Corp"})
    sim = SlackSimulator(lambda body, headers: None, "unused", team_id=TEAM, response_url=standin.response_url)

    answer = build_app(runtime).dispatch(
        BoltRequest(body=sim.command_fields("U0ALICE", "Acme: call"), mode="socket_mode")
    )

    assert answer.status == 200 and "Acme Corp" in texts(json.loads(answer.body))
    with runtime.sessions.begin() as session:
        assert count(session, Touchpoint) == 1
