"""What every listener does first: find the runtime, the workspace and the acting member.

`acting_in` does it once for a listener that writes: it asks Slack for the person's profile (first contact,
or once a day) before the write transaction opens, so no network call ever holds the store's write lock.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import BoltContext, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot import blocks
from bot.capture.touchpoints import LogOutcome
from bot.installations.tenancy import Tenant, tenant_of
from bot.members import Author, Profile, ProfileFetcher, author_for, fresh_author, zone
from bot.runtime import Runtime
from storage.workspaces import find_workspace, tenant_row
from storage.workspaces import member as member_row

logger = logging.getLogger(__name__)
PROFILE_TIMEOUT_S = 2
# The context key of the (user id, Profile) that users.info gave for this request's person, when it was asked.
FETCHED_PROFILE = "touchpoint_profile"


def json_ack(payload: dict[str, Any]) -> BoltResponse:
    """An acknowledgement carrying `payload`: a slash command's reply, a form's errors or its next view."""
    return BoltResponse(
        status=200, body=json.dumps(payload), headers={"content-type": "application/json;charset=utf-8"}
    )


def runtime(context: BoltContext) -> Runtime:
    return context["runtime"]


def profile_fetcher(client: WebClient) -> ProfileFetcher:
    def fetch(user_id: str) -> Profile | None:
        user = slack_user(client, user_id)
        return None if user is None else profile_from(user)

    return fetch


def slack_user(client: WebClient, user_id: str) -> dict[str, Any] | None:
    """What `users.info` says of a person, or None when Slack could not say."""
    try:
        return client.users_info(user=user_id, timeout=PROFILE_TIMEOUT_S)["user"]
    except (SlackApiError, OSError) as error:
        logger.warning("users.info for %s failed: %s", user_id, error)
        return None


def profile_from(user: dict[str, Any]) -> Profile:
    """What Touchpoint keeps of a `users.info` user."""
    return Profile(
        name=user.get("name"),
        real_name=user.get("real_name") or user.get("profile", {}).get("real_name"),
        tz=user.get("tz"),
        is_admin=bool(user.get("is_admin") or user.get("is_owner")),
        deleted=bool(user.get("deleted")),
    )


def profile_for(context: BoltContext, client: WebClient, user_id: str) -> Profile | None:
    """The person's profile: the one asked for this request already (handlers.outsiders), else from Slack now."""
    fetched = context.get(FETCHED_PROFILE)
    if fetched is not None and fetched[0] == user_id:
        return fetched[1]
    return profile_fetcher(client)(user_id)


def request_tenant(context: BoltContext) -> Tenant:
    """The installation a request came through: Bolt fills the context from the body, or from authorize."""
    return tenant_of(context.team_id, context.enterprise_id, context.is_enterprise_install)


def acting(session: Session, context: BoltContext, user_id: str, profile: Profile | None) -> tuple[int, Author]:
    """The workspace row id and the acting member, both scoped to the request's tenant.

    `profile` is what Slack said, asked before the write transaction `session` is in: nothing here calls Slack.
    """
    rt = runtime(context)
    workspace = tenant_row(session, request_tenant(context))
    rt.workspace_ids[workspace.team_id] = workspace.id
    author = author_for(
        session,
        workspace.id,
        user_id,
        profile,
        default_tz=rt.settings.default_tz,
        now=rt.now(),
    )
    return workspace.id, author


def known_acting(session: Session, context: BoltContext, user_id: str) -> tuple[int, Author] | None:
    """acting() from reads alone; None on first contact or when the profile is due (then call acting())."""
    rt = runtime(context)
    key = request_tenant(context).key
    workspace_id = rt.workspace_ids.get(key) if key else None
    if workspace_id is None:
        workspace = find_workspace(session, key) if key else None
        if workspace is None:
            return None
        workspace_id = rt.workspace_ids[workspace.team_id] = workspace.id
    author = fresh_author(session, workspace_id, user_id, default_tz=rt.settings.default_tz, now=rt.now())
    return None if author is None else (workspace_id, author)


def member(context: BoltContext, client: WebClient, user_id: str) -> tuple[int, Author]:
    """The workspace row id and the acting member; Slack is asked, when it must be, outside any write."""
    rt = runtime(context)
    with rt.readers.begin() as session:
        found = known_acting(session, context, user_id)
    if found is not None:
        return found
    profile = profile_for(context, client, user_id)
    with rt.sessions.begin() as session:
        return acting(session, context, user_id, profile)


@contextmanager
def acting_in(context: BoltContext, client: WebClient, user_id: str) -> Iterator[tuple[Session, int, Author]]:
    """One unit of work as the acting member: (session, workspace row id, author), committed on leaving."""
    workspace_id, author = member(context, client, user_id)
    with runtime(context).sessions.begin() as session:
        yield session, workspace_id, author


def logged_reply(
    outcome: LogOutcome, author: Author, note: str | None = None, *, assignee_tz: ZoneInfo | None = None
) -> dict[str, Any]:
    """The reply about a touchpoint, still asking the department while the author has none."""
    outcome = replace(outcome, ask_department=author.department is None)
    return blocks.logged_reply(outcome, author.tz, note=note, assignee_tz=assignee_tz)


def assignee_zone(
    context: BoltContext, client: WebClient, workspace_id: int, outcome: LogOutcome, author: Author
) -> ZoneInfo | None:
    """The time zone of the colleague a touchpoint's follow-up is for, None when it is the author's own.

    From the store when they have used the bot, else from their Slack profile; called after the write, so
    no network call holds the store's write lock. Nothing is stored: they become a member when they act.
    """
    assignee = outcome.touchpoint.follow_up_assignee
    if assignee is None or assignee == author.user_id:
        return None
    rt = runtime(context)
    with rt.readers.begin() as session:
        known = member_row(session, workspace_id, assignee)
        if known is not None and known.tz:
            return zone(known.tz, rt.settings.default_tz)
    profile = profile_fetcher(client)(assignee)
    return zone(profile.tz, rt.settings.default_tz) if profile and profile.tz else None
