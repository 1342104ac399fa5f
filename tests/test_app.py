"""Assembling the Bolt app: everything it needs comes from Settings, so Bolt has nothing to warn about."""

from __future__ import annotations

import logging

from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.app import WEB_API_TIMEOUT_S, build_app
from tests.conftest import BOT_TOKEN, SIGNING_SECRET


def test_building_the_app_gives_bolt_nothing_to_warn_about(runtime, monkeypatch, caplog):
    # As in every `serve` worker: the settings were read from this environment, which Bolt reads too.
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)

    with caplog.at_level(logging.INFO):
        app = build_app(runtime)

    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []
    assert (app.client.token, app.client.base_url) == (BOT_TOKEN, runtime.settings.slack_api_url)


def test_the_apps_client_waits_out_rate_limits(runtime):
    client = build_app(runtime).client

    assert client.timeout == WEB_API_TIMEOUT_S
    assert any(isinstance(handler, RateLimitErrorRetryHandler) for handler in client.retry_handlers)
