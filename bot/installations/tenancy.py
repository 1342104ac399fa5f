"""The tenant of a request: the installation it came through, named by the key its workspace row is stored under.

An org-wide install (`is_enterprise_install`) is one tenant for every workspace of the organisation, keyed by the
enterprise id; any other install is keyed by its team id. A workspace of a Grid org that installed the app on its
own (not org-wide) stays a tenant of its own.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tenant:
    """Who a request or a job acts for, as Slack names the installation."""

    team_id: str | None
    enterprise_id: str | None = None
    is_enterprise_install: bool = False

    @property
    def key(self) -> str:
        """What the tenant's workspace row is found by: the enterprise id of an org-wide install, else the team id."""
        if self.is_enterprise_install and self.enterprise_id:
            return self.enterprise_id
        return self.team_id or ""


def tenant_of(team_id: str | None, enterprise_id: str | None, is_enterprise_install: bool | None) -> Tenant:
    """The tenant of a request from what Slack says about it (the body, or what authorize found)."""
    org_wide = bool(is_enterprise_install and enterprise_id)
    return Tenant(team_id=team_id, enterprise_id=enterprise_id, is_enterprise_install=org_wide)
