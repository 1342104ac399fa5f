"""app_uninstalled and tokens_revoked: the installation is marked uninstalled, nothing more is sent for it (its due
nudges wait unsent), its data is kept; with OAuth its tokens leave the installation store, as Bolt's own
revocation listeners do. Installing again resumes it: an OAuth install marks it installed (bot.installations.oauth),
and so does the next request Slack delivers from it, since Slack delivers requests only for an installed app.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext

from handlers.common import request_tenant, runtime
from storage.workspaces import is_uninstalled, mark_installed_again, mark_uninstalled

logger = logging.getLogger(__name__)

ENDING_EVENTS = ("app_uninstalled", "tokens_revoked")
# How long a process trusts that a tenant it saw installed still is, before asking the store again: an
# uninstall handled by another process is noticed, when the tenant comes back, within this long.
RECHECK_INSTALLED_S = 60.0


def installed_again(body: dict[str, Any], context: BoltContext, next: Callable[[], Any]) -> Any:
    """A request from a tenant marked uninstalled marks it installed again (read once a minute per tenant)."""
    if (body.get("event") or {}).get("type") in ENDING_EVENTS:
        return next()
    rt = runtime(context)
    key = request_tenant(context).key
    checked = rt.installed_checked_at.get(key)
    if key and (checked is None or time.monotonic() - checked > RECHECK_INSTALLED_S):
        with rt.readers.begin() as session:
            gone = is_uninstalled(session, key)
        if gone:
            with rt.sessions.begin() as session:
                mark_installed_again(session, key)
            logger.info("installation %s is back: sending for it again", key)
        rt.installed_checked_at[key] = time.monotonic()
    return next()


def register(app: App) -> None:
    installations = app.installation_store  # None with a single bot token: there is no store to clean

    def installation_ended(ack: Ack, event: dict[str, Any], context: BoltContext) -> None:
        ack()
        if event.get("type") == "tokens_revoked" and not (event.get("tokens") or {}).get("bot"):
            return  # only people's tokens, of which the app keeps none
        rt = runtime(context)
        tenant = request_tenant(context)
        with rt.sessions.begin() as session:
            marked = mark_uninstalled(session, tenant.key, rt.now())
        rt.installed_checked_at.pop(tenant.key, None)
        if installations is not None:
            team_id = None if tenant.is_enterprise_install else tenant.team_id
            if event.get("type") == "app_uninstalled":
                installations.delete_all(enterprise_id=tenant.enterprise_id, team_id=team_id)
            else:
                installations.delete_bot(enterprise_id=tenant.enterprise_id, team_id=team_id)
        logger.info("%s for %s: %s", event.get("type"), tenant.key, "nothing is sent for it" if marked else "known")

    app.use(installed_again)
    for name in ENDING_EVENTS:
        app.event(name)(installation_ended)
