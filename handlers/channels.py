"""Channels linked to a customer: `/customer acme link|unlink #channel`, the card's *Link a channel* and *Unlink*,
and the `message` events of linked channels, which log their conversations with the customer's people.

Message events arrive over the Events API (`message.channels`, `message.groups`) and Socket Mode alike, after
Bolt acknowledged them; a retry of one is dropped before it gets here (`handlers.retries`). Slack is asked what
it must be (which team a person is in, a permalink) before or after a write, never during one.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import Message
from bot.blocks import card as card_blocks
from bot.blocks import channels as channel_blocks
from bot.conversations import capture, links
from bot.conversations.links import ChannelRequest
from bot.customers import search
from handlers.common import member, runtime
from storage import channels as channel_store
from storage.workspaces import find_workspace

logger = logging.getLogger(__name__)

# Messages people write; every other subtype (joins, topics, bots, ...) is not part of a conversation.
PEOPLES_SUBTYPES = frozenset({None, "thread_broadcast", "file_share", "me_message"})
SLACK_TIMEOUT_S = 5


# --- linking ---------------------------------------------------------------------------------------------------


def link_command(
    request: ChannelRequest, command: dict, context: BoltContext, client: WebClient, respond: Respond
) -> None:
    """`/customer acme link #channel` or `... unlink #channel`, after the command was acknowledged."""
    rt = runtime(context)
    user_id = command["user_id"]
    workspace_id, viewer = member(context, client, user_id)
    if request.channel_id is None:
        respond(response_type="ephemeral", **channel_blocks.typed_channel_reply(request.typed_channel))
        return
    if request.verb == "unlink":
        respond(response_type="ephemeral", **_unlink(context, workspace_id, user_id, request.channel_id))
        return
    now = rt.now()
    typed = search.plain_query(request.customer_text)
    with rt.readers.begin() as session:
        result = search.search_customers(session, rt.indexes, workspace_id, user_id, typed)
    if result.outcome != "one":  # which customer, then *Link a channel* on its card
        respond(response_type="ephemeral", **card_blocks.search_reply(result, None, viewer.tz, now))
        return
    reply = _link(context, client, workspace_id, user_id, result.matches[0].customer_id, request.channel_id)
    respond(response_type="ephemeral", **reply)


def link_clicked(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
    """*Link a channel* on the card: the conversation picker."""
    ack()
    rt = runtime(context)
    workspace_id, _ = member(context, client, body["user"]["id"])
    try:
        customer_id = int(action.get("value") or "")
    except ValueError:
        return
    with rt.readers.begin() as session:
        customer = channel_store.live_customer(session, workspace_id, customer_id)
    if customer is None:
        _tell(client, body, None, channel_blocks.customer_gone_reply())
        return
    client.views_open(trigger_id=body["trigger_id"], view=channel_blocks.link_modal(customer.id, customer.name))


def link_submitted(ack: Ack, body: dict, view: dict, context: BoltContext, client: WebClient) -> None:
    """The picker submitted: the modal closes at once, and what came of it is said in a direct message."""
    customer_id, channel_id = channel_blocks.picked(view)
    if channel_id is None:
        ack(response_action="errors", errors={channel_blocks.PICK_BLOCK: "Pick a channel to link."})
        return
    ack()
    user_id = body["user"]["id"]
    workspace_id, _ = member(context, client, user_id)
    if customer_id is None:
        reply = channel_blocks.customer_gone_reply()
    else:
        reply = _link(context, client, workspace_id, user_id, customer_id, channel_id)
    client.chat_postMessage(channel=user_id, **reply)


def unlink_clicked(
    ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    user_id = body["user"]["id"]
    workspace_id, _ = member(context, client, user_id)
    customer_id, channel_id = channel_blocks.clicked(action.get("value") or "")
    if channel_id is None:
        return
    _tell(client, body, respond, _unlink(context, workspace_id, user_id, channel_id, customer_id))


def link_again_clicked(
    ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond
) -> None:
    """*Link again* under an unlink: the undo."""
    ack()
    user_id = body["user"]["id"]
    workspace_id, _ = member(context, client, user_id)
    customer_id, channel_id = channel_blocks.clicked(action.get("value") or "")
    if customer_id is None or channel_id is None:
        return
    _tell(client, body, respond, _link(context, client, workspace_id, user_id, customer_id, channel_id))


def _link(
    context: BoltContext, client: WebClient, workspace_id: int, user_id: str, customer_id: int, channel_id: str
) -> Message:
    """Join the channel if need be, link it, and say so there once; the reply for the person who asked."""
    rt = runtime(context)
    with rt.readers.begin() as session:
        current = channel_store.live_link(session, workspace_id, channel_id)
        other = None
        if current is not None:
            other = channel_store.live_customer(session, workspace_id, current.customer_id)
        asked = channel_store.live_customer(session, workspace_id, customer_id)
    if asked is None:
        return channel_blocks.customer_gone_reply()
    if other is not None:
        if other.id == asked.id:
            return channel_blocks.already_linked_reply(channel_id, other.name)
        return channel_blocks.linked_elsewhere_reply(channel_id, other.name)
    channel_name, problem = _join(client, channel_id)
    if problem is not None:
        return problem
    with rt.sessions.begin() as session:
        linked = links.link_channel(session, workspace_id, customer_id, channel_id, channel_name, user_id, rt.now())
    if linked.outcome == "customer gone":
        return channel_blocks.customer_gone_reply()
    if linked.outcome == "already linked":
        return channel_blocks.already_linked_reply(channel_id, linked.customer_name or "")
    if linked.outcome == "linked elsewhere":
        return channel_blocks.linked_elsewhere_reply(channel_id, linked.customer_name or "")
    try:
        client.chat_postMessage(channel=channel_id, **channel_blocks.link_notice(linked.customer_name or ""))
    except SlackApiError as error:
        logger.warning("the link notice in %s failed: %s", channel_id, error)
    return channel_blocks.linked_reply(channel_id, linked.customer_name or "")


def _join(client: WebClient, channel_id: str) -> tuple[str | None, Message | None]:
    """(the channel's name, None) once the bot is in it, or (None, the reply saying why it is not)."""
    try:
        info = client.conversations_info(channel=channel_id, timeout=SLACK_TIMEOUT_S)["channel"]
    except SlackApiError as error:
        # Slack hides a private channel the bot is not in: it can only be invited.
        logger.info("conversations.info for %s: %s", channel_id, error.response.get("error"))
        return None, channel_blocks.invite_first_reply(channel_id)
    name = info.get("name")
    if info.get("is_member"):
        return name, None
    if info.get("is_private"):
        return None, channel_blocks.invite_first_reply(channel_id)
    try:
        client.conversations_join(channel=channel_id, timeout=SLACK_TIMEOUT_S)
    except SlackApiError as error:
        logger.info("conversations.join %s: %s", channel_id, error.response.get("error"))
        return None, channel_blocks.channel_unreachable_reply(channel_id)
    return name, None


def _unlink(
    context: BoltContext, workspace_id: int, user_id: str, channel_id: str, customer_id: int | None = None
) -> Message:
    rt = runtime(context)
    with rt.sessions.begin() as session:
        unlinked = links.unlink_channel(session, workspace_id, channel_id, user_id, rt.now(), customer_id=customer_id)
    if unlinked.outcome == "not linked":
        return channel_blocks.not_linked_reply(channel_id)
    return channel_blocks.unlinked_reply(channel_id, unlinked.customer_id, unlinked.customer_name)


def _tell(client: WebClient, body: dict, respond: Respond | None, reply: Message) -> None:
    """Answer under the click (an ephemeral card has a response_url), else in a direct message."""
    if respond is not None and body.get("response_url"):
        respond(response_type="ephemeral", replace_original=False, **reply)
        return
    client.chat_postMessage(channel=body["user"]["id"], **reply)


# --- message events ----------------------------------------------------------------------------------------------


def message_event(event: dict, context: BoltContext, client: WebClient) -> None:
    """A message posted, edited or deleted in a channel the bot is in; only linked channels' are recorded."""
    channel_id = event.get("channel")
    if not channel_id or event.get("channel_type") == "im":
        return
    rt = runtime(context)
    workspace_id = _workspace_id(context)
    if workspace_id is None:
        return
    subtype = event.get("subtype")
    with rt.readers.begin() as session:
        if subtype in ("message_changed", "message_deleted"):  # of a message recorded while it was linked, too
            if channel_store.channel_link(session, workspace_id, channel_id) is None:
                return
        elif capture.linked_customer(session, workspace_id, channel_id) is None:
            return
    if subtype == "message_changed":
        changed = event.get("message") or {}
        if changed.get("subtype") == "tombstone":  # a thread's parent deleted while its replies stay
            _deleted(context, workspace_id, channel_id, changed.get("ts"))
        elif changed.get("ts"):
            with rt.sessions.begin() as session:
                capture.record_edit(
                    session, workspace_id, channel_id, changed["ts"], changed.get("text") or "", rt.now()
                )
        return
    if subtype == "message_deleted":
        _deleted(context, workspace_id, channel_id, event.get("deleted_ts"))
        return
    if subtype not in PEOPLES_SUBTYPES or event.get("bot_id") or not event.get("user") or not event.get("ts"):
        return
    message = capture.ChannelMessage(
        channel_id=channel_id,
        ts=event["ts"],
        thread_ts=event.get("thread_ts"),
        user_id=event["user"],
        text=event.get("text") or "",
        from_customer=_from_customer(event, context, client),
    )
    with rt.sessions.begin() as session:
        recorded = capture.record_message(session, workspace_id, message, rt.now())
    if recorded is not None and recorded.touchpoint_id is not None and recorded.permalink_for:
        _add_permalink(context, client, workspace_id, recorded.touchpoint_id, channel_id, recorded.permalink_for)


def _deleted(context: BoltContext, workspace_id: int, channel_id: str, ts: str | None) -> None:
    if not ts:
        return
    rt = runtime(context)
    with rt.sessions.begin() as session:
        capture.record_deletion(session, workspace_id, channel_id, ts, rt.now())


def _from_customer(event: dict, context: BoltContext, client: WebClient) -> bool:
    """Whether the person is of the customer's side: their team (from the message, else from Slack's profile)
    is not the installation's, nor of its enterprise for an org-wide install."""
    installation_team = context.team_id or ""
    installation_enterprise = context.enterprise_id
    team = event.get("user_team") or event.get("source_team") or event.get("team")
    enterprise = None
    if team is None or (installation_enterprise and team != installation_team):
        profile = _user(client, event["user"])
        team = profile.get("team_id") or team
        enterprise = (profile.get("enterprise_user") or {}).get("enterprise_id")
    return capture.is_customer_side(
        team, enterprise, installation_team=installation_team, installation_enterprise=installation_enterprise
    )


def _user(client: WebClient, user_id: str) -> dict[str, Any]:
    try:
        return client.users_info(user=user_id, timeout=SLACK_TIMEOUT_S)["user"]
    except (SlackApiError, OSError) as error:
        logger.warning("users.info for %s failed: %s", user_id, error)
        return {}


def _add_permalink(
    context: BoltContext, client: WebClient, workspace_id: int, touchpoint_id: int, channel_id: str, ts: str
) -> None:
    try:
        permalink = client.chat_getPermalink(channel=channel_id, message_ts=ts, timeout=SLACK_TIMEOUT_S)["permalink"]
    except (SlackApiError, OSError, KeyError) as error:
        logger.info("no permalink for %s/%s: %s", channel_id, ts, error)
        return
    rt = runtime(context)
    with rt.sessions.begin() as session:
        capture.set_permalink(session, workspace_id, touchpoint_id, permalink)


def _workspace_id(context: BoltContext) -> int | None:
    rt = runtime(context)
    team_id = context.team_id
    if not team_id:
        return None
    if team_id in rt.workspace_ids:
        return rt.workspace_ids[team_id]
    with rt.readers.begin() as session:
        workspace = find_workspace(session, team_id)
    if workspace is None:
        return None
    rt.workspace_ids[team_id] = workspace.id
    return workspace.id


def register(app: App) -> None:
    app.event("message")(message_event)
    app.action(channel_blocks.LINK_OPEN)(link_clicked)
    app.action(channel_blocks.UNLINK)(unlink_clicked)
    app.action(channel_blocks.LINK_AGAIN)(link_again_clicked)
    app.view(channel_blocks.LINK_MODAL)(link_submitted)
