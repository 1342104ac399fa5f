"""Linking a channel to a customer and unlinking it: one customer per channel, every change in the audit trail."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from storage import channels as channel_store
from storage.customers import live_customers_by_id
from storage.models import ChannelLink
from storage.touchpoints import add_audit_event

LinkOutcome = Literal["linked", "already linked", "linked elsewhere", "customer gone"]
UnlinkOutcome = Literal["unlinked", "not linked"]

# `/customer acme link #channel`: Slack sends the picked channel as <#C123|name> (or <#C123> lately).
_CHANNEL_REQUEST = re.compile(
    r"^\s*(?P<customer>.*?)\s+(?P<verb>link|unlink)\s+(?P<channel><#(?P<id>[CG][A-Z0-9]+)(?:\|(?P<name>[^>]*))?>|#\S+)\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ChannelRequest:
    """`/customer <customer> link|unlink #channel`; `channel_id` None when the channel was typed, not picked."""

    customer_text: str
    verb: Literal["link", "unlink"]
    channel_id: str | None
    channel_name: str | None
    typed_channel: str


def channel_request(text: str) -> ChannelRequest | None:
    """The link or unlink asked for in `/customer`'s text; None when it is a plain look-up."""
    found = _CHANNEL_REQUEST.match(text or "")
    if found is None or not found.group("customer").strip():
        return None
    verb: Literal["link", "unlink"] = "link" if found.group("verb").lower() == "link" else "unlink"
    return ChannelRequest(
        customer_text=found.group("customer").strip(),
        verb=verb,
        channel_id=found.group("id"),
        channel_name=found.group("name") or None,
        typed_channel=found.group("channel"),
    )


@dataclass(frozen=True)
class Linked:
    outcome: LinkOutcome
    # The customer the channel is linked to now: the one asked for, or the other one it was linked to already.
    customer_id: int | None = None
    customer_name: str | None = None


def link_channel(
    session: Session,
    workspace_id: int,
    customer_id: int,
    channel_id: str,
    channel_name: str | None,
    user_id: str,
    now: datetime,
) -> Linked:
    """Link the channel to the live customer (the survivor, if it was merged); refused if linked to another."""
    customer = live_customers_by_id(session, workspace_id, [customer_id]).get(customer_id)
    if customer is None:
        return Linked("customer gone")
    link = channel_store.channel_link(session, workspace_id, channel_id)
    if link is not None and link.unlinked_at is None:
        current = live_customers_by_id(session, workspace_id, [link.customer_id]).get(link.customer_id)
        if current is not None and current.id == customer.id:
            return Linked("already linked", customer.id, customer.name)
        if current is not None:
            return Linked("linked elsewhere", current.id, current.name)
        # Linked to a customer deleted since: the link holds nobody, so it is taken over.
    if link is None:
        link = ChannelLink(workspace_id=workspace_id, channel_id=channel_id)
        session.add(link)
    previous = None if link.unlinked_at is not None else link.customer_id
    link.customer_id = customer.id
    link.channel_name = channel_name or link.channel_name
    link.linked_by = user_id
    link.linked_at = now
    link.unlinked_at = None
    link.unlinked_by = None
    session.flush()
    add_audit_event(
        session,
        workspace_id,
        user_id,
        "channel linked",
        "channel_link",
        link.id,
        now,
        channel=channel_id,
        customer_id=customer.id,
        **({"taken_from_customer_id": previous} if previous else {}),
    )
    return Linked("linked", customer.id, customer.name)


@dataclass(frozen=True)
class Unlinked:
    outcome: UnlinkOutcome
    customer_id: int | None = None
    customer_name: str | None = None
    channel_name: str | None = None


def unlink_channel(
    session: Session, workspace_id: int, channel_id: str, user_id: str, now: datetime, *, customer_id: int | None = None
) -> Unlinked:
    """Stop logging the channel's conversations; what was logged stays, and linking again is one click.

    With `customer_id` (an old card's *Unlink*), only while the channel is still linked to that customer.
    """
    link = channel_store.live_link(session, workspace_id, channel_id)
    if link is None:
        return Unlinked("not linked")
    if customer_id is not None:
        linked = live_customers_by_id(session, workspace_id, [link.customer_id, customer_id])
        if linked.get(customer_id) is None or linked.get(link.customer_id) is not linked.get(customer_id):
            return Unlinked("not linked")
    link.unlinked_at = now
    link.unlinked_by = user_id
    add_audit_event(
        session,
        workspace_id,
        user_id,
        "channel unlinked",
        "channel_link",
        link.id,
        now,
        channel=channel_id,
        customer_id=link.customer_id,
    )
    customer = live_customers_by_id(session, workspace_id, [link.customer_id]).get(link.customer_id)
    return Unlinked(
        "unlinked",
        customer.id if customer else None,
        customer.name if customer else None,
        link.channel_name,
    )


@dataclass(frozen=True)
class LinkedChannel:
    channel_id: str
    channel_name: str | None


def linked_channels(session: Session, workspace_id: int, customer_ids: list[int]) -> list[LinkedChannel]:
    """The channels linked now to a customer (and to those merged into it), for its card."""
    return [
        LinkedChannel(link.channel_id, link.channel_name)
        for link in channel_store.live_links_to(session, workspace_id, customer_ids)
    ]
