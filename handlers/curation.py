"""Keeping the store clean from the card and the create paths: look-alikes, names, contacts, stage, owner, merge."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot import blocks
from bot.blocks import card as card_ui
from bot.blocks import curation as ui
from bot.capture import touchpoints
from bot.capture.forms import FormErrors
from bot.customers import curation
from bot.customers.card import customer_card
from bot.customers.lookup import customer_choices
from bot.followups import operations as followups
from handlers.common import acting_in, logged_reply, request_tenant, runtime
from storage.models import Customer
from storage.workspaces import find_workspace

logger = logging.getLogger(__name__)

ViewBuilder = Callable[[Session, int, str, Customer, dict[str, Any]], dict[str, Any]]


# --- creating a customer: look-alikes first ------------------------------------------------------------------------


def create_for_log_clicked(
    ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond
) -> None:
    """*Create* on a /log reply: asks first when the name looks like an existing customer."""
    ack()
    _create_for_log(body, action, context, client, respond, ask_first=True)


def create_for_log_anyway_clicked(
    ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    _create_for_log(body, action, context, client, respond, ask_first=False)


def _create_for_log(
    body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond, *, ask_first: bool
) -> None:
    rt = runtime(context)
    user_id = body["user"]["id"]
    now = rt.now()
    replace_original = True
    with acting_in(context, client, user_id) as (session, workspace_id, author):
        view = touchpoints.touchpoint_view(session, workspace_id, int(action["value"]))
        typed = (view.customer_text or "").strip()
        if problem := touchpoints.customer_name_problem(typed):  # said beside the reply, which keeps Undo and Edit
            reply, replace_original = ui.refused_reply(f"{problem} Your touchpoint is saved: use Edit on it."), False
        elif alikes := (curation.look_alikes(session, rt.indexes, workspace_id, typed) if ask_first else []):
            reply = ui.look_alike_for_log(view, typed, alikes)
        else:
            customer_id = touchpoints.create_customer(session, workspace_id, user_id, typed, now=now)
            outcome = touchpoints.attach_customer(session, workspace_id, user_id, view.id, customer_id, now=now)
            reply = logged_reply(followups.with_loop_offer(session, workspace_id, user_id, outcome), author)
    respond(replace_original=replace_original, **reply)


def card_create_clicked(
    ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond
) -> None:
    """*Create* under a /customer search that found nothing: asks first when the name looks like a customer."""
    ack()
    _create_from_card(body, action, context, client, respond, ask_first=True)


def card_create_anyway_clicked(
    ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    _create_from_card(body, action, context, client, respond, ask_first=False)


def _create_from_card(
    body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond, *, ask_first: bool
) -> None:
    rt = runtime(context)
    user_id = body["user"]["id"]
    typed = " ".join((action.get("value") or "").split())
    with acting_in(context, client, user_id) as (session, workspace_id, _):
        if problem := touchpoints.customer_name_problem(typed):
            reply = ui.refused_reply(problem)
        elif alikes := (curation.look_alikes(session, rt.indexes, workspace_id, typed) if ask_first else []):
            reply = ui.look_alike_for_card(typed, alikes)
        else:
            customer_id = touchpoints.create_customer(session, workspace_id, user_id, typed, now=rt.now())
            reply = ui.created_reply(customer_id, typed)
    respond(replace_original=True, **reply)


# --- the card's buttons: each opens a modal on the customer, or says what became of it -----------------------------


def _open_modal(body: dict, action: dict, context: BoltContext, client: WebClient, build: ViewBuilder) -> None:
    user_id = body["user"]["id"]
    metadata = _metadata(body, int(action["value"]))
    view, reply = None, None
    with acting_in(context, client, user_id) as (session, workspace_id, _):
        try:
            customer = curation.live_customer(session, workspace_id, metadata["customer"])
        except curation.Gone as gone:
            reply = ui.gone_reply(gone.fate)
        else:
            view = build(session, workspace_id, user_id, customer, metadata)
    if view is not None:
        client.views_open(trigger_id=body["trigger_id"], view=view)
    elif reply is not None:
        _tell(context, client, metadata, user_id, reply)


def set_stage_clicked(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
    ack()

    def build(session: Session, workspace_id: int, user_id: str, customer: Customer, metadata: dict) -> dict:
        stages = curation.stages_for(session, workspace_id)
        admin = curation.may_edit_stages(session, workspace_id, user_id)
        return ui.stage_modal(customer.name, stages, customer.stage, metadata, can_edit_stages=admin)

    _open_modal(body, action, context, client, build)


def set_owner_clicked(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    _open_modal(body, action, context, client, lambda s, w, u, c, m: ui.owner_modal(c.name, c.owner_user_id, m))


def edit_clicked(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    _open_modal(body, action, context, client, lambda s, w, u, c, m: ui.names_modal(curation.names_of(s, c), m))


def contacts_clicked(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    _open_modal(
        body,
        action,
        context,
        client,
        lambda s, w, u, c, m: ui.contacts_modal(c.name, curation.contacts_of(s, w, c), m),
    )


def merge_clicked(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    _open_modal(body, action, context, client, lambda s, w, u, c, m: ui.merge_modal(c.name, m))


# --- the modals' submissions ---------------------------------------------------------------------------------------

Apply = Callable[[Session, int, str, int, dict[str, Any]], curation.Change]


def _submitted(ack: Ack, body: dict, view: dict, context: BoltContext, client: WebClient, apply: Apply) -> None:
    """Apply a card modal's change; field errors keep the modal open with everything typed, else confirm."""
    rt = runtime(context)
    user_id = body["user"]["id"]
    metadata = json.loads(view.get("private_metadata") or "{}")
    now = rt.now()
    refreshed = None
    with acting_in(context, client, user_id) as (session, workspace_id, viewer):
        try:
            change = apply(session, workspace_id, user_id, int(metadata["customer"]), view["state"]["values"])
        except FormErrors as problem:
            ack(response_action="errors", errors=problem.errors)
            return
        except curation.Gone as gone:
            reply = ui.gone_reply(gone.fate)
        else:
            reply = ui.change_reply(change)
            if metadata.get("card_is_yours"):
                refreshed = customer_card(session, workspace_id, change.customer_id, now=now, tz=viewer.tz)
    ack()
    if refreshed is not None:
        # The card the change was made from is redrawn as it is now, with what changed on top.
        card_reply = card_ui.card_message(refreshed, viewer.tz, now, note=ui.change_note(change))
        rt.response_urls.send(metadata["response_url"], replace_original=True, **card_reply)
        return
    _tell(context, client, metadata, user_id, reply)


def stage_submitted(ack: Ack, body: dict, view: dict, context: BoltContext, client: WebClient) -> None:
    now = runtime(context).now()
    _submitted(
        ack, body, view, context, client, lambda s, w, u, c, v: curation.apply_stage_form(s, w, u, c, v, now=now)
    )


def owner_submitted(ack: Ack, body: dict, view: dict, context: BoltContext, client: WebClient) -> None:
    now = runtime(context).now()

    def apply(session: Session, workspace_id: int, user_id: str, customer_id: int, values: dict) -> curation.Change:
        owner = curation.state_value(values, "owner", "selected_user")
        return curation.set_owner(session, workspace_id, user_id, customer_id, owner, now=now)

    _submitted(ack, body, view, context, client, apply)


def names_submitted(ack: Ack, body: dict, view: dict, context: BoltContext, client: WebClient) -> None:
    now = runtime(context).now()
    metadata = json.loads(view.get("private_metadata") or "{}")

    def apply(session: Session, workspace_id: int, user_id: str, customer_id: int, values: dict) -> curation.Change:
        form = curation.read_names_form(values, metadata.get("aliases_shown"), metadata.get("domains_shown"))
        return curation.edit_names(session, workspace_id, user_id, customer_id, form, now=now)

    _submitted(ack, body, view, context, client, apply)


def contacts_submitted(ack: Ack, body: dict, view: dict, context: BoltContext, client: WebClient) -> None:
    now = runtime(context).now()
    shown = [int(i) for i in json.loads(view.get("private_metadata") or "{}").get("shown", [])]

    def apply(session: Session, workspace_id: int, user_id: str, customer_id: int, values: dict) -> curation.Change:
        edits = curation.read_contacts_form(values, shown)
        return curation.save_contacts(session, workspace_id, user_id, customer_id, edits, now=now)

    _submitted(ack, body, view, context, client, apply)


def merge_submitted(ack: Ack, body: dict, view: dict, context: BoltContext, client: WebClient) -> None:
    rt = runtime(context)
    user_id = body["user"]["id"]
    metadata = json.loads(view.get("private_metadata") or "{}")
    with acting_in(context, client, user_id) as (session, workspace_id, _):
        try:
            survivor_id, absorbed_id = curation.read_merge_form(view["state"]["values"], int(metadata["customer"]))
            outcome = curation.merge_customers(session, workspace_id, user_id, survivor_id, absorbed_id, now=rt.now())
        except FormErrors as problem:
            ack(response_action="errors", errors=problem.errors)
            return
        except curation.Refused as refusal:
            ack(response_action="errors", errors={"survivor": refusal.reason})
            return
        except curation.Gone as gone:
            reply = ui.gone_reply(gone.fate)
        else:
            reply = ui.merged_reply(outcome)
    ack()
    _tell(context, client, metadata, user_id, reply)


def merge_undo_clicked(
    ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    rt = runtime(context)
    user_id = body["user"]["id"]
    with acting_in(context, client, user_id) as (session, workspace_id, _):
        try:
            outcome = curation.undo_merge(session, workspace_id, user_id, int(action["value"]), now=rt.now())
        except curation.Refused as refusal:
            reply = ui.refused_reply(refusal.reason)
            replace = False
        else:
            reply = ui.unmerged_reply(outcome)
            replace = True
    respond(response_type="ephemeral", replace_original=replace, **reply)


def merge_options(ack: Ack, payload: dict, context: BoltContext) -> None:
    rt = runtime(context)
    metadata = json.loads((payload.get("view") or {}).get("private_metadata") or "{}")
    with rt.readers.begin() as session:
        workspace = find_workspace(session, request_tenant(context).key)
        choices = customer_choices(session, rt.indexes, workspace.id, payload.get("value", "")) if workspace else []
    ack(options=ui.merge_options(choices, exclude=metadata.get("customer")))


# --- telling the person what changed -------------------------------------------------------------------------------


def _metadata(body: dict, customer_id: int) -> dict[str, Any]:
    metadata: dict[str, Any] = {"customer": customer_id}
    if body.get("response_url"):
        metadata["response_url"] = body["response_url"]
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    if channel:
        metadata["channel"] = channel
    # Only a card shown to this person alone is redrawn after a change; a card shared in a channel stays as shared.
    if body.get("response_url") and (body.get("container") or {}).get("is_ephemeral"):
        metadata["card_is_yours"] = True
    return metadata


def _tell(
    context: BoltContext, client: WebClient, metadata: dict[str, Any], user_id: str, reply: dict[str, Any]
) -> None:
    """A short ephemeral note where the card was: under it through its response_url, else in its channel or a DM."""
    if metadata.get("response_url"):
        url = metadata["response_url"]
        runtime(context).response_urls.send(url, response_type="ephemeral", replace_original=False, **reply)
        return
    if metadata.get("channel"):
        try:
            client.chat_postEphemeral(channel=metadata["channel"], user=user_id, **reply)
            return
        except SlackApiError as error:
            logger.info("ephemeral confirmation failed, sending a DM: %s", error)
    client.chat_postMessage(channel=user_id, **reply)


def register(app: App) -> None:
    app.action(blocks.CREATE_CUSTOMER)(create_for_log_clicked)
    app.action(ui.CREATE_FOR_LOG_ANYWAY)(create_for_log_anyway_clicked)
    app.action(card_ui.CARD_CREATE)(card_create_clicked)
    app.action(ui.CARD_CREATE_ANYWAY)(card_create_anyway_clicked)
    app.action(card_ui.CARD_SET_STAGE)(set_stage_clicked)
    app.action(card_ui.CARD_SET_OWNER)(set_owner_clicked)
    app.action(card_ui.CARD_EDIT)(edit_clicked)
    app.action(card_ui.CARD_CONTACTS)(contacts_clicked)
    app.action(card_ui.CARD_MERGE)(merge_clicked)
    app.action(ui.MERGE_UNDO)(merge_undo_clicked)
    app.options(ui.MERGE_CUSTOMER_SELECT)(merge_options)
    app.view(ui.STAGE_MODAL)(stage_submitted)
    app.view(ui.OWNER_MODAL)(owner_submitted)
    app.view(ui.NAMES_MODAL)(names_submitted)
    app.view(ui.CONTACTS_MODAL)(contacts_submitted)
    app.view(ui.MERGE_MODAL)(merge_submitted)
