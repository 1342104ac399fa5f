"""Assembling the Bolt app: one client, the listeners, and the runtime handed to each of them."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import App, BoltContext, BoltRequest
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

import handlers
import handlers.curation
from bot.edge import VERIFIED
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


def build_app(rt: Runtime, client: WebClient | None = None) -> App:
    settings = rt.settings
    client = client or web_client(settings.slack_bot_token, settings.slack_api_url)
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret,
        token_verification_enabled=False,
        logger=logging.getLogger("touchpoint.bolt"),
    )
    app.use(_vouch_for_socket_mode(rt))
    app.use(_provide_runtime(rt))
    handlers.register(app)
    handlers.curation.register(app)
    return app


def _vouch_for_socket_mode(rt: Runtime) -> Callable[..., None]:
    """Socket Mode requests arrive over a socket Slack opened with our app token: as verified as a signed one.

    HTTP requests were verified by `bot.edge` before dispatch, which gave them their guarded `respond`.
    """

    def vouch(request: BoltRequest, context: BoltContext, next: Callable[[], None]) -> None:
        if request.mode == "socket_mode":
            context[VERIFIED] = True
            context["respond"] = rt.response_urls.respond_to(context.response_url)
        next()

    return vouch


def _provide_runtime(rt: Runtime) -> Callable[..., None]:
    def provide(context: BoltContext, next: Callable[[], None]) -> None:
        context["runtime"] = rt
        next()

    return provide
