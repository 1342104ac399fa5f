"""Who is outside the company: the decisions behind refusing people from other organisations and warning
before sharing where they can read.

In a Slack Connect channel the customer's own people see the bot's messages and can press their buttons. What
Touchpoint holds is the company's, so only members of the installation (its workspace, or for an org-wide install
any workspace of its enterprise) may act, be nudged or be sent a digest, and a card or report is shared into a
channel other organisations can read only after a warning.

Plain functions of the payloads and Web API answers Slack sends, so the handlers and the dispatcher share one rule;
nothing here calls Slack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Installation:
    """Whose Touchpoint this is: the team (and enterprise) it was installed for, and whether org-wide."""

    team_id: str | None
    enterprise_id: str | None = None
    is_enterprise_install: bool = False

    @property
    def org_wide(self) -> bool:
        return self.is_enterprise_install and bool(self.enterprise_id)


@dataclass(frozen=True)
class Actor:
    """The person a request comes from and the team (and enterprise) they belong to, as far as it says."""

    user_id: str | None
    team_id: str | None = None
    enterprise_id: str | None = None


def actor_of(body: dict[str, Any]) -> Actor:
    """The acting person of any request: a slash command, an interaction (a button, a form, a shortcut, a menu's
    options) or an event. Fields a payload does not carry are None: unknown, never a guess."""
    user = body.get("user")
    if isinstance(user, dict):  # interactions: the person's own home team is user.team_id
        return _actor(user.get("id"), user.get("team_id"), user.get("enterprise_id"))
    event = body.get("event")
    if isinstance(event, dict):
        # Events name the person's team as user_team (an enterprise id for some grid events) or source_team.
        user_id = event.get("user") if isinstance(event.get("user"), str) else event.get("user_id")
        return _actor(user_id, event.get("user_team") or event.get("source_team"), None)
    if "user_id" in body:  # a slash command
        return _actor(body.get("user_id"), body.get("team_id"), body.get("enterprise_id"))
    return Actor(None)


def _actor(user_id: Any, team: Any, enterprise: Any) -> Actor:
    """An Actor of what the payload said; Slack writes an enterprise id (E…) where a team id goes for a grid org."""
    if isinstance(team, str) and team.startswith("E"):
        team, enterprise = None, enterprise or team
    return Actor(user_id or None, team or None, enterprise or None)


def is_outsider(actor: Actor, installation: Installation) -> bool:
    """Whether the request itself shows the person belongs to another organisation than the installation's.

    An org-wide install admits every team of its enterprise, so there only the enterprise decides; a workspace
    install admits its own team. What the payload does not say is not held against anyone: their profile decides
    (`profile_is_member`).
    """
    if installation.org_wide:
        return actor.enterprise_id is not None and actor.enterprise_id != installation.enterprise_id
    if actor.team_id and installation.team_id and actor.team_id != installation.team_id:
        return True
    theirs, ours = actor.enterprise_id, installation.enterprise_id
    return bool(theirs and ours and theirs != ours)


def profile_is_member(user: dict[str, Any], installation: Installation) -> bool:
    """Whether a `users.info` user is one of the installation's members.

    Slack marks someone who shares no channel with the workspace `is_stranger`; anyone else belongs by their
    team, by the teams of their grid account, or, for an org-wide install, by their enterprise.
    """
    if user.get("is_stranger"):
        return False
    grid = user.get("enterprise_user") or {}
    if installation.org_wide:
        return installation.enterprise_id in (grid.get("enterprise_id"), user.get("enterprise_id"))
    teams = {user.get("team_id"), *(grid.get("teams") or ())}
    return installation.team_id in teams


def reaches_outside(channel: dict[str, Any]) -> bool:
    """Whether a `conversations.info` channel can be read by people of another organisation.

    `is_ext_shared` (a Slack Connect channel), or one about to be (`is_pending_ext_shared`). `is_shared` alone
    means shared between workspaces: only when Slack adds `is_org_shared` without `is_ext_shared` are those all of
    the same enterprise, the same company.
    """
    if channel.get("is_ext_shared") or channel.get("is_pending_ext_shared"):
        return True
    return bool(channel.get("is_shared")) and not channel.get("is_org_shared")
