"""PostgreSQL connections that never wait on the server for longer than their limit, and a short pause
on reconnecting once one has.

The server's own `statement_timeout` cannot end a wait on a server, or a network path, that stopped
answering altogether; psycopg would then wait for ever and Slack would give up on the request. Every wait of a
connection from `bounded_connect` (statements, fetches, commits, the pool's ping) is bounded: past its limit the
connection is closed and the wait raises `OperationalError`, which SQLAlchemy reads as a lost connection and the
error handler as a store that is down. Reconnecting to a store that just stalled would cost another connect
timeout (at least 2 s) inside the same request, so the reconnect that follows a stall straight away fails at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

# Right after one of its waits ran out, a thread's next connection is refused at once, if it comes within this
# long: the request that met the stall (the pool reconnects straight away) does not wait out a connect timeout
# as well. Later requests try again (a connect gives up within 2 s).
RECONNECT_PAUSE_S = 0.5


def bounded_connect(wait_limit_s: float) -> Callable[..., Any]:
    """A `do_connect` handler: (dialect, record, cargs, cparams) -> a connection whose waits are bounded."""
    import psycopg
    from psycopg import errors

    stalled = threading.local()  # when this thread last met a stall, until its next connect

    class BoundedConnection(psycopg.Connection):  # type: ignore[type-arg]
        def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
            try:
                return super().wait(gen, interval, wait_limit_s if timeout is None else timeout)
            except errors._WaitTimeout:
                stalled.at = time.monotonic()
                self.pgconn.finish()  # mid-protocol: the connection cannot be used again
                raise psycopg.OperationalError(f"the store did not answer within {wait_limit_s:g} s") from None

    def connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        met_at, stalled.at = getattr(stalled, "at", None), None
        if met_at is not None and time.monotonic() - met_at < RECONNECT_PAUSE_S:
            raise psycopg.OperationalError("the store stalled a moment ago; not reconnecting yet")
        return BoundedConnection.connect(*cargs, **cparams)

    return connect
