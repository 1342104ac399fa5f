"""Customers and the names they are known by."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import Row, bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.customers.matching import NameRow
from bot.text import clean_domain, domain_keys, fold, name_keys
from storage.models import Contact, Customer, CustomerName, FollowUp, Touchpoint, customer_name_key
from storage.scoping import scoped_join

_names = CustomerName.__table__.c
# Built once: every /log asks it, and building the statement costs more than running it.
_NAME_ROWS_SINCE = (
    select(_names.id, _names.customer_id, _names.key, _names.active)
    .where(_names.workspace_id == bindparam("workspace_id"), _names.id > bindparam("after"))
    .order_by(_names.id)
    .limit(bindparam("limit"))
)


def name_rows_since(session: Session, workspace_id: int, after_row_id: int, limit: int) -> list[NameRow]:
    """Up to `limit` names added since an index last looked, oldest first, so every process's index catches up."""
    rows = session.execute(_NAME_ROWS_SINCE, {"workspace_id": workspace_id, "after": after_row_id, "limit": limit})
    return [NameRow(row_id, customer_id, key, active) for row_id, customer_id, key, active in rows]


def customer(session: Session, workspace_id: int, customer_id: int) -> Customer | None:
    return live_customers_by_id(session, workspace_id, [customer_id]).get(customer_id)


def customers_by_ids(session: Session, workspace_id: int, ids: Sequence[int]) -> list[Customer]:
    """Live customers in the order asked, merged ids resolved to their survivor, each customer once."""
    rows = live_customers_by_id(session, workspace_id, ids)
    return list({rows[i].id: rows[i] for i in ids if i in rows}.values())


def customer_by_exact_name(session: Session, workspace_id: int, name: str) -> Customer | None:
    key = fold(name)
    customer_id = session.scalar(
        select(CustomerName.customer_id)
        .where(
            CustomerName.workspace_id == workspace_id,
            CustomerName.key == key,
            CustomerName.kind == "name",
            CustomerName.active.is_(True),
        )
        .limit(1)
    )
    return None if customer_id is None else customer(session, workspace_id, customer_id)


def add_customer(
    session: Session,
    workspace_id: int,
    name: str,
    *,
    domain: str | None = None,
    aliases: Iterable[str] = (),
    stage: str | None = None,
    owner_user_id: str | None = None,
    created_by: str | None = None,
    now: datetime,
) -> Customer:
    row = Customer(
        workspace_id=workspace_id,
        name=name.strip(),
        domain=clean_domain(domain) if domain else None,
        stage=stage,
        owner_user_id=owner_user_id,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    add_names(session, row, "name", [row.name])
    if row.domain:
        add_names(session, row, "domain", [row.domain])
    add_names(session, row, "alias", aliases)
    return row


def customer_holding_name(session: Session, workspace_id: int, name: str) -> Customer | None:
    """The live customer whose name folds like `name`: the one `uq_customers_live_name_key` lets hold it."""
    key = customer_name_key(name)
    if key is None:
        return None
    return session.scalar(
        select(Customer).where(
            Customer.workspace_id == workspace_id,
            Customer.name_key == key,
            Customer.deleted_at.is_(None),
            Customer.merged_into_id.is_(None),
        )
    )


def add_customer_once(
    session: Session, workspace_id: int, name: str, *, created_by: str | None, now: datetime
) -> tuple[Customer, bool]:
    """A new customer, or the one someone else created under the same name a moment ago; and whether it is new.

    Atomic across processes: the unique index makes the second of two racing inserts fail (on PostgreSQL it
    waits for the first to commit), and the loser then reads the winner's customer.
    """
    try:
        with session.begin_nested():
            return add_customer(session, workspace_id, name, created_by=created_by, now=now), True
    except IntegrityError:
        winner = customer_holding_name(session, workspace_id, name)
        if winner is None:  # the failure was not the name: nothing to fall back on
            raise
        return winner, False


def add_names(session: Session, row: Customer, kind: str, values: Iterable[str]) -> None:
    known = {
        (k, v)
        for k, v in session.execute(
            select(CustomerName.key, CustomerName.value).where(
                CustomerName.customer_id == row.id, CustomerName.active.is_(True)
            )
        )
    }
    for value in values:
        value = value.strip()
        if not value:
            continue
        keys = _keys_for(kind, value)
        for key in sorted(keys):
            if (key, value) not in known:
                session.add(
                    CustomerName(workspace_id=row.workspace_id, customer_id=row.id, kind=kind, value=value, key=key)
                )
                known.add((key, value))
    session.flush()


def _keys_for(kind: str, value: str) -> set[str]:
    if kind == "domain":
        return domain_keys(value)
    if kind == "email":
        # `dana@acme.com` is typed whole or as `dana acme com` after folding; both fold to the same key.
        return {fold(value)} - {""}
    return name_keys(value)


def add_contact(
    session: Session,
    row: Customer,
    *,
    name: str,
    email: str | None = None,
    phone: str | None = None,
    role: str | None = None,
    now: datetime,
) -> Contact:
    """A contact of a customer; its name and e-mail become names the customer is found by."""
    contact = Contact(
        workspace_id=row.workspace_id,
        customer_id=row.id,
        name=name.strip(),
        email=(email or "").strip().lower() or None,
        phone=(phone or "").strip() or None,
        role=(role or "").strip() or None,
        created_at=now,
    )
    session.add(contact)
    add_names(session, row, "contact", [contact.name])
    if contact.email:
        add_names(session, row, "email", [contact.email])
    return contact


def customer_aliases(session: Session, workspace_id: int, customer_id: int) -> list[str]:
    values = session.scalars(
        select(CustomerName.value)
        .where(
            CustomerName.workspace_id == workspace_id,
            CustomerName.customer_id == customer_id,
            CustomerName.kind == "alias",
            CustomerName.active.is_(True),
        )
        .order_by(CustomerName.id)
    )
    return list(dict.fromkeys(values))


def recent_customers(session: Session, workspace_id: int, limit: int) -> list[Customer]:
    """Customers with the latest touchpoints first, then the newest customers."""
    last_touch = (
        select(Touchpoint.customer_id, func.max(Touchpoint.occurred_at).label("last"))
        .where(Touchpoint.workspace_id == workspace_id, Touchpoint.deleted_at.is_(None))
        .group_by(Touchpoint.customer_id)
        .subquery()
    )
    query = (
        select(Customer)
        .outerjoin(last_touch, last_touch.c.customer_id == Customer.id)
        .where(Customer.workspace_id == workspace_id, Customer.deleted_at.is_(None), Customer.merged_into_id.is_(None))
        .order_by(last_touch.c.last.desc().nulls_last(), Customer.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


# Customers are read by primary key alone and checked against the workspace here: with `workspace_id = ?` in the
# query, SQLite (without ANALYZE statistics) scans the workspace's name index instead, 20 ms for five ids.


def live_customers_by_id(session: Session, workspace_id: int, ids: Iterable[int]) -> dict[int, Customer]:
    """Each id's live customer: itself, or the survivor it was merged into; deleted ones are left out."""

    def load(wanted: set[int]) -> list[Customer]:
        rows = session.scalars(select(Customer).where(Customer.id.in_(wanted)))
        return [row for row in rows if row.workspace_id == workspace_id]

    return _following_merges(ids, load)


@dataclass(frozen=True)
class CustomerRef:
    """A customer's id and name: all a `/log` reply shows, read without loading the whole row."""

    id: int
    name: str


_customers = Customer.__table__.c
# Built once: `/log` asks this on every line, and building the statement costs more than running it.
_LIVE_REFS = select(
    _customers.id, _customers.workspace_id, _customers.name, _customers.merged_into_id, _customers.deleted_at
).where(_customers.id.in_(bindparam("ids", expanding=True)))


def live_customer_refs(session: Session, workspace_id: int, ids: Iterable[int]) -> dict[int, CustomerRef]:
    """`live_customers_by_id`, with only the id and name of each customer."""

    def load(wanted: set[int]) -> list[Row[Any]]:
        rows = session.execute(_LIVE_REFS, {"ids": sorted(wanted)})
        return [row for row in rows if row.workspace_id == workspace_id]

    live = _following_merges(ids, load)
    return {asked: CustomerRef(row.id, row.name) for asked, row in live.items()}


class _Mergeable(Protocol):
    id: int
    merged_into_id: int | None
    deleted_at: datetime | None


_Row = TypeVar("_Row", bound=_Mergeable)


def _following_merges(ids: Iterable[int], load: Callable[[set[int]], Sequence[_Row]]) -> dict[int, _Row]:
    origins: dict[int, set[int]] = {i: {i} for i in ids}
    found: dict[int, _Row] = {}
    for _ in range(5):  # merge chains are short; the bound guards against a cycle
        if not origins:
            break
        following: dict[int, set[int]] = {}
        for row in load(set(origins)):
            if row.merged_into_id is not None:
                following.setdefault(row.merged_into_id, set()).update(origins[row.id])
            elif row.deleted_at is None:
                found.update(dict.fromkeys(origins[row.id], row))
        origins = following
    return found


def customer_name_keys_since(session: Session, workspace_id: int, after_row_id: int) -> list[tuple[int, int, str]]:
    """(row id, customer id, folded key) of the active `name` rows added since a caller last looked.

    These are the keys `customer_by_exact_name` matches on, for callers that match many names at once.
    """
    rows = session.execute(
        select(CustomerName.id, CustomerName.customer_id, CustomerName.key)
        .where(
            CustomerName.workspace_id == workspace_id,
            CustomerName.id > after_row_id,
            CustomerName.kind == "name",
            CustomerName.active.is_(True),
        )
        .order_by(CustomerName.id)
    )
    return [(row_id, customer_id, key) for row_id, customer_id, key in rows]


def company_names_since(session: Session, workspace_id: int, after_row_id: int) -> list[tuple[int, int, str, str, str]]:
    """(row id, customer id, kind, key, value) of the active names, aliases and domains added since a caller looked.

    What an import resolves its rows by: a row names a customer by its name, an alias of it, or a domain of it.
    """
    rows = session.execute(
        select(CustomerName.id, CustomerName.customer_id, CustomerName.kind, CustomerName.key, CustomerName.value)
        .where(
            CustomerName.workspace_id == workspace_id,
            CustomerName.id > after_row_id,
            CustomerName.kind.in_(("name", "alias", "domain")),
            CustomerName.active.is_(True),
        )
        .order_by(CustomerName.id)
    )
    return [(row_id, customer_id, kind, key, value) for row_id, customer_id, kind, key, value in rows]


def name_pairs_by_customer(session: Session, customer_ids: Iterable[int]) -> dict[int, set[tuple[str, str]]]:
    """The (key, value) pairs each customer is already known by, so a batch adds only what is missing."""
    pairs: dict[int, set[tuple[str, str]]] = {}
    wanted = set(customer_ids)
    if not wanted:
        return pairs
    rows = session.execute(
        select(CustomerName.customer_id, CustomerName.key, CustomerName.value).where(
            CustomerName.customer_id.in_(wanted), CustomerName.active.is_(True)
        )
    )
    for customer_id, key, value in rows:
        pairs.setdefault(customer_id, set()).add((key, value))
    return pairs


def contact_pairs_by_customer(session: Session, customer_ids: Iterable[int]) -> dict[int, set[tuple[str, str | None]]]:
    """(folded name, e-mail) of each customer's contacts not removed, so a batch adds only the missing ones."""
    pairs: dict[int, set[tuple[str, str | None]]] = {}
    wanted = set(customer_ids)
    if not wanted:
        return pairs
    rows = session.execute(
        select(Contact.customer_id, Contact.name, Contact.email).where(
            Contact.customer_id.in_(wanted), Contact.deleted_at.is_(None)
        )
    )
    for customer_id, name, email in rows:
        pairs.setdefault(customer_id, set()).add((fold(name), email))
    return pairs


def insert_contacts(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Many (workspace_id, customer_id, name, email, created_at) contacts in one statement, for imports.

    Their names are not added: pair with `insert_names`.
    """
    if rows:
        session.execute(insert(Contact), rows)


def insert_customers(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Many new customers in one statement, for imports; their ids in the order given.

    Their names are not added: pair with `insert_names`.
    """
    if not rows:
        return []
    rows = [{**row, "name_key": customer_name_key(row["name"])} for row in rows]
    return list(session.scalars(insert(Customer).returning(Customer.id, sort_by_parameter_order=True), rows))


def insert_names(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Many (workspace_id, customer_id, kind, value, key) names in one statement, already checked missing."""
    if rows:
        session.execute(insert(CustomerName), rows)


@dataclass(frozen=True)
class NameMatch:
    """An active name whose key was looked up, with the customer it names as that customer stands now."""

    customer_id: int
    kind: str
    value: str
    key: str
    customer_name: str
    merged_into_id: int | None
    deleted: bool


def active_names_with_keys(session: Session, workspace_id: int, keys: Sequence[str]) -> list[NameMatch]:
    """The active names of this workspace whose folded key is one of `keys`, with their customers, in one read."""
    if not keys:
        return []
    rows = session.execute(
        select(
            CustomerName.customer_id,
            CustomerName.kind,
            CustomerName.value,
            CustomerName.key,
            Customer.name,
            Customer.merged_into_id,
            Customer.deleted_at.is_not(None),
        )
        .join(Customer, scoped_join(Customer, CustomerName, CustomerName.customer_id))
        .where(
            CustomerName.workspace_id == workspace_id,
            CustomerName.key.in_(list(keys)),
            CustomerName.active.is_(True),
            Customer.workspace_id == workspace_id,
        )
    )
    return [NameMatch(*row) for row in rows]


# A person's latest touchpoints are read until this many distinct customers are found.
TOUCHED_SCAN = 200


def customers_touched_by(session: Session, workspace_id: int, user_id: str, limit: int) -> list[Customer]:
    """The live customers a person logged touchpoints with most recently, latest first."""
    recent_ids = session.scalars(
        select(Touchpoint.customer_id)
        .where(
            Touchpoint.workspace_id == workspace_id,
            Touchpoint.author_user_id == user_id,
            Touchpoint.deleted_at.is_(None),
            Touchpoint.customer_id.is_not(None),
        )
        .order_by(Touchpoint.occurred_at.desc(), Touchpoint.id.desc())
        .limit(TOUCHED_SCAN)
    )
    ids = list(dict.fromkeys(recent_ids))
    return customers_by_ids(session, workspace_id, ids)[:limit]


def live_customers_in_batches(session: Session, workspace_id: int, batch_size: int) -> Iterator[list[Customer]]:
    """Every live customer of the workspace (not merged away, not deleted), by id, `batch_size` at a time."""
    after = 0
    while True:
        batch = list(
            session.scalars(
                select(Customer)
                .where(
                    Customer.workspace_id == workspace_id,
                    Customer.id > after,
                    Customer.deleted_at.is_(None),
                    Customer.merged_into_id.is_(None),
                )
                .order_by(Customer.id)
                .limit(batch_size)
            )
        )
        if batch:
            yield batch
        if len(batch) < batch_size:
            return
        after = batch[-1].id


def active_names_by_customer(
    session: Session, customer_ids: Sequence[int], kinds: Sequence[str]
) -> dict[int, list[tuple[str, str]]]:
    """(kind, value) of each customer's active names of these kinds, oldest first, each value once."""
    found: dict[int, dict[tuple[str, str], None]] = {}
    rows = session.execute(
        select(CustomerName.customer_id, CustomerName.kind, CustomerName.value)
        .where(
            CustomerName.customer_id.in_(list(customer_ids)),
            CustomerName.kind.in_(list(kinds)),
            CustomerName.active.is_(True),
        )
        .order_by(CustomerName.id)
    )
    for customer_id, kind, value in rows:
        found.setdefault(customer_id, {})[(kind, value)] = None
    return {customer_id: list(pairs) for customer_id, pairs in found.items()}


def live_contacts_by_customer(session: Session, customer_ids: Sequence[int]) -> dict[int, list[Contact]]:
    """Each customer's contacts not removed, oldest first."""
    found: dict[int, list[Contact]] = {}
    rows = session.scalars(
        select(Contact)
        .where(Contact.customer_id.in_(list(customer_ids)), Contact.deleted_at.is_(None))
        .order_by(Contact.id)
    )
    for contact in rows:
        found.setdefault(contact.customer_id, []).append(contact)
    return found


def touch_counts(
    session: Session, workspace_id: int, customer_ids: Sequence[int]
) -> dict[int, tuple[int, datetime | None, int]]:
    """(live touchpoints, the latest one's instant, open follow-ups) of each customer that has any."""
    counts: dict[int, tuple[int, datetime | None, int]] = {}
    touched = session.execute(
        select(Touchpoint.customer_id, func.count(), func.max(Touchpoint.occurred_at))
        .where(
            Touchpoint.workspace_id == workspace_id,
            Touchpoint.customer_id.in_(list(customer_ids)),
            Touchpoint.deleted_at.is_(None),
        )
        .group_by(Touchpoint.customer_id)
    )
    for customer_id, number, last in touched:
        counts[customer_id] = (number, last, 0)
    open_ones = session.execute(
        select(FollowUp.customer_id, func.count())
        .where(
            FollowUp.workspace_id == workspace_id,
            FollowUp.customer_id.in_(list(customer_ids)),
            FollowUp.status == "open",
        )
        .group_by(FollowUp.customer_id)
    )
    for customer_id, number in open_ones:
        touches, last, _ = counts.get(customer_id, (0, None, 0))
        counts[customer_id] = (touches, last, number)
    return counts
