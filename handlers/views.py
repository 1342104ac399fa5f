"""Modals: opening the log form and reading what was submitted."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot import blocks
from bot.blocks import curation as curation_blocks
from bot.capture import touchpoints
from bot.capture.forms import FormContext, FormErrors, read_log_form, require_follow_up
from bot.customers import curation
from bot.followups import operations as followups
from bot.members import Author
from handlers import home
from handlers.common import acting_in, assignee_zone, logged_reply, runtime
from storage.customers import customer as find_customer

logger = logging.getLogger(__name__)


def open_log_modal(
    client: WebClient,
    context: BoltContext,
    trigger_id: str,
    user_id: str,
    metadata: dict[str, Any],
    *,
    summary: str = "",
    kind: str | None = None,
    customer_id: int | None = None,
    new_customer: str | None = None,
    touchpoint_id: int | None = None,
) -> None:
    rt = runtime(context)
    with acting_in(context, client, user_id) as (session, workspace_id, author):
        tp = touchpoints.touchpoint_view(session, workspace_id, touchpoint_id) if touchpoint_id else None
        customer = find_customer(session, workspace_id, customer_id) if customer_id else None
    view = blocks.log_modal(
        tz=author.tz,
        now=rt.now(),
        metadata={**metadata, "tp": touchpoint_id} if touchpoint_id else metadata,
        customer=(customer.id, customer.name) if customer else None,
        tp=tp,
        summary=summary,
        kind=kind,
        new_customer=new_customer,
    )
    client.views_open(trigger_id=trigger_id, view=view)


def log_modal_submitted(ack: Ack, body: dict, view: dict, context: BoltContext, client: WebClient) -> None:
    rt = runtime(context)
    user_id = body["user"]["id"]
    metadata = json.loads(view.get("private_metadata") or "{}")
    # From the message shortcut: Slack is asked for the message's link before the write, never inside it.
    shortcut_message = not metadata.get("tp") and metadata.get("ts") and metadata.get("channel")
    permalink = _permalink(client, metadata["channel"], metadata["ts"]) if shortcut_message else None
    with acting_in(context, client, user_id) as (session, workspace_id, author):
        form = FormContext(user_id=user_id, tz=author.tz, now=rt.now())
        values = view["state"]["values"]
        try:
            entry = read_log_form(values, form, metadata)
            # A new customer that looks like an existing one is asked about first.
            entry, alikes = curation.settle_new_customer(session, rt.indexes, workspace_id, entry, values)
        except FormErrors as problem:
            ack(response_action="errors", errors=problem.errors)
            return
        if alikes:
            ack(response_action="update", view=curation_blocks.log_modal_with_look_alikes(view, entry, alikes))
            return
        try:
            outcome = _save_log_form(session, workspace_id, author, metadata, entry, form.now, permalink)
        except touchpoints.NotFound as missing:
            if str(missing) != "customer":
                raise
            ack(response_action="errors", errors={"customer": "That customer is not in this workspace: pick another."})
            return
    ack()
    assignee_tz = assignee_zone(context, client, workspace_id, outcome, author)
    _confirm(context, client, metadata, user_id, logged_reply(outcome, author, assignee_tz=assignee_tz))
    if metadata.get("home"):
        home.publish(client, rt, workspace_id, author)


def _save_log_form(
    session: Session,
    workspace_id: int,
    author: Author,
    metadata: dict[str, Any],
    entry: touchpoints.Entry,
    now: datetime,
    permalink: str | None,
) -> touchpoints.LogOutcome:
    """The submitted form as a new touchpoint (with the shortcut's message link, fetched before the write), or
    as the edit of the one it was opened on."""
    if metadata.get("tp"):
        return touchpoints.edit_touchpoint(session, workspace_id, author, int(metadata["tp"]), entry, now=now)
    if permalink:
        entry = replace(entry, permalink=permalink)
    outcome = touchpoints.log_entry(session, workspace_id, author, entry, now=now)
    return followups.with_loop_offer(session, workspace_id, author.user_id, outcome)


def follow_up_modal_submitted(ack: Ack, body: dict, view: dict, context: BoltContext, client: WebClient) -> None:
    rt = runtime(context)
    user_id = body["user"]["id"]
    metadata = json.loads(view.get("private_metadata") or "{}")
    with acting_in(context, client, user_id) as (session, workspace_id, author):
        form = FormContext(user_id=user_id, tz=author.tz, now=rt.now())
        try:
            plan = require_follow_up(view["state"]["values"], form, user_id, "Pick a date, or say when in words.")
        except FormErrors as problem:
            ack(response_action="errors", errors=problem.errors)
            return
        outcome = touchpoints.set_follow_up(session, workspace_id, user_id, int(metadata["tp"]), plan, now=form.now)
    ack()
    assignee_tz = assignee_zone(context, client, workspace_id, outcome, author)
    _confirm(context, client, metadata, user_id, logged_reply(outcome, author, assignee_tz=assignee_tz))


def _permalink(client: WebClient, channel: str, ts: str) -> str | None:
    try:
        return client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"]
    except SlackApiError as error:
        logger.warning("chat.getPermalink failed: %s", error)
        return None


def _confirm(
    context: BoltContext, client: WebClient, metadata: dict[str, Any], user_id: str, reply: dict[str, Any]
) -> None:
    """Tell the person what was saved where they started: the reply they edited, the channel, or a DM."""
    if metadata.get("response_url"):
        runtime(context).response_urls.send(metadata["response_url"], replace_original=True, **reply)
        return
    if metadata.get("channel"):
        try:
            client.chat_postEphemeral(channel=metadata["channel"], user=user_id, **reply)
            return
        except SlackApiError as error:  # the bot is not in that channel: fall back to a DM
            logger.info("ephemeral confirmation failed, sending a DM: %s", error)
    client.chat_postMessage(channel=user_id, **reply)


def register(app: App) -> None:
    app.view(blocks.LOG_MODAL)(log_modal_submitted)
    app.view(blocks.FOLLOW_UP_MODAL)(follow_up_modal_submitted)
