"""Buttons and selects on Touchpoint's own messages."""

from __future__ import annotations

from dataclasses import replace

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import blocks
from bot.blocks import home as home_blocks
from bot.capture import touchpoints
from bot.capture.forms import NEW_CUSTOMER_PREFIX
from bot.followups import operations as followups
from handlers.commands import log_text
from handlers.common import acting_in, logged_reply, member, runtime
from handlers.views import open_log_modal
from storage.workspaces import set_department


def undo_clicked(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond) -> None:
    ack()
    rt = runtime(context)
    with acting_in(context, client, body["user"]["id"]) as (session, workspace_id, _):
        outcome = touchpoints.undo_touchpoint(
            session, workspace_id, body["user"]["id"], int(action["value"]), now=rt.now()
        )
    respond(replace_original=True, **blocks.undone_reply(outcome.touchpoint))


def restore_clicked(
    ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    rt = runtime(context)
    user_id = body["user"]["id"]
    touchpoint_id = int(action["value"])
    with acting_in(context, client, user_id) as (session, workspace_id, author):
        touchpoints.restore_touchpoint(session, workspace_id, user_id, touchpoint_id, now=rt.now())
        outcome = touchpoints.replayed_outcome(session, rt.indexes, workspace_id, author, touchpoint_id)
        outcome = followups.with_loop_offer(session, workspace_id, user_id, outcome)
    respond(replace_original=True, **logged_reply(outcome, author))


def edit_clicked(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    metadata = {"response_url": body.get("response_url")} if body.get("response_url") else {}
    open_log_modal(
        client, context, body["trigger_id"], body["user"]["id"], metadata, touchpoint_id=int(action["value"])
    )


def customer_picked(
    ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    touchpoint_id, customer_id = (int(part) for part in action["value"].split(":"))
    rt = runtime(context)
    user_id = body["user"]["id"]
    with acting_in(context, client, user_id) as (session, workspace_id, author):
        outcome = touchpoints.attach_customer(session, workspace_id, user_id, touchpoint_id, customer_id, now=rt.now())
        outcome = followups.with_loop_offer(session, workspace_id, user_id, outcome)
    respond(replace_original=True, **logged_reply(outcome, author))


def set_follow_up_clicked(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    workspace_id, _ = member(context, client, body["user"]["id"])
    with runtime(context).readers.begin() as session:  # a touchpoint of another workspace (or none) is "gone"
        touchpoint = touchpoints.touchpoint_view(session, workspace_id, int(action["value"]))
    metadata = {"response_url": body.get("response_url")} if body.get("response_url") else {}
    client.views_open(trigger_id=body["trigger_id"], view=blocks.follow_up_modal(touchpoint.id, metadata))


def department_chosen(
    ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    user_id = body["user"]["id"]
    department = action["selected_option"]["value"]
    touchpoint_id = int(action["block_id"].split(":")[1])
    rt = runtime(context)
    with acting_in(context, client, user_id) as (session, workspace_id, author):
        set_department(session, workspace_id, user_id, department)
        author = replace(author, department=department)
        outcome = touchpoints.replayed_outcome(session, rt.indexes, workspace_id, author, touchpoint_id)
        outcome = followups.with_loop_offer(session, workspace_id, user_id, outcome)
    note = blocks.department_saved_note(department)
    respond(replace_original=True, **logged_reply(outcome, author, note=note))


def retry_clicked(
    ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    channel_id = (body.get("channel") or {}).get("id")
    respond(replace_original=True, **log_text(context, client, body["user"]["id"], action["value"], channel_id))


def open_log_modal_clicked(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    # From the Home tab, saving the form refreshes the Home.
    metadata = {"home": True} if action.get("value") == home_blocks.LOG_FROM_HOME else {}
    open_log_modal(client, context, body["trigger_id"], body["user"]["id"], metadata)


def log_what_happened_clicked(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
    """The form for `/log Acme:` with nothing said: the customer filled in; saving it replaces the question."""
    ack()
    value = action.get("value") or ""
    metadata = {"response_url": body["response_url"]} if body.get("response_url") else {}
    customer_id = int(value) if value.isdigit() else None
    new_customer = value.removeprefix(NEW_CUSTOMER_PREFIX) if value.startswith(NEW_CUSTOMER_PREFIX) else None
    open_log_modal(
        client,
        context,
        body["trigger_id"],
        body["user"]["id"],
        metadata,
        customer_id=customer_id,
        new_customer=new_customer,
    )


def register(app: App) -> None:
    app.action(blocks.UNDO)(undo_clicked)
    app.action(blocks.RESTORE)(restore_clicked)
    app.action(blocks.EDIT)(edit_clicked)
    app.action(blocks.PICK_CUSTOMER)(customer_picked)
    app.action(blocks.SET_FOLLOW_UP)(set_follow_up_clicked)
    app.action(blocks.DEPARTMENT)(department_chosen)
    app.action(blocks.RETRY_LOG)(retry_clicked)
    app.action(blocks.OPEN_LOG_MODAL)(open_log_modal_clicked)
    app.action(blocks.LOG_WHAT_HAPPENED)(log_what_happened_clicked)
