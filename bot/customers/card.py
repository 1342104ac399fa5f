"""The customer card as plain data: who the customer is and their whole story across departments.

The journey part tells how the customer came and moved: its stage moves with dates, its first touchpoint
and where that was logged from, and whether the follow-ups promised to it lately were kept on time (by the
grace of `bot.followups.rules.kept_on_time`, the one the measures use).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.conversations.links import LinkedChannel, linked_channels
from bot.customers.lookup import customer_fate
from bot.followups.rules import GRACE_AT_LEAST, GRACE_AT_MOST, kept_on_time
from bot.text import plural
from storage import cards as card_store
from storage.cards import ContactRow, FirstTouchRow, FollowUpRow, StageChangeRow, TouchpointRow
from storage.customers import customer as live_customer
from storage.followups import customer_ids_merged_into

RECENT_DAYS = 90
LATEST_SIZE = 5
FOLLOW_UPS_SHOWN = 5
HISTORY_PAGE = 20
NO_DEPARTMENT = "no department"
# The journey shows this many latest stage moves; older ones are summed up as "…".
JOURNEY_MOVES = 6
KEPT_DAYS = 90


@dataclass(frozen=True)
class FollowUpsKept:
    """Follow-ups with the customer that fell due in the last KEPT_DAYS days (cancelled ones left out)."""

    due: int
    on_time: int
    late: int
    open_overdue: int


@dataclass(frozen=True)
class Journey:
    # Oldest first, the latest JOURNEY_MOVES of them; `earlier` when there were more before.
    moves: list[StageChangeRow]
    earlier: bool
    first_touch: FirstTouchRow | None
    kept: FollowUpsKept


@dataclass(frozen=True)
class Card:
    customer_id: int
    name: str
    stage: str | None
    owner_user_id: str | None
    domain: str | None
    aliases: list[str]
    last_touch: datetime | None
    # Touchpoints in the last RECENT_DAYS days: how many, by department and by kind, most first.
    recent_total: int
    by_department: list[tuple[str, int]]
    by_kind: list[tuple[str, int]]
    open_follow_ups: list[FollowUpRow]
    more_follow_ups: bool
    latest: list[TouchpointRow]
    contacts: list[ContactRow]
    journey: Journey
    # Channels whose conversations with the customer's people are logged by themselves (bot.conversations).
    linked_channels: list[LinkedChannel] = field(default_factory=list)


@dataclass(frozen=True)
class HistoryPage:
    customer_id: int
    name: str
    page: int
    touchpoints: list[TouchpointRow]
    has_next: bool


def customer_card(session: Session, workspace_id: int, customer_id: int, *, now: datetime, tz: ZoneInfo) -> Card | None:
    """The card of a live customer (merged ids lead to the survivor); None when there is none.

    `tz` is the viewer's zone, whose working days give a follow-up its grace, as in the measures.
    """
    customer = live_customer(session, workspace_id, customer_id)
    if customer is None:
        return None
    # Merges move rows to the survivor; rows of customers merged into it count as its own all the same.
    ids = customer_ids_merged_into(session, workspace_id, customer.id)
    latest = card_store.touchpoints_page(session, workspace_id, ids, limit=LATEST_SIZE)
    counts = card_store.touch_counts_since(session, workspace_id, ids, now - timedelta(days=RECENT_DAYS))
    by_department: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    for department, kind, count in counts:
        by_department[department or NO_DEPARTMENT] += count
        by_kind[kind] += count
    follow_ups = card_store.open_follow_ups_for(session, workspace_id, ids, FOLLOW_UPS_SHOWN + 1)
    return Card(
        customer_id=customer.id,
        name=customer.name,
        stage=customer.stage,
        owner_user_id=customer.owner_user_id,
        domain=customer.domain,
        aliases=card_store.active_aliases(session, workspace_id, customer.id),
        last_touch=latest[0].occurred_at if latest else None,
        recent_total=sum(by_kind.values()),
        by_department=_most_first(by_department),
        by_kind=_most_first(by_kind),
        open_follow_ups=follow_ups[:FOLLOW_UPS_SHOWN],
        more_follow_ups=len(follow_ups) > FOLLOW_UPS_SHOWN,
        latest=latest,
        contacts=card_store.live_contacts(session, workspace_id, ids),
        journey=journey(session, workspace_id, customer.id, ids, now=now, tz=tz),
        linked_channels=linked_channels(session, workspace_id, ids),
    )


def journey(
    session: Session, workspace_id: int, customer_id: int, ids: list[int], *, now: datetime, tz: ZoneInfo
) -> Journey:
    """Stage moves (the customer's own: a merged customer's stages were its own story), first touch, follow-ups kept."""
    moves = card_store.latest_stage_changes(session, workspace_id, customer_id, JOURNEY_MOVES + 1)
    return Journey(
        moves=list(reversed(moves[:JOURNEY_MOVES])),
        earlier=len(moves) > JOURNEY_MOVES,
        first_touch=card_store.first_touchpoint(session, workspace_id, ids),
        kept=follow_ups_kept(session, workspace_id, ids, now=now, tz=tz),
    )


def follow_ups_kept(
    session: Session, workspace_id: int, ids: list[int], *, now: datetime, tz: ZoneInfo
) -> FollowUpsKept:
    """Counted in the database; only the few closed near the end of their grace are judged one by one here."""
    # The store's date arithmetic is in floating point: a minute either side keeps a closing at the very edge
    # of its grace out of the store's certain answers and for `kept_on_time` to judge.
    edge = timedelta(minutes=1)
    window = (ids, now - timedelta(days=KEPT_DAYS), now, GRACE_AT_LEAST - edge, GRACE_AT_MOST + edge)
    counts = card_store.follow_up_outcomes_due_between(session, workspace_id, *window)
    near = card_store.closings_near_grace(session, workspace_id, *window) if counts.get(card_store.NEAR_GRACE) else []
    near_on_time = sum(1 for due, completed in near if kept_on_time(due, completed, tz))
    on_time = counts.get(card_store.ON_TIME, 0) + near_on_time
    late = counts.get(card_store.LATE, 0) + len(near) - near_on_time
    open_overdue = counts.get(card_store.OPEN, 0)
    return FollowUpsKept(due=on_time + late + open_overdue, on_time=on_time, late=late, open_overdue=open_overdue)


def history_page(session: Session, workspace_id: int, customer_id: int, page: int) -> HistoryPage | None:
    """One page of every touchpoint with a live customer, latest first."""
    customer = live_customer(session, workspace_id, customer_id)
    if customer is None:
        return None
    page = max(0, page)
    ids = customer_ids_merged_into(session, workspace_id, customer.id)
    rows = card_store.touchpoints_page(session, workspace_id, ids, limit=HISTORY_PAGE + 1, offset=page * HISTORY_PAGE)
    return HistoryPage(customer.id, customer.name, page, rows[:HISTORY_PAGE], has_next=len(rows) > HISTORY_PAGE)


def relative(moment: datetime, now: datetime) -> str:
    """`just now`, `5 minutes ago`, `3 hours ago`, `yesterday`, `12 days ago`, `4 months ago`, `in 2 days`."""
    seconds = (now - moment).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    if seconds < 60:
        return "just now"
    for size, unit in ((86400 * 365, "year"), (86400 * 30, "month"), (86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            amount = int(seconds // size)
            if unit == "day" and amount == 1:
                return "tomorrow" if future else "yesterday"
            words = plural(amount, unit)
            return f"in {words}" if future else f"{words} ago"
    return "just now"


def _most_first(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


@dataclass(frozen=True)
class Opened:
    """What a button naming a customer finds: its card, the survivor's card after a merge, or nothing."""

    card: Card | None
    # The name the button was made for, when that customer was merged away or deleted since.
    old_name: str | None = None
    merged: bool = False


def open_card(session: Session, workspace_id: int, customer_id: int, *, now: datetime, tz: ZoneInfo) -> Opened:
    fate = customer_fate(session, workspace_id, customer_id)
    if fate is None:
        return Opened(None)
    if fate.current is None:
        return Opened(None, old_name=fate.asked_name)
    card = customer_card(session, workspace_id, fate.current.id, now=now, tz=tz)
    if fate.merged:
        return Opened(card, old_name=fate.asked_name, merged=True)
    return Opened(card)
