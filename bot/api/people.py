"""Who an e-mail address is in Slack, for records that name their author or assignee by e-mail.

Asked of Slack (`users.lookupByEmail`, with the app's client: 429s waited out, 5xx retried) before the
request's transaction opens. Only people of the caller's own Slack team count.
"""

from __future__ import annotations

from collections.abc import Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

# Distinct addresses one request may have looked up: a batch naming more gets field errors for the rest.
MAX_LOOKUPS = 50


class SlackUnavailable(Exception):
    """Slack did not answer a look-up (after the client's retries): the request should be retried later."""


def slack_ids_by_email(client: WebClient | None, emails: Iterable[str], team_id: str) -> dict[str, str]:
    """Lower-case e-mail address -> Slack user id, for the addresses Slack knows in this team."""
    found: dict[str, str] = {}
    if client is None:
        return found
    for email in sorted(emails)[:MAX_LOOKUPS]:
        try:
            user = client.users_lookupByEmail(email=email).get("user") or {}
        except SlackApiError as error:
            if error.response.get("error") == "users_not_found":
                continue
            raise SlackUnavailable(str(error.response.get("error"))) from None
        except (SlackClientError, OSError):
            raise SlackUnavailable("no answer") from None
        # An org-wide install's members are in any workspace of the org: their enterprise is what matches.
        org = (user.get("enterprise_user") or {}).get("enterprise_id")
        if user.get("id") and not user.get("deleted") and team_id in (user.get("team_id", team_id), org):
            found[email] = user["id"]
    return found
