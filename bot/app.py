"""Assembling the Bolt app: one client, the listeners, and the runtime handed to each of them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor

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


def build_app(rt: Runtime, client: WebClient | None = None, listener_executor: Executor | None = None) -> App:
    """The app; `listener_executor` runs what listeners do after acknowledging (Bolt's own pool by default)."""
    settings = rt.settings
    client = client or web_client(settings.slack_bot_token, settings.slack_api_url)
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret,
        token_verification_enabled=False,
        logger=logging.getLogger("touchpoint.bolt"),
        listener_executor=listener_executor,
    )
    app.use(_provide_runtime(rt))
    handlers.register(app)
    handlers.curation.register(app)
    return app


def _provide_runtime(rt: Runtime) -> Callable[..., None]:
    def provide(context: BoltContext, next: Callable[[], None]) -> None:
        context["runtime"] = rt
        next()

    return provide
