"""`touchpoint export customers`: every customer with its names, stage, owner, contacts and counts, as CSV or
JSON lines, defused against spreadsheet formulas, and imported back unchanged."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.capture.touchpoints import log_line
from bot.customers.name_index import CustomerIndexes
from bot.members import Author
from storage.customers import add_contact, add_customer, add_names
from storage.db import create_store_engine
from storage.migrate import upgrade
from storage.models import Contact, Customer, CustomerName
from storage.workspaces import workspace_for_team
from tests.cli.test_data_commands import counts, run
from tests.conftest import BERLIN, START, TEAM


@pytest.fixture
def filled(store: Engine, sessions) -> dict[str, int]:
    """Customers with every kind of field, one merged away, and touchpoints with a follow-up."""
    with sessions.begin() as session:
        workspace_id = workspace_for_team(session, TEAM).id
        acme = add_customer(
            session,
            workspace_id,
            "Acme Corp",
            domain="acme.com",
            aliases=["ACME", "Road Runner Supply"],
            stage="active",
            owner_user_id="U0ALICE",
            now=START,
        )
        add_names(session, acme, "domain", ["acme.de"])
        add_contact(session, acme, name="Dana Scully", email="dana@acme.com", role="Buyer", phone="+49 1", now=START)
        add_contact(session, acme, name="Fox Mulder", now=START)
        formula = add_customer(session, workspace_id, '=HYPERLINK("http://x")', aliases=["@SUM(A1)"], now=START)
        gone = add_customer(session, workspace_id, "Globex", now=START)
        gone.merged_into_id = acme.id
        alice = Author("U0ALICE", BERLIN, "sales")
        log_line(session, CustomerIndexes(), workspace_id, alice, "Acme: call, follow up friday", now=START)
        log_line(session, CustomerIndexes(), workspace_id, alice, "Acme: demo", now=START + timedelta(hours=1))
    return {"acme": acme.id, "formula": formula.id}


def test_jsonl_lists_every_live_customer_with_names_contacts_and_counts(capsys, filled):
    status, out, err = run(capsys, "export", "customers", "--format", "jsonl")

    assert (status, err) == (0, "")
    acme, formula = (json.loads(line) for line in out.splitlines())
    assert acme == {
        "id": filled["acme"],
        "name": "Acme Corp",
        "domains": ["acme.com", "acme.de"],
        "aliases": ["ACME", "Road Runner Supply"],
        "stage": "active",
        "owner": "U0ALICE",
        "contacts": [
            {"name": "Dana Scully", "email": "dana@acme.com", "phone": "+49 1", "role": "Buyer"},
            {"name": "Fox Mulder", "email": None, "phone": None, "role": None},
        ],
        "touchpoints": 2,
        "open_follow_ups": 1,
        "last_touch_at": "2026-11-25T10:30:00+00:00",
        "created_at": "2026-11-25T09:30:00+00:00",
    }
    assert formula["name"] == '=HYPERLINK("http://x")'  # JSON keeps it as typed


def test_csv_cells_are_defused_against_formulas(capsys, filled):
    status, out, _ = run(capsys, "export", "customers")

    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    assert [row["name"] for row in rows] == ["Acme Corp", '\'=HYPERLINK("http://x")']
    assert rows[0]["domains"] == "acme.com;acme.de"
    assert rows[0]["contacts"] == "Dana Scully <dana@acme.com>;Fox Mulder"
    assert rows[1]["aliases"] == "'@SUM(A1)"


def test_exported_then_imported_into_the_same_store_changes_nothing(capsys, filled, store, tmp_path):
    target = tmp_path / "customers.csv"
    status, _, err = run(capsys, "export", "customers", "-o", str(target))
    assert (status, err) == (0, f"exported 2 customers to {target}\n")
    before = counts(store)

    status, out, err = run(capsys, "import", "customers", str(target))

    assert (status, err) == (0, "")
    assert out == "nothing changed: 2 rows already in the store as the file has them, skipped 0 bad rows\n"
    assert counts(store) == before


def snapshot(engine: Engine) -> list[tuple]:
    with Session(engine) as session:
        customers = session.scalars(select(Customer).where(Customer.merged_into_id.is_(None)).order_by(Customer.id))
        found = []
        for customer in customers:
            names = session.execute(
                select(CustomerName.kind, CustomerName.value).where(CustomerName.customer_id == customer.id)
            )
            contacts = session.execute(select(Contact.name, Contact.email).where(Contact.customer_id == customer.id))
            found.append(
                (customer.name, customer.domain, customer.stage, customer.owner_user_id, set(names), set(contacts))
            )
        return found


def test_exported_then_imported_into_a_fresh_store_reproduces_the_customers(
    capsys, filled, store, tmp_path, monkeypatch
):
    target = tmp_path / "customers.csv"
    assert run(capsys, "export", "customers", "-o", str(target))[0] == 0
    fresh_path = Path(tmp_path) / "fresh.db"
    fresh = create_store_engine(f"sqlite:///{fresh_path}")
    upgrade(fresh)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{fresh_path}")

    status, out, err = run(capsys, "import", "customers", str(target), "--team", TEAM)

    assert (status, err) == (0, "")
    assert out == "imported 2 new customers, updated 0, unchanged 0, skipped 0 bad rows\n"
    without_merged = [row for row in snapshot(store) if row[0] != "Globex"]
    assert snapshot(fresh) == without_merged
    fresh.dispose()
