"""One error handler for every listener: apologise clearly, never leave Slack waiting."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot import blocks
from bot.capture.touchpoints import NotFound
from bot.edge import VERIFIED

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
) -> BoltResponse | None:
    down = store_is_down(error)
    if isinstance(error, NotFound):
        reply = blocks.gone_reply()
    elif down:
        logger.warning("customer store unavailable: %s", error)
        reply = blocks.store_down_reply(_typed_text(body))
    else:
        logger.exception("listener failed", exc_info=error)
        reply = blocks.failure_reply()
    if not context.get(VERIFIED):
        # Not proved to come from Slack: whoever sent it chose its response_url, so nothing goes back there.
        return None
    if "command" in body and response is not None:
        # A slash command not yet acknowledged gets its apology as the acknowledgement itself.
        return BoltResponse(
            status=200,
            body=json.dumps({"response_type": "ephemeral", **reply}),
            headers={"content-type": "application/json;charset=utf-8"},
        )
    if respond is not None and body.get("response_url"):
        respond(response_type="ephemeral", replace_original=False, **reply)
    return None


def _typed_text(body: dict[str, Any]) -> str:
    if "command" in body:
        return body.get("text") or ""
    action = (body.get("actions") or [{}])[0]
    return action.get("value", "") if action.get("action_id") == blocks.RETRY_LOG else ""


def register(app: App) -> None:
    app.error(handle_error)
