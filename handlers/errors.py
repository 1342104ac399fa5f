"""One error handler for every listener: apologise clearly, never leave Slack waiting.

A listener that raises before acknowledging gets its apology as the acknowledgement (a form stays open with
it); one that raises after acknowledging keeps that acknowledgement, and the apology follows through the
request's response_url, or as a direct message where there is none.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.context.ack import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot import blocks
from bot.capture.touchpoints import NotFound
from bot.edge import VERIFIED
from handlers.common import json_ack

STORE_DOWN = (OperationalError, PoolTimeout)


def store_is_down(error: Exception) -> bool:
    return isinstance(error, STORE_DOWN) or (isinstance(error, DBAPIError) and error.connection_invalidated)


def handle_error(
    error: Exception,
    body: dict[str, Any],
    logger: logging.Logger,
    context: BoltContext,
    response: BoltResponse | None = None,
    respond: Any = None,
    client: WebClient | None = None,
) -> BoltResponse | None:
    down = store_is_down(error)
    if isinstance(error, NotFound):
        reason, reply = "gone", blocks.gone_reply()
    elif down:
        logger.warning("customer store unavailable: %s", error)
        reason, reply = "down", blocks.store_down_reply(_typed_text(body))
    else:
        logger.exception("listener failed", exc_info=error)
        reason, reply = "failed", blocks.failure_reply()
    if not context.get(VERIFIED):
        # Not proved to come from Slack: whoever sent it chose its response_url, so nothing goes back there.
        return None
    if response is not None and body.get("type") == "view_submission":
        # A form not yet acknowledged stays open with the apology on it, and everything typed in it.
        apology = blocks.form_apology(body.get("view") or {}, reason)
        return json_ack(apology) if apology is not None else BoltResponse(status=200, body="")
    if "command" in body and response is not None:
        # A slash command not yet acknowledged gets its apology as the acknowledgement itself.
        return json_ack({"response_type": "ephemeral", **reply})
    if respond is not None and body.get("response_url"):
        respond(response_type="ephemeral", replace_original=False, **reply)
    elif client is not None and (body.get("user") or {}).get("id"):
        # No response_url (a button on the Home tab or in a form, a form already closed): a direct message.
        _send_apology(client, body["user"]["id"], reply, logger)
    # Anything else not yet acknowledged is acknowledged now: the apology went its own way.
    return BoltResponse(status=200, body="") if response is not None else None


def _send_apology(client: WebClient, user_id: str, reply: dict[str, Any], logger: logging.Logger) -> None:
    try:
        client.chat_postMessage(channel=user_id, **reply)
    except (SlackApiError, OSError) as error:
        logger.warning("the apology to %s could not be sent either: %s", user_id, error)


def _typed_text(body: dict[str, Any]) -> str:
    if "command" in body:
        return body.get("text") or ""
    action = (body.get("actions") or [{}])[0]
    return action.get("value", "") if action.get("action_id") == blocks.RETRY_LOG else ""


class _AckOnce(Ack):
    """An acknowledgement that, once given, stays given.

    When a listener raises after `ack()`, Bolt's thread runner sets the acknowledgement back to None; if the
    request thread had not sent it yet, it then waited out Slack's 3 seconds and answered 404.
    """

    _response: BoltResponse | None = None

    @property  # type: ignore[override]
    def response(self) -> BoltResponse | None:
        return self._response

    @response.setter
    def response(self, value: BoltResponse | None) -> None:
        if value is not None or self._response is None:
            self._response = value


def _acknowledge_once(context: BoltContext, next: Callable[[], None]) -> None:
    context["ack"] = _AckOnce()
    next()


def register(app: App) -> None:
    app.use(_acknowledge_once)
    app.error(handle_error)
