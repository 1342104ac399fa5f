"""`touchpoint db …`"""

from __future__ import annotations

import argparse

from bot.config import Settings
from bot.store import require_existing_store
from storage.db import COMMAND_TIMEOUTS, create_store_engine
from storage.migrate import current_revision, head_revision
from storage.migrate import upgrade as run_upgrade


def upgrade(args: argparse.Namespace, settings: Settings) -> int:
    engine = create_store_engine(settings.database_url, COMMAND_TIMEOUTS)
    try:
        run_upgrade(engine)
        print(f"store is at revision {current_revision(engine)} (head {head_revision()})")
    finally:
        engine.dispose()
    return 0


def current(args: argparse.Namespace, settings: Settings) -> int:
    """The revision as it is: nothing created, nothing migrated (that is `db upgrade`)."""
    require_existing_store(settings)
    engine = create_store_engine(settings.database_url, COMMAND_TIMEOUTS, read_only=True)
    try:
        print(current_revision(engine) or "empty")
    finally:
        engine.dispose()
    return 0
