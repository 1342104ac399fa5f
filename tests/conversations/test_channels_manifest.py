"""manifest.yml subscribes to the message events of public and private channels and asks the scopes that linking
a channel needs (join a public one, read a channel's kind, read its history, post the notice)."""

from __future__ import annotations

from pathlib import Path

import yaml

MANIFEST = yaml.safe_load((Path(__file__).resolve().parents[2] / "manifest.yml").read_text(encoding="utf-8"))


def test_message_events_of_public_and_private_channels_are_subscribed() -> None:
    assert {"message.channels", "message.groups"} <= set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])


def test_the_scopes_linking_a_channel_needs_are_granted() -> None:
    needed = {"channels:history", "groups:history", "channels:join", "channels:read", "groups:read", "chat:write"}
    assert needed <= set(MANIFEST["oauth_config"]["scopes"]["bot"])


def test_customers_usage_hint_names_linking() -> None:
    [customer] = [c for c in MANIFEST["features"]["slash_commands"] if c["command"] == "/customer"]
    assert "link #channel" in customer["usage_hint"] and len(customer["usage_hint"]) <= 100
