"""The App Home tab: published when opened, and again after every click on it."""

from __future__ import annotations

import json

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import home
from bot.blocks import home as home_blocks
from bot.capture.forms import FormContext, FormErrors, snoozed_until
from bot.followups import operations as followups
from bot.members import Author
from bot.runtime import Runtime
from handlers.common import acting_in, member, runtime


def publish(
    client: WebClient, rt: Runtime, workspace_id: int, viewer: Author, notice: home.Notice | None = None
) -> None:
    """Draw the viewer's Home as it is now, with what their last click did on top."""
    with rt.readers.begin() as session:
        current = home.home_for(
            session,
            workspace_id,
            viewer.user_id,
            now=rt.now(),
            quiet_after_days=rt.settings.quiet_after_days,
            notice=notice,
        )
    client.views_publish(user_id=viewer.user_id, view=home_blocks.home_view(current, viewer.tz))


def home_opened(event: dict, context: BoltContext, client: WebClient) -> None:
    if event.get("tab") != "home":
        return
    rt = runtime(context)
    user_id = event["user"]
    publish(client, rt, *member(context, client, user_id))


def done_clicked(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    rt = runtime(context)
    follow_up_id, _ = home_blocks.follow_up_clicked(action.get("block_id", ""), action.get("value") or "")
    with acting_in(context, client, body["user"]["id"]) as (session, workspace_id, viewer):
        notice = home.mark_done(session, workspace_id, viewer.user_id, follow_up_id, now=rt.now())
    publish(client, rt, workspace_id, viewer, notice)


def undo_done_clicked(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    rt = runtime(context)
    follow_up_id, _ = home_blocks.follow_up_clicked("", action.get("value") or "")
    with acting_in(context, client, body["user"]["id"]) as (session, workspace_id, viewer):
        notice = home.reopen(session, workspace_id, viewer.user_id, follow_up_id, now=rt.now())
    publish(client, rt, workspace_id, viewer, notice)


def snooze_chosen(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
    ack()
    rt = runtime(context)
    chosen = (action.get("selected_option") or {}).get("value") or ""
    follow_up_id, choice = home_blocks.follow_up_clicked(action.get("block_id", ""), chosen)
    now = rt.now()
    with acting_in(context, client, body["user"]["id"]) as (session, workspace_id, viewer):
        if choice == followups.PICK_DATE:
            found = home.open_follow_up(session, workspace_id, follow_up_id)
        elif choice in followups.SNOOZE_CHOICES:
            until = followups.snooze_until(choice, now, viewer.tz)
            found = home.snooze(session, workspace_id, viewer.user_id, follow_up_id, until, now=now)
        else:
            raise ValueError(f"not a snooze choice: {choice!r}")
    if isinstance(found, followups.FollowUpView):  # the date picker opens once the unit of work is over
        client.views_open(trigger_id=body["trigger_id"], view=home_blocks.snooze_modal(found, viewer.tz, now))
        return
    publish(client, rt, workspace_id, viewer, found)


def snooze_modal_submitted(ack: Ack, body: dict, view: dict, context: BoltContext, client: WebClient) -> None:
    rt = runtime(context)
    user_id = body["user"]["id"]
    follow_up_id = int(json.loads(view.get("private_metadata") or "{}")["fu"])
    with acting_in(context, client, user_id) as (session, workspace_id, viewer):
        form = FormContext(user_id=user_id, tz=viewer.tz, now=rt.now())
        try:
            until = snoozed_until(view["state"]["values"], form)
        except FormErrors as problem:
            ack(response_action="errors", errors=problem.errors)
            return
        notice = home.snooze(session, workspace_id, user_id, follow_up_id, until, now=form.now)
    ack()
    publish(client, rt, workspace_id, viewer, notice)


def register(app: App) -> None:
    app.event("app_home_opened")(home_opened)
    app.action(home_blocks.DONE_CLICKED)(done_clicked)
    app.action(home_blocks.UNDO_DONE)(undo_done_clicked)
    app.action(home_blocks.SNOOZE_CHOSEN)(snooze_chosen)
    app.view(home_blocks.SNOOZE_MODAL)(snooze_modal_submitted)
