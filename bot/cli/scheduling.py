"""`touchpoint scheduler`, `touchpoint nudge` (one pass), and the scheduler of `serve` and `socket --with-scheduler`."""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import logging
import os
import signal
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import FrameType

from apscheduler.schedulers.base import BaseScheduler

from bot import scheduler as ticking
from bot.config import Settings
from bot.followups.dispatch import Dispatcher, DispatchOptions, dispatch_client, new_worker_id
from bot.installations.tokens import bot_tokens
from bot.runtime import Runtime
from bot.store import open_store
from storage import day_counts
from storage.db import BACKGROUND_TIMEOUTS, create_store_engine

logger = logging.getLogger(__name__)

EXIT_USAGE = 2
# Something due is still undelivered when `nudge` gives up.
EXIT_UNDELIVERED = 1


def dispatch_options(args: argparse.Namespace, settings: Settings) -> DispatchOptions:
    return DispatchOptions(
        lease=timedelta(seconds=max(1.0, args.lease)),
        messages_per_second=args.rate or settings.slack_messages_per_second,
        senders=max(1, args.senders),
        backoff=timedelta(seconds=max(0.1, args.backoff)),
        admin_channel=settings.admin_channel,
    )


def make_dispatcher(rt: Runtime, options: DispatchOptions) -> Dispatcher:
    settings = rt.settings
    client = dispatch_client(settings.slack_bot_token, settings.slack_api_url, options.http_timeout)
    return Dispatcher(rt, client, worker_id=new_worker_id(), options=options, bot_tokens=bot_tokens(rt))


def scheduler(args: argparse.Namespace, settings: Settings) -> int:
    settings.require_bot_token()
    rt = Runtime(settings=settings, engine=open_store(settings, BACKGROUND_TIMEOUTS))
    dispatcher = make_dispatcher(rt, dispatch_options(args, settings))
    blocking = ticking.build_scheduler(
        dispatcher, background=False, nudge_every=args.every, digest_every=args.digest_every
    )

    def stop(signum: int, frame: FrameType | None) -> None:
        logger.info("stopping: finishing the messages under way, giving the rest back")
        ticking.stop(blocking, dispatcher)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    options = dispatcher.options
    print(
        f"touchpoint scheduler {dispatcher.worker_id}: nudges every {args.every:g} s, "
        f"digests every {args.digest_every:g} s, weekly reports every {ticking.WEEKLY_EVERY_S:g} s, "
        f"{options.messages_per_second:g} messages/s, "
        f"lease {options.lease.total_seconds():g} s",
        file=sys.stderr,
        flush=True,
    )
    blocking.start()
    rt.engine.dispose()
    return 0


def nudge(args: argparse.Namespace, settings: Settings) -> int:
    settings.require_bot_token()
    at = None
    if args.at:
        try:
            at = read_instant(args.at, settings)
        except ValueError:
            expected = "it should be an ISO 8601 instant such as 2026-11-27T09:00+01:00"
            print(f"touchpoint: --at is {args.at!r}; {expected}", file=sys.stderr)
            return EXIT_USAGE
    # Nothing can be due in a store that is not there: a missing one is a wrong DATABASE_URL, not an empty pass.
    rt = Runtime(settings=settings, engine=open_store(settings, BACKGROUND_TIMEOUTS, create=False))
    dispatcher = make_dispatcher(rt, dispatch_options(args, settings))
    give_up_at = rt.now() + timedelta(seconds=max(0.0, args.max_seconds))
    report = dispatcher.deliver_due(at or rt.now(), give_up_at=give_up_at)
    day_counts.fold_all(rt.sessions)  # what the scheduler's worker does every half minute, for stores run by cron
    rt.engine.dispose()
    print(report.summary())
    # Nothing undelivered is lost (a scheduler or the next run tries again), but cron must notice it.
    return EXIT_UNDELIVERED if report.failed else 0


def read_instant(text: str, settings: Settings) -> datetime:
    """An ISO 8601 instant; without an offset it is read in DEFAULT_TZ."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=settings.default_tz)
    return moment.astimezone(UTC)


# --------------------------------------------------------------------------------------------------------
# Inside `touchpoint serve --with-scheduler` and `touchpoint socket --with-scheduler`
# --------------------------------------------------------------------------------------------------------

# What this gunicorn worker runs, to be stopped when it exits.
_running: list[tuple[BaseScheduler, Dispatcher]] = []


def election_lock_path(master_pid: int) -> str:
    return os.path.join(tempfile.gettempdir(), f"touchpoint-scheduler-{master_pid}.lock")


def start_if_elected(rt: Runtime, lock_path: str) -> bool:
    """In a gunicorn worker: run the scheduler here if no other worker of this server does.

    Exactly one worker per `serve` holds the lock; it goes with the worker's death (the OS releases it), and
    the worker gunicorn starts in its place takes it. Forking a master that runs threads is avoided this way.
    """
    fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False
    # The descriptor stays open for the worker's life: closing it would let another worker in.
    dispatcher = start_in_process(rt)
    logger.info("scheduler %s runs in worker %d", dispatcher.worker_id, os.getpid())
    return True


def start_in_process(rt: Runtime) -> Dispatcher:
    """A scheduler in a thread of this process (a served worker, or `touchpoint socket`), until stop_in_process."""
    settings = rt.settings
    # Its own connections: the app's are bounded to answer Slack in time, the scheduler's ticks may take longer.
    rt = replace(rt, engine=create_store_engine(settings.database_url, BACKGROUND_TIMEOUTS))
    options = DispatchOptions(
        messages_per_second=settings.slack_messages_per_second, admin_channel=settings.admin_channel
    )
    dispatcher = make_dispatcher(rt, options)
    background = ticking.build_scheduler(dispatcher, background=True)
    background.start()
    _running.append((background, dispatcher))
    return dispatcher


def stop_in_process() -> None:
    while _running:
        background, dispatcher = _running.pop()
        ticking.stop(background, dispatcher)


def remove_election_lock(lock_path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(lock_path)
