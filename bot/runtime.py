"""What every listener needs, built once per process and handed to Bolt through the context."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.customers.name_index import CustomerIndexes
from bot.response_urls import ResponseUrls
from storage.db import make_reader_factory, make_session_factory

logger = logging.getLogger(__name__)


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    clock: Callable[[], datetime] = system_clock
    indexes: CustomerIndexes = field(default_factory=CustomerIndexes)
    # Tenant key (team id, or an org-wide install's enterprise id) -> workspace row id. Workspace rows are never
    # deleted or renumbered, so this never goes stale.
    workspace_ids: dict[str, int] = field(default_factory=dict)
    # (Slack team id, user id) of the people let in as members (handlers.outsiders): not asked about again.
    members_admitted: set[tuple[str, str]] = field(default_factory=set)
    # Tenant key -> when this process last saw it installed (time.monotonic), by handlers.installations.
    installed_checked_at: dict[str, float] = field(default_factory=dict)
    sessions: sessionmaker[Session] = field(init=False)
    readers: sessionmaker[Session] = field(init=False)
    # The one way out to a response_url, for the listeners that answer one kept in a modal's private_metadata.
    response_urls: ResponseUrls = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = make_session_factory(self.engine)
        self.readers = make_reader_factory(self.engine)
        self.response_urls = ResponseUrls(self.settings.slack_hooks_url)

    def now(self) -> datetime:
        return self.clock()


def write_retried(rt: Runtime, change: Callable[[Session], Any], attempts: int = 3) -> Any:
    """A short write retried a moment later if the store hiccups: after a send, it is what stands between
    Slack's acceptance and a second message (a nudge's, a weekly report's)."""
    for attempt in range(attempts):
        try:
            with rt.sessions.begin() as session:
                return change(session)
        except Exception:
            if attempt == attempts - 1:
                raise
            logger.warning("store write failed, trying again", exc_info=True)
            time.sleep(0.2 * 3**attempt)
