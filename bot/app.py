"""Assembling the Bolt app: one client, the listeners, and the runtime handed to each of them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

import handlers
import handlers.curation
from bot.runtime import Runtime
from bot.text import storable

WEB_API_TIMEOUT_S = 10


def web_client(token: str | None, base_url: str) -> WebClient:
    """A Web API client that waits out 429s for as long as Retry-After says and retries 5xx and network errors."""
    client = WebClient(token=token, base_url=base_url, timeout=WEB_API_TIMEOUT_S)
    client.retry_handlers.extend(
        [
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
            ConnectionErrorRetryHandler(max_retry_count=2),
        ]
    )
    return client


def build_app(rt: Runtime, client: WebClient | None = None) -> App:
    settings = rt.settings
    client = client or web_client(settings.slack_bot_token, settings.slack_api_url)
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret,
        token_verification_enabled=False,
        logger=logging.getLogger("touchpoint.bolt"),
    )
    app.use(_storable_request)
    app.use(_provide_runtime(rt))
    handlers.register(app)
    handlers.curation.register(app)
    return app


def _provide_runtime(rt: Runtime) -> Callable[..., None]:
    def provide(context: BoltContext, next: Callable[[], None]) -> None:
        context["runtime"] = rt
        next()

    return provide


def _storable_request(body: dict[str, Any], next: Callable[[], None]) -> None:
    """Every string of a request made storable before a listener reads it (commands, actions, views, shortcuts).

    Slack's JSON can carry NUL bytes and lone surrogates; a listener that saved or echoed one would fail and the
    line would be lost, so they never reach a listener. The signature was checked on the raw body already.
    """
    _make_storable(body)
    next()


def _make_storable(node: dict[str, Any] | list[Any]) -> None:
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in list(items):
        if isinstance(value, str):
            node[key] = storable(value)  # type: ignore[index]
        elif isinstance(value, dict | list):
            _make_storable(value)
