"""`/followups`, and the buttons and menus on nudges, digests, lists and log replies that act on follow-ups."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot import blocks
from bot.blocks import followups as fu_blocks
from bot.capture import touchpoints
from bot.capture.forms import FormContext, FormErrors, snoozed_until
from bot.followups import operations as followups
from bot.followups.operations import Outcome, Scope
from bot.members import Author
from bot.runtime import Runtime
from handlers.common import acting_in, logged_reply, member, runtime
from handlers.views import open_log_modal

logger = logging.getLogger(__name__)

# An action on one follow-up: (session, workspace id, the person clicking, follow-up id) -> what it did.
Operation = Callable[[Session, int, Author, int], Outcome]
Send = Callable[..., Any]


# ---------------------------------------------------------------------------------------------------------
# /followups
# ---------------------------------------------------------------------------------------------------------


def followups_command(ack: Ack, command: dict, context: BoltContext, client: WebClient) -> None:
    request = followups.read_command(command.get("text") or "")
    if request.kind == "help":
        ack(**fu_blocks.followups_help())
        return
    if request.kind == "unknown_user":
        ack(**fu_blocks.unknown_user_reply(request.text))
        return
    rt = runtime(context)
    user_id = command["user_id"]
    if request.kind == "digest":
        ack(**digest_setting(context, client, user_id, request.text))
        return
    with acting_in(context, client, user_id) as (session, workspace_id, viewer):
        if request.kind == "customer":
            found = followups.customer_listing(session, rt.indexes, workspace_id, user_id, request.text)
        else:
            found = followups.listing(session, workspace_id, user_id, request.scope or Scope("mine"))
    if isinstance(found, followups.CustomerProblem):
        ack(**fu_blocks.customer_problem_reply(found))
        return
    ack(**fu_blocks.list_message(found, viewer.tz, rt.now()))


def digest_setting(context: BoltContext, client: WebClient, user_id: str, text: str) -> dict:
    """`/followups digest …`: the reply is built once the change is committed, so it never claims one that was
    not made (acknowledged inside the unit of work, Slack had the answer before the store had the change)."""
    with acting_in(context, client, user_id) as (session, workspace_id, viewer):
        try:
            settings = followups.change_digest(session, workspace_id, user_id, text)
        except followups.DigestSettingError as problem:
            return fu_blocks.problem_reply(str(problem))
    return fu_blocks.digest_reply(settings, viewer.tz)


# ---------------------------------------------------------------------------------------------------------
# Buttons and menus on one follow-up
# ---------------------------------------------------------------------------------------------------------


def done_clicked(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond) -> None:
    ack()
    now = runtime(context).now()
    _act(body, action, context, client, respond, lambda s, w, who, f: followups.complete(s, w, who.user_id, f, now=now))


def reopen_clicked(
    ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    now = runtime(context).now()
    _act(body, action, context, client, respond, lambda s, w, who, f: followups.reopen(s, w, who.user_id, f, now=now))


def snooze_chosen(
    ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    choice = _value(action).partition(":")[2]
    if choice == followups.PICK_DATE:
        _open_snooze_modal(body, action, context, client, respond)
        return
    now = runtime(context).now()

    def snooze(session: Session, workspace_id: int, who: Author, follow_up_id: int) -> Outcome:
        until = followups.snooze_until(choice, now, who.tz)
        return followups.snooze(session, workspace_id, who.user_id, follow_up_id, until, now=now)

    _act(body, action, context, client, respond, snooze)


def reassign_chosen(
    ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    rt = runtime(context)
    user_id, new_assignee = body["user"]["id"], action["selected_user"]
    follow_up_id, scope = _clicked(action)
    # The new assignee's time zone, for telling them: asked of Slack before the write, like the clicker's own.
    assignee = member(context, client, new_assignee)[1]
    with acting_in(context, client, user_id) as (session, workspace_id, viewer):
        outcome = followups.reassign(session, workspace_id, user_id, follow_up_id, new_assignee, now=rt.now())
    told = True
    if outcome.changed and new_assignee != user_id:
        told = _tell_new_assignee(client, outcome, assignee)
    _show(respond, body, rt, workspace_id, viewer, outcome, scope, told=told)


def log_for_customer_clicked(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    user_id = body["user"]["id"]
    follow_up_id, _ = _clicked(action)
    with acting_in(context, client, user_id) as (session, workspace_id, _):
        customer_id = followups.follow_up(session, workspace_id, follow_up_id).customer_id
    container = body.get("container") or {}
    # From an ephemeral list, confirm where it was; from a DM nudge, the confirmation lands in the DM.
    metadata = {"channel": container["channel_id"]} if container.get("is_ephemeral") else {}
    open_log_modal(client, context, body["trigger_id"], user_id, metadata, customer_id=customer_id)


def snooze_modal_submitted(ack: Ack, body: dict, view: dict, context: BoltContext, client: WebClient) -> None:
    rt = runtime(context)
    user_id = body["user"]["id"]
    metadata = json.loads(view.get("private_metadata") or "{}")
    with acting_in(context, client, user_id) as (session, workspace_id, viewer):
        form = FormContext(user_id=user_id, tz=viewer.tz, now=rt.now())
        try:
            until = snoozed_until(view["state"]["values"], form)
        except FormErrors as problem:
            ack(response_action="errors", errors=problem.errors)
            return
        outcome = followups.snooze(session, workspace_id, user_id, int(metadata["fu"]), until, now=form.now)
    ack()
    if metadata.get("url"):
        send = partial(rt.response_urls.send, metadata["url"])
        _show(send, metadata, rt, workspace_id, viewer, outcome, metadata.get("scope"))


# ---------------------------------------------------------------------------------------------------------
# Closing the loop from a log reply
# ---------------------------------------------------------------------------------------------------------


def close_loop_clicked(
    ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    rt = runtime(context)
    user_id = body["user"]["id"]
    touchpoint_id, follow_up_id = (int(part) for part in action["value"].split(":"))
    with acting_in(context, client, user_id) as (session, workspace_id, author):
        closed = followups.complete(
            session, workspace_id, user_id, follow_up_id, now=rt.now(), via="touchpoint", touchpoint_id=touchpoint_id
        )
        tp = touchpoints.touchpoint_view(session, workspace_id, touchpoint_id)
        loop = followups.loop_after(session, workspace_id, user_id, tp, closed)
    respond(replace_original=True, **logged_reply(touchpoints.LogOutcome(touchpoint=tp, loop=loop), author))


def reopen_loop_clicked(
    ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    rt = runtime(context)
    user_id = body["user"]["id"]
    touchpoint_id, follow_up_id = (int(part) for part in action["value"].split(":"))
    with acting_in(context, client, user_id) as (session, workspace_id, author):
        followups.reopen(session, workspace_id, user_id, follow_up_id, now=rt.now())
        tp = touchpoints.touchpoint_view(session, workspace_id, touchpoint_id)
        loop = followups.loop_offer(session, workspace_id, user_id, tp)
    respond(replace_original=True, **logged_reply(touchpoints.LogOutcome(touchpoint=tp, loop=loop), author))


# ---------------------------------------------------------------------------------------------------------
# Shared steps
# ---------------------------------------------------------------------------------------------------------


def _value(action: dict) -> str:
    return (action.get("selected_option") or {}).get("value") or action.get("value") or ""


def _clicked(action: dict) -> tuple[int, str | None]:
    return fu_blocks.clicked(action.get("block_id", ""), _value(action))


def _act(
    body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond, operation: Operation
) -> None:
    rt = runtime(context)
    follow_up_id, scope = _clicked(action)
    with acting_in(context, client, body["user"]["id"]) as (session, workspace_id, viewer):
        outcome = operation(session, workspace_id, viewer, follow_up_id)
    _show(respond, body, rt, workspace_id, viewer, outcome, scope)


def _show(
    send: Send,
    clicked_on: dict,
    rt: Runtime,
    workspace_id: int,
    viewer: Author,
    outcome: Outcome,
    scope_text: str | None,
    *,
    told: bool = True,
) -> None:
    """Redraw what was clicked: a `/followups` list from its scope, a DM from its blocks, else say it apart."""
    scope = Scope.decode(scope_text)
    if scope is not None:
        with rt.readers.begin() as session:
            listing = followups.listing(session, workspace_id, viewer.user_id, scope)
        send(replace_original=True, **fu_blocks.list_message(listing, viewer.tz, rt.now(), note=outcome))
    elif clicked_on.get("message"):
        send(replace_original=True, **fu_blocks.updated_message(clicked_on["message"], outcome, viewer.tz, told=told))
    else:
        send(replace_original=False, response_type="ephemeral", **fu_blocks.outcome_message(outcome, viewer.tz))


def _open_snooze_modal(body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond) -> None:
    rt = runtime(context)
    follow_up_id, scope = _clicked(action)
    with acting_in(context, client, body["user"]["id"]) as (session, workspace_id, viewer):
        view = followups.follow_up(session, workspace_id, follow_up_id)
    if view.status != "open":  # nothing to snooze: say what became of it instead of asking for a date
        outcome = Outcome(view, followups.SNOOZED, False, viewer.user_id)
        _show(respond, body, rt, workspace_id, viewer, outcome, scope)
        return
    metadata = {"fu": follow_up_id, "url": body.get("response_url"), "scope": scope}
    message = body.get("message")
    if scope is None and message:
        # The modal's answer redraws the DM from these blocks; a digest too long to carry gets a note instead.
        with_message = {**metadata, "message": {"text": message.get("text", ""), "blocks": message.get("blocks", [])}}
        if len(json.dumps(with_message)) <= fu_blocks.PRIVATE_METADATA_LIMIT:
            metadata = with_message
    view_json = fu_blocks.snooze_modal(view, viewer.tz, rt.now(), metadata)
    client.views_open(trigger_id=body["trigger_id"], view=view_json)


def _tell_new_assignee(client: WebClient, outcome: Outcome, assignee: Author) -> bool:
    """Send the new assignee the follow-up with who handed it over; False when Slack would not take it."""
    reply = fu_blocks.nudge_message(outcome.follow_up, assignee.tz, handed_by=outcome.actor)
    try:
        client.chat_postMessage(channel=assignee.user_id, **reply)
    except SlackApiError as error:
        logger.warning("could not tell %s about follow-up %s: %s", assignee.user_id, outcome.follow_up.id, error)
        return False
    return True


def register(app: App) -> None:
    app.command("/followups")(followups_command)
    app.action(fu_blocks.DONE)(done_clicked)
    app.action(fu_blocks.REOPEN)(reopen_clicked)
    app.action(fu_blocks.SNOOZE)(snooze_chosen)
    app.action(fu_blocks.REASSIGN)(reassign_chosen)
    app.action(fu_blocks.LOG_FOR_CUSTOMER)(log_for_customer_clicked)
    app.action(blocks.CLOSE_FOLLOW_UP)(close_loop_clicked)
    app.action(blocks.REOPEN_FOLLOW_UP)(reopen_loop_clicked)
    app.view(fu_blocks.SNOOZE_MODAL)(snooze_modal_submitted)
