"""Slack's retries of an event (same event_id, with X-Slack-Retry-Num) are acknowledged and do nothing more.

The claim is a row in the store, committed before any listener runs, so a retry that reaches another worker
process (or arrives while the first delivery is still being handled) is recognised too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse

from handlers.common import runtime
from storage.events import claim_event, forget_events_received_before

logger = logging.getLogger(__name__)

# Slack retries an event three times within about five minutes; claims are kept well past the last one.
KEPT_FOR = timedelta(hours=1)


def skip_handled_events(body: dict[str, Any], context: BoltContext, next: Callable[[], Any]) -> Any:
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    if not event_id:
        return next()
    rt = runtime(context)
    now = rt.now()
    with rt.sessions.begin() as session:
        first = claim_event(session, context.team_id or body.get("team_id") or "", event_id, now)
        if first:
            forget_events_received_before(session, now - KEPT_FOR)
    if not first:
        logger.info("event %s was already handled: acknowledged, not handled again", event_id)
        return BoltResponse(status=200, body="")
    return next()


def register(app: App) -> None:
    app.use(skip_handled_events)
