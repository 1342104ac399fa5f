"""OAuth v2 installs through Bolt's OAuth flow, with slack-sdk's SQLAlchemy installation and state stores kept
in the store's own database (their tables come from migration 0015, never `create_tables`).

`GET /slack/install` shows the *Add to Slack* page and sets the state cookie; `GET /slack/oauth_redirect`
checks the state (this browser's, once), trades the code at oauth.v2.access, refuses an install that did not
grant every scope asked for, and saves the installation and its tenant's row. Every failure is a page saying
why, with nothing saved; a reinstall saves the new token and keeps all the tenant's data.
"""

from __future__ import annotations

import logging

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.error import BoltError
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.installations import pages
from bot.installations.tenancy import tenant_of
from bot.runtime import Runtime
from storage.workspaces import record_install

logger = logging.getLogger(__name__)

REDIRECT_PATH = "/slack/oauth_redirect"
# How long an install may sit on Slack's approval page before its state expires.
STATE_EXPIRATION_S = 600
_HTML = {"Content-Type": "text/html; charset=utf-8"}


class MissingScopes(BoltError):
    """The install granted fewer bot scopes than the app asks for: it is refused before anything is saved."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__("missing scopes: " + ", ".join(missing))
        self.missing = missing


def installation_store(client_id: str, engine: Engine) -> SQLAlchemyInstallationStore:
    return SQLAlchemyInstallationStore(client_id=client_id, engine=engine, logger=logger)


class InstallFlow(OAuthFlow):
    """Bolt's OAuth flow, saving an installation only when it granted every scope, and its tenant with it."""

    def __init__(self, rt: Runtime, settings: OAuthSettings) -> None:
        super().__init__(settings=settings, logger=logger)
        self._rt = rt

    def store_installation(self, request: BoltRequest, installation: Installation) -> None:
        missing = sorted(set(self.settings.scopes) - set(installation.bot_scopes or []))
        if missing:
            raise MissingScopes(missing)
        tenant = tenant_of(installation.team_id, installation.enterprise_id, installation.is_enterprise_install)
        name = installation.enterprise_name if tenant.is_enterprise_install else installation.team_name
        try:
            super().store_installation(request, installation)
            with self._rt.sessions.begin() as session:
                record_install(session, tenant, name=name, now=self._rt.now())
        except SQLAlchemyError as error:
            logger.error("could not save the install of %s: %s", tenant.key, error)
            raise BoltError("the store refused the installation") from error


def _success(args: SuccessArgs) -> BoltResponse:
    installation = args.installation
    org_wide = bool(installation.is_enterprise_install)
    name = installation.enterprise_name if org_wide else installation.team_name
    headers = {**_HTML, "Set-Cookie": args.settings.state_utils.build_set_cookie_for_deletion()}
    return BoltResponse(status=200, headers=headers, body=pages.success_page(name=name, is_enterprise_install=org_wide))


def _failure(args: FailureArgs) -> BoltResponse:
    missing = args.error.missing if isinstance(args.error, MissingScopes) else None
    logger.warning("install refused: %s%s", args.reason, f" ({args.error})" if args.error else "")
    headers = {**_HTML, "Set-Cookie": args.settings.state_utils.build_set_cookie_for_deletion()}
    status = 400 if missing else args.suggested_status_code
    return BoltResponse(status=status, headers=headers, body=pages.failure_page(args.reason, missing_scopes=missing))


def install_flow(rt: Runtime) -> InstallFlow:
    """The OAuth flow of `rt.settings` (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET set); Bolt gives it its client."""
    settings = rt.settings
    client_id = settings.slack_client_id or ""
    return InstallFlow(
        rt,
        OAuthSettings(
            client_id=client_id,
            client_secret=settings.slack_client_secret,
            scopes=list(settings.slack_scopes),
            user_scopes=[],
            install_path=pages.INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
            installation_store=installation_store(client_id, rt.engine),
            # Only bot tokens are kept, so the latest install's bot is what every request of its tenant uses.
            installation_store_bot_only=True,
            state_store=SQLAlchemyOAuthStateStore(
                expiration_seconds=STATE_EXPIRATION_S, engine=rt.engine, logger=logger
            ),
            state_expiration_seconds=STATE_EXPIRATION_S,
            callback_options=CallbackOptions(success=_success, failure=_failure),
        ),
    )
