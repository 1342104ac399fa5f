"""Workflow Builder's custom step *Log a touchpoint* (`function_executed` for `log_touchpoint`).

Bolt acknowledges the event at once and runs this after; every call made here goes with the step's own token
(the event's `bot_access_token`, set on the client by Bolt's AttachingFunctionToken). Every run ends with
`complete` or `fail`, whatever happens, so a workflow is never left waiting on the step.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext, Complete, Fail
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.steps import step_outputs
from bot.capture import steps
from bot.capture.touchpoints import LogOutcome
from bot.followups import operations as followups
from bot.members import Author
from handlers.common import assignee_zone, logged_reply, member, runtime
from handlers.errors import store_is_down

logger = logging.getLogger(__name__)

STORE_DOWN = "Touchpoint's customer store is not answering, so nothing was logged: run the workflow again shortly."
FAILED = "Touchpoint could not log this touchpoint because of a problem on its side; nothing was logged."


def log_touchpoint_step(
    inputs: dict[str, Any] | None, context: BoltContext, client: WebClient, complete: Complete, fail: Fail
) -> None:
    try:
        step = steps.read_inputs(inputs or {})
    except steps.StepRefused as refused:
        fail(refused.reason)
        return
    try:
        outputs = _log(step, context, client)
    except Exception as error:
        _fail_quietly(fail, STORE_DOWN if store_is_down(error) else FAILED)
        raise  # the one error handler logs it
    try:
        complete(outputs=outputs)
    except SlackApiError as error:
        if error.response.get("error") != "execution_not_in_running_state":
            raise
        # The same run delivered again after it was completed: it found the touchpoint it had made, nothing more.
        logger.info("step run %s was completed already", context.function_execution_id)


def _log(step: steps.StepInputs, context: BoltContext, client: WebClient) -> dict[str, Any]:
    rt = runtime(context)
    now = rt.now()
    workspace_id, author = member(context, client, step.logged_by)  # Slack asked, when it must be, before the write
    with rt.sessions.begin() as session:
        outcome = steps.log_step(
            session, rt.indexes, workspace_id, author, step, context.function_execution_id, now=now
        )
        if not outcome.already_logged:
            outcome = followups.with_loop_offer(session, workspace_id, author.user_id, outcome)
    link = None if outcome.already_logged else _confirm(context, client, workspace_id, outcome, author)
    return step_outputs(outcome, link)


def _confirm(
    context: BoltContext, client: WebClient, workspace_id: int, outcome: LogOutcome, author: Author
) -> str | None:
    """The `/log` reply, with its Undo, Edit and fixes, as a direct message to the person who ran the step; the
    link to it, or None when Slack would not take it (the touchpoint is saved either way)."""
    reply = logged_reply(outcome, author, assignee_tz=assignee_zone(context, client, workspace_id, outcome, author))
    try:
        posted = client.chat_postMessage(channel=author.user_id, **reply)
        return client.chat_getPermalink(channel=posted["channel"], message_ts=posted["ts"])["permalink"]
    except (SlackApiError, OSError, KeyError) as error:
        logger.warning("the step's confirmation to %s was not sent: %s", author.user_id, error)
        return None


def _fail_quietly(fail: Fail, message: str) -> None:
    try:
        fail(message)
    except (SlackApiError, OSError) as error:
        logger.warning("functions.completeError failed too: %s", error)


def register(app: App) -> None:
    app.function(steps.STEP_ID)(log_touchpoint_step)
