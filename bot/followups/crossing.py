"""The scheduled instants a clock crossed: where a pass has to stop on the way from one moment to another.

A pass at `now` sends what is due at `now`. A clock that jumps (the shell's `:advance 2d`) would otherwise see
only where it landed: a digest whose hour lay on the way, more than an hour back, would be skipped and what
it covered nudged one by one. So `Dispatcher.run_pass(now, since=...)` first passes at each instant in
between at which something was scheduled, a follow-up falling due or a person's digest hour, in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.followups.rules import digest_moment
from bot.members import zone
from storage import dispatch as store

# Enough for any jump a person makes by hand; past that, what is left is folded into the pass at the end.
MAX_CROSSED = 500


def digest_moments_between(
    person: store.Recipient, after: datetime, before: datetime, default_tz: ZoneInfo
) -> list[datetime]:
    """The person's digest hours (working days, in their own zone) strictly between `after` and `before`."""
    if not person.digest_enabled or person.deleted or before <= after:
        return []
    tz = zone(person.tz, default_tz)
    day, last = after.astimezone(tz).date(), before.astimezone(tz).date()
    moments = []
    while day <= last:
        if day.weekday() < 5:
            moment = digest_moment(day, person.digest_hour, tz)
            if after < moment < before:
                moments.append(moment)
        day += timedelta(days=1)
    return moments


def crossed_instants(
    after: datetime,
    before: datetime,
    due_instants: Iterable[datetime],
    people: Iterable[store.Recipient],
    default_tz: ZoneInfo,
) -> list[datetime]:
    """Every instant strictly between `after` and `before` at which a follow-up fell due or a digest was due."""
    instants = {moment for moment in due_instants if after < moment < before}
    for person in people:
        instants.update(digest_moments_between(person, after, before, default_tz))
    return sorted(instants)[:MAX_CROSSED]
