"""People from outside the company: refused before any listener runs, and warned about before a share.

`refuse_outsiders` is the app's first middleware after verification. A request whose payload shows another
organisation (`bot.outsiders.is_outsider`), or from someone the store does not know whose Slack profile says they
are not a member (`profile_is_member`), is acknowledged with a short private note and goes no further: nothing is
written. The profile asked for a newcomer is handed on in the context, so the listener does not ask again.

`reaches_outside` asks `conversations.info` whether a channel a card or report is about to be shared into can be
read by another organisation; `installation_for` says whose Touchpoint a request is for, in one place, so that
it can follow the installation once there are several.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import outsiders
from bot.blocks import outsiders as outsider_blocks
from bot.edge import VERIFIED
from bot.members import Profile
from bot.outsiders import Actor, Installation
from handlers.common import FETCHED_PROFILE, PROFILE_TIMEOUT_S, json_ack, profile_from, runtime, slack_user
from storage.workspaces import acting_member, find_workspace

logger = logging.getLogger(__name__)

_company_names: dict[str, str] = {}
_company_names_lock = threading.Lock()


def installation_for(context: BoltContext) -> Installation:
    """The team and enterprise this request's Touchpoint was installed for.

    The workspace Slack delivered the request for (Bolt reads it from `team`, `team_id`, a view's
    `app_installed_team_id` or the event's authorizations), which is also whose token answers it.
    """
    return Installation(
        team_id=context.team_id,
        enterprise_id=context.enterprise_id,
        is_enterprise_install=bool(context.is_enterprise_install),
    )


def refuse_outsiders(body: dict[str, Any], context: BoltContext, client: WebClient, next: Callable[[], None]) -> Any:
    """Let a member's request through; answer anyone else's with the note and nothing more."""
    if (body.get("event") or {}).get("type") == "message":
        # A message in a channel asks nothing of the bot: the customer's own words in a linked channel are what
        # the link records (bot.conversations), and a message is never answered, so there is nothing to refuse.
        return next()
    actor = outsiders.actor_of(body)
    if actor.user_id is None:  # a request of no one's (a step run, most events): nobody to refuse
        return next()
    installation = installation_for(context)
    if outsiders.is_outsider(actor, installation) or not _member_by_profile(context, client, actor, installation):
        logger.info("refused a request of %s from outside %s", actor.user_id, installation.team_id)
        return _refusal(body, context, client, installation)
    return next()


def _member_by_profile(context: BoltContext, client: WebClient, actor: Actor, installation: Installation) -> bool:
    """Known to the store, or shown a member by their Slack profile; a profile Slack cannot give refuses nobody."""
    assert actor.user_id is not None
    admitted = runtime(context).members_admitted
    seen = (context.team_id or "", actor.user_id)
    if seen in admitted:
        return True
    if _known(context, actor.user_id):
        admitted.add(seen)
        return True
    user = slack_user(client, actor.user_id)
    if user is not None and not outsiders.profile_is_member(user, installation):
        return False
    # What Slack said (or that it could not say), so the listener does not ask again.
    profile: tuple[str, Profile | None] = (actor.user_id, None if user is None else profile_from(user))
    context[FETCHED_PROFILE] = profile
    if user is not None:
        admitted.add(seen)
    return True


def _known(context: BoltContext, user_id: str) -> bool:
    """Whether the person has a member row in the request's workspace: they were let in before."""
    rt = runtime(context)
    team_id = context.team_id
    with rt.readers.begin() as session:
        workspace_id = rt.workspace_ids.get(team_id) if team_id else None
        if workspace_id is None:
            workspace = find_workspace(session, team_id)
            if workspace is None:
                return False
            workspace_id = workspace.id
        return acting_member(session, workspace_id, user_id) is not None


def _refusal(body: dict[str, Any], context: BoltContext, client: WebClient, installation: Installation) -> BoltResponse:
    """The acknowledgement refusing the request, with the note where the person will see it.

    A command's note is its acknowledgement, a form gives way to it; anything else is acknowledged at once and
    the note follows (a thread of its own: no listener runs for this request).
    """
    kind = body.get("type")
    if kind == "block_suggestion":
        return json_ack({"options": []})
    if not context.get(VERIFIED):
        return BoltResponse(status=200, body="")
    if "command" in body:
        return json_ack({"response_type": "ephemeral", **outsider_blocks.refusal(company_name(client, installation))})
    if kind == "view_submission":
        return json_ack(
            {"response_action": "update", "view": outsider_blocks.refusal_view(company_name(client, installation))}
        )
    threading.Thread(target=_tell, args=(body, context, client, installation), daemon=True).start()
    return BoltResponse(status=200, body="")


def _tell(body: dict[str, Any], context: BoltContext, client: WebClient, installation: Installation) -> None:
    """The note as an ephemeral reply where the click was; where there is no reply URL, in the channel, if any."""
    note = outsider_blocks.refusal(company_name(client, installation))
    try:
        if context.response_url:
            context.respond(response_type="ephemeral", replace_original=False, **note)
            return
        channel, user_id = context.channel_id, outsiders.actor_of(body).user_id
        if channel and user_id:
            client.chat_postEphemeral(channel=channel, user=user_id, **note)
    except (SlackApiError, OSError, ValueError) as error:
        logger.info("could not tell an outsider they were refused: %s", error)


def company_name(client: WebClient, installation: Installation) -> str | None:
    """The installation's workspace name as Slack shows it (asked once per process), or None when Slack cannot say."""
    team_id = installation.team_id
    if not team_id:
        return None
    with _company_names_lock:
        known = _company_names.get(team_id)
    if known is not None:
        return known
    try:
        name = (client.team_info(team=team_id, timeout=PROFILE_TIMEOUT_S)["team"] or {}).get("name")
    except (SlackApiError, OSError) as error:
        logger.info("team.info for %s failed: %s", team_id, error)
        return None
    if name:
        with _company_names_lock:
            _company_names[team_id] = name
    return name


# --- sharing -----------------------------------------------------------------------------------------------------


def reaches_outside(client: WebClient, channel_id: str) -> bool | None:
    """Whether people of another organisation can read `channel_id`; None when Slack could not say.

    A channel Slack does not show the bot (`channel_not_found`) is answered False: the bot cannot post there
    either, and the post's own failure says how to invite it.
    """
    if channel_id[:1] in ("D", "U", "W"):  # a DM (or a person's id, which posts to the DM): nobody else reads it
        return False
    try:
        channel = client.conversations_info(channel=channel_id)["channel"] or {}
    except SlackApiError as error:
        if error.response.get("error") == "channel_not_found":
            return False
        logger.info("conversations.info for %s failed: %s", channel_id, error.response.get("error"))
        return None
    except OSError as error:
        logger.info("conversations.info for %s failed: %s", channel_id, error)
        return None
    return outsiders.reaches_outside(channel)


def share_warning(
    context: BoltContext, client: WebClient, channel_id: str, confirm_action_id: str, value: str
) -> dict[str, Any] | None:
    """The warning to show instead of sharing into `channel_id`, or None when only the company reads it."""
    outside = reaches_outside(client, channel_id)
    if outside is False:
        return None
    company = company_name(client, installation_for(context))
    return outsider_blocks.share_warning(channel_id, company, confirm_action_id, value, known=outside is True)


def share_cancelled(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
    """*Cancel* under a share warning: nothing is posted; the warning gives way to a note saying so."""
    ack()
    if body.get("response_url"):  # always, for the warnings this app posts: they are ephemeral replies
        respond(replace_original=True, **outsider_blocks.share_cancelled())


def register(app: App) -> None:
    app.action(outsider_blocks.SHARE_CANCEL)(share_cancelled)
