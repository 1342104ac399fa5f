"""A local stand-in for Slack's Socket Mode endpoint: a WebSocket server on loopback.

Slack's Socket Mode works like this, and so does the stand-in: the app calls ``apps.connections.open`` with
its app-level token and gets a one-use ``ws(s)://…/link/?ticket=…`` URL; it connects there and Slack says
``hello``; Slack then sends each request as an envelope (``events_api``, ``slash_commands``, ``interactive``)
with an ``envelope_id``, and the app acknowledges it by sending ``{"envelope_id": …, "payload": …}`` back
within three seconds. The ack's payload is how a slash command's immediate reply (or a view submission's
``response_action``) comes back, since there is no HTTP response to carry it. Slack refreshes links from time
to time with a ``disconnect`` message (reason ``refresh_requested``): the app opens a new link, and the old one
is closed once the new one is there. A link can also just drop, and the app is expected to reconnect through
``apps.connections.open`` again. ``transport()`` lets ``bot.local.simulator.SlackSimulator`` send its
commands, clicks and events as envelopes, so the same test helpers drive either mode.

``SlackStandIn.attach_socket_mode(socket_mode.issue_url)`` makes the Web API stand-in's
``apps.connections.open`` hand out this server's URLs. Only the tests import this module: it needs
``websockets`` (the ``test`` extra), which ``touchpoint`` itself does not depend on. It binds 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from bot.local.simulator import Reply, Transport

__all__ = ["Ack", "Link", "SocketModeStandIn"]

EVENTS_API, SLASH_COMMANDS, INTERACTIVE = "events_api", "slash_commands", "interactive"
# Interactions whose ack may carry an answer (response_action, options); a click's ack carries none.
_ANSWERED_INTERACTIONS = frozenset({"view_submission", "block_suggestion"})
LINK_PATH = "/link/"


@dataclass(frozen=True)
class Ack:
    """What the app sent back for one envelope: its id, and the payload (None when it sent none)."""

    envelope_id: str
    payload: dict[str, Any] | None
    ticket: str
    at: float


@dataclass
class Link:
    """One WebSocket connection the app opened with a ticket."""

    ticket: str
    connection: ServerConnection
    opened_at: float
    closed: threading.Event = field(default_factory=threading.Event)
    # Envelopes sent on this link, in order.
    delivered: list[str] = field(default_factory=list)


class SocketModeStandIn:
    """Slack's Socket Mode endpoint on loopback. Use as a context manager or start()/stop()."""

    def __init__(self, host: str = "127.0.0.1", app_id: str = "A0TOUCH") -> None:
        self.host = host
        self.app_id = app_id
        self.port = 0
        self._lock = threading.Condition()
        self._tickets = itertools.count(1)
        self._envelopes = itertools.count(1)
        self._issued: set[str] = set()
        # Link URLs handed out: one per apps.connections.open that succeeded.
        self.urls_issued = 0
        self.links: list[Link] = []
        self.acks: list[Ack] = []
        # Handshakes refused (a ticket never issued, or used already), by ticket.
        self.refused: list[str] = []
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---

    def start(self) -> SocketModeStandIn:
        if self._server is not None:
            return self
        self._server = serve(
            self._serve_link,
            self.host,
            0,
            process_request=self._check_ticket,
            compression=None,
            # Slack pings the app now and then; the app's own pings are what keep a link alive here.
            ping_interval=None,
            close_timeout=1,
        )
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"socket-mode-standin:{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        for link in self.open_links():
            _cut(link.connection)
        self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> SocketModeStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- what apps.connections.open hands out ---

    def issue_url(self) -> str:
        """A fresh one-use link URL, as apps.connections.open answers."""
        if self._server is None:
            raise RuntimeError("SocketModeStandIn is not running; call start() first")
        ticket = f"ticket-{next(self._tickets)}"
        with self._lock:
            self._issued.add(ticket)
            self.urls_issued += 1
        return f"ws://{self.host}:{self.port}{LINK_PATH}?ticket={ticket}&app_id={self.app_id}"

    # --- the links ---

    def open_links(self) -> list[Link]:
        with self._lock:
            return [link for link in self.links if not link.closed.is_set()]

    def wait_for_link(self, count: int = 1, timeout: float = 20.0) -> Link:
        """Block until the app has opened `count` links in all (each greeted with hello); the newest one."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.links) >= count, timeout):
                raise AssertionError(f"expected {count} Socket Mode link(s) within {timeout}s, got {len(self.links)}")
            return self.links[count - 1]

    def drop(self) -> Link:
        """Cut the newest open link without a close frame, as a network that fails does."""
        link = self._current()
        _cut(link.connection)
        # Gone for Slack now, whenever the server's own thread notices.
        with self._lock:
            link.closed.set()
            self._lock.notify_all()
        return link

    def refresh(self, grace: float = 10.0) -> Link:
        """Ask the app to move to a new link (``disconnect``, reason refresh_requested), as Slack does every
        few hours; the old link is closed once the app has opened its new one, or after `grace` seconds."""
        old = self._current()
        count = len(self.links)
        self._send(old, {"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": "standin"}})
        threading.Thread(target=self._close_after_refresh, args=(old, count + 1, grace), daemon=True).start()
        return old

    def _close_after_refresh(self, old: Link, count: int, grace: float) -> None:
        with self._lock:
            self._lock.wait_for(lambda: len(self.links) >= count, grace)
        old.connection.close(1000, "refreshed")

    # --- envelopes ---

    def deliver(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        retry_attempt: int = 0,
    ) -> str:
        """Send one envelope on the newest open link; returns its envelope_id."""
        if accepts_response_payload is None:
            accepts_response_payload = kind == SLASH_COMMANDS or (
                kind == INTERACTIVE and payload.get("type") in _ANSWERED_INTERACTIONS
            )
        envelope_id = f"env-{next(self._envelopes):06d}"
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if kind == EVENTS_API:
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = "timeout" if retry_attempt else ""
        link = self._current()
        self._send(link, envelope)
        link.delivered.append(envelope_id)
        return envelope_id

    def slash_command(self, fields: dict[str, str]) -> str:
        """A slash command: Socket Mode sends the form fields an HTTP request would carry, as one JSON object."""
        return self.deliver(SLASH_COMMANDS, dict(fields))

    def interactive(self, payload: dict[str, Any]) -> str:
        return self.deliver(INTERACTIVE, payload)

    def event(self, body: dict[str, Any]) -> str:
        """An Events API callback (the same `event_callback` body HTTP mode gets)."""
        return self.deliver(EVENTS_API, body)

    def ack_for(self, envelope_id: str, timeout: float = 5.0) -> Ack:
        """Block until the app acknowledged `envelope_id`; Slack gives it three seconds."""
        with self._lock:
            if not self._lock.wait_for(lambda: self._find_ack(envelope_id) is not None, timeout):
                raise AssertionError(f"no ack for {envelope_id} within {timeout}s; acks: {self.acks}")
            ack = self._find_ack(envelope_id)
            assert ack is not None
            return ack

    def transport(self, timeout: float = 5.0) -> Transport:
        """A `bot.local.simulator` transport that sends what Slack would POST over HTTP as the envelope Socket
        Mode carries instead, and answers with the ack's payload: so `SlackSimulator` drives the app over the
        socket unchanged. The signature headers are dropped, as Socket Mode has none."""

        def send(body: bytes, headers: dict[str, str]) -> Reply:
            envelope_id = self.deliver(*_envelope_of(body.decode("utf-8"), headers))
            ack = self.ack_for(envelope_id, timeout)
            return Reply(200, json.dumps(ack.payload) if ack.payload is not None else "")

        return send

    def _find_ack(self, envelope_id: str) -> Ack | None:
        return next((a for a in self.acks if a.envelope_id == envelope_id), None)

    # --- server side (connection threads) ---

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        url = urlsplit(request.path)
        ticket = (parse_qs(url.query).get("ticket") or [""])[0]
        with self._lock:
            valid = url.path == LINK_PATH and ticket in self._issued
            self._issued.discard(ticket)  # a ticket opens one link, once
            if not valid:
                self.refused.append(ticket)
        return None if valid else connection.respond(HTTPStatus.UNAUTHORIZED, "invalid ticket\n")

    def _serve_link(self, connection: ServerConnection) -> None:
        ticket = parse_qs(urlsplit(connection.request.path).query)["ticket"][0]
        link = Link(ticket=ticket, connection=connection, opened_at=time.time())
        hello = {
            "type": "hello",
            "num_connections": len(self.open_links()) + 1,
            "debug_info": {"host": "standin", "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.app_id},
        }
        with self._lock:  # hello first: the link is not there to deliver on until it was said
            connection.send(json.dumps(hello))
            self.links.append(link)
            self._lock.notify_all()
        try:
            for message in connection:
                self._receive(link, message)
        except (ConnectionClosed, OSError):
            pass
        finally:
            link.closed.set()
            with self._lock:
                self._lock.notify_all()

    def _receive(self, link: Link, message: str | bytes) -> None:
        try:
            sent = json.loads(message)
        except ValueError:
            return  # not an ack; Slack ignores what it cannot read
        if not isinstance(sent, dict) or not isinstance(sent.get("envelope_id"), str):
            return
        payload = sent.get("payload")
        ack = Ack(sent["envelope_id"], payload if isinstance(payload, dict) else None, link.ticket, time.time())
        with self._lock:
            self.acks.append(ack)
            self._lock.notify_all()

    def _current(self) -> Link:
        open_links = self.open_links()
        if not open_links:
            raise AssertionError("the app has no open Socket Mode link")
        return open_links[-1]

    @staticmethod
    def _send(link: Link, message: dict[str, Any]) -> None:
        link.connection.send(json.dumps(message))


def _envelope_of(body: str, headers: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """The envelope type and payload Socket Mode sends for what HTTP mode would POST as `body`."""
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if "json" in content_type:
        return EVENTS_API, json.loads(body)
    fields = dict(parse_qsl(body, keep_blank_values=True))
    if "payload" in fields:
        return INTERACTIVE, json.loads(fields["payload"])
    return SLASH_COMMANDS, fields


def _cut(connection: ServerConnection) -> None:
    """End the TCP connection under a link with no closing handshake, as a network that fails does.

    Only shut down, never closed here: the link's own receiving thread then reads the end of the stream and
    closes the socket itself. A socket closed under it while it was between two waits left it waiting on a
    closed descriptor, which the selector never reports, and the server's shutdown waited for it for ever.
    """
    with contextlib.suppress(OSError):  # the other side may have ended it already
        connection.socket.shutdown(socket.SHUT_RDWR)
