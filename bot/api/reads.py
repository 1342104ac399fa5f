"""What the HTTP API lets other systems read: customers found as `/customer` finds them, and a customer's
touchpoints, oldest first, a page at a time. Always within the caller's workspace."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.customers.name_index import CustomerIndexes
from bot.customers.search import search_customers
from storage import api as api_store
from storage.customers import customer as live_customer
from storage.followups import customer_ids_merged_into
from storage.models import Touchpoint

PAGE_SIZE = 100
# Who the search runs as: only an empty query (recent customers of the viewer) depends on it, and the API
# refuses an empty query.
API_VIEWER = "U0API"


class BadCursor(ValueError):
    """A `cursor` that is not one this API handed out."""


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


def customers_matching(session: Session, indexes: CustomerIndexes, workspace_id: int, query: str) -> dict[str, Any]:
    result = search_customers(session, indexes, workspace_id, API_VIEWER, query)
    # `help` and `unsearchable` are answers for a person typing; to another system they find nobody.
    searched = result.outcome in ("one", "several", "none")
    outcome, matches = (result.outcome, result.matches) if searched else ("none", [])
    return {
        "outcome": outcome,
        "customers": [
            {
                "id": m.customer_id,
                "name": m.name,
                "score": round(m.score, 1),
                **({"matched": {"by": m.via[0], "value": m.via[1]}} if m.via else {}),
            }
            for m in matches
        ],
    }


def customer_touchpoints(
    session: Session, workspace_id: int, customer_id: int, *, since: datetime | None, cursor: str | None
) -> Page | None:
    """A page of the customer's touchpoints, oldest first; None when the workspace has no such live customer."""
    customer = live_customer(session, workspace_id, customer_id)
    if customer is None:
        return None
    ids = customer_ids_merged_into(session, workspace_id, customer.id)
    after = _read_cursor(cursor) if cursor else None
    rows = api_store.customer_touchpoints_after(
        session, workspace_id, ids, since=since, after=after, limit=PAGE_SIZE + 1
    )
    shown = rows[:PAGE_SIZE]
    more = len(rows) > PAGE_SIZE
    return Page([touchpoint_json(row, customer.id) for row in shown], _cursor(shown[-1]) if more else None)


def touchpoint_json(row: Touchpoint, customer_id: int) -> dict[str, Any]:
    return {
        "id": row.id,
        "customer_id": customer_id,
        "kind": row.kind,
        "summary": row.summary,
        "occurred_at": row.occurred_at.isoformat(),
        "author": row.author_user_id,
        "department": row.author_department,
        "tags": list(row.tags or []),
        "source": row.source,
        "source_system": row.source_system,
        "external_id": row.external_id,
        "url": row.url,
        "permalink": row.permalink,
    }


def _cursor(row: Touchpoint) -> str:
    return base64.urlsafe_b64encode(f"{row.occurred_at.isoformat()}|{row.id}".encode()).decode().rstrip("=")


def _read_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, last_id = text.partition("|")
        instant = datetime.fromisoformat(at)
        if instant.tzinfo is None or not last_id.isdigit():
            raise ValueError
        return instant.astimezone(UTC), int(last_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadCursor("cursor") from None
