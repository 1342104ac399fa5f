"""A report runs after the acknowledgement, so it reads under the background limits, not a reply's.

On PostgreSQL the serving engine cancels any statement after 1.5 s, which a year's report on a large store
outlasts: `/report last 365 days` came back as the store-down apology. SQLite has no statement timeout.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from bot.runtime import Runtime
from storage.db import BACKGROUND_TIMEOUTS, SERVING_TIMEOUTS


def statement_timeout_ms(session: Session) -> int:
    return int(session.scalar(text("SELECT setting FROM pg_settings WHERE name = 'statement_timeout'")))


def test_a_reports_reads_are_not_cut_short_at_a_replys_limit(runtime: Runtime):
    if runtime.engine.dialect.name == "sqlite":
        assert runtime.slow_readers is runtime.readers  # nothing to lengthen: the same store, the same reads
        return
    with runtime.readers.begin() as serving, runtime.slow_readers.begin() as slow:
        assert statement_timeout_ms(serving) == SERVING_TIMEOUTS.statement_ms
        assert statement_timeout_ms(slow) == BACKGROUND_TIMEOUTS.statement_ms
        # A statement longer than a reply may take, as a year's report on a large store is.
        assert slow.scalar(text("SELECT 1 FROM pg_sleep(2)")) == 1
