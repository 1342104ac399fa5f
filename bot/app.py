"""Assembling the Bolt app: one client, the listeners, and the runtime handed to each of them.

With one bot token (SLACK_BOT_TOKEN) every request is answered with it; with OAuth (SLACK_CLIENT_ID and
SLACK_CLIENT_SECRET) Bolt's authorize finds the bot token of the request's installation in the store, and each
listener's client carries that one (bot.installations.oauth).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

import handlers
import handlers.curation
import handlers.outsiders
from bot.edge import VERIFIED
from bot.installations.oauth import install_flow
from bot.runtime import Runtime
from bot.text import storable

WEB_API_TIMEOUT_S = 10


def _configured(client: WebClient, base_url: str) -> WebClient:
    """The client pointed at `base_url`, waiting out 429s as Retry-After says, retrying 5xx and network errors."""
    client.base_url = base_url
    client.timeout = WEB_API_TIMEOUT_S
    client.retry_handlers.extend(
        [
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
            ConnectionErrorRetryHandler(max_retry_count=2),
        ]
    )
    return client


def build_app(rt: Runtime, listener_executor: Executor | None = None) -> App:
    """The app, its settings all from `rt.settings`; `listener_executor` runs what listeners do after
    acknowledging (Bolt's own pool by default).

    Bolt is given the token (or the OAuth flow) and lets it make its own client, which is then pointed at
    SLACK_API_URL and taught to retry: handed a client instead, Bolt also reads SLACK_BOT_TOKEN from the
    environment and warns at every start that it goes unused. Each request's client copies its base URL and
    retry handlers, and the OAuth flow uses this same client for oauth.v2.access.
    """
    settings = rt.settings
    app = App(
        token=None if settings.oauth_enabled else settings.slack_bot_token,
        signing_secret=settings.slack_signing_secret,
        oauth_flow=install_flow(rt) if settings.oauth_enabled else None,
        token_verification_enabled=False,
        logger=logging.getLogger("touchpoint.bolt"),
        listener_executor=listener_executor,
    )
    _configured(app.client, settings.slack_api_url)
    app.use(_vouch_for_socket_mode(rt))
    app.use(_provide_runtime(rt))
    # Before anything reads or writes: a request from another organisation goes no further.
    app.use(handlers.outsiders.refuse_outsiders)
    app.use(_storable_request)
    handlers.register(app)
    handlers.curation.register(app)
    return app


def _vouch_for_socket_mode(rt: Runtime) -> Callable[..., None]:
    """Socket Mode requests arrive over a socket Slack opened with our app token: as verified as a signed one.

    HTTP requests were verified by `bot.edge` before dispatch, which gave them their guarded `respond`. A request's
    mode is not something a sender can claim: only Bolt's Socket Mode adapter builds requests in socket_mode, and
    `bot.edge` builds every HTTP one in Bolt's default http mode (tests/socket_mode/test_only_from_the_socket.py).
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
