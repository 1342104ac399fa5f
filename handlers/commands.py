"""Slash commands."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot import blocks
from bot.capture import touchpoints
from bot.capture.forms import NEW_CUSTOMER_PREFIX
from bot.followups import operations as followups
from bot.members import Author
from bot.runtime import Runtime
from handlers.common import acting, assignee_zone, known_acting, logged_reply, profile_for, runtime
from handlers.views import open_log_modal

HELP_WORDS = frozenset({"help", "?", "-h", "--help"})


def log_command(ack: Ack, command: dict, context: BoltContext, client: WebClient) -> None:
    text = (command.get("text") or "").strip()
    if not text:
        ack()
        open_log_modal(client, context, command["trigger_id"], command["user_id"], {"channel": command["channel_id"]})
        return
    if text.lower() in HELP_WORDS:
        ack(**blocks.help_reply())
        return
    ack(**log_text(context, client, command["user_id"], text, command.get("channel_id")))


def log_text(context: BoltContext, client: WebClient, user_id: str, text: str, channel_id: str | None) -> dict:
    """Save one line and render the reply; shared by `/log` and its *Try again* button."""
    rt = runtime(context)
    now = rt.now()
    # SQLite has one write lock for all processes: hold it for the inserts only, never while matching names
    # or waiting for Slack. Reads run in deferred transactions, which no writer blocks (WAL).
    with rt.readers.begin() as session:
        found = known_acting(session, context, user_id)
        if found is not None:
            plan, offer = _understand(session, rt, *found, text, now)
    if found is None:  # first contact, or the profile's daily refresh: ask Slack before taking the write lock
        profile = profile_for(context, client, user_id)
        with rt.sessions.begin() as session:
            found = acting(session, context, user_id, profile)
        with rt.readers.begin() as session:
            plan, offer = _understand(session, rt, *found, text, now)
    if plan.says_nothing:  # nothing to keep yet: ask, and let the form carry the customer
        return _what_happened(plan)
    workspace_id, author = found
    with rt.sessions.begin() as session:
        outcome = touchpoints.save_line(session, workspace_id, author, text, plan, now=now, channel_id=channel_id)
    assignee_tz = assignee_zone(context, client, workspace_id, outcome, author)
    # A line logged already has its own follow-up among the open ones: offering to close that would be wrong.
    return logged_reply(
        replace(outcome, loop=None if outcome.already_logged else offer), author, assignee_tz=assignee_tz
    )


def _what_happened(plan: touchpoints.LinePlan) -> dict:
    typed = plan.parsed.customer_text.strip()
    if plan.customer is not None:
        return blocks.what_happened_prompt(plan.customer.name, str(plan.customer.id))
    if typed and plan.parsed.matched_by == "unknown":
        return blocks.what_happened_prompt(typed, NEW_CUSTOMER_PREFIX + typed)
    return blocks.what_happened_prompt(typed or None, "")


def _understand(
    session: Session, rt: Runtime, workspace_id: int, author: Author, text: str, now: datetime
) -> tuple[touchpoints.LinePlan, followups.LoopOffer | None]:
    """What the line means, and which open follow-up it may close, from reads alone."""
    plan = touchpoints.plan_line(session, rt.indexes, workspace_id, author, text, now=now)
    customer = plan.customer
    offer = followups.loop_offer_before_logging(
        session, workspace_id, author.user_id, customer.id if customer else None, customer.name if customer else None
    )
    return plan, offer


def register(app: App) -> None:
    app.command("/log")(log_command)
