"""Typeahead for the customer field of the log form."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext

from bot import blocks
from bot.customers.lookup import customer_choices
from handlers.common import request_tenant, runtime
from storage.workspaces import find_workspace


def customer_options(ack: Ack, payload: dict, context: BoltContext) -> None:
    rt = runtime(context)
    typed = payload.get("value", "")
    with rt.readers.begin() as session:
        workspace = find_workspace(session, request_tenant(context).key)
        choices = customer_choices(session, rt.indexes, workspace.id, typed) if workspace else []
    ack(options=blocks.customer_options(choices, typed))


def register(app: App) -> None:
    app.options(blocks.CUSTOMER_SELECT)(customer_options)
