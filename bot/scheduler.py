"""APScheduler drives the ticks; the store says what is due.

Four interval jobs, nothing else: due nudges every few seconds, digests and weekly reports every minute, and the
touchpoints' day counts folded every half minute (storage.day_counts). None keeps state of its own (there is no
job store to share, and APScheduler's guide says job stores must never be shared between schedulers): each tick
asks the store (follow_ups, weekly_reports, touchpoint_count_changes), so a restart loses nothing and any number
of processes can tick at once. `max_instances=1` lets a long pass finish before the next starts; `coalesce`
folds the ticks it missed meanwhile into one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from bot.followups.dispatch import Dispatcher, PassReport
from storage import day_counts

logger = logging.getLogger(__name__)

NUDGE_EVERY_S = 2.0
DIGEST_EVERY_S = 60.0
WEEKLY_EVERY_S = 60.0
NUDGES, DIGESTS, WEEKLY_REPORTS, DAY_COUNTS = "nudges", "digests", "weekly_reports", "day_counts"


class _LongPassIsNormal(logging.Filter):
    """A pass that outlasts the tick (thousands due at once) is expected: the next tick runs when it ends."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


def build_scheduler(
    dispatcher: Dispatcher,
    *,
    background: bool,
    nudge_every: float = NUDGE_EVERY_S,
    digest_every: float = DIGEST_EVERY_S,
) -> BaseScheduler:
    """A scheduler ticking `dispatcher`: in a thread of this process (`background`), or blocking the caller."""
    scheduler_class = BackgroundScheduler if background else BlockingScheduler
    scheduler = scheduler_class(
        executors={"default": ThreadPoolExecutor(2)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone=UTC,
    )
    start = datetime.now(UTC)
    scheduler.add_job(
        tick,
        "interval",
        args=(dispatcher, dispatcher.send_nudges),
        seconds=nudge_every,
        id=NUDGES,
        name="due nudges",
        # Digests go first at start, so what they cover is not nudged separately.
        next_run_time=start + timedelta(seconds=min(1.0, nudge_every)),
    )
    scheduler.add_job(
        tick,
        "interval",
        args=(dispatcher, dispatcher.send_digests),
        seconds=digest_every,
        id=DIGESTS,
        name="daily digests",
        next_run_time=start,
    )
    scheduler.add_job(
        tick,
        "interval",
        args=(dispatcher, dispatcher.send_weekly_reports),
        seconds=WEEKLY_EVERY_S,
        id=WEEKLY_REPORTS,
        name="weekly reports",
        next_run_time=start + timedelta(seconds=min(2.0, nudge_every)),
    )
    scheduler.add_job(
        fold_day_counts,
        "interval",
        args=(dispatcher,),
        seconds=day_counts.FOLD_EVERY_S,
        id=DAY_COUNTS,
        name="touchpoints' day counts",
        next_run_time=start + timedelta(seconds=min(3.0, nudge_every)),
    )
    apscheduler_log = logging.getLogger("apscheduler.scheduler")
    if not any(isinstance(f, _LongPassIsNormal) for f in apscheduler_log.filters):
        apscheduler_log.addFilter(_LongPassIsNormal())
    # "Running job…" twice every few seconds would drown what matters.
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    return scheduler


def tick(dispatcher: Dispatcher, send: Callable[[datetime], PassReport]) -> None:
    if dispatcher.stopping:
        return
    try:
        report = send(dispatcher.clock())
    except Exception:
        # The store or Slack may be down; nothing is lost (the table is the queue), the next tick tries again.
        logger.exception("dispatch pass failed")
        return
    if report.messages or report.failed or report.reassigned or report.parked:
        logger.info("%s", report.summary())


def fold_day_counts(dispatcher: Dispatcher) -> None:
    """The touchpoints' changes folded into their day counts, so that a report reads few of them."""
    if dispatcher.stopping:
        return
    try:
        day_counts.fold_all(dispatcher.rt.sessions)
    except Exception:
        # The store may be down: the changes wait (reports add them meanwhile), the next tick folds them.
        logger.exception("folding the day counts failed")


def stop(scheduler: BaseScheduler, dispatcher: Dispatcher) -> None:
    """Stop ticking: a pass under way sends what it has started and gives the rest back, then this returns."""
    dispatcher.stop()
    if scheduler.running:
        scheduler.shutdown(wait=True)
