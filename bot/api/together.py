"""Single touchpoints posted at the same moment, saved in one transaction: a server process answering many
clients at once spends its time on each transaction's round trips (the token's check, the look-ups, the inserts,
the commit) rather than on the records, so the records that arrive while one is being saved are saved together.

The first request to find nothing being saved saves its record with whatever else is queued by then
(`SaveTogether.save`), and hands the queue that gathered meanwhile to the first request in it. Before it starts it
waits, at most LINGER_S, for the requests of the process already on their way (`arriving`: from the moment the
API has them), and under load (the last save had company) for as many as the last save had: a lone client's
posts are saved at once.

Each record is saved as `bot.api.intake.save_batch` saves a batch's items, so each answers as if posted alone: its
own field errors, `existing` when its (source_system, external_id) was sent before or by a request saved in the
same go, and a 401 of its own when its token was revoked. A group whose transaction fails other than by the store
not answering is saved again one record at a time, so a failure stays with the record that caused it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from bot.api.intake import Invalid, Saved, save_batch
from bot.api.tokens import Caller, still_authorised
from bot.customers.name_index import CustomerIndexes

# Records one transaction saves at most: the batch API's own limit.
MOST_TOGETHER = 500
# How long a save about to start waits at most for requests still on their way to join it.
LINGER_S = 0.003


class Revoked(Exception):
    """The record's token was revoked since this process last saw it: nothing was saved for it."""


@dataclass(eq=False)
class Posted:
    """One request's record, and (once saved) its outcome, or what stopped it."""

    caller: Caller
    record: Any
    people: Mapping[str, str]
    confirm: bool  # the caller came from `KnownCallers`: its token is checked in the saving transaction
    outcome: Saved | Invalid | None = None
    error: BaseException | None = None
    _turn: threading.Event = field(default_factory=threading.Event)


@dataclass
class Arrival:
    """A request on its way to `SaveTogether.save`: counted until it gets there, or leaves without a record."""

    queued: bool = False


class SaveTogether:
    """Saves posted records in groups, in the threads of the requests that posted them."""

    def __init__(
        self, sessions: sessionmaker[Session], indexes: CustomerIndexes, clock: Callable[[], datetime]
    ) -> None:
        self.sessions, self.indexes, self.clock = sessions, indexes, clock
        self._lock = threading.Lock()
        self._joined = threading.Condition(self._lock)
        self._queue: list[Posted] = []
        self._saving = False
        self._arriving = 0
        self._last_group = 0

    @contextmanager
    def arriving(self) -> Iterator[Arrival]:
        """Around a request that may post a single record, from before its token is checked: a save about to
        start waits a moment for it (LINGER_S) rather than leaving it for the next transaction."""
        arrival = Arrival()
        with self._lock:
            self._arriving += 1
        try:
            yield arrival
        finally:
            with self._lock:
                if not arrival.queued:
                    self._arriving -= 1
                    self._joined.notify_all()

    @property
    def queued(self) -> int:
        """Records waiting to be saved, the ones being saved left out."""
        with self._lock:
            return len(self._queue)

    def save(self, posted: Posted, arrival: Arrival | None = None) -> Saved | Invalid:
        """The record's outcome once saved (with whatever else was queued), or what stopped it raised."""
        with self._lock:
            self._queue.append(posted)
            leading, self._saving = not self._saving, True
            if arrival is not None and not arrival.queued:
                arrival.queued = True
                self._arriving -= 1
            self._joined.notify_all()
        if not leading:
            posted._turn.wait()  # saved by another request, or handed the queue
        if posted.outcome is None and posted.error is None:
            self._lead()
        if posted.error is not None:
            raise posted.error
        assert posted.outcome is not None
        return posted.outcome

    def _lead(self) -> None:
        deadline = time.monotonic() + LINGER_S
        with self._lock:
            while (left := deadline - time.monotonic()) > 0 and len(self._queue) < self._expected():
                self._joined.wait(left)
            group, self._queue = self._queue[:MOST_TOGETHER], self._queue[MOST_TOGETHER:]
        try:
            self._save_group(group)
        finally:
            with self._lock:
                self._last_group = len(group)
                successor = self._queue[0] if self._queue else None
                self._saving = successor is not None
            for posted in group:
                posted._turn.set()
            if successor is not None:
                successor._turn.set()

    def _expected(self) -> int:
        """How many records a save about to start waits for: those on their way, and under load (the last save
        had company) as many as the last save had."""
        return min(MOST_TOGETHER, max(len(self._queue) + self._arriving, self._last_group))

    def _save_group(self, group: list[Posted]) -> None:
        try:
            self._in_one_transaction(group)
        except (OperationalError, PoolTimeout) as error:  # the store is not answering: each would fail alike
            for posted in group:
                posted.outcome, posted.error = None, error
        except Exception as error:
            if len(group) == 1:
                group[0].outcome, group[0].error = None, error
                return
            for posted in group:  # the failure stays with the record that caused it
                self._save_group([posted])

    def _in_one_transaction(self, group: list[Posted]) -> None:
        now = self.clock()
        outcomes: dict[int, Saved | Invalid | Revoked] = {}
        with self.sessions.begin() as session:
            by_token: dict[int, list[Posted]] = {}
            for posted in group:
                by_token.setdefault(posted.caller.token_id, []).append(posted)
            for posts in by_token.values():
                caller = posts[0].caller
                if any(p.confirm for p in posts) and not still_authorised(session, caller, now=now):
                    outcomes.update((id(p), Revoked()) for p in posts)
                    continue
                people = {email: user for p in posts for email, user in p.people.items()}
                records = [("", p.record) for p in posts]
                saved = save_batch(session, self.indexes, caller, records, now=now, people=people, ask_sent_first=False)
                outcomes.update((id(p), outcome) for p, outcome in zip(posts, saved, strict=True))
        for posted in group:  # told only once committed
            outcome = outcomes[id(posted)]
            if isinstance(outcome, Revoked):
                posted.outcome, posted.error = None, outcome
            else:
                posted.outcome, posted.error = outcome, None
