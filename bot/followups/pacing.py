"""Slack's posting limits for one process, and the few sender threads that run jobs when the pacer says.

A job (one person's nudges, one digest) books a slot with the pacer for its conversation, waits for it in
the outbox's queue rather than asleep in a thread, then sends. See `Pacer` for how a 429 is shared.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from slack_sdk.errors import SlackApiError

logger = logging.getLogger(__name__)


class Pacer:
    """Slack's posting limits for one process: a workspace-wide rate, and a gap between two messages to one
    conversation.

    A sender books a slot and is told how long until it; it waits (queued, not sleeping in a thread) and
    then sends. Slots are booked only for conversations that are ready, so one person's second message
    never holds up everyone else's first. A 429 pauses everything for its Retry-After and voids the slots
    booked before it; it also halves this process's rate, which then creeps back up (other processes may be
    sending into the same workspace: this is how they come to share its limit instead of taking turns being
    refused).
    """

    # From half the rate back to all of it after this long without a 429.
    RECOVERY_S = 15.0

    def __init__(
        self, per_second: float, conversation_interval: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._monotonic = monotonic
        self._max_rate = per_second
        self._rate = per_second
        self._conversation_interval = conversation_interval
        self._lock = threading.Lock()
        self._theoretical = 0.0  # the generic cell rate algorithm's next slot
        self._conversations: dict[str, float] = {}
        self._paused_until = 0.0
        self._epoch = 0
        self._last = monotonic()

    @property
    def rate(self) -> float:
        return self._rate

    def book(self, conversation: str) -> tuple[float, int | None]:
        """(seconds to wait, ticket): with a ticket, send after the wait; without, ask again after it."""
        with self._lock:
            now = self._monotonic()
            ready = max(self._paused_until, self._conversations.get(conversation, 0.0))
            if ready > now:
                return ready - now, None
            interval, tolerance = self._spacing(now)
            slot = max(now, self._theoretical - tolerance)
            self._theoretical = max(self._theoretical, slot) + interval
            self._conversations[conversation] = slot + self._conversation_interval
            if len(self._conversations) > 10_000:
                self._conversations = {k: v for k, v in self._conversations.items() if v > now}
            return slot - now, self._epoch

    def _spacing(self, now: float) -> tuple[float, float]:
        """The gap between two slots at the current rate, and the burst allowed (a fifth of a second's worth)."""
        if self._max_rate <= 0:
            return 0.0, 0.0
        self._rate = min(self._max_rate, self._rate + (now - self._last) * self._max_rate / 2 / self.RECOVERY_S)
        self._last = now
        interval = 1 / self._rate
        return interval, interval * max(0.0, self._rate / 5 - 1)

    def valid(self, ticket: int | None) -> bool:
        """Whether a booked slot still holds (no 429 came in since it was booked)."""
        with self._lock:
            return ticket is not None and ticket == self._epoch

    def pause(self, seconds: float) -> None:
        """Slack said 429: nothing goes from this process to the workspace before Retry-After, whichever conversation
        it is for (the dispatcher keeps one pacer per installation)."""
        with self._lock:
            now = self._monotonic()
            until = now + seconds
            if until > self._paused_until:
                # One cut per refusal episode: the senders refused together with this one do not cut it again.
                if self._max_rate > 0 and now >= self._paused_until:
                    self._spacing(now)
                    self._rate = max(self._max_rate / 20, self._rate / 2)
                    self._last = until
                self._paused_until = until
                self._theoretical = until
                self._epoch += 1


class Paced:
    """A job's place in the pacer's queue: book a slot, wait for it, then go."""

    def __init__(self, pacer: Pacer, conversation: str) -> None:
        self.pacer = pacer
        self.conversation = conversation
        self.ticket: int | None = None

    def wait(self) -> float:
        """Seconds to wait before sending; 0 means send now (the slot is used up)."""
        if not self.pacer.valid(self.ticket):
            delay, self.ticket = self.pacer.book(self.conversation)
            if delay > 0 or self.ticket is None:
                return max(delay, 0.001)
        self.ticket = None
        return 0.0


class Job(Protocol):
    def step(self) -> float | None:
        """Do the next bit of work; seconds until it should run again, or None when it is finished."""


class Outbox:
    """A few sender threads running jobs, each job when it is ready. Threads start with the first job."""

    def __init__(self, threads: int, name: str) -> None:
        self._threads = threads
        self._name = name
        self._changed = threading.Condition()
        self._ready: list[tuple[float, int, Job]] = []
        self._order = itertools.count()
        self._running = 0
        self._closed = False
        self._workers: list[threading.Thread] = []

    def put(self, job: Job, delay: float = 0.0) -> None:
        with self._changed:
            heapq.heappush(self._ready, (time.monotonic() + delay, next(self._order), job))
            self._changed.notify_all()
            if not self._workers:
                self._start()

    def outstanding(self) -> int:
        with self._changed:
            return len(self._ready) + self._running

    def wait(self, timeout: float) -> None:
        """Until a job finished or was added, or `timeout` passed."""
        with self._changed:
            self._changed.wait(timeout)

    def finish(self) -> None:
        """Run what is queued to the end, then stop the threads."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        for worker in self._workers:
            worker.join()

    def _start(self) -> None:
        for n in range(self._threads):
            worker = threading.Thread(target=self._work, name=f"{self._name}-{n}", daemon=True)
            self._workers.append(worker)
            worker.start()

    def _work(self) -> None:
        while True:
            job = self._next()
            if job is None:
                return
            again: float | None = None
            try:
                again = job.step()
            except Exception:
                logger.exception("dispatch job failed")
            with self._changed:
                self._running -= 1
                if again is not None:
                    heapq.heappush(self._ready, (time.monotonic() + again, next(self._order), job))
                self._changed.notify_all()

    def _next(self) -> Job | None:
        with self._changed:
            while True:
                now = time.monotonic()
                if self._ready and self._ready[0][0] <= now:
                    _, _, job = heapq.heappop(self._ready)
                    self._running += 1
                    return job
                if self._closed and not self._ready and self._running == 0:
                    self._changed.notify_all()
                    return None
                self._changed.wait(self._ready[0][0] - now if self._ready else None)


def retry_after(error: SlackApiError) -> float:
    """The seconds a 429 (or a `ratelimited` refusal) says to wait: its Retry-After, at least 1."""
    headers = error.response.headers or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            value = value[0] if isinstance(value, list) else value
            try:
                return max(1.0, float(value))
            except ValueError:
                break
    return 1.0
