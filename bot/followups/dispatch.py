"""The dispatcher: due follow-ups to Slack once each, on time, within Slack's limits, whatever fails.

A pass claims due follow-ups per person with a lease (storage.dispatch), hands each person to a few sender
threads, and keeps claiming as the senders free up, until nothing due is left. A sender posts one message
(a nudge, or one catch-up when a person has more than three due at once) and marks the rows nudged in its own
short transaction right after Slack accepted it. Every send first checks the lease is still ours with a
margin longer than the send can take, so a lease that ran out is never raced.

Each installation's messages go with its own bot token (`bot_tokens`, bot.installations.tokens): nothing is sent
for one that has none (uninstalled), its follow-ups are left unclaimed, unsent. Slack's limits are per workspace,
so each installation has its own pacer (`pacing`), shared by the process's senders: about one message a second
in one conversation, and a workspace-wide rate. A 429 pauses that installation's sends for the Retry-After it carries;
a 5xx or a network error releases the rows with an exponential backoff, so any process may retry them later.
While rows wait, the pass keeps their leases alive; if the process dies they run out and another takes over.
`deliver_due` (what `touchpoint nudge --once` runs) repeats passes for what failed for a reason a retry may
mend, each as its backoff ends, until it is delivered or a deadline passes, and says what is left undelivered.

Nudges go only to members. An assignee the store has no member row for (they never used the bot) is looked up
once per process (`users.info`): someone of another organisation, such as a customer's person in a shared
channel, is never DMed; their follow-ups are settled as a departed member's are, saying why (NOT_A_MEMBER).

The morning digest is claimed per member per local day. Follow-ups falling due just before it, and those set
for a day without a time of their own, are left to it (deferred), so nobody gets a nudge at 09:00:00 and a
digest at 09:00:05 about the same thing; one asked for at 02:00 is nudged at 02:00.

Each pass also posts the weekly reports due (`bot.reports.weekly_posts`, claimed and leased the same way), so
whatever runs passes (the scheduler, `touchpoint nudge`, the shell's clock) delivers them too.

Time is a parameter: a pass is given `now` (what is due, what the local day is), and leases are read
from the runtime's clock, so tests move a clock instead of sleeping. What is due when is decided by the
plain functions of `rules`.

The dispatcher and its two senders (a person's nudges, a member's digest) stay in this one module, long on
purpose: each sender calls back into the dispatcher's claims and settlement, and the dispatcher
makes the senders, so apart they would import each other.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from bot.blocks import Message, mrkdwn
from bot.blocks.followups import catch_up_message, digest_message, nudge_message
from bot.capture.due_times import asks_for_a_time
from bot.followups import crossing
from bot.followups.operations import FollowUpView
from bot.followups.pacing import Job, Outbox, Paced, Pacer
from bot.followups.pacing import retry_after as _retry_after
from bot.followups.rules import (
    backoff_delay,
    deferred_until,
    digest_due,
    digest_moment,
    message_groups,
)
from bot.installations.tokens import BotTokens
from bot.members import zone
from bot.outsiders import Installation, profile_is_member
from bot.reports.weekly_posts import WeeklyOptions, WeeklyPoster
from bot.runtime import Runtime
from bot.runtime import write_retried as _write
from bot.text import plural
from storage import dispatch as store
from storage import weekly_reports as weekly_store
from storage.followups import follow_up_views
from storage.workspaces import team_of

logger = logging.getLogger(__name__)


# A departed person's follow-up with no owner and no admin channel to go to is looked at again after this.
PARKED_FOR = timedelta(hours=1)
# A message Slack keeps rate-limiting is given up (and backed off) after this many 429s in a row.
MAX_RATE_LIMITED = 10
# Why a follow-up of someone of another organisation (a customer's person in a shared channel) was handed on.
NOT_A_MEMBER = "is not a member of the workspace"
# What a DM to someone who left the workspace (or never was in it) is answered with.
DEPARTED_ERRORS = frozenset({"user_not_found", "account_inactive", "channel_not_found", "user_disabled"})
# `deliver_due` looks again for what it waits on no sooner than this after a pass.
RETRY_LOOK_AGAIN = timedelta(seconds=0.1)
# Message metadata names the follow-ups a message is about, so they can be counted wherever it is read.
METADATA_EVENT = "touchpoint_follow_ups"


@dataclass(frozen=True)
class DispatchOptions:
    # How long a claim holds without being renewed: a process that died is taken over after at most this.
    lease: timedelta = timedelta(seconds=60)
    # Messages a second this process sends in the workspace; Slack publishes no number, 50 is well inside it.
    messages_per_second: float = 50.0
    # Seconds between two messages in one conversation (Slack: about one a second), with a little to spare.
    conversation_interval: float = 1.05
    senders: int = 8
    # First retry delay after a failure; doubled per failed attempt up to `max_backoff`.
    backoff: timedelta = timedelta(seconds=15)
    max_backoff: timedelta = timedelta(minutes=30)
    # People claimed per transaction, and how many may wait in the queue before claiming more.
    claim_batch: int = 100
    admin_channel: str | None = None

    @property
    def http_timeout(self) -> float:
        return min(10.0, self.lease.total_seconds() / 4)

    @property
    def lease_margin(self) -> timedelta:
        """A send starts only with at least this much lease left: the request, plus committing the mark."""
        return timedelta(seconds=self.http_timeout + 2)

    @property
    def heartbeat(self) -> float:
        """How often leases of waiting rows are renewed, so they never come closer to their end than the margin."""
        return max(0.2, (self.lease - self.lease_margin).total_seconds() / 3)


def new_worker_id() -> str:
    """Unique per process, and readable in the store: host, pid and a random tail (pids are reused)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


def dispatch_client(token: str | None, base_url: str, timeout: float) -> WebClient:
    """A Web API client that retries nothing by itself: the dispatcher decides how to wait and what to release."""
    return WebClient(token=token, base_url=base_url, timeout=max(1, round(timeout)), retry_handlers=[])


# --------------------------------------------------------------------------------------------------------
# A pass
# --------------------------------------------------------------------------------------------------------


@dataclass
class PassReport:
    nudges: int = 0
    catch_ups: int = 0
    digests: int = 0
    weekly_reports: int = 0
    failed: int = 0
    reassigned: int = 0
    to_admin_channel: int = 0
    parked: int = 0
    deferred: int = 0
    # Follow-ups sent after an attempt of the same run had failed (`Dispatcher.deliver_due`).
    retried: int = 0
    # Which follow-ups a send failed for, for a reason a later attempt may mend (a 5xx, the network, 429s), and
    # which for one it will not (Slack refused the message, nowhere to send it); members whose digest failed.
    retrying: frozenset[int] = frozenset()
    stuck: frozenset[int] = frozenset()
    digests_retrying: frozenset[int] = frozenset()
    # Weekly reports (subscription ids) a pass backed off for a retry.
    weekly_retrying: frozenset[int] = frozenset()

    def __add__(self, other: PassReport) -> PassReport:
        return PassReport(**{f.name: _combined(getattr(self, f.name), getattr(other, f.name)) for f in fields(self)})

    @property
    def messages(self) -> int:
        return self.nudges + self.catch_ups + self.digests + self.weekly_reports + self.to_admin_channel

    def summary(self) -> str:
        text = (
            f"sent {plural(self.nudges, 'nudge')}, {plural(self.catch_ups, 'catch-up')}, "
            f"{plural(self.digests, 'digest')}; {self.failed} failed"
        )
        extras = [
            plural(self.weekly_reports, "weekly report") if self.weekly_reports else "",
            f"{self.retried} sent on a retry" if self.retried else "",
            f"{self.reassigned} reassigned" if self.reassigned else "",
            f"{self.to_admin_channel} to the admin channel" if self.to_admin_channel else "",
            f"{self.parked} with nowhere to go" if self.parked else "",
            f"{self.deferred} left to the digest" if self.deferred else "",
        ]
        extras = [e for e in extras if e]
        return text + (f"; {', '.join(extras)}" if extras else "")


def _combined(mine: Any, theirs: Any) -> Any:
    return mine | theirs if isinstance(mine, frozenset) else mine + theirs


@dataclass
class _Pass:
    """One pass's shared state: what is due, the senders, the tally, and the rows it holds claimed."""

    now: datetime
    outbox: Outbox
    # The clock when the pass began: what fails during the pass is backed off from later readings, and waits
    # for a later pass even when its backoff ends before this one does.
    began: datetime
    # Follow-ups this pass leaves alone: those an earlier pass of the same run found a retry will not mend.
    passed_over: frozenset[int] = frozenset()
    report: PassReport = field(default_factory=PassReport)
    held: set[int] = field(default_factory=set)
    # Rows a sender gave back unsent (done meanwhile, or its lease too short to send safely): not claimed again
    # in this pass, or a pass whose leases keep running short would claim and give back the same row for ever.
    given_back: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, name: str, n: int = 1) -> None:
        with self.lock:
            setattr(self.report, name, getattr(self.report, name) + n)

    def note(self, name: str, ids: Iterable[int]) -> None:
        """Remember ids in one of the report's sets: `retrying`, `stuck` or `digests_retrying`."""
        with self.lock:
            setattr(self.report, name, getattr(self.report, name) | frozenset(ids))

    def hold(self, ids: Iterable[int]) -> None:
        with self.lock:
            self.held.update(ids)

    def let_go(self, ids: Iterable[int]) -> None:
        with self.lock:
            self.held.difference_update(ids)

    def leave_alone(self, ids: Iterable[int]) -> None:
        """Rows a sender gave back unsent: no longer held, and not claimed again in this pass."""
        returned = frozenset(ids)  # read twice below
        with self.lock:
            self.held.difference_update(returned)
            self.given_back.update(returned)

    def left_alone(self) -> frozenset[int]:
        """What this pass claims no more: what it was told to leave alone, and what its senders gave back."""
        with self.lock:
            return self.passed_over | self.given_back

    def holding(self) -> list[int]:
        with self.lock:
            return sorted(self.held)


class Dispatcher:
    def __init__(
        self,
        rt: Runtime,
        client: WebClient,
        *,
        worker_id: str | None = None,
        options: DispatchOptions | None = None,
        rng: random.Random | None = None,
        bot_tokens: BotTokens | None = None,
    ) -> None:
        """`client` is where and how to call Slack; with `bot_tokens`, each installation's messages carry its own
        token (None: `client`'s, for every installation)."""
        self.rt = rt
        self.client = client
        self.worker_id = worker_id or new_worker_id()
        self.options = options or DispatchOptions()
        self._bot_tokens = bot_tokens
        self._clients: dict[str, WebClient] = {}
        self._pacers: dict[int, Pacer] = {}
        self._pacers_lock = threading.Lock()
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self._stopping = threading.Event()
        # While passing at an instant crossed on the way, that instant is the dispatcher's clock too (leases,
        # deferrals), as it was for a scheduler ticking then.
        self._replaying_at: datetime | None = None
        self.weekly = WeeklyPoster(
            rt,
            self.client_for,
            self.worker_id,
            self.clock,
            WeeklyOptions(
                lease=self.options.lease,
                lease_margin=self.options.lease_margin,
                backoff=self.options.backoff,
                max_backoff=self.options.max_backoff,
            ),
            stopping=lambda: self.stopping,
            rng=self._rng,
        )
        # Assignees with no member row, by whether their profile showed them members (`is_member`).
        self._members: dict[store.Person, bool] = {}
        self._members_lock = threading.Lock()

    def pacer(self, workspace_id: int) -> Pacer:
        """The installation's pacer: Slack's limits are per workspace, and one installation's 429 holds no other."""
        with self._pacers_lock:
            pacer = self._pacers.get(workspace_id)
            if pacer is None:
                pacer = self._pacers[workspace_id] = Pacer(
                    self.options.messages_per_second, self.options.conversation_interval
                )
            return pacer

    def client_for(self, workspace_id: int) -> WebClient | None:
        """The client carrying the installation's bot token; None while nothing may be sent for it."""
        if self._bot_tokens is None:
            return self.client
        token = self._bot_tokens(workspace_id)
        if token is None:
            return None
        with self._pacers_lock:
            client = self._clients.get(token)
            if client is None:
                client = self._clients[token] = dispatch_client(token, self.client.base_url, self.client.timeout)
            return client

    @property
    def default_tz(self) -> ZoneInfo:
        return self.rt.settings.default_tz

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def clock(self) -> datetime:
        return self._replaying_at or self.rt.clock()

    def stop(self) -> None:
        """Stop claiming; messages being sent finish, claimed rows not yet sent are given back at once."""
        self._stopping.set()

    def run_pass(
        self, now: datetime, *, since: datetime | None = None, passed_over: frozenset[int] = frozenset()
    ) -> PassReport:
        """Everything due at `now` but the follow-ups `passed_over`: the digests first, so what they cover is not
        nudged separately, and the weekly reports last.

        With `since` (where a clock that jumped was before), first one pass at each instant crossed on the way
        at which something was scheduled (`crossing`), in order, as a scheduler ticking all along would have.
        Without it, `now` alone: a scheduler back from downtime does not replay the mornings it missed.
        """
        report = PassReport()
        if since is not None and since < now:
            for instant in self._crossed(since, now):
                self._replaying_at = instant
                try:
                    report += self.send_digests(instant) + self.send_nudges(instant)
                finally:
                    self._replaying_at = None
        return (
            report
            + self.send_digests(now)
            + self.send_nudges(now, passed_over=passed_over)
            + self.send_weekly_reports(now)
        )

    def _crossed(self, after: datetime, before: datetime) -> list[datetime]:
        with self.rt.readers.begin() as session:
            due = store.open_due_instants_between(session, after, before, limit=crossing.MAX_CROSSED)
            people = store.members_with_digest_on(session)
        return crossing.crossed_instants(after, before, due, people, self.default_tz)

    def deliver_due(self, now: datetime, *, give_up_at: datetime) -> PassReport:
        """Passes at `now` until what is due is delivered: what failed for a reason a retry may mend is tried
        again as its backoff ends, as a scheduler's later ticks would, until the next try would start after
        `give_up_at` (a clock instant).

        The report counts what every pass sent; its `failed` is what is still undelivered at the end (follow-ups
        and digests), `retrying` and `stuck` which follow-ups those are. It waits in real time, so it is for a
        dispatcher on the wall clock (`touchpoint nudge --once`), not one whose clock a test moves.
        """
        total, retrying, stuck, failed_once = PassReport(), frozenset[int](), frozenset[int](), frozenset[int]()
        while True:
            # What a retry will not mend is tried once in the run, not again each time its backoff ends.
            report = self.run_pass(now, passed_over=stuck)
            total += report
            failed_once |= report.retrying | report.stuck
            with self.rt.readers.begin() as session:
                waits = store.undelivered(session, retrying | report.retrying, due_by=now)
                stuck = frozenset(store.undelivered(session, stuck | report.stuck, due_by=now))
            retrying = frozenset(waits) - stuck
            # Never sooner than a moment from now: a row another process holds is looked at when its lease ends.
            soonest = self.clock() + RETRY_LOOK_AGAIN
            wake = min((max(waits[i] or soonest, soonest) for i in retrying), default=None)
            if report.digests_retrying:
                # A digest given back is claimable again at once; waiting a first backoff spares a struggling Slack.
                digest_wake = self.clock() + self.options.backoff
                wake = digest_wake if wake is None else min(wake, digest_wake)
            if wake is None or wake > give_up_at or self.stopping:
                break
            self._stopping.wait(max(0.0, (wake - self.clock()).total_seconds()))
        undelivered = retrying | stuck
        with self.rt.readers.begin() as session:
            weekly_undelivered = weekly_store.still_due(session, total.weekly_retrying, due_by=now)
        return replace(
            total,
            failed=len(undelivered) + len(report.digests_retrying) + len(weekly_undelivered),
            retried=len(failed_once - undelivered),
            retrying=retrying,
            stuck=stuck,
            digests_retrying=report.digests_retrying,
        )

    # --- nudges ---

    def send_nudges(self, now: datetime, *, passed_over: frozenset[int] = frozenset()) -> PassReport:
        run = _Pass(now=now, outbox=Outbox(self.options.senders, "nudges"), began=self.clock(), passed_over=passed_over)
        try:
            self._claim_until_done(run)
        finally:
            # Also when the store failed mid-pass: what was queued is sent (or fails on its own) first.
            run.outbox.finish()
            self._give_back(run)
        return run.report

    def _claim_until_done(self, run: _Pass) -> None:
        beat = time.monotonic()
        exhausted = False
        while not self.stopping:
            outstanding = run.outbox.outstanding()
            # Once nothing was left to claim, look again only when the queue is empty: rows handed to an
            # owner while it drained are due at once, and end the pass only when nothing is left.
            if outstanding < self.options.claim_batch and (not exhausted or outstanding == 0):
                claimed = self._claim(run)
                idle = run.outbox.outstanding() == 0
                if claimed == 0 and outstanding == 0 and idle:
                    break
                exhausted = claimed == 0
                if claimed and idle:
                    continue  # all of it was handed over or deferred: there may be more to claim at once
            if time.monotonic() - beat >= self.options.heartbeat:
                self._renew_leases(run)
                beat = time.monotonic()
            run.outbox.wait(min(0.25, self.options.heartbeat))

    def _claim(self, run: _Pass) -> int:
        lease_now = self.clock()
        with self.rt.sessions.begin() as session:
            claimable = {
                "due_by": run.now,
                "now": lease_now,
                "pass_began": run.began,
                "passed_over": run.left_alone(),
                "worker_id": self.worker_id,
            }
            people = store.lock_people_with_due_follow_ups(session, limit=self.options.claim_batch, **claimable)
            rows = store.lock_due_follow_ups_of(session, people, **claimable)
            members = store.recipients(session, people)
            jobs = self._plan(session, run, rows, members, lease_now)
        for job in jobs:
            run.outbox.put(job)
        return len(rows)

    def _plan(
        self,
        session: Session,
        run: _Pass,
        rows: list[store.DueRow],
        members: dict[store.Person, store.Recipient],
        lease_now: datetime,
    ) -> list[Job]:
        """Within the claim: leave to the digest what it covers, settle people who left, claim the rest."""
        by_person: dict[store.Person, list[store.DueRow]] = {}
        for row in rows:
            by_person.setdefault((row.workspace_id, row.assignee_user_id), []).append(row)
        sendable = {
            person: self._defer(session, run, person_rows, members.get(person))
            for person, person_rows in by_person.items()
        }
        ids = [r.id for person_rows in sendable.values() for r in person_rows]
        store.claim(session, ids, self.worker_id, lease_now + self.options.lease)
        run.hold(ids)
        jobs: list[Job] = []
        for person, person_rows in sendable.items():
            member = members.get(person)
            if not person_rows:
                continue
            if member is not None and member.deleted:
                job = self._settle_departed(session, run, person, person_rows, "left the workspace", lease_now)
            else:
                # Someone who never used the bot may be of another organisation: asked before any DM to them.
                job = _Nudge(self, run, person, self._tz(member), person_rows, ask_if_member=member is None)
            if job is not None:
                jobs.append(job)
        return jobs

    def _defer(
        self, session: Session, run: _Pass, rows: list[store.DueRow], member: store.Recipient | None
    ) -> list[store.DueRow]:
        """Rows the digest will cover get a later look; the others are returned to be sent now."""
        later: dict[datetime, list[int]] = {}
        now_rows = []
        for row in rows:
            until = deferred_until(row.due_at, asks_for_a_time(row.due_text), member, run.now, self.default_tz)
            if until is None:
                now_rows.append(row)
            else:
                later.setdefault(until, []).append(row.id)
        for until, ids in later.items():
            store.defer(session, ids, until)
            run.count("deferred", len(ids))
        return now_rows

    def _settle_departed(
        self,
        session: Session,
        run: _Pass,
        person: store.Person,
        rows: Sequence[store.DueRow],
        reason: str,
        now: datetime,
    ) -> Job | None:
        """Claimed rows of someone who left go to the customer's owner, else to the admin channel, else wait.

        Returns the job posting to the admin channel, if any; every move is recorded in the audit trail.
        """
        workspace_id, user_id = person
        owners = store.customer_owners(session, workspace_id, {r.customer_id for r in rows if r.customer_id})
        gone = store.departed_user_ids(session, workspace_id, set(owners.values()))
        moves, unowned = [], []
        for row in rows:
            owner = owners.get(row.customer_id) if row.customer_id else None
            if owner and owner != user_id and owner not in gone:
                moves.append((row.id, user_id, owner))
            else:
                unowned.append(row)
        moved = store.reassign_claimed(session, workspace_id, moves, self.worker_id, now=now, reason=reason)
        run.count("reassigned", moved)
        run.let_go(i for i, _, _ in moves)
        if not unowned:
            return None
        if self.options.admin_channel:
            channel = self.options.admin_channel
            return _Nudge(self, run, person, self.default_tz, unowned, admin_channel=channel, reason=reason)
        ids = [r.id for r in unowned]
        problem = f"assignee {reason}; the customer has no owner and ADMIN_CHANNEL is not set"
        store.park(session, ids, self.worker_id, until=now + PARKED_FOR, error=problem)
        run.let_go(ids)
        run.count("parked", len(ids))
        run.note("stuck", ids)
        logger.warning("follow-ups %s of %s wait: %s", ids, user_id, problem)
        return None

    def _renew_leases(self, run: _Pass) -> None:
        ids = run.holding()
        if not ids:
            return
        try:
            with self.rt.sessions.begin() as session:
                store.extend_leases(session, ids, self.worker_id, self.clock() + self.options.lease)
        except Exception:
            # The rows are checked before each send, so a lease that runs out is only ever taken over, not raced.
            logger.warning("could not renew %d leases", len(ids), exc_info=True)

    def _give_back(self, run: _Pass) -> None:
        """Rows claimed and never sent (a stop, a failure): free for any process now rather than at lease end."""
        ids = run.holding()
        if not ids:
            return
        try:
            with self.rt.sessions.begin() as session:
                store.release(session, ids, self.worker_id)
        except Exception:
            logger.warning("could not give back %d claims; their leases will run out", len(ids), exc_info=True)
        run.let_go(ids)

    def is_member(self, person: store.Person) -> bool:
        """Whether Slack's profile shows `person` a member of their workspace's installation, asked once per
        process (`users.info`, outside any transaction); a profile Slack cannot give counts as a member's, and the
        DM's own answer says if they are gone."""
        with self._members_lock:
            known = self._members.get(person)
        if known is not None:
            return known
        workspace_id, user_id = person
        with self.rt.readers.begin() as session:
            team = team_of(session, workspace_id)
        if team is None:
            return True
        client = self.client_for(workspace_id)
        if client is None:  # uninstalled meanwhile: nothing is sent for it, so nobody to judge
            return True
        try:
            user: dict[str, Any] = client.users_info(user=user_id)["user"]
        except (SlackApiError, OSError) as error:
            logger.info("users.info for %s failed: %s", user_id, error)
            return True
        verdict = profile_is_member(user, Installation(*team))
        with self._members_lock:
            self._members[person] = verdict
        return verdict

    def _tz(self, member: store.Recipient | None) -> ZoneInfo:
        return zone(member.tz if member else None, self.default_tz)

    def backoff_until(self, attempts: int) -> datetime:
        with self._rng_lock:
            delay = backoff_delay(attempts, self.options.backoff, self.options.max_backoff, self._rng)
        return self.clock() + delay

    # --- digests ---

    def send_digests(self, now: datetime) -> PassReport:
        run = _Pass(now=now, outbox=Outbox(self.options.senders, "digests"), began=self.clock())
        # No zone is more than 14 hours ahead of UTC, so nobody's today is later than this.
        latest_day = (now + timedelta(hours=14)).date()
        with self.rt.readers.begin() as session:
            candidates = store.digest_candidates(
                session, latest_day=latest_day, before=now + timedelta(days=1), now=self.clock()
            )
        try:
            for member in candidates:
                day = digest_due(member, now, self.default_tz)
                if day is not None and not self.stopping:
                    run.outbox.put(_Digest(self, run, member, day, self._tz(member)))
        finally:
            run.outbox.finish()
        return run.report

    # --- weekly reports ---

    def send_weekly_reports(self, now: datetime) -> PassReport:
        """The weekly reports due at `now` posted, each once (`bot.reports.weekly_posts`)."""
        done = self.weekly.post_due(now)
        failed = len(done.retrying) + done.skipped
        return PassReport(weekly_reports=done.posted, failed=failed, weekly_retrying=done.retrying)

    # --- Slack ---

    def post(self, workspace_id: int, channel: str, message: Message, ids: Sequence[int], kind: str) -> dict[str, Any]:
        client = self.client_for(workspace_id)
        if client is None:
            raise NotInstalled(workspace_id)
        metadata = {"event_type": METADATA_EVENT, "event_payload": {"follow_up_ids": list(ids), "kind": kind}}
        response = client.chat_postMessage(
            channel=channel, text=message["text"], blocks=message["blocks"], metadata=metadata, unfurl_links=False
        )
        return dict(response.data) if isinstance(response.data, dict) else {}


class NotInstalled(Exception):
    """The installation has no bot token (uninstalled meanwhile): nothing is sent for it, nothing marked sent."""

    def __init__(self, workspace_id: int) -> None:
        super().__init__(f"workspace {workspace_id} has no installation to send with")


class _Nudge:
    """One person's claimed follow-ups: their nudges one by one, or one catch-up, to their DM or the admin channel."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        run: _Pass,
        person: store.Person,
        tz: ZoneInfo,
        rows: Sequence[store.DueRow],
        *,
        admin_channel: str | None = None,
        reason: str = "",
        ask_if_member: bool = False,
    ) -> None:
        self.d = dispatcher
        self.ask_if_member = ask_if_member
        self.run = run
        self.workspace_id, self.user_id = person
        self.tz = tz
        self.rows = {r.id: r for r in rows}
        self.groups = message_groups(list(self.rows))
        self.admin_channel = admin_channel
        # DMs are posted to the user id: Slack opens the conversation and answers with its D… id.
        self.channel = admin_channel or self.user_id
        self.reason = reason
        self.paced = Paced(dispatcher.pacer(self.workspace_id), self.channel)
        self.rate_limited = 0

    def step(self) -> float | None:
        if self.d.stopping or not self.groups:
            return None
        if self.ask_if_member:
            self.ask_if_member = False
            if not self.d.is_member((self.workspace_id, self.user_id)):
                self._settle(NOT_A_MEMBER)
                return None
        wait = self.paced.wait()
        if wait > 0:
            return wait
        try:
            return self._send(self.groups[0])
        except Exception as error:
            logger.exception("nudging %s failed", self.groups[0])
            self._failed(self.groups[0], f"{type(error).__name__}: {error}", transient=False)
            return self._next()

    def _send(self, ids: list[int]) -> float | None:
        d = self.d
        lease_after = d.clock() + d.options.lease_margin
        with d.rt.readers.begin() as session:
            live = store.still_claimed(session, ids, d.worker_id, due_by=self.run.now, lease_after=lease_after)
            views = follow_up_views(session, live)
        if len(views) < len(ids):
            # Done, snoozed or handed over meanwhile, or our lease is too short to send safely: not sent now.
            dropped = [i for i in ids if i not in {v.id for v in views}]
            _write(d.rt, lambda s: store.release(s, dropped, d.worker_id))
            self.run.leave_alone(dropped)
        if not views:
            return self._next()
        live = [v.id for v in views]
        kind = "nudge" if len(views) == 1 else "catch_up"
        message = self._message(views)
        problem: Exception | None = None
        response: dict[str, Any] = {}
        marked: int | None = None
        # The connection for the mark is taken (and checked) before the call: after Slack's acceptance only the
        # UPDATE and its commit stand between a crash and a second message.
        with d.rt.engine.connect() as connection:
            try:
                response = d.post(self.workspace_id, self.channel, message, live, kind)
            except Exception as error:
                problem = error
            else:
                marked = self._mark(live, response, connection)
        if isinstance(problem, SlackApiError):
            return self._refused(live, problem)
        if problem is not None:  # timeouts, resets, DNS: Slack may be unreachable for a while
            self._failed(live, f"{type(problem).__name__}: {problem}")
            return self._next()
        self._accepted(live, response, kind, marked)
        return self._next()

    def _message(self, views: list[FollowUpView]) -> Message:
        if len(views) == 1:
            message = nudge_message(views[0], self.tz, now=self.d.clock())
        else:
            message = catch_up_message(views, self.tz, self.run.now)
        if self.admin_channel is None:
            return message
        who = "is not a member of this workspace" if self.reason == NOT_A_MEMBER else "has left the workspace"
        note = f":wave: <@{self.user_id}> {who} and nobody owns this customer: who takes this over?"
        return {**message, "blocks": [mrkdwn(note), *message["blocks"]]}

    def _next(self) -> float | None:
        self.groups.pop(0)
        self.rate_limited = 0
        return 0.0 if self.groups else None

    def _mark(self, ids: list[int], response: dict[str, Any], connection: Connection) -> int | None:
        """Mark the rows nudged on the connection held through the call; None if that failed."""
        try:
            with self.d.rt.sessions(bind=connection) as session, session.begin():
                return self._marking(ids, response)(session)
        except Exception:
            logger.warning("marking %s failed, trying again", ids, exc_info=True)
            return None

    def _marking(self, ids: list[int], response: dict[str, Any]) -> Callable[[Session], int]:
        d = self.d
        channel, ts = response.get("channel"), response.get("ts")

        def mark(session: Session) -> int:
            marked = store.mark_nudged(session, ids, d.worker_id, now=d.clock(), channel=channel, ts=ts)
            if self.admin_channel:
                store.record_sent_to_channel(
                    session, self.workspace_id, ids, self.user_id, self.admin_channel, now=d.clock(), reason=self.reason
                )
            return marked

        return mark

    def _accepted(self, ids: list[int], response: dict[str, Any], kind: str, marked: int | None) -> None:
        if marked is None:
            marked = _write(self.d.rt, self._marking(ids, response))
        if marked < len(ids):
            logger.error("follow-ups %s were sent but their lease was taken over: they may arrive twice", ids)
        self.run.let_go(ids)
        if self.admin_channel:
            self.run.count("to_admin_channel")
        else:
            self.run.count("nudges" if kind == "nudge" else "catch_ups")

    def _refused(self, ids: list[int], error: SlackApiError) -> float | None:
        status = error.response.status_code
        code = str(error.response.get("error") or "")
        if status == 429 or code == "ratelimited":
            self.rate_limited += 1
            if self.rate_limited <= MAX_RATE_LIMITED:
                wait = _retry_after(error)
                self.d.pacer(self.workspace_id).pause(wait)
                return wait
        if code in DEPARTED_ERRORS and self.admin_channel is None:
            self._left(code)
            return None
        transient = status == 429 or code == "ratelimited" or status >= 500
        self._failed(ids, f"HTTP {status} {code}".strip(), transient=transient)
        return self._next()

    def _failed(self, ids: list[int], error: str, *, transient: bool = True) -> None:
        """Backed off, to be tried again later; `transient` says whether a retry may mend it (a 5xx, the
        network, Slack rate-limiting) rather than meet the same refusal."""
        d = self.d

        def back_off(session: Session) -> None:
            attempts = store.attempts_of(session, ids, d.worker_id)
            # One time for the whole message, so what went together (a catch-up) is retried together.
            until = d.backoff_until(max(attempts.values(), default=0) + 1)
            for follow_up_id, n in attempts.items():
                store.back_off(session, follow_up_id, d.worker_id, attempts=n + 1, until=until, error=error)

        _write(d.rt, back_off)
        self.run.let_go(ids)
        self.run.count("failed")
        self.run.note("retrying" if transient else "stuck", ids)
        logger.warning("could not send follow-ups %s to %s (%s); retrying later", ids, self.channel, error)

    def _left(self, code: str) -> None:
        """Slack says the assignee is gone: what this job still holds goes to someone who is not."""
        self._settle(f"left the workspace ({code})", departed=True)

    def _settle(self, reason: str, *, departed: bool = False) -> None:
        """What this job still holds goes to someone who can be reminded: the customer's owner, else the admin
        channel, else it waits; `departed` also marks the assignee gone."""
        d = self.d
        remaining = [self.rows[i] for group in self.groups for i in group]
        person = (self.workspace_id, self.user_id)

        def settle(session: Session) -> Job | None:
            if departed:
                store.mark_departed(session, self.workspace_id, self.user_id, d.clock())
            return d._settle_departed(session, self.run, person, remaining, reason, d.clock())

        job = _write(d.rt, settle)
        self.groups.clear()
        if job is not None:
            self.run.outbox.put(job)


class _Digest:
    """One member's digest for one local day: claimed, sent, and the claim given back if Slack refused it."""

    def __init__(self, dispatcher: Dispatcher, run: _Pass, member: store.Recipient, day: date, tz: ZoneInfo) -> None:
        self.d = dispatcher
        self.run = run
        self.member = member
        self.day = day
        self.tz = tz
        self.listed: tuple[list[int], list[int]] | None = None
        self.covered: list[int] = []  # what the digest tells about on time: no nudge of its own follows
        self.paced = Paced(dispatcher.pacer(member.workspace_id), member.user_id)
        self.rate_limited = 0

    def step(self) -> float | None:
        d = self.d
        if self.listed is None:
            self.listed = _write(d.rt, self._claim)
            if self.listed is None:
                return None
        if d.stopping:
            self._unclaim()
            return None
        wait = self.paced.wait()
        if wait > 0:
            return wait
        if not _write(d.rt, self._hold):  # its lease ran out while it waited, and another process took it
            return None
        try:
            return self._send(*self.listed)
        except Exception:
            logger.exception("digest for %s failed", self.member.user_id)
            self._unclaim()
            return None

    def _claim(self, session: Session) -> tuple[list[int], list[int]] | None:
        """The day's digest is ours, with what it lists; None when another process has it or there is nothing."""
        lease_now = self.d.clock()
        lease_until = lease_now + self.d.options.lease
        if not store.claim_digest(
            session, self.member.id, self.day, self.d.worker_id, now=lease_now, lease_until=lease_until
        ):
            return None
        day_ends = datetime.combine(self.day + timedelta(days=1), clock_time(0), tzinfo=self.tz).astimezone(UTC)
        m = self.member
        # Due at the digest's own hour ("friday" means 09:00) is due today, not "1 min overdue" at 09:00:40.
        overdue, today, self.covered = store.open_follow_ups_for_digest(
            session,
            m.workspace_id,
            m.user_id,
            now=self.run.now,
            overdue_before=digest_moment(self.day, m.digest_hour, self.tz),
            day_ends=day_ends,
        )
        if not overdue and not today:  # nothing to say: the day settled, so it is not asked again every minute
            store.digest_done(session, m.id, self.day, self.d.worker_id)
            return None
        return overdue, today

    def _hold(self, session: Session) -> bool:
        """The claim still ours, its lease renewed for the send; False when another process took it over."""
        d = self.d
        return store.hold_digest(
            session, self.member.id, self.day, d.worker_id, lease_until=d.clock() + d.options.lease
        )

    def _send(self, overdue: list[int], today: list[int]) -> float | None:
        d = self.d
        with d.rt.readers.begin() as session:
            overdue_views = follow_up_views(session, overdue)
            today_views = follow_up_views(session, today)
        message = digest_message(overdue_views, today_views, self.tz, self.run.now)
        try:
            response = d.post(self.member.workspace_id, self.member.user_id, message, overdue + today, "digest")
        except SlackApiError as error:
            return self._refused(error)
        except Exception as error:
            logger.warning("digest for %s not sent (%s); next tick tries again", self.member.user_id, error)
            self._unclaim()
            return None

        def mark(session: Session) -> int:
            store.digest_done(session, self.member.id, self.day, d.worker_id)
            return store.mark_nudged_by_digest(
                session,
                self.covered,
                now=self.run.now,
                lease_now=d.clock(),
                channel=response.get("channel"),
                ts=response.get("ts"),
            )

        _write(d.rt, mark)
        self.run.count("digests")
        return None

    def _refused(self, error: SlackApiError) -> float | None:
        status = error.response.status_code
        code = str(error.response.get("error") or "")
        if (status == 429 or code == "ratelimited") and self.rate_limited < MAX_RATE_LIMITED:
            self.rate_limited += 1
            wait = _retry_after(error)
            self.d.pacer(self.member.workspace_id).pause(wait)
            return wait
        if code in DEPARTED_ERRORS:
            # Gone: the day stays claimed; the nudge pass hands what the digest would have covered to others.
            m = self.member

            def departed(session: Session) -> None:
                store.mark_departed(session, m.workspace_id, m.user_id, self.d.clock())
                store.digest_done(session, m.id, self.day, self.d.worker_id)

            _write(self.d.rt, departed)
            self.run.count("failed")
            return None
        logger.warning("digest for %s refused (HTTP %s %s); next tick tries again", self.member.user_id, status, code)
        self._unclaim()
        return None

    def _unclaim(self) -> None:
        m = self.member
        _write(self.d.rt, lambda s: store.unclaim_digest(s, m.id, self.day, self.d.worker_id, m.digest_sent_on))
        self.run.count("failed")
        if not self.d.stopping:
            self.run.note("digests_retrying", [m.id])
