"""Finding customers by what someone typed, for the typeahead and suggestions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.customers.name_index import CustomerIndexes
from storage.customers import customers_by_ids, live_customers_by_id, recent_customers
from storage.models import Customer

MAX_CHOICES = 20


def customer_choices(
    session: Session, indexes: CustomerIndexes, workspace_id: int, typed: str
) -> list[tuple[int, str]]:
    """Best matches for a typed fragment, ranked as `/log` and `/customer` rank them (`NameIndex.ranked`);
    with nothing typed, the most recently touched customers."""
    if not typed.strip():
        return [(c.id, c.name) for c in recent_customers(session, workspace_id, MAX_CHOICES)]
    index = indexes.current(session, workspace_id)
    known = sorted(index.known(typed))
    ranked = [hit.customer_id for hit in index.ranked(typed, limit=MAX_CHOICES)]
    ids = list(dict.fromkeys([*known, *ranked]))
    return [(c.id, c.name) for c in customers_by_ids(session, workspace_id, ids)]


@dataclass(frozen=True)
class CustomerFate:
    """What became of a customer an old message or button names: still there, merged into another, or deleted."""

    asked_name: str
    current: Customer | None
    merged: bool
    deleted: bool


def customer_fate(session: Session, workspace_id: int, customer_id: int) -> CustomerFate | None:
    """None when the id is not a customer of this workspace (another workspace's ids are never shown)."""
    asked = session.get(Customer, customer_id)
    if asked is None or asked.workspace_id != workspace_id:
        return None
    current = live_customers_by_id(session, workspace_id, [customer_id]).get(customer_id)
    merged = asked.merged_into_id is not None
    return CustomerFate(asked.name, current, merged=merged, deleted=current is None)
