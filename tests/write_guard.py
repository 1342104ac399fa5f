"""Catches a Web API call made while the calling thread holds a write transaction open.

On SQLite a write transaction holds the one write lock of every process: a `users.info` that Slack answers
slowly (or with a 429 and a Retry-After) inside one would stall every other writer. `tests/conftest.py` watches
every test with it, so each listener the suite drives is checked, on both stores.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine, event


class WriteGuard:
    def __init__(self) -> None:
        self._local = threading.local()
        self.violations: list[str] = []

    def _writers(self) -> list[Any]:
        if not hasattr(self._local, "writers"):
            self._local.writers = []
        return self._local.writers

    def on_begin(self, conn: Any) -> None:
        # Readers run with sqlite_begin=DEFERRED (storage.db.make_reader_factory) on both stores: not writes.
        if conn.get_execution_options().get("sqlite_begin", "IMMEDIATE") == "IMMEDIATE":
            self._writers().append(conn)

    def on_end(self, conn: Any) -> None:
        writers = self._writers()
        if conn in writers:
            writers.remove(conn)

    def on_call(self, method: str) -> None:
        # A transaction whose BEGIN failed never ends with an event: ask the connection itself.
        writers = self._writers()
        writers[:] = [conn for conn in writers if not conn.closed and conn.in_transaction()]
        if writers:
            where = "".join(traceback.format_stack(limit=12)[:-2])
            self.violations.append(f"{method} called inside a write transaction:\n{where}")


@contextmanager
def guarding_writes(monkeypatch: pytest.MonkeyPatch) -> Iterator[WriteGuard]:
    guard = WriteGuard()
    hooks = [("begin", guard.on_begin), ("commit", guard.on_end), ("rollback", guard.on_end)]
    for name, hook in hooks:
        event.listen(Engine, name, hook)
    api_call = WebClient.api_call

    def watched_api_call(self: WebClient, api_method: str, *args: Any, **kwargs: Any) -> Any:
        guard.on_call(api_method)
        return api_call(self, api_method, *args, **kwargs)

    monkeypatch.setattr(WebClient, "api_call", watched_api_call)
    try:
        yield guard
    finally:
        for name, hook in hooks:
            event.remove(Engine, name, hook)
