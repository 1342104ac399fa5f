"""Customers as plain records: what `touchpoint export customers` writes, in the shape `import customers` reads.

Every live customer with its domains (the one shown first), aliases, stage, owner, contacts and counts. A CSV
of it imports back unchanged: into the same store it changes nothing, into a fresh one it makes the same
customers (counts and ids are for reading; the import leaves them). Cells are defused against spreadsheet
formulas as the touchpoint export's are (`bot.capture.records.csv_cell`), and the import reads them back.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TextIO

from sqlalchemy.orm import Session

from bot.capture.records import write_records
from storage import customers as customer_store
from storage.models import Contact, Customer

CUSTOMER_FIELDS = (
    "id",
    "name",
    "domains",
    "aliases",
    "stage",
    "owner",
    "contacts",
    "touchpoints",
    "open_follow_ups",
    "last_touch_at",
    "created_at",
)
BATCH = 1000  # customers read at a time, with their names, contacts and counts


def write_customers(out: TextIO, fmt: str, session: Session, workspace_id: int) -> int:
    """The workspace's customers as CSV or JSON lines; how many were written."""
    return write_records(out, fmt, CUSTOMER_FIELDS, customer_records(session, workspace_id, fmt))


def customer_records(session: Session, workspace_id: int, fmt: str) -> Iterator[dict[str, Any]]:
    for batch in customer_store.live_customers_in_batches(session, workspace_id, BATCH):
        ids = [customer.id for customer in batch]
        names = customer_store.active_names_by_customer(session, ids, ("alias", "domain"))
        contacts = customer_store.live_contacts_by_customer(session, ids)
        counts = customer_store.touch_counts(session, workspace_id, ids)
        for customer in batch:
            yield customer_record(
                customer, names.get(customer.id, []), contacts.get(customer.id, []), counts.get(customer.id), fmt
            )


def customer_record(
    customer: Customer,
    names: list[tuple[str, str]],
    contacts: list[Contact],
    counts: tuple[int, datetime | None, int] | None,
    fmt: str,
) -> dict[str, Any]:
    domains = [value for kind, value in names if kind == "domain"]
    if customer.domain:  # the one the card shows, first: the import makes the first one that
        domains = [customer.domain, *(domain for domain in domains if domain != customer.domain)]
    touches, last_touch, open_follow_ups = counts or (0, None, 0)
    return {
        "id": customer.id,
        "name": customer.name,
        "domains": domains,
        "aliases": [value for kind, value in names if kind == "alias"],
        "stage": customer.stage,
        "owner": customer.owner_user_id,
        "contacts": [_contact_cell(c) for c in contacts] if fmt == "csv" else [_contact(c) for c in contacts],
        "touchpoints": touches,
        "open_follow_ups": open_follow_ups,
        "last_touch_at": _iso_utc(last_touch) if last_touch else None,
        "created_at": _iso_utc(customer.created_at),
    }


def _contact(contact: Contact) -> dict[str, Any]:
    return {"name": contact.name, "email": contact.email, "phone": contact.phone, "role": contact.role}


def _contact_cell(contact: Contact) -> str:
    """`Dana Scully <dana@acme.com>`: how a CSV cell lists a contact, and how the import reads one."""
    return f"{contact.name} <{contact.email}>" if contact.email else contact.name


def _iso_utc(instant: datetime) -> str:
    if instant.tzinfo is None:  # SQLite hands back naive UTC
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC).isoformat(timespec="seconds")
