"""Write-lock probe for bench/log_latency.py --probe (loaded by the servers through PYTHONPATH).

For every SQLite write transaction (BEGIN IMMEDIATE) it appends one line to $BENCH_PROBE_DIR/locks-<pid>.txt:
`<unix time at commit> <ms waiting for the write lock> <ms holding it> <commit|rollback|busy>`.
It changes nothing in the code under test; it only listens to SQLAlchemy engine events.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

_DIR = os.environ.get("BENCH_PROBE_DIR")

if _DIR:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    _local = threading.local()
    _files: dict[int, Any] = {}
    _lock = threading.Lock()

    def _write(line: str) -> None:
        pid = os.getpid()
        with _lock:
            handle = _files.get(pid)
            if handle is None:
                handle = _files[pid] = open(os.path.join(_DIR, f"locks-{pid}.txt"), "a", buffering=1)  # noqa: SIM115
            handle.write(line)

    @event.listens_for(Engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("BEGIN IMMEDIATE"):
            _local.asked = time.perf_counter()

    @event.listens_for(Engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("BEGIN IMMEDIATE"):
            _local.locked = time.perf_counter()

    def _finish(kind: str) -> None:
        locked = getattr(_local, "locked", None)
        if locked is None:
            return
        now = time.perf_counter()
        _write(f"{time.time():.4f} {(locked - _local.asked) * 1000:.3f} {(now - locked) * 1000:.3f} {kind}\n")
        _local.locked = None

    @event.listens_for(Engine, "commit")
    def _commit(conn: Any) -> None:
        _finish("commit")

    @event.listens_for(Engine, "rollback")
    def _rollback(conn: Any) -> None:
        _finish("rollback")

    @event.listens_for(Engine, "handle_error")
    def _error(context: Any) -> None:
        statement = context.statement or ""
        if statement.startswith("BEGIN IMMEDIATE") and getattr(_local, "asked", None) is not None:
            waited = (time.perf_counter() - _local.asked) * 1000
            _write(f"{time.time():.4f} {waited:.3f} -1 busy\n")
            _local.asked = None
