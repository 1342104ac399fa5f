"""Posting the weekly reports that are due: each once, in its channel, whichever process gets to it first.

A pass lists the subscriptions due (`storage.weekly_reports`) and takes each with a conditional UPDATE that
only one process wins, leased as follow-ups are; it builds the week's report in the subscription's zone, checks
the lease is still its own with a margin longer than the post can take, posts the summary (the same blocks as
`/report`), and moves the row on to its next Monday in a short write right after Slack accepted. Only then is
the chart uploaded beside it: a failed upload is logged, never a second summary.

A 5xx, a 429 or the network backs the row off (exponentially, jittered; a 429 for its Retry-After) for any
process to retry. A refusal a retry will not mend (the bot is not in the channel, the filter names a department
that is gone) skips that week, with the reason kept for `/report weekly` to show. A process that dies between
its claim and its mark loses nothing: its lease runs out and another takes the row over.

The workspace is always the subscription's own: its figures go to its channel only.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import reports as report_blocks
from bot.followups.pacing import retry_after
from bot.followups.rules import backoff_delay
from bot.members import zone
from bot.reports.asked import Asked, read_words
from bot.reports.measures import build_report
from bot.reports.periods import ReportWordsError
from bot.reports.sharing import share_chart
from bot.reports.weekly import latest_post_at, next_post_at, report_words, week_before
from bot.runtime import Runtime, write_retried
from storage import weekly_reports as store

logger = logging.getLogger(__name__)

# Posts taken per look at the queue.
BATCH = 50
# Slack's answers when the bot may not post in a channel: someone has to let it in (`/invite`).
CANNOT_POST_THERE = frozenset({"not_in_channel", "channel_not_found", "is_archived", "restricted_action"})
# Those and others the next attempt would get as well: the week is skipped, the reason shown.
REFUSED_FOR_GOOD = CANNOT_POST_THERE | {"invalid_blocks", "msg_too_long"}
MAX_RETRY_AFTER = timedelta(minutes=30)


@dataclass(frozen=True)
class WeeklyOptions:
    lease: timedelta = timedelta(seconds=60)
    # A post starts only with this much lease left: the request and the mark's commit fit in it.
    lease_margin: timedelta = timedelta(seconds=12)
    backoff: timedelta = timedelta(seconds=15)
    max_backoff: timedelta = timedelta(minutes=30)


@dataclass
class WeeklyPass:
    """What one pass did: posts Slack accepted, weeks skipped for good, and the subscriptions backed off."""

    posted: int = 0
    skipped: int = 0
    retrying: frozenset[int] = field(default_factory=frozenset)


@dataclass
class WeeklyPoster:
    """Posts due weekly reports for one dispatcher: its clients (each installation's own bot token), its worker id,
    its clock."""

    rt: Runtime
    client_for: Callable[[int], WebClient | None]
    worker_id: str
    clock: Callable[[], datetime]
    options: WeeklyOptions = field(default_factory=WeeklyOptions)
    stopping: Callable[[], bool] = lambda: False
    rng: random.Random = field(default_factory=random.Random)

    def post_due(self, now: datetime) -> WeeklyPass:
        """Every weekly report due at `now`, each tried once in this pass."""
        result = WeeklyPass()
        tried: set[int] = set()
        while not self.stopping():
            with self.rt.readers.begin() as session:
                listed = store.weekly_reports_due(session, due_by=now, lease_now=self.clock(), limit=BATCH + len(tried))
            due = [i for i in listed if i not in tried]
            if not due:
                break
            for report_id in due[:BATCH]:
                if self.stopping():
                    break
                tried.add(report_id)
                self._take(report_id, now, result)
        return result

    def _take(self, report_id: int, now: datetime, result: WeeklyPass) -> None:
        lease_now = self.clock()
        with self.rt.sessions.begin() as session:
            claimed = store.claim_weekly_report(
                session,
                report_id,
                self.worker_id,
                due_by=now,
                lease_now=lease_now,
                lease_until=lease_now + self.options.lease,
            )
        if claimed is None:  # another process has it, or posted it a moment ago
            return
        try:
            self._post(claimed, now, result)
        except Exception as error:
            logger.exception("weekly report %s failed", report_id)
            self._back_off(claimed, f"{type(error).__name__}: {error}", result)

    def _post(self, due: store.DueWeeklyReport, now: datetime, result: WeeklyPass) -> None:
        tz = zone(due.tz, self.rt.settings.default_tz)
        post_at = latest_post_at(now, tz)
        week = week_before(post_at, tz)
        words = report_words(week, due.filter_words)
        try:
            with self.rt.readers.begin() as session:
                # The filter is read as whoever set it up would read it (their `@me`, their customers' names).
                period, chosen = read_words(
                    session, self.rt.indexes, due.workspace_id, due.created_by, words, now=now, tz=tz
                )
            made = build_report(
                self.rt.slow_readers,
                due.workspace_id,
                period,
                chosen,
                now=now,
                quiet_after_days=self.rt.settings.quiet_after_days,
            )
        except ReportWordsError as error:
            self._skip(due, now, tz, f"the filter no longer reads: {error}", result)
            return
        message = report_blocks.report_summary(made, Asked(words, now, tz.key), weekly=True)
        with self.rt.readers.begin() as session:
            ours = store.weekly_report_still_ours(
                session, due.id, self.worker_id, lease_after=self.clock() + self.options.lease_margin
            )
        client = self.client_for(due.workspace_id)
        if not ours or client is None:
            # Stopped meanwhile, the lease too short to post safely, or uninstalled meanwhile: not posted now.
            write_retried(self.rt, lambda s: store.release_weekly_report(s, due.id, self.worker_id))
            return
        try:
            client.chat_postMessage(
                channel=due.channel_id, text=message["text"], blocks=message["blocks"], unfurl_links=False
            )
        except SlackApiError as error:
            self._refused(due, now, tz, error, result)
            return
        marked = write_retried(
            self.rt,
            lambda s: store.mark_weekly_report_posted(
                s,
                due.id,
                self.worker_id,
                posted_at=self.clock(),
                week_first=week.first,
                next_due_at=next_post_at(now, tz),
            ),
        )
        if not marked:
            logger.error("weekly report %s was posted but its lease was taken over: it may arrive twice", due.id)
        result.posted += 1
        share_chart(self.rt.readers, client, due.channel_id, due.workspace_id, made)

    def _refused(
        self, due: store.DueWeeklyReport, now: datetime, tz: ZoneInfo, error: SlackApiError, result: WeeklyPass
    ) -> None:
        status = error.response.status_code
        code = str(error.response.get("error") or "")
        if code in REFUSED_FOR_GOOD:
            self._skip(due, now, tz, code, result)
            return
        wait = None
        if status == 429 or code == "ratelimited":
            wait = min(MAX_RETRY_AFTER, timedelta(seconds=retry_after(error)))
        self._back_off(due, f"HTTP {status} {code}".strip(), result, wait=wait)

    def _skip(self, due: store.DueWeeklyReport, now: datetime, tz: ZoneInfo, reason: str, result: WeeklyPass) -> None:
        next_due = next_post_at(now, tz)
        write_retried(
            self.rt, lambda s: store.skip_weekly_report(s, due.id, self.worker_id, next_due_at=next_due, error=reason)
        )
        result.skipped += 1
        logger.warning("weekly report %s for %s skipped this week: %s", due.id, due.channel_id, reason)

    def _back_off(
        self, due: store.DueWeeklyReport, error: str, result: WeeklyPass, *, wait: timedelta | None = None
    ) -> None:
        attempts = due.attempts + 1
        delay = wait or backoff_delay(attempts, self.options.backoff, self.options.max_backoff, self.rng)
        until = self.clock() + delay
        write_retried(
            self.rt,
            lambda s: store.back_off_weekly_report(
                s, due.id, self.worker_id, attempts=attempts, until=until, error=error
            ),
        )
        result.retrying |= {due.id}
        logger.warning("weekly report %s for %s not posted (%s); retrying later", due.id, due.channel_id, error)
