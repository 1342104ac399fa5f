"""Queries behind keeping the store clean: names by key, moving rows between customers, stages and their history."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.customers import add_names
from storage.models import (
    AuditEvent,
    Contact,
    Customer,
    CustomerName,
    FollowUp,
    Member,
    StageChange,
    Touchpoint,
    Workspace,
)

# Rows a merge moves from the absorbed customer to the survivor, by the name its audit record uses.
MOVABLE: dict[str, type[Touchpoint | FollowUp | Contact]] = {
    "touchpoints": Touchpoint,
    "follow_ups": FollowUp,
    "contacts": Contact,
}


def names_with_keys(
    session: Session, workspace_id: int, keys: Collection[str], kinds: Collection[str]
) -> list[tuple[int, str, str, str]]:
    """(customer id, kind, value, key) of the active names of these kinds that fold to one of the keys."""
    if not keys:
        return []
    rows = session.execute(
        select(CustomerName.customer_id, CustomerName.kind, CustomerName.value, CustomerName.key)
        .where(
            CustomerName.workspace_id == workspace_id,
            CustomerName.key.in_(list(keys)),
            CustomerName.kind.in_(list(kinds)),
            CustomerName.active.is_(True),
        )
        .order_by(CustomerName.id)
    )
    return [(customer_id, kind, value, key) for customer_id, kind, value, key in rows]


def active_names(session: Session, customer: Customer, kinds: Collection[str]) -> list[CustomerName]:
    return list(
        session.scalars(
            select(CustomerName)
            .where(
                CustomerName.workspace_id == customer.workspace_id,
                CustomerName.customer_id == customer.id,
                CustomerName.kind.in_(list(kinds)),
                CustomerName.active.is_(True),
            )
            .order_by(CustomerName.id)
        )
    )


def rename_customer(session: Session, customer: Customer, name: str) -> bool:
    """The customer's name (its name rows with it) changed, atomically; False, changing nothing, when another live
    customer of the workspace took that name meanwhile (uq_customers_live_name_key refused it)."""
    try:
        with session.begin_nested():
            switch_off_names(session, customer.workspace_id, [r.id for r in active_names(session, customer, ("name",))])
            customer.name = name
            add_names(session, customer, "name", [name])
    except IntegrityError:
        return False
    return True


def active_name_ids(session: Session, customer: Customer) -> set[int]:
    return set(
        session.scalars(
            select(CustomerName.id).where(
                CustomerName.workspace_id == customer.workspace_id,
                CustomerName.customer_id == customer.id,
                CustomerName.active.is_(True),
            )
        )
    )


def switch_off_names(session: Session, workspace_id: int, row_ids: Iterable[int]) -> None:
    """Names are never deleted, only switched off; an inactive copy is appended so that in-memory indexes,
    which read only rows added since they last looked, learn that the key lost a holder."""
    rows = session.scalars(
        select(CustomerName).where(
            CustomerName.workspace_id == workspace_id, CustomerName.id.in_(list(row_ids)), CustomerName.active.is_(True)
        )
    ).all()
    for row in rows:
        row.active = False
        session.add(_copy(row, active=False))
    session.flush()


def restore_names(session: Session, workspace_id: int, row_ids: Iterable[int]) -> list[int]:
    """Switched-off names back on, as new rows so every index sees them again; their ids."""
    rows = session.scalars(
        select(CustomerName)
        .where(CustomerName.workspace_id == workspace_id, CustomerName.id.in_(list(row_ids)))
        .order_by(CustomerName.id)
    ).all()
    copies = [_copy(row, active=True) for row in rows]
    session.add_all(copies)
    session.flush()
    return [copy.id for copy in copies]


def _copy(row: CustomerName, *, active: bool) -> CustomerName:
    return CustomerName(
        workspace_id=row.workspace_id,
        customer_id=row.customer_id,
        kind=row.kind,
        value=row.value,
        key=row.key,
        active=active,
    )


def key_holders(session: Session, workspace_id: int, keys: Collection[str]) -> dict[str, set[int]]:
    """The customers each key is an active name of now (an empty set when none is)."""
    holders: dict[str, set[int]] = {key: set() for key in keys}
    wanted = list(holders)
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(CustomerName.key, CustomerName.customer_id).where(
                CustomerName.workspace_id == workspace_id,
                CustomerName.key.in_(wanted[start : start + 500]),
                CustomerName.active.is_(True),
            )
        )
        for key, customer_id in rows:
            holders[key].add(customer_id)
    return holders


def live_contacts(session: Session, workspace_id: int, customer_id: int) -> list[Contact]:
    return list(
        session.scalars(
            select(Contact)
            .where(
                Contact.workspace_id == workspace_id,
                Contact.customer_id == customer_id,
                Contact.deleted_at.is_(None),
            )
            .order_by(Contact.id)
        )
    )


def row_ids_of(
    session: Session, model: type[Touchpoint | FollowUp | Contact], workspace_id: int, customer_id: int
) -> list[int]:
    return list(
        session.scalars(
            select(model.id)
            .where(model.workspace_id == workspace_id, model.customer_id == customer_id)
            .order_by(model.id)
        )
    )


def move_rows(
    session: Session,
    model: type[Touchpoint | FollowUp | Contact],
    workspace_id: int,
    row_ids: Iterable[int],
    from_customer: int,
    to_customer: int,
) -> list[int]:
    """Point the given rows at another customer, only those still pointing at `from_customer`; the ids moved."""
    ids = list(row_ids)
    if not ids:
        return []
    moving = list(
        session.scalars(
            select(model.id).where(
                model.workspace_id == workspace_id, model.id.in_(ids), model.customer_id == from_customer
            )
        )
    )
    if moving:
        # By primary key alone: the rows were just read within this workspace, and with `workspace_id = ?`
        # SQLite (without statistics) walks every touchpoint of the workspace instead of these rows.
        session.execute(update(model).where(model.id.in_(moving)).values(customer_id=to_customer))
    session.flush()
    return sorted(moving)


def audit_event(session: Session, workspace_id: int, event_id: int) -> AuditEvent | None:
    return session.scalar(select(AuditEvent).where(AuditEvent.workspace_id == workspace_id, AuditEvent.id == event_id))


def latest_audit_event(
    session: Session, workspace_id: int, entity_type: str, entity_id: int, actions: Collection[str]
) -> AuditEvent | None:
    return session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.workspace_id == workspace_id,
            AuditEvent.entity_type == entity_type,
            AuditEvent.entity_id == entity_id,
            AuditEvent.action.in_(list(actions)),
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )


def lock_customers(session: Session, workspace_id: int, customer_ids: Collection[int]) -> None:
    """Hold both sides of a merge until commit, always in id order, so two crossing merges can't make a cycle.

    SQLite writers already take the whole store (BEGIN IMMEDIATE); PostgreSQL locks the two rows.
    """
    session.execute(
        select(Customer.id)
        .where(Customer.workspace_id == workspace_id, Customer.id.in_(sorted(customer_ids)))
        .order_by(Customer.id)
        .with_for_update()
    ).all()


def customer_row(session: Session, workspace_id: int, customer_id: int) -> Customer | None:
    """The row itself, merged or deleted or not (merges and their undo work on both customers)."""
    return session.scalar(select(Customer).where(Customer.workspace_id == workspace_id, Customer.id == customer_id))


def member_ids_by_name(session: Session, workspace_id: int) -> dict[str, set[str]]:
    """Slack user ids of the members Touchpoint knows, by their Slack name and real name, lower-cased."""
    found: dict[str, set[str]] = {}
    rows = session.execute(
        select(Member.slack_user_id, Member.name, Member.real_name).where(
            Member.workspace_id == workspace_id, Member.deleted.is_(False)
        )
    )
    for user_id, name, real_name in rows:
        for label in (name, real_name):
            if label:
                found.setdefault(label.strip().lower(), set()).add(user_id)
    return found


def workspace_stages(session: Session, workspace_id: int) -> list[str] | None:
    return session.scalar(select(Workspace.stages).where(Workspace.id == workspace_id))


def save_workspace_stages(session: Session, workspace_id: int, stages: list[str]) -> None:
    session.execute(update(Workspace).where(Workspace.id == workspace_id).values(stages=stages))


def add_stage_change(
    session: Session,
    customer: Customer,
    from_stage: str | None,
    to_stage: str | None,
    changed_by: str | None,
    now: datetime,
) -> StageChange:
    row = StageChange(
        workspace_id=customer.workspace_id,
        customer_id=customer.id,
        from_stage=from_stage,
        to_stage=to_stage,
        changed_by=changed_by,
        changed_at=now,
    )
    session.add(row)
    session.flush()
    return row


def insert_stage_changes(session: Session, rows: list[dict[str, Any]]) -> None:
    """Many (workspace_id, customer_id, from_stage, to_stage, changed_by, changed_at) in one statement, for imports."""
    if rows:
        session.execute(insert(StageChange), rows)


def stage_changes(session: Session, workspace_id: int, customer_id: int) -> list[StageChange]:
    """A customer's stage history, oldest first."""
    return list(
        session.scalars(
            select(StageChange)
            .where(StageChange.workspace_id == workspace_id, StageChange.customer_id == customer_id)
            .order_by(StageChange.changed_at, StageChange.id)
        )
    )
