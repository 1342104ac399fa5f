"""The weekly report: `/report weekly #channel [filter]` subscribes a channel to the previous Monday-to-Sunday
week's report, posted there every Monday at 09:00; `… off` stops it; `/report weekly` lists what is set.

Slack keeps no time zone for a workspace, so a subscription keeps the zone of whoever set it up (their Slack
profile, else DEFAULT_TZ): its Mondays, its 09:00 and its weeks are read there. One row per channel: asking
again changes the filter or zone rather than adding a second post. Starting, changing and stopping are
recorded in the audit trail; a stopped subscription keeps its row, and starting it again reuses it.

The schedule is plain functions of an instant and a zone (`next_post_at`, `latest_post_at`, `week_before`):
a post due at Monday 09:00 reports the seven local days before it. A post made late (the scheduler was down)
reports the week before the latest Monday 09:00 passed, once; the Mondays missed before that are not replayed,
as the digest does not replay missed mornings. Posting is `bot.reports.weekly_posts`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.customers.name_index import CustomerIndexes
from bot.reports.asked import MAX_WORDS, read_words
from bot.reports.periods import Period, ReportWordsError, UnreadablePeriod, read_period
from storage import weekly_reports as store
from storage.models import WeeklyReport
from storage.touchpoints import add_audit_event

WEEKLY = "weekly"
POST_AT = time(9, 0)
# What ends `/report weekly #channel …` to stop the channel's report.
STOP_WORDS = frozenset({"off", "stop"})
ENTITY = "weekly_report"
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
_TYPED_CHANNEL = re.compile(r"(?<![\w&<])#[\w\-]+")


@dataclass(frozen=True)
class WeeklyAsked:
    """What `/report weekly …` asked: a channel (None: list them), the filter words, and whether to stop."""

    channel_id: str | None
    filter_words: str = ""
    stop: bool = False


@dataclass(frozen=True)
class WeeklySubscription:
    """A channel's weekly report as people see it."""

    channel_id: str
    filter_words: str
    tz: ZoneInfo
    next_due_at: datetime
    created_by: str
    last_posted_at: datetime | None = None
    last_week_first: date | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class Subscribed:
    """What subscribing did: `new`, `restarted` (it had been stopped), `changed` (filter or zone) or `same`."""

    subscription: WeeklySubscription
    outcome: str


# --- the schedule ---


def next_post_at(after: datetime, tz: ZoneInfo) -> datetime:
    """The first Monday 09:00 in `tz` strictly after `after`, as a UTC instant."""
    local = after.astimezone(tz)
    monday = local.date() - timedelta(days=local.weekday())
    moment = _monday_at(monday, tz)
    return moment if moment > after else _monday_at(monday + timedelta(days=7), tz)


def latest_post_at(now: datetime, tz: ZoneInfo) -> datetime:
    """The last Monday 09:00 in `tz` at or before `now`."""
    following = next_post_at(now, tz)
    return _monday_at(following.astimezone(tz).date() - timedelta(days=7), tz)


def week_before(post_at: datetime, tz: ZoneInfo) -> Period:
    """The Monday-to-Sunday week in `tz` that ends just before the Monday of `post_at`."""
    monday = post_at.astimezone(tz).date() - timedelta(days=post_at.astimezone(tz).weekday())
    return Period(monday - timedelta(days=7), monday - timedelta(days=1), tz, "last week")


def report_words(week: Period, filter_words: str) -> str:
    """The `/report` words of a week's report: its days exactly (so a button rebuilds that week) and the filter."""
    return f"{week.first.isoformat()}..{week.last.isoformat()} {filter_words}".strip()


def _monday_at(monday: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(monday, POST_AT, tzinfo=tz).astimezone(UTC)


# --- the words ---


def read_weekly_words(words: str) -> WeeklyAsked:
    """The words after `/report weekly`: a channel as Slack sends it (`<#C…|name>`), filter words, `off`."""
    found = _CHANNEL.search(words)
    rest = words if found is None else words[: found.start()] + " " + words[found.end() :]
    tokens = rest.split()
    stop = bool(tokens) and tokens[-1].lower() in STOP_WORDS
    if stop:
        tokens.pop()
    filter_words = " ".join(tokens)
    if found is None:
        typed = _TYPED_CHANNEL.search(words)
        if typed is not None:
            raise ReportWordsError(
                f"I can't tell which channel `{typed.group(0)}` is: pick it from the list Slack offers as you"
                " type `#`, e.g. `/report weekly #sales`."
            )
        if stop or filter_words:
            raise ReportWordsError(
                "Say which channel, e.g. `/report weekly #sales` to post the weekly report there,"
                " or `/report weekly #sales off` to stop it."
            )
        return WeeklyAsked(None)
    if stop and filter_words:
        raise ReportWordsError(f"To stop the weekly report, write `/report weekly {found.group(0)} off` alone.")
    if len(filter_words) > MAX_WORDS:
        raise ReportWordsError("That is more than a report can be about; try a department, `@someone` or `#tag`.")
    return WeeklyAsked(found.group(1), filter_words, stop)


def check_filter_words(
    session: Session,
    indexes: CustomerIndexes,
    workspace_id: int,
    user_id: str,
    filter_words: str,
    *,
    now: datetime,
    tz: ZoneInfo,
) -> None:
    """`ReportWordsError` when the filter names a period (the week is always the previous one) or nothing known."""
    if filter_words:
        try:
            _, rest = read_period(filter_words, now, tz)
        except UnreadablePeriod:
            rest = filter_words  # `next gen` may be a customer's name: the filter says whether it is
        if rest.strip() != filter_words.strip():
            raise ReportWordsError(
                "The weekly report is always about the previous Monday to Sunday, so leave the period out:"
                " e.g. `/report weekly #sales finance`."
            )
    week = week_before(latest_post_at(now, tz), tz)
    read_words(session, indexes, workspace_id, user_id, report_words(week, filter_words), now=now, tz=tz)


# --- subscriptions ---


def subscription(row: WeeklyReport) -> WeeklySubscription:
    return WeeklySubscription(
        channel_id=row.channel_id,
        filter_words=row.filter_words,
        tz=ZoneInfo(row.tz),
        next_due_at=row.next_due_at,
        created_by=row.changed_by or row.created_by,
        last_posted_at=row.last_posted_at,
        last_week_first=row.last_week_first,
        last_error=row.last_error,
    )


def planned(channel_id: str, filter_words: str, *, tz: ZoneInfo, user_id: str, now: datetime) -> WeeklySubscription:
    """The subscription `subscribe` would make now, before it is written (the channel's notice tells of it)."""
    return WeeklySubscription(channel_id, filter_words, tz, next_post_at(now, tz), user_id)


def subscriptions(session: Session, workspace_id: int) -> list[WeeklySubscription]:
    """The workspace's weekly reports that are on, soonest first."""
    return [subscription(row) for row in store.live_weekly_reports(session, workspace_id)]


def live_subscription(session: Session, workspace_id: int, channel_id: str) -> WeeklySubscription | None:
    row = store.weekly_report_of_channel(session, workspace_id, channel_id)
    return None if row is None or row.stopped_at is not None else subscription(row)


def subscribe(
    session: Session,
    workspace_id: int,
    channel_id: str,
    filter_words: str,
    *,
    tz: ZoneInfo,
    user_id: str,
    now: datetime,
) -> Subscribed:
    """The channel's weekly report on, with these filter words in this zone; never a second row per channel."""
    row = store.weekly_report_of_channel(session, workspace_id, channel_id)
    if row is None:
        try:
            with session.begin_nested():
                row = WeeklyReport(
                    workspace_id=workspace_id,
                    channel_id=channel_id,
                    filter_words=filter_words,
                    tz=tz.key,
                    created_by=user_id,
                    created_at=now,
                    next_due_at=next_post_at(now, tz),
                )
                session.add(row)
        except IntegrityError:  # another request subscribed the channel first: change theirs instead
            row = store.weekly_report_of_channel(session, workspace_id, channel_id)
            assert row is not None
        else:
            _audit(session, row, user_id, "weekly_report_started", now)
            return Subscribed(subscription(row), "new")
    if row.stopped_at is not None:
        outcome = "restarted"
        row.stopped_at = None
        row.next_due_at = next_post_at(now, tz)
        row.attempts, row.next_attempt_at, row.last_error = 0, None, None
    elif row.filter_words == filter_words and row.tz == tz.key:
        return Subscribed(subscription(row), "same")
    else:
        outcome = "changed"
        if row.next_due_at > now:  # a post due and not yet made stays due: it is made with the new words
            row.next_due_at = next_post_at(now, tz)
    before = {"filter": row.filter_words, "tz": row.tz}
    row.filter_words, row.tz = filter_words, tz.key
    row.changed_by, row.changed_at = user_id, now
    session.flush()
    _audit(session, row, user_id, f"weekly_report_{outcome}", now, before=before)
    return Subscribed(subscription(row), outcome)


def unsubscribe(
    session: Session, workspace_id: int, channel_id: str, *, user_id: str, now: datetime
) -> WeeklySubscription | None:
    """Stop the channel's weekly report (its row stays, and the stop is recorded); None when it was not on."""
    row = store.weekly_report_of_channel(session, workspace_id, channel_id)
    if row is None or row.stopped_at is not None:
        return None
    row.stopped_at = now
    row.changed_by, row.changed_at = user_id, now
    session.flush()
    _audit(session, row, user_id, "weekly_report_stopped", now)
    return subscription(row)


def _audit(session: Session, row: WeeklyReport, user_id: str, action: str, now: datetime, **extra: object) -> None:
    details = {"channel": row.channel_id, "filter": row.filter_words, "tz": row.tz, **extra}
    add_audit_event(session, row.workspace_id, user_id, action, ENTITY, row.id, now, **details)
