"""Channels linked to a customer and the conversations in them: each query scoped to one workspace."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.customers import live_customers_by_id
from storage.models import ChannelLink, Conversation, ConversationMessage, Customer
from storage.scoping import scoped_join


def channel_link(
    session: Session, workspace_id: int, channel_id: str, *, for_update: bool = False
) -> ChannelLink | None:
    """The channel's link row, live or unlinked; `for_update` as in `live_link`."""
    query = select(ChannelLink).where(ChannelLink.workspace_id == workspace_id, ChannelLink.channel_id == channel_id)
    return session.scalar(query.with_for_update() if for_update else query)


def live_link(session: Session, workspace_id: int, channel_id: str, *, for_update: bool = False) -> ChannelLink | None:
    """The channel's link while it is linked; `for_update` holds it until commit, so that two messages of one
    channel arriving at once (on PostgreSQL) find their conversations one after the other."""
    query = select(ChannelLink).where(
        ChannelLink.workspace_id == workspace_id,
        ChannelLink.channel_id == channel_id,
        ChannelLink.unlinked_at.is_(None),
    )
    return session.scalar(query.with_for_update() if for_update else query)


def live_links_to(session: Session, workspace_id: int, customer_ids: Sequence[int]) -> list[ChannelLink]:
    """The links of channels linked now to any of these customers, in the order they were linked."""
    return list(
        session.scalars(
            select(ChannelLink)
            .where(
                ChannelLink.workspace_id == workspace_id,
                ChannelLink.customer_id.in_(list(customer_ids)),
                ChannelLink.unlinked_at.is_(None),
            )
            .order_by(ChannelLink.linked_at, ChannelLink.id)
        )
    )


def conversation_of_message(session: Session, workspace_id: int, channel_id: str, ts: str) -> Conversation | None:
    """The conversation a message (a thread's parent, an edited or deleted one) was recorded in."""
    return session.scalar(
        select(Conversation)
        .join(ConversationMessage, scoped_join(Conversation, ConversationMessage, ConversationMessage.conversation_id))
        .where(
            ConversationMessage.workspace_id == workspace_id,
            ConversationMessage.channel_id == channel_id,
            ConversationMessage.ts == ts,
            Conversation.workspace_id == workspace_id,
        )
    )


def conversation_starting_at(session: Session, workspace_id: int, channel_id: str, ts: str) -> Conversation | None:
    return session.scalar(
        select(Conversation).where(
            Conversation.workspace_id == workspace_id,
            Conversation.channel_id == channel_id,
            Conversation.start_ts == ts,
        )
    )


def run_before(session: Session, workspace_id: int, channel_id: str, ts: str) -> Conversation | None:
    """The channel's latest run of top-level messages that started at `ts` or before (ix_conversations_latest_run).

    A ts is compared as text: Slack's are all ten digits, a dot and six.
    """
    return session.scalar(
        select(Conversation)
        .where(
            Conversation.workspace_id == workspace_id,
            Conversation.channel_id == channel_id,
            Conversation.is_thread.is_(False),
            Conversation.start_ts <= ts,
        )
        .order_by(Conversation.start_ts.desc())
        .limit(1)
    )


def run_after(session: Session, workspace_id: int, channel_id: str, ts: str) -> Conversation | None:
    """The channel's first run that started after `ts`: a message delivered late may belong at its start."""
    return session.scalar(
        select(Conversation)
        .where(
            Conversation.workspace_id == workspace_id,
            Conversation.channel_id == channel_id,
            Conversation.is_thread.is_(False),
            Conversation.start_ts > ts,
        )
        .order_by(Conversation.start_ts)
        .limit(1)
    )


def message_at(session: Session, workspace_id: int, channel_id: str, ts: str) -> ConversationMessage | None:
    return session.scalar(
        select(ConversationMessage).where(
            ConversationMessage.workspace_id == workspace_id,
            ConversationMessage.channel_id == channel_id,
            ConversationMessage.ts == ts,
        )
    )


def live_messages_of(session: Session, conversation: Conversation) -> list[ConversationMessage]:
    """A conversation's messages not deleted, oldest first."""
    return list(
        session.scalars(
            select(ConversationMessage)
            .where(
                ConversationMessage.workspace_id == conversation.workspace_id,
                ConversationMessage.conversation_id == conversation.id,
                ConversationMessage.deleted_at.is_(None),
            )
            .order_by(ConversationMessage.ts)
        )
    )


def conversation_of_touchpoint(session: Session, workspace_id: int, touchpoint_id: int) -> Conversation | None:
    return session.scalar(
        select(Conversation).where(
            Conversation.workspace_id == workspace_id, Conversation.touchpoint_id == touchpoint_id
        )
    )


def live_customer(session: Session, workspace_id: int, customer_id: int) -> Customer | None:
    """The customer a link is for, now: itself, or the one it was merged into; None once deleted."""
    return live_customers_by_id(session, workspace_id, [customer_id]).get(customer_id)
