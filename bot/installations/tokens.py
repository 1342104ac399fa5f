"""The bot token of a tenant, for what the app sends on its own (the scheduler's nudges and digests) and what the
HTTP API asks Slack (who an e-mail address is).

With one bot token (SLACK_BOT_TOKEN) every tenant is that token's workspace. With OAuth it is the latest bot of
the tenant's installation in slack-sdk's installation store, as Bolt's authorize finds it for a request: for an
org-wide install the org's bot, whichever workspace a person is in. An uninstalled tenant has none, nor one
that never went through an install.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk import WebClient

from bot.installations.oauth import installation_store
from bot.runtime import Runtime
from storage.workspaces import installation_of

BotTokens = Callable[[int], str | None]


def bot_tokens(rt: Runtime) -> BotTokens:
    """workspace row id -> the bot token to send with for it, or None when nothing may be sent for it."""
    settings = rt.settings
    if not settings.oauth_enabled:
        token = settings.slack_bot_token

        def single_workspace(workspace_id: int) -> str | None:
            with rt.readers.begin() as session:
                installed = installation_of(session, workspace_id)
            return token if installed is not None and installed.active else None

        return single_workspace
    store = installation_store(settings.slack_client_id or "", rt.engine)

    def installed_bot(workspace_id: int) -> str | None:
        with rt.readers.begin() as session:
            installed = installation_of(session, workspace_id)
        if installed is None or not installed.active:
            return None
        bot = store.find_bot(
            enterprise_id=installed.enterprise_id,
            team_id=None if installed.is_enterprise_install else installed.team_id,
            is_enterprise_install=installed.is_enterprise_install,
        )
        return bot.bot_token if bot is not None else None

    return installed_bot


def tenant_clients(rt: Runtime, client: WebClient | None) -> Callable[[int], WebClient | None]:
    """workspace row id -> `client` carrying that tenant's bot token (with one bot token, `client` itself);
    None when the tenant has no installation to call with."""
    if client is None or not rt.settings.oauth_enabled:
        return lambda workspace_id: client
    tokens = bot_tokens(rt)

    def client_of(workspace_id: int) -> WebClient | None:
        token = tokens(workspace_id)
        if token is None:
            return None
        return WebClient(
            token=token, base_url=client.base_url, timeout=client.timeout, retry_handlers=list(client.retry_handlers)
        )

    return client_of
