"""The stand-ins behave as Slack does where Socket Mode depends on it: only an app-level token opens a link,
a link URL works once, the link says hello first, and an envelope counts as acknowledged only by its own id."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from bot.local.slack_standin import SlackStandIn
from bot.local.socket_mode_standin import SocketModeStandIn


@pytest.fixture
def stand_ins() -> Iterator[tuple[SlackStandIn, SocketModeStandIn]]:
    with SlackStandIn() as api, SocketModeStandIn() as link:
        api.attach_socket_mode(link.issue_url)
        yield api, link


def open_connection(api: SlackStandIn, token: str | None) -> str:
    return WebClient(base_url=api.api_url).apps_connections_open(app_token=token)["url"]


@pytest.mark.parametrize(("token", "error"), [("xoxb-bot", "not_allowed_token_type"), ("", "not_authed")])
def test_only_an_app_level_token_gets_a_link(stand_ins, token, error):
    api, link = stand_ins

    with pytest.raises(SlackApiError) as refused:
        open_connection(api, token)

    assert refused.value.response["error"] == error
    assert link.urls_issued == 0


def test_without_socket_mode_there_is_no_link_to_hand_out(stand_ins):
    api, _ = stand_ins
    api.attach_socket_mode(None)

    with pytest.raises(SlackApiError) as refused:
        open_connection(api, "xapp-1")

    assert refused.value.response["error"] == "socket_mode_not_enabled"


def test_a_link_url_opens_one_link_which_says_hello_and_takes_acks_by_envelope_id(stand_ins):
    api, link = stand_ins
    url = open_connection(api, "xapp-1")

    with connect(url) as ws:
        hello = json.loads(ws.recv(timeout=5))
        envelope_id = link.deliver("events_api", {"type": "event_callback", "event": {"type": "app_home_opened"}})
        envelope = json.loads(ws.recv(timeout=5))
        ws.send(json.dumps({"envelope_id": "env-somebody-else"}))
        ws.send(json.dumps({"envelope_id": envelope_id}))
        ack = link.ack_for(envelope_id)
        with pytest.raises(InvalidStatus):
            connect(url)  # the same ticket again

    assert hello["type"] == "hello" and hello["connection_info"]["app_id"] == "A0TOUCH"
    assert (envelope["envelope_id"], envelope["type"], envelope["accepts_response_payload"]) == (
        envelope_id,
        "events_api",
        False,
    )
    assert ack.payload is None and ack.ticket == link.links[0].ticket
    assert len(link.refused) == 1


def test_a_slash_command_envelope_accepts_a_payload_and_its_ack_carries_it(stand_ins):
    api, link = stand_ins

    with connect(open_connection(api, "xapp-1")) as ws:
        ws.recv(timeout=5)
        envelope_id = link.slash_command({"command": "/log", "text": "help"})
        envelope = json.loads(ws.recv(timeout=5))
        ws.send(json.dumps({"envelope_id": envelope_id, "payload": {"text": "How to log"}}))

        assert envelope["accepts_response_payload"] is True and envelope["payload"]["text"] == "help"
        assert link.ack_for(envelope_id).payload == {"text": "How to log"}


def test_a_stand_in_stops_at_once_however_its_last_link_ended():
    # Stopping cut each link's socket; one closed while its receiving thread was between two waits left that
    # thread waiting on a closed descriptor, and the server's shutdown waited for it for ever (1 stop in 40).
    for _ in range(100):
        with SlackStandIn() as api:
            link = SocketModeStandIn().start()
            api.attach_socket_mode(link.issue_url)
            with connect(open_connection(api, "xapp-1")) as ws:
                ws.recv(timeout=5)
                envelope_id = link.slash_command({"command": "/log", "text": "help"})
                ws.recv(timeout=5)
                ws.send(json.dumps({"envelope_id": envelope_id}))
                link.ack_for(envelope_id)
            stopping = threading.Thread(target=link.stop, daemon=True)
            stopping.start()
            stopping.join(timeout=5)
            assert not stopping.is_alive(), "the stand-in never finished stopping"
