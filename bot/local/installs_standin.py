"""What the Slack stand-in knows of installations: OAuth codes, the bot tokens they hand out, and whose each is.

A test prepares an install (`SlackStandIn.prepare_install`): the code Slack would redirect the browser back
with, for one workspace or, org-wide, a whole Enterprise Grid org, granting some scopes or failing as Slack
can. oauth.v2.access trades the code once for its bot token; auth.test then answers for that token with its
own team or org, as Slack does, and a revoked token (`revoke`, as on app_uninstalled) is refused everywhere.
Tokens it never issued (the one of a single-workspace setup) keep answering as the stand-in's own workspace.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

APP_ID = "A0TOUCH"


class InstallError(Exception):
    """Slack's `{"ok": false, "error": ...}` for an OAuth or token call."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass(frozen=True)
class Install:
    """One installation as oauth.v2.access describes it."""

    code: str
    bot_token: str
    team_id: str | None
    team_name: str | None
    enterprise_id: str | None
    enterprise_name: str | None
    is_enterprise_install: bool
    scopes: tuple[str, ...]
    installer: str
    bot_user_id: str
    # What oauth.v2.access answers instead of the install (invalid_code, bad_client_secret…), if anything.
    error: str | None = None

    def answer(self) -> dict[str, Any]:
        """oauth.v2.access's reply, shaped as Slack's: an org-wide install has no team."""
        return {
            "ok": True,
            "app_id": APP_ID,
            "authed_user": {"id": self.installer},
            "scope": ",".join(self.scopes),
            "token_type": "bot",
            "access_token": self.bot_token,
            "bot_user_id": self.bot_user_id,
            "team": None if self.is_enterprise_install else {"id": self.team_id, "name": self.team_name},
            "enterprise": {"id": self.enterprise_id, "name": self.enterprise_name} if self.enterprise_id else None,
            "is_enterprise_install": self.is_enterprise_install,
        }

    def identity(self, url: str) -> dict[str, Any]:
        """auth.test's reply for this install's bot token."""
        return {
            "ok": True,
            "url": url,
            "team": self.enterprise_name if self.is_enterprise_install else self.team_name,
            "user": "touchpoint",
            "team_id": None if self.is_enterprise_install else self.team_id,
            "enterprise_id": self.enterprise_id,
            "user_id": self.bot_user_id,
            "bot_id": "B" + self.bot_user_id.removeprefix("U"),
            "is_enterprise_install": self.is_enterprise_install,
        }


@dataclass
class Installs:
    """The codes waiting to be traded, the tokens handed out, and the tokens revoked."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    pending: dict[str, Install] = field(default_factory=dict)
    issued: dict[str, Install] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)
    _count: int = 0

    def prepare(
        self,
        *,
        team_id: str | None,
        team_name: str | None,
        enterprise_id: str | None,
        enterprise_name: str | None,
        is_enterprise_install: bool,
        scopes: tuple[str, ...],
        installer: str,
        error: str | None,
    ) -> Install:
        owner = enterprise_id if is_enterprise_install else team_id
        if not owner:
            raise ValueError("an install is for a team, or org-wide for an enterprise")
        with self.lock:
            self._count += 1
            number = self._count
            install = Install(
                code=f"code-{owner}-{number}",
                bot_token=f"xoxb-{owner}-{number:04d}-standin",
                team_id=team_id,
                team_name=team_name,
                enterprise_id=enterprise_id,
                enterprise_name=enterprise_name,
                is_enterprise_install=is_enterprise_install,
                scopes=scopes,
                installer=installer,
                bot_user_id=f"U0BOT{number:04d}",
                error=error,
            )
            self.pending[install.code] = install
        return install

    def exchange(self, params: dict[str, Any], client_id: str | None, client_secret: str | None) -> dict[str, Any]:
        """oauth.v2.access: each code once, for the app's own client id and secret."""
        if client_id is not None and params.get("client_id") != client_id:
            raise InstallError("invalid_client_id")
        if client_secret is not None and params.get("client_secret") != client_secret:
            raise InstallError("bad_client_secret")
        with self.lock:
            install = self.pending.pop(str(params.get("code") or ""), None)
            if install is None:
                raise InstallError("invalid_code")
            if install.error:
                raise InstallError(install.error)
            self.issued[install.bot_token] = install
            # A reinstall hands out a new token; the one it replaces stops working, as Slack's does.
            for token, earlier in list(self.issued.items()):
                same = (earlier.enterprise_id, earlier.team_id, earlier.is_enterprise_install) == (
                    install.enterprise_id,
                    install.team_id,
                    install.is_enterprise_install,
                )
                if same and token != install.bot_token:
                    self.revoked.add(token)
        return install.answer()

    def refused(self, token: str | None) -> str | None:
        """The error every call with this token gets, if it was revoked."""
        with self.lock:
            return "token_revoked" if token in self.revoked else None

    def owner_of(self, token: str | None) -> Install | None:
        with self.lock:
            return self.issued.get(token or "")

    def revoke(self, token: str) -> None:
        with self.lock:
            self.revoked.add(token)
