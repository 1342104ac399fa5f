"""The folder's running app keeps a store of its own while the tests around it empty and fill theirs."""

from __future__ import annotations

from sqlalchemy import Engine, select

from storage.db import create_store_engine
from storage.models import Customer
from tests.socket_mode.helpers import add_customers


def test_a_test_store_emptied_and_filled_meanwhile_is_not_the_running_apps_store(socket_store: str, engine: Engine):
    # `engine` is one test's store, emptied for it. On PostgreSQL both were once the one shared database: a test
    # that seeded "Acme Corp" for itself left it in the running app's store, and the folder's next seeding failed.
    add_customers(engine, "Soylent")

    apps = create_store_engine(socket_store)
    try:
        with apps.connect() as conn:
            names = conn.scalars(select(Customer.name)).all()
    finally:
        apps.dispose()
    assert "Soylent" not in names
