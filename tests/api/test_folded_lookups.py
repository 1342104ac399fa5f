"""The API's look-ups of a customer by domain and a contact by e-mail answer from an index of the folded value
(migration 0017), whatever the store: a workspace's customers are never read whole for one write."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from storage import api as api_store


def plans_of(engine, look_up: Callable[[Session], object]) -> str:
    """The store's plans of the statements `look_up` runs, with sequential scans made a last resort on PostgreSQL
    so that a table of a test's size shows whether an index can answer at all."""
    ran: list[tuple[str, object]] = []

    def seen(_conn, _cursor, statement, parameters, _context, _many) -> None:
        ran.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with Session(engine) as session:
            look_up(session)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    plans = []
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in ran:
            if engine.dialect.name == "sqlite":
                cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
                plans += [str(row[-1]) for row in cursor.fetchall()]
            else:
                cursor.execute("SET enable_seqscan = off")
                cursor.execute(f"EXPLAIN {statement}", parameters)
                plans += [row[0] for row in cursor.fetchall()]
    finally:
        raw.close()
    return "\n".join(plans)


@pytest.mark.parametrize(
    ("look_up", "index"),
    [
        (lambda session: api_store.customer_ids_by_domain(session, 1, ["ACME.com"]), "ix_customers_domain_folded"),
        (
            lambda session: api_store.customer_ids_by_contact_email(session, 1, ["Dana@Acme.com"]),
            "ix_contacts_email_folded",
        ),
    ],
    ids=["customer by domain", "contact by e-mail"],
)
def test_a_folded_lookup_is_answered_from_its_index(engine, look_up, index):
    assert index in plans_of(engine, look_up)
