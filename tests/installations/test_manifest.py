"""manifest.yml is ready for every way to install: org-wide deploy on, the OAuth redirect URL where the server
serves it, the scopes the OAuth install asks for, and the events that end an installation."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.config import DEFAULT_BOT_SCOPES
from bot.installations.oauth import REDIRECT_PATH

MANIFEST = yaml.safe_load((Path(__file__).resolve().parents[2] / "manifest.yml").read_text("utf-8"))


def test_the_manifest_enables_org_wide_installs_and_lists_the_redirect_url():
    assert MANIFEST["settings"]["org_deploy_enabled"] is True
    [redirect] = MANIFEST["oauth_config"]["redirect_urls"]
    assert redirect == "https://touchpoint.example.com" + REDIRECT_PATH


def test_the_oauth_install_asks_for_the_manifests_scopes():
    assert tuple(MANIFEST["oauth_config"]["scopes"]["bot"]) == DEFAULT_BOT_SCOPES


def test_the_events_ending_an_installation_are_subscribed():
    assert {"app_uninstalled", "tokens_revoked"} <= set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
