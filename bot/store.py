"""Opening the store for a command: the engine, and migrations where they are safe to run by ourselves."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from bot.config import Settings
from storage.db import SERVING_TIMEOUTS, StoreTimeouts, create_store_engine, sqlite_file
from storage.migrate import current_revision, head_revision, upgrade


class StoreNotReady(Exception):
    pass


def open_store(
    settings: Settings, timeouts: StoreTimeouts = SERVING_TIMEOUTS, *, create: bool = True, read_only: bool = False
) -> Engine:
    """An engine on DATABASE_URL; the embedded SQLite store is brought up to date on the spot.

    A shared PostgreSQL is only migrated by `touchpoint db upgrade` (the release step), so that
    several web processes starting at once never race to migrate it. `timeouts` bound a PostgreSQL statement:
    tight for the processes that answer Slack, longer for the scheduler, none for commands. Without `create`,
    a SQLite store that is not there yet is not made either: a command that only reads (or writes to what must
    already be there) says so instead of leaving an empty `touchpoint.db` behind. A `read_only` store is
    opened so that nothing can be written, and is never migrated.
    """
    if not (create and not read_only):
        require_existing_store(settings)
    engine = create_store_engine(settings.database_url, timeouts, read_only=read_only)
    try:
        current = current_revision(engine)
    except BaseException:
        engine.dispose()
        raise  # a store that does not answer is told as one line by bot.cli.common.store_fault_line
    if current == head_revision():
        return engine
    if engine.dialect.name == "sqlite" and not read_only:
        upgrade(engine)
        return engine
    engine.dispose()
    raise StoreNotReady("the store's schema is not up to date: run `touchpoint db upgrade` first")


def require_existing_store(settings: Settings) -> None:
    """Stop with "no store yet" when DATABASE_URL names a SQLite file that does not exist."""
    path = sqlite_file(settings.database_url)
    if path is not None and not path.exists():
        shown = make_url(settings.database_url).render_as_string(hide_password=True)
        raise StoreNotReady(
            f"no store yet at {shown} ({path} does not exist); run `touchpoint db upgrade` to make one, "
            "or check DATABASE_URL"
        )
