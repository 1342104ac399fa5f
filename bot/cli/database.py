"""`touchpoint db …`"""

from __future__ import annotations

import argparse

from bot.config import Settings
from storage.db import COMMAND_TIMEOUTS, create_store_engine
from storage.migrate import current_revision, head_revision
from storage.migrate import upgrade as run_upgrade


def upgrade(args: argparse.Namespace, settings: Settings) -> int:
    engine = create_store_engine(settings.database_url, COMMAND_TIMEOUTS)
    run_upgrade(engine)
    print(f"store is at revision {current_revision(engine)} (head {head_revision()})")
    return 0


def current(args: argparse.Namespace, settings: Settings) -> int:
    engine = create_store_engine(settings.database_url, COMMAND_TIMEOUTS)
    print(current_revision(engine) or "empty")
    return 0
