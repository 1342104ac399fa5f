"""A report runs after the acknowledgement, so it reads under the background limits, not a reply's.

On PostgreSQL the serving engine cancels any statement after 1.5 s, which a year's report on a large store
outlasts: `/report last 365 days` came back as the store-down apology. SQLite has no statement timeout. How
PostgreSQL plans the report's statements (storage.db.PLANNER_DEFAULTS) is held here too.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from bot.runtime import Runtime
from storage import reports as report_store
from storage.db import BACKGROUND_TIMEOUTS, SERVING_TIMEOUTS, create_store_engine


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


def test_postgresql_compiles_no_statement_to_machine_code_nor_starts_workers_for_one(runtime: Runtime):
    """PostgreSQL's JIT spent about a second compiling a year's report on the benchmark store (bench/report.py),
    more than the statements took to run, and a statement's parallel workers each built the quiet customers'
    list of touched ones again, against the report's own parts read two at once; every store connection turns
    both off unless DATABASE_URL says otherwise."""
    if runtime.engine.dialect.name == "sqlite":
        assert runtime.slow_readers is runtime.readers  # SQLite compiles nothing: no such setting
        return
    with runtime.readers.begin() as serving, runtime.slow_readers.begin() as slow:
        assert serving.scalar(text("SHOW jit")) == slow.scalar(text("SHOW jit")) == "off"
        workers = text("SHOW max_parallel_workers_per_gather")
        assert serving.scalar(workers) == slow.scalar(workers) == "0"
    asked_for = {"options": "-c jit=on -c max_parallel_workers_per_gather=2"}
    url = runtime.engine.url.update_query_dict(asked_for).render_as_string(hide_password=False)
    asked = create_store_engine(url, BACKGROUND_TIMEOUTS)
    try:
        with asked.connect() as conn:
            assert conn.scalar(text("SHOW jit")) == "on"
            assert conn.scalar(text("SHOW max_parallel_workers_per_gather")) == "2"
            assert statement_timeout_ms_of(conn) == BACKGROUND_TIMEOUTS.statement_ms  # its own options kept too
    finally:
        asked.dispose()


def statement_timeout_ms_of(conn: Connection) -> int:
    return int(conn.scalar(text("SELECT setting FROM pg_settings WHERE name = 'statement_timeout'")))


def test_a_statement_run_again_and_again_is_planned_for_its_values_each_time(runtime: Runtime):
    """psycopg prepares a statement on the server once a connection has run it five times, and PostgreSQL then
    plans it once for any values when that plan looks no costlier: on the benchmark store (bench/report.py), the
    quiet customers' look for any touchpoint after the window, one step of an index for the instant given, read
    all 1,000,000 touchpoints when planned for any instant, and took 180 ms instead of 70 from a long-lived
    connection's sixth report on. Every store connection plans each run anew."""
    if runtime.engine.dialect.name == "sqlite":
        assert runtime.slow_readers is runtime.readers  # SQLite plans every statement as it is prepared
        return
    end = runtime.now()
    with runtime.slow_readers.begin() as session:
        for days_back in range(12):
            as_of = end - timedelta(days=days_back)
            report_store.quiet_customer_counts(session, 1, as_of, 30, report_store.EVERYTHING)
        planned = session.execute(
            text("SELECT sum(generic_plans), sum(custom_plans) FROM pg_prepared_statements")
        ).one()
    generic, custom = planned
    assert custom, "psycopg prepared no statement: nothing was tried"
    assert generic == 0
