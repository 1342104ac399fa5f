"""Engines and sessions. Sessions are opened per unit of work by the caller and passed in."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import TimeoutError as StoreTimeout
from sqlalchemy.orm import Session, sessionmaker

# A write waits this long for another writer before giving up; kept under Slack's 3 s ack window.
SQLITE_BUSY_TIMEOUT_MS = 2000
PG_CONNECT_TIMEOUT_S = 2


def create_store_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,  # a store that was down and came back is reconnected to without a restart
        connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S},
        **kwargs,
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself, so writers can take the lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    # SQLite's busy handler retries with sleeps growing to 100 ms and serves waiters in no order, so with many
    # threads waiting, some wait out the whole busy timeout while others pass. This process's writers queue on
    # a lock instead, so at most one thread per process waits inside SQLite.
    writers = threading.Lock()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        # A deferred transaction that reads and then writes fails at once with SQLITE_BUSY when another
        # writer got in between; taking the write lock at BEGIN makes concurrent writers queue instead.
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        if mode != "IMMEDIATE":
            conn.exec_driver_sql(f"BEGIN {mode}")
            return
        if not writers.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise StoreTimeout("waited too long for the other writers of this process")
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            writers.release()
            raise
        conn.info["sqlite_writer"] = True

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def on_end(conn: Any) -> None:
        if conn.info.pop("sqlite_writer", False):
            writers.release()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def make_reader_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for pure reads: on SQLite they don't queue behind writers."""
    return sessionmaker(engine.execution_options(sqlite_begin="DEFERRED"), expire_on_commit=False)


def store_answers(engine: Engine) -> bool:
    try:
        # A read: on SQLite it must not queue behind writers for the write lock.
        with engine.execution_options(sqlite_begin="DEFERRED").connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
