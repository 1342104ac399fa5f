"""The message shortcut *Log as touchpoint*."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import blocks
from bot.capture.kinds import detect_kind
from bot.text import slack_to_plain
from handlers.views import open_log_modal


def log_message_shortcut(ack: Ack, shortcut: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    message = shortcut.get("message", {})
    text = slack_to_plain(message.get("text", ""))
    metadata = {
        "source": "shortcut",
        "channel": shortcut.get("channel", {}).get("id"),
        "ts": message.get("ts"),
        "author": message.get("user") or shortcut["user"]["id"],
    }
    open_log_modal(
        client, context, shortcut["trigger_id"], shortcut["user"]["id"], metadata, summary=text, kind=detect_kind(text)
    )


def register(app: App) -> None:
    app.shortcut(blocks.LOG_SHORTCUT)(log_message_shortcut)
