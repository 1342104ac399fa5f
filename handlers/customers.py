"""`/customer` and the buttons of the customer card: log, full history (with paging), share, choose, open."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import card as card_blocks
from bot.conversations.links import channel_request
from bot.customers import search
from bot.customers.card import Card, Opened, customer_card, history_page, open_card
from bot.members import Author
from handlers.channels import link_command
from handlers.common import member, runtime
from handlers.outsiders import share_warning
from handlers.views import open_log_modal

logger = logging.getLogger(__name__)


def customer_command(ack: Ack, command: dict, context: BoltContext, client: WebClient, respond: Respond) -> None:
    request = channel_request(command.get("text") or "")
    if request is not None:  # `/customer acme link #channel`: Slack may be asked to join it, after the ack
        ack()
        link_command(request, command, context, client, respond)
        return
    rt = runtime(context)
    user_id = command["user_id"]
    workspace_id, viewer = member(context, client, user_id)
    now = rt.now()
    typed = search.plain_query(command.get("text") or "")
    with rt.readers.begin() as session:
        result = search.search_customers(session, rt.indexes, workspace_id, user_id, typed)
        card = None
        if result.outcome == "one":
            card = customer_card(session, workspace_id, result.matches[0].customer_id, now=now, tz=viewer.tz)
    ack(**card_blocks.search_reply(result, card, viewer.tz, now))


def choose_clicked(
    ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond
) -> None:
    """A customer picked from the chooser: its card replaces the chooser."""
    ack()
    clicked = _open(body, action, context, client)
    opened, viewer, now = clicked.opened, clicked.viewer, clicked.now
    _show(body, client, respond, opened, viewer.tz, now, replace=True)


def open_clicked(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond) -> None:
    """A button elsewhere (a nudge, the Home tab) pointing at a customer: the card comes as a new message."""
    ack()
    clicked = _open(body, action, context, client)
    opened, viewer, now = clicked.opened, clicked.viewer, clicked.now
    _show(body, client, respond, opened, viewer.tz, now, replace=False)


def log_clicked(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond) -> None:
    ack()
    user_id = body["user"]["id"]
    clicked = _open(body, action, context, client)
    card = _card_to_act_on(body, client, respond, clicked)
    if card is None:
        return
    channel = _channel(body)
    metadata = {"channel": channel} if channel and _is_ephemeral(body) else {}
    open_log_modal(client, context, body["trigger_id"], user_id, metadata, customer_id=card.customer_id)


def history_clicked(
    ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    clicked = _open(body, action, context, client)
    card = _card_to_act_on(body, client, respond, clicked)
    if card is None:
        return
    with runtime(context).readers.begin() as session:
        page = history_page(session, clicked.workspace_id, card.customer_id, 0)
    if page is not None:
        view = card_blocks.history_view(page, clicked.viewer.tz, clicked.now)
        client.views_open(trigger_id=body["trigger_id"], view=view)


def history_paged(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    rt = runtime(context)
    customer_id, _, page_number = action["value"].partition(":")
    workspace_id, viewer = member(context, client, body["user"]["id"])
    now = rt.now()
    with rt.readers.begin() as session:
        page = history_page(session, workspace_id, int(customer_id), int(page_number or 0))
    view_id = body["view"]["id"]
    view = card_blocks.history_gone_view() if page is None else card_blocks.history_view(page, viewer.tz, now)
    client.views_update(view_id=view_id, view=view)


def share_clicked(
    ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond
) -> None:
    """Post the card for the whole channel to see: only on this click, and saying who shared it.

    Where people of another organisation read the channel, it is asked first (*Share anyway* shares).
    """
    _share(ack, body, action, context, client, respond, confirmed=False)


def share_confirmed(
    ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond
) -> None:
    """*Share anyway* under the warning that people outside the company read the channel."""
    _share(ack, body, action, context, client, respond, confirmed=True)


def _share(
    ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond, *, confirmed: bool
) -> None:
    ack()
    user_id = body["user"]["id"]
    clicked = _open(body, action, context, client)
    # Never share a card other than the one the person saw without them seeing it first.
    card = _card_to_act_on(body, client, respond, clicked, stop_if_merged=True)
    if card is None:
        return
    channel = _channel(body)
    if not confirmed and channel:
        warning = share_warning(context, client, channel, card_blocks.CARD_SHARE_CONFIRMED, action.get("value") or "")
        if warning is not None:
            _reply(body, client, respond, warning, replace=False)
            return
    shared = card_blocks.card_message(card, clicked.viewer.tz, clicked.now, shared_by=user_id)
    try:
        client.chat_postMessage(channel=channel or user_id, **shared)
    except SlackApiError as error:
        logger.info("sharing a card failed: %s", error)
        _reply(body, client, respond, card_blocks.share_failed_message(), replace=False)
        return
    # The card it was shared from gives way to the note; after a warning, the warning does.
    _reply(body, client, respond, card_blocks.shared_confirmation(card), replace=True)


# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clicked:
    """What a card button found, for whom, and when."""

    opened: Opened
    workspace_id: int
    viewer: Author
    now: datetime


def _open(body: dict, action: dict, context: BoltContext, client: WebClient) -> Clicked:
    rt = runtime(context)
    workspace_id, viewer = member(context, client, body["user"]["id"])
    now = rt.now()
    try:
        customer_id = int(action.get("value") or "")
    except ValueError:
        return Clicked(Opened(None), workspace_id, viewer, now)
    with rt.readers.begin() as session:
        opened = open_card(session, workspace_id, customer_id, now=now, tz=viewer.tz)
    return Clicked(opened, workspace_id, viewer, now)


def _card_to_act_on(
    body: dict, client: WebClient, respond: Respond, clicked: Clicked, *, stop_if_merged: bool = False
) -> Card | None:
    """The live card a button acts on; a deleted customer is explained, a merged one's survivor shown first."""
    opened = clicked.opened
    if opened.card is None:
        _reply(body, client, respond, _gone(opened), replace=False)
        return None
    if opened.merged:
        _reply(body, client, respond, _merged_card(opened, clicked.viewer.tz, clicked.now), replace=False)
        if stop_if_merged:
            return None
    return opened.card


def _gone(opened: Opened) -> dict[str, Any]:
    return card_blocks.gone_message(opened.old_name)


def _merged_card(opened: Opened, tz: ZoneInfo, now: datetime) -> dict[str, Any]:
    assert opened.card is not None and opened.old_name is not None
    note = card_blocks.merged_note(opened.old_name, opened.card.name)
    return card_blocks.card_message(opened.card, tz, now, note=note)


def _show(
    body: dict, client: WebClient, respond: Respond, opened: Opened, tz: ZoneInfo, now: datetime, *, replace: bool
) -> None:
    if opened.card is None:
        reply = _gone(opened)
    elif opened.merged:
        reply = _merged_card(opened, tz, now)
    else:
        reply = card_blocks.card_message(opened.card, tz, now)
    _reply(body, client, respond, reply, replace=replace)


def _reply(body: dict, client: WebClient, respond: Respond, reply: dict[str, Any], *, replace: bool) -> None:
    """Answer where the click happened; from a view (the Home tab, a modal) there is no reply URL: DM instead."""
    if body.get("response_url"):
        if replace:
            respond(replace_original=True, **reply)
        else:
            respond(response_type="ephemeral", replace_original=False, **reply)
        return
    client.chat_postMessage(channel=body["user"]["id"], **reply)


def _channel(body: dict) -> str | None:
    return (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")


def _is_ephemeral(body: dict) -> bool:
    return bool((body.get("container") or {}).get("is_ephemeral"))


def register(app: App) -> None:
    app.command("/customer")(customer_command)
    app.action(card_blocks.CARD_CHOOSE)(choose_clicked)
    app.action(card_blocks.CARD_OPEN)(open_clicked)
    app.action(card_blocks.CARD_LOG)(log_clicked)
    app.action(card_blocks.CARD_HISTORY)(history_clicked)
    app.action(card_blocks.CARD_HISTORY_PAGE)(history_paged)
    app.action(card_blocks.CARD_SHARE)(share_clicked)
    app.action(card_blocks.CARD_SHARE_CONFIRMED)(share_confirmed)
