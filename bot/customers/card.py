"""The customer card as plain data: who the customer is and their whole story across departments."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.customers.lookup import customer_fate
from bot.text import plural
from storage import cards as card_store
from storage.cards import ContactRow, FollowUpRow, TouchpointRow
from storage.customers import customer as live_customer
from storage.followups import customer_ids_merged_into

RECENT_DAYS = 90
LATEST_SIZE = 5
FOLLOW_UPS_SHOWN = 5
HISTORY_PAGE = 20
NO_DEPARTMENT = "no department"


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


@dataclass(frozen=True)
class HistoryPage:
    customer_id: int
    name: str
    page: int
    touchpoints: list[TouchpointRow]
    has_next: bool


def customer_card(session: Session, workspace_id: int, customer_id: int, *, now: datetime) -> Card | None:
    """The card of a live customer (merged ids lead to the survivor); None when there is none."""
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
    )


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


def open_card(session: Session, workspace_id: int, customer_id: int, *, now: datetime) -> Opened:
    fate = customer_fate(session, workspace_id, customer_id)
    if fate is None:
        return Opened(None)
    if fate.current is None:
        return Opened(None, old_name=fate.asked_name)
    card = customer_card(session, workspace_id, fate.current.id, now=now)
    if fate.merged:
        return Opened(card, old_name=fate.asked_name, merged=True)
    return Opened(card)
