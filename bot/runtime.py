"""What every listener needs, built once per process and handed to Bolt through the context."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.customers.name_index import CustomerIndexes
from bot.response_urls import ResponseUrls
from storage.db import BACKGROUND_TIMEOUTS, create_store_engine, make_reader_factory, make_session_factory

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
    _opened: list[Engine] = field(init=False, default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.sessions = make_session_factory(self.engine)
        self.readers = make_reader_factory(self.engine)
        self.response_urls = ResponseUrls(self.settings.slack_hooks_url)

    def now(self) -> datetime:
        return self.clock()

    @cached_property
    def slow_readers(self) -> sessionmaker[Session]:
        """Reads that run after the acknowledgement, where nobody waits for a reply within Slack's 3 s (a year's
        report): on PostgreSQL a second engine under the background limits, as the serving engine cancels a
        statement after 1.5 s; on SQLite, which has no statement timeout, `readers`."""
        if self.engine.dialect.name == "sqlite":
            return self.readers
        url = self.engine.url.render_as_string(hide_password=False)
        self._opened.append(create_store_engine(url, BACKGROUND_TIMEOUTS, pool_size=2, max_overflow=2))
        return make_reader_factory(self._opened[-1])

    def dispose(self) -> None:
        """Close the engines this runtime opened for itself (the slow readers'); `engine` is its giver's to close."""
        while self._opened:
            self._opened.pop().dispose()


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
