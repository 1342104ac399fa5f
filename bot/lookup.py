"""Finding customers by what someone typed, for the typeahead and suggestions."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.customer_index import CustomerIndexes
from storage.customers import customers_by_ids, recent_customers

MAX_CHOICES = 20


def customer_choices(
    session: Session, indexes: CustomerIndexes, workspace_id: int, typed: str
) -> list[tuple[int, str]]:
    """Best matches for a typed fragment; with nothing typed, the most recently touched customers."""
    if not typed.strip():
        return [(c.id, c.name) for c in recent_customers(session, workspace_id, MAX_CHOICES)]
    index = indexes.current(session, workspace_id)
    exact = sorted(index.exact(typed))
    scored = [hit.customer_id for hit in index.closest(typed, limit=MAX_CHOICES)]
    ids = list(dict.fromkeys([*exact, *scored]))
    return [(c.id, c.name) for c in customers_by_ids(session, workspace_id, ids)]
