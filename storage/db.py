"""Engines and sessions. Sessions are opened per unit of work by the caller and passed in."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

try:
    import fcntl
except ImportError:  # Windows: writers of one process still queue; across processes SQLite's busy handler decides
    fcntl = None  # type: ignore[assignment]

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import TimeoutError as StoreTimeout
from sqlalchemy.orm import Session, sessionmaker

from storage.pg_stalls import bounded_connect

# A write waits this long for another writer before giving up; kept under Slack's 3 s ack window.
SQLITE_BUSY_TIMEOUT_MS = 2000
PG_CONNECT_TIMEOUT_S = 2
# How much longer than statement_timeout a connection waits for the server: the server's own cancel comes first.
PG_WAIT_MARGIN_MS = 300


@dataclass(frozen=True)
class StoreTimeouts:
    """How long one PostgreSQL statement may run, and wait for a lock, before it is cancelled (None: no limit)."""

    statement_ms: int | None
    lock_ms: int | None


# Connections that answer Slack: a statement stuck on a lock or a stalled server gives up well inside Slack's
# 3 s window, so the person gets the store-down apology (and a Try again button) instead of a timeout, and a
# row is never saved after its reply was lost.
SERVING_TIMEOUTS = StoreTimeouts(statement_ms=1500, lock_ms=1000)
# The scheduler's ticks: nobody waits on them, but a claim must not queue behind a stuck lock for ever.
BACKGROUND_TIMEOUTS = StoreTimeouts(statement_ms=60_000, lock_ms=10_000)
# Commands (imports, exports, migrations) run as long as their work takes.
COMMAND_TIMEOUTS = StoreTimeouts(statement_ms=None, lock_ms=None)
# How PostgreSQL plans the app's statements, unless DATABASE_URL's options say otherwise.
PLANNER_DEFAULTS = {
    # It compiles a statement's expressions to machine code once its estimated cost passes jit_above_cost: for
    # statements of milliseconds to a second, as all of ours are, compiling costs more than it saves (a year's
    # report spent about a second in it).
    "jit": "off",
    # No workers of its own for one statement: a report already reads its parts two at once on connections of
    # their own (bot.reports.measures.REPORT_WORKERS), one a core, and each worker built again what the statement
    # looks up (the quiet customers' list of the window's touched ones, 13 ms): 200 ms of CPU in three processes
    # against 54 ms in one.
    "max_parallel_workers_per_gather": 0,
    # A plan for the values of each run, never one for any values: psycopg prepares a statement once its
    # connection has run it five times, and PostgreSQL then keeps a plan made without the values if it looks no
    # costlier. A report's bounds decide what a range holds: asked whether any touchpoint came after now, one
    # step of an index, the plan for any instant read all 1,000,000 (156 ms), and the quiet customers took
    # 180 ms instead of 70 from a long-lived connection's sixth report on. Planning a lookup by id again costs
    # about 10 µs.
    "plan_cache_mode": "force_custom_plan",
}


def create_store_engine(
    url: str, timeouts: StoreTimeouts = SERVING_TIMEOUTS, *, read_only: bool = False, **kwargs: Any
) -> Engine:
    """An engine on the store; `read_only` for commands that must change nothing, not even create the file.

    Read-only SQLite is opened with `mode=ro`, so a missing file is an error instead of a new empty store;
    read-only PostgreSQL sessions refuse writes (`default_transaction_read_only`).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_file(parsed)
        if read_only and path is not None:
            # A URI filename: %, ? and # in the path must be escaped, or SQLite reads them as the URI's own.
            parsed = parsed.set(database=f"file:{quote(str(path.absolute()))}", query={"mode": "ro", "uri": "true"})
            # BEGIN IMMEDIATE takes the write lock, which a read-only connection may not.
            kwargs.setdefault("execution_options", {"sqlite_begin": "DEFERRED"})
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        _configure_sqlite(engine, writer=not read_only)
        return engine
    connect_args: dict[str, Any] = {"connect_timeout": PG_CONNECT_TIMEOUT_S}
    settings = {"statement_timeout": timeouts.statement_ms, "lock_timeout": timeouts.lock_ms}
    given = parsed.query.get("options", ())  # DATABASE_URL's own ?options=, kept; a later -c of a name wins
    options = [f"-c {name}={value}" for name, value in PLANNER_DEFAULTS.items()]
    options += [given] if isinstance(given, str) else given
    options += [f"-c {name}={value}" for name, value in settings.items() if value is not None]
    if read_only:
        options.append("-c default_transaction_read_only=on")
    if options:  # set as the connection starts: no extra round trip
        connect_args["options"] = " ".join(options)
    engine = create_engine(
        url,
        pool_pre_ping=True,  # a store that was down and came back is reconnected to without a restart
        connect_args=connect_args,
        **kwargs,
    )
    if timeouts.statement_ms is not None and parsed.get_driver_name() == "psycopg":
        # A server or network that stops answering is not stopped by statement_timeout: bound the wait here.
        limit_s = (timeouts.statement_ms + PG_WAIT_MARGIN_MS) / 1000
        event.listen(engine, "do_connect", bounded_connect(limit_s))
    return engine


def sqlite_file(url: str | URL) -> Path | None:
    """The file a SQLite URL names; None for another backend, an in-memory store, or a `file:` URI."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def one_store_per_connection(engine: Engine) -> bool:
    """An in-memory SQLite store: every connection opens a store of its own, so readers that would share one
    store (a report read on several connections at once) must share the one connection instead."""
    url = engine.url
    if url.get_backend_name() != "sqlite":
        return False
    database = url.database or ""
    return database in ("", ":memory:") or "mode=memory" in database or url.query.get("mode") == "memory"


def _configure_sqlite(engine: Engine, *, writer: bool = True) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself, so writers can take the lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if writer:  # switching the journal is a write, which a read-only connection may not make
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    # SQLite's busy handler retries with sleeps growing to 100 ms and serves waiters in no order, so with many
    # threads waiting, some wait out the whole busy timeout while others pass. This process's writers queue on
    # a lock instead, and the one at the front waits for other processes' writers on a lock file, which it
    # polls finely: it gets in as soon as the other process commits, not after the busy handler's next sleep.
    writers = threading.Lock()
    other_processes = _WriterFile.beside(engine.url.database)

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        # A deferred transaction that reads and then writes fails at once with SQLITE_BUSY when another
        # writer got in between; taking the write lock at BEGIN makes concurrent writers queue instead.
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        if mode != "IMMEDIATE":
            conn.exec_driver_sql(f"BEGIN {mode}")
            return
        deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
        if not writers.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise StoreTimeout("waited too long for the other writers of this process")
        try:
            if other_processes is not None:
                other_processes.acquire(deadline)
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                if other_processes is not None:
                    other_processes.release()
                raise
        except BaseException:
            writers.release()
            raise
        conn.info["sqlite_writer"] = True

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def on_end(conn: Any) -> None:
        if conn.info.pop("sqlite_writer", False):
            if other_processes is not None:
                other_processes.release()
            writers.release()


class _WriterFile:
    """An exclusive lock on a file beside the database, held by one process's writer at a time.

    Opened per transaction, so no descriptor outlives an engine; the kernel drops the lock when its holder
    closes the file or dies, so a crashed process never blocks the others.
    """

    POLL_S = 0.0002

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    @classmethod
    def beside(cls, database: str | None) -> _WriterFile | None:
        if fcntl is None or not database or database == ":memory:" or database.startswith("file:"):
            return None
        return cls(Path(f"{database}-writer.lock"))

    def acquire(self, deadline: float) -> None:
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._fd = fd
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise StoreTimeout("waited too long for the writers of other processes") from None
                time.sleep(self.POLL_S)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing drops the lock


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
