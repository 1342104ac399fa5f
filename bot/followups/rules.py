"""What is due when: plain functions of `now`, with no Slack client and no store of their own.

The dispatcher asks these which follow-ups go in one message, when a person's digest is, which due
follow-ups wait for it, and how long a failed send waits before it is tried again; and whether a
follow-up that was done was kept on time, by the one grace the customer card and the measures share.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from bot.members import zone
from storage import dispatch as store

# More than this many due at once for one person: one catch-up message instead of separate nudges.
CATCH_UP_AFTER = 3
# A digest is still sent this long after its hour (a slow tick, Slack refusing for a while); later than that
# the day's digest is skipped and what it would have covered is nudged on its own.
DIGEST_LATEST = timedelta(hours=1)
# While a digest is due but not yet sent, what it covers is looked at again this often.
DIGEST_RECHECK = timedelta(minutes=2)
# When the digest is this close, whatever is due waits for it, even if it fell due on an earlier day.
DIGEST_SOON = timedelta(minutes=15)


def grace_until(due: datetime, tz: ZoneInfo) -> datetime:
    """The last instant a follow-up still counts as kept: its due time on the next working day (Mon–Fri) in `tz`.

    Due on Friday 17:00, it may be done until Monday 17:00; due on Saturday, until Monday at that time too.
    """
    local = due.astimezone(tz)
    day = local.date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=tz).astimezone(UTC)


def kept_on_time(due: datetime, completed: datetime, tz: ZoneInfo) -> bool:
    """Done no later than its due instant plus a grace of one working day (`grace_until`), early counting too.

    The customer card's "follow-ups kept" uses it; the measures (`storage.reports`) compute the same rule in
    SQL, with the weekday read at one offset for the whole period.
    """
    return completed <= grace_until(due, tz)


# However the week and the clocks fall, the grace is never shorter or longer than these (one day to the next,
# Friday to Monday, give or take a summer-time hour): only closings between them need `kept_on_time` itself.
GRACE_AT_LEAST = timedelta(hours=23)
GRACE_AT_MOST = timedelta(hours=73)


def digest_moment(day: date, hour: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock_time(hour), tzinfo=tz).astimezone(UTC)


def pending_digest(person: store.Recipient | None, now: datetime, default_tz: ZoneInfo) -> datetime | None:
    """The moment of this person's digest today while it is still to come or going out, else None.

    None on weekends, with the digest off, for someone who left, once today's went, and once it is too late.
    """
    if person is None or not person.digest_enabled or person.deleted:
        return None
    tz = zone(person.tz, default_tz)
    today = now.astimezone(tz).date()
    if today.weekday() >= 5 or person.digest_sent(today, now):
        return None
    moment = digest_moment(today, person.digest_hour, tz)
    return moment if now < moment + DIGEST_LATEST else None


def digest_due(person: store.Recipient, now: datetime, default_tz: ZoneInfo) -> date | None:
    """The local day whose digest should go now, if one should."""
    moment = pending_digest(person, now, default_tz)
    if moment is None or now < moment:
        return None
    return now.astimezone(zone(person.tz, default_tz)).date()


def deferred_until(
    due_at: datetime, timed: bool, person: store.Recipient | None, now: datetime, default_tz: ZoneInfo
) -> datetime | None:
    """When a follow-up the person's digest will cover should be looked at again, or None to nudge it now.

    A follow-up with a time of its own (`timed`: "in 30 minutes", "at 7am") is nudged at that instant, night
    or day: Slack already holds notifications through a person's own quiet hours. The digest covers what
    falls due close to it, and follow-ups set for a day without a time that fall due earlier that day.
    Something late from an earlier day (the scheduler was down) is not held for hours.
    """
    moment = pending_digest(person, now, default_tz)
    if moment is None or person is None or due_at > moment:
        return None
    if moment - now > DIGEST_SOON:
        if timed:
            return None
        tz = zone(person.tz, default_tz)
        if due_at.astimezone(tz).date() != moment.astimezone(tz).date():
            return None
    return moment if now < moment else min(now + DIGEST_RECHECK, moment + DIGEST_LATEST)


def message_groups(ids: Sequence[int]) -> list[list[int]]:
    """Which follow-ups go in which message: one each, or all in one catch-up when there are many."""
    return [list(ids)] if len(ids) > CATCH_UP_AFTER else [[i] for i in ids]


def backoff_delay(attempts: int, base: timedelta, cap: timedelta, rng: random.Random) -> timedelta:
    """Exponential, capped, and jittered so that rows that failed together are not retried together."""
    return min(cap, base * 2 ** max(0, attempts - 1)) * rng.uniform(0.8, 1.2)
