"""Follow-ups as people see them: plain data for nudges, lists and digests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class FollowUpView:
    id: int
    workspace_id: int
    touchpoint_id: int
    customer_id: int | None
    customer_name: str | None
    assignee_user_id: str
    due_at: datetime
    status: str
    nudged_at: datetime | None
    # What was promised: the touchpoint it follows up, who logged it and when it happened.
    kind: str
    summary: str
    logged_by: str
    logged_at: datetime
