"""Requests exactly as Slack sends them: signed, form-encoded slash commands and `payload=` interactions.

The test suite posts them over real HTTP to the served app; `touchpoint shell` dispatches them to the
same Bolt app in-process. Either way they pass signature verification like Slack's own.
"""

from __future__ import annotations

import itertools
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slack_bolt import App
from slack_sdk.signature import SignatureVerifier

from bot.config import Settings
from bot.edge import Refused, log_refusal, verified_request
from bot.response_urls import ResponseUrls

Transport = Callable[[bytes, dict[str, str]], "Reply"]


@dataclass(frozen=True)
class Reply:
    """The HTTP answer to one request: the acknowledgement Slack would get."""

    status: int
    body: str

    def json(self) -> dict[str, Any]:
        return json.loads(self.body) if self.body else {}


def http_transport(url: str, timeout: float = 10.0) -> Transport:
    def post(body: bytes, headers: dict[str, str]) -> Reply:
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Reply(response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read().decode())

    return post


def dispatch_transport(app: App, settings: Settings) -> Transport:
    """Straight into the app in-process, through the same checks `touchpoint serve` makes at its HTTP edge."""
    response_urls = ResponseUrls(settings.slack_hooks_url)
    secret = settings.slack_signing_secret or ""

    def post(body: bytes, headers: dict[str, str]) -> Reply:
        try:
            request = verified_request(
                body,
                {k.lower(): v for k, v in headers.items()},
                signing_secret=secret,
                response_urls=response_urls,
                now=time.time(),
            )
        except Refused as refused:
            log_refusal(refused)
            return Reply(refused.status, "")
        response = app.dispatch(request)
        return Reply(response.status, response.body or "")

    return post


class SlackSimulator:
    """Builds, signs and sends what Slack would send for a person's actions in one workspace.

    With `enterprise_id` the workspace belongs to an Enterprise Grid org; with `is_enterprise_install` too, the
    app is installed org-wide and every request says so, as Slack's do.
    """

    def __init__(
        self,
        transport: Transport,
        signing_secret: str,
        *,
        team_id: str,
        response_url: Callable[[str], str],
        clock: Callable[[], float] = time.time,
        user_team_id: str | None = None,
        enterprise_id: str | None = None,
        is_enterprise_install: bool = False,
    ) -> None:
        """`user_team_id`: the home team of the people it acts for when not `team_id`, as for someone of another
        organisation in a Slack Connect channel of this workspace (Slack sends it as their `user.team_id`)."""
        self.transport = transport
        self.enterprise_id = enterprise_id
        self.is_enterprise_install = is_enterprise_install
        self.verifier = SignatureVerifier(signing_secret)
        self.team_id = team_id
        self.user_team_id = user_team_id or team_id
        self.response_url = response_url
        self.clock = clock
        self._ids = itertools.count(1)

    def _next(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids)}"

    def send(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        stamp = str(timestamp if timestamp is not None else int(self.clock()))
        signed = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature or self.verifier.generate_signature(timestamp=stamp, body=body),
        }
        return self.transport(body.encode(), {**signed, **(headers or {})})

    def command(
        self, user: str, text: str, *, command: str = "/log", channel: str = "C0GENERAL", **extra: Any
    ) -> Reply:
        return self.send(
            urlencode(self.command_fields(user, text, command=command, channel=channel, **extra)),
            "application/x-www-form-urlencoded",
        )

    def command_fields(
        self, user: str, text: str, *, command: str = "/log", channel: str = "C0GENERAL", **extra: Any
    ) -> dict[str, str]:
        return {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "team_domain": "example",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0TOUCH",
            "is_enterprise_install": "true" if self.is_enterprise_install else "false",
            **({"enterprise_id": self.enterprise_id, "enterprise_name": "Org"} if self.enterprise_id else {}),
            "response_url": self.response_url(self._next("cmd")),
            "trigger_id": self._next("trigger."),
            **extra,
        }

    def interaction(self, payload: dict[str, Any]) -> Reply:
        return self.send(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def _base(self, kind: str, user: str) -> dict[str, Any]:
        return {
            "type": kind,
            "team": {"id": self.team_id, "domain": "example"},
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": self.user_team_id},
            "api_app_id": "A0TOUCH",
            "token": "legacy-verification-token",
            "trigger_id": self._next("trigger."),
            "is_enterprise_install": self.is_enterprise_install,
            **({"enterprise": {"id": self.enterprise_id, "name": "Org"}} if self.enterprise_id else {}),
        }

    def click(
        self,
        user: str,
        element: dict[str, Any],
        *,
        block_id: str = "b",
        channel: str = "C0GENERAL",
        selected: dict[str, Any] | None = None,
        message: dict[str, Any] | None = None,
        selected_user: str | None = None,
    ) -> Reply:
        """Press a button (or pick an option of a select, or a person) on an ephemeral message.

        With a `message` that has a `ts` (a DM the app posted, say), the click is on that normal message:
        Slack then sends its channel and ts and the message itself.
        """
        action: dict[str, Any] = {
            "type": element.get("type", "button"),
            "action_id": element["action_id"],
            "block_id": block_id,
            "action_ts": f"{self.clock():.6f}",
        }
        if "value" in element:
            action["value"] = element["value"]
        if selected is not None:
            action["selected_option"] = selected
        if selected_user is not None:
            action["selected_user"] = selected_user
        container = {"type": "message", "message_ts": "0", "channel_id": channel, "is_ephemeral": True}
        if message is not None and message.get("ts"):
            container = {"type": "message", "message_ts": message["ts"], "channel_id": channel, "is_ephemeral": False}
        payload = {
            **self._base("block_actions", user),
            "container": container,
            "channel": {"id": channel, "name": "general"},
            "response_url": self.response_url(self._next("act")),
            "actions": [action],
        }
        if message is not None:
            payload["message"] = message
        return self.interaction(payload)

    def click_in_view(self, user: str, view: dict[str, Any], element: dict[str, Any], block_id: str = "b") -> Reply:
        payload = {
            **self._base("block_actions", user),
            "container": {"type": "view", "view_id": view.get("id", "V0")},
            "view": view,
            "actions": [
                {
                    "type": "button",
                    "action_id": element["action_id"],
                    "block_id": block_id,
                    "value": element.get("value", ""),
                    "action_ts": f"{self.clock():.6f}",
                }
            ],
        }
        return self.interaction(payload)

    def submit(self, user: str, view: dict[str, Any], values: dict[str, dict[str, Any]]) -> Reply:
        """Submit a modal; `values` is Slack's view.state.values: {block_id: {action_id: {...}}}."""
        submitted = {**view, "id": view.get("id", self._next("V")), "state": {"values": values}}
        payload = {**self._base("view_submission", user), "view": submitted, "response_urls": []}
        return self.interaction(payload)

    def shortcut(self, user: str, message: dict[str, Any], *, callback_id: str, channel: str = "C0GENERAL") -> Reply:
        payload = {
            **self._base("message_action", user),
            "callback_id": callback_id,
            "channel": {"id": channel, "name": "general"},
            "message": message,
            "message_ts": message.get("ts"),
            "response_url": self.response_url(self._next("sc")),
        }
        return self.interaction(payload)

    def options(self, user: str, action_id: str, value: str, block_id: str = "customer") -> Reply:
        payload = {
            **self._base("block_suggestion", user),
            "action_id": action_id,
            "block_id": block_id,
            "value": value,
            "view": {"id": "V0", "type": "modal"},
        }
        return self.interaction(payload)

    def authorization(self) -> dict[str, Any]:
        """Who an event is for, as Slack lists it: an org-wide install has no team of its own."""
        return {
            "enterprise_id": self.enterprise_id,
            "team_id": None if self.is_enterprise_install else self.team_id,
            "user_id": "UBOT",
            "is_bot": True,
            "is_enterprise_install": self.is_enterprise_install,
        }

    def event(self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None) -> Reply:
        """Deliver an Events API event; with `retry`, as Slack redelivers one it had no answer to in time."""
        body = {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "api_app_id": "A0TOUCH",
            "type": "event_callback",
            "event_id": event_id or self._next("Ev"),
            "event_time": int(self.clock()),
            "event": event,
            **({"enterprise_id": self.enterprise_id} if self.enterprise_id else {}),
            "authorizations": [self.authorization()],
            "is_ext_shared_channel": False,
        }
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        return self.send(json.dumps(body), "application/json", headers=headers)

    def function_executed(
        self,
        execution_id: str,
        bot_access_token: str,
        callback_id: str,
        inputs: dict[str, Any],
        *,
        event_id: str | None = None,
        retry: int | None = None,
    ) -> Reply:
        """Run a workflow's custom step: the function_executed event Slack sends for one execution (from
        `SlackStandIn.begin_function_execution`), carrying the step's inputs and its own bot token."""
        event = {
            "type": "function_executed",
            "function": {
                "id": "Fn0" + callback_id.upper()[:8],
                "callback_id": callback_id,
                "title": callback_id.replace("_", " ").capitalize(),
                "type": "app",
                "app_id": "A0TOUCH",
                "input_parameters": [],
                "output_parameters": [],
                "date_created": 1_700_000_000,
                "date_updated": 1_700_000_000,
                "date_deleted": 0,
            },
            "inputs": inputs,
            "function_execution_id": execution_id,
            "workflow_execution_id": "Wx" + execution_id.removeprefix("Fx"),
            "event_ts": f"{self.clock():.6f}",
            "bot_access_token": bot_access_token,
        }
        return self.event(event, event_id=event_id, retry=retry)


def channel_message(
    user: str,
    text: str,
    *,
    channel: str,
    ts: str,
    team: str,
    thread_ts: str | None = None,
    private: bool = False,
) -> dict[str, Any]:
    """The `message` event of a person's message in a channel, as Slack sends it from a Slack Connect one: the
    author's own team in `user_team` and `source_team` (another organisation's for the customer's people)."""
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "team": team,
        "user_team": team,
        "source_team": team,
        "channel_type": "group" if private else "channel",
        "blocks": [
            {
                "type": "rich_text",
                "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
            }
        ],
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
        event["parent_user_id"] = "U0PARENT"
    return event


def message_edited(original: dict[str, Any], text: str, *, edited_ts: str) -> dict[str, Any]:
    """The `message_changed` event Slack sends when `original` (a `channel_message`) is edited to `text`."""
    changed = {k: v for k, v in original.items() if k not in ("channel", "channel_type", "event_ts", "blocks")}
    changed.update(text=text, edited={"user": original["user"], "ts": edited_ts})
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": original["channel"],
        "channel_type": original["channel_type"],
        "message": changed,
        "previous_message": {k: v for k, v in original.items() if k not in ("channel", "channel_type")},
        "ts": edited_ts,
        "event_ts": edited_ts,
    }


def message_deleted(original: dict[str, Any], *, deleted_at_ts: str) -> dict[str, Any]:
    """The `message_deleted` event Slack sends when `original` (a `channel_message`) is deleted."""
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": original["channel"],
        "channel_type": original["channel_type"],
        "deleted_ts": original["ts"],
        "previous_message": {k: v for k, v in original.items() if k not in ("channel", "channel_type")},
        "ts": deleted_at_ts,
        "event_ts": deleted_at_ts,
    }
