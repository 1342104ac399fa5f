"""Opening the store for a command: the engine, and migrations where they are safe to run by ourselves."""

from __future__ import annotations

from sqlalchemy import Engine

from bot.config import Settings
from storage.db import SERVING_TIMEOUTS, StoreTimeouts, create_store_engine
from storage.migrate import current_revision, head_revision, upgrade


class StoreNotReady(Exception):
    pass


def open_store(settings: Settings, timeouts: StoreTimeouts = SERVING_TIMEOUTS) -> Engine:
    """An engine on DATABASE_URL; the embedded SQLite store is brought up to date on the spot.

    A shared PostgreSQL is only migrated by `touchpoint db upgrade` (the release step), so that
    several web processes starting at once never race to migrate it. `timeouts` bound a PostgreSQL statement:
    tight for the processes that answer Slack, longer for the scheduler, none for commands.
    """
    engine = create_store_engine(settings.database_url, timeouts)
    try:
        current = current_revision(engine)
    except Exception as error:
        raise StoreNotReady(f"the store at DATABASE_URL does not answer: {error.__class__.__name__}: {error}") from None
    if current == head_revision():
        return engine
    if engine.dialect.name == "sqlite":
        upgrade(engine)
        return engine
    raise StoreNotReady("the store's schema is not up to date: run `touchpoint db upgrade` first")
