"""Messages in a linked channel become touchpoints: one `chat` touchpoint per conversation, not one per message.

A conversation is a thread (its replies join the conversation its parent message is in), or a run of top-level
messages with no gap over `RUN_GAP`. It gets its touchpoint when the first message from the customer's side
arrives, whose words (shortened) are the summary; the participants of both sides and the message count are
kept with it and follow every new message, edit and deletion. A run only among colleagues is no touchpoint.

Which side a person is on is for the listener to say (`from_customer`, from the message's team or Slack's
profile): nothing here calls Slack. Every message is recorded by its ts once, so a delivery seen twice (a retry
over another path, Socket Mode and HTTP) changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from bot.text import slack_to_plain, truncate
from storage import channels as channel_store
from storage.customers import live_customers_by_id
from storage.models import ChannelLink, Conversation, ConversationMessage, Touchpoint
from storage.touchpoints import add_audit_event, insert_touchpoint, touchpoint
from storage.workspaces import member

RUN_GAP = timedelta(hours=3)
SUMMARY_CHARS = 280
# A touchpoint's `source` (at most 10 characters) and kind.
SOURCE = "channel"
KIND = "chat"
CUSTOMER = "customer"
INTERNAL = "internal"


@dataclass(frozen=True)
class ChannelMessage:
    """A person's message in a channel, as the listener read it from the event."""

    channel_id: str
    ts: str
    thread_ts: str | None
    user_id: str
    text: str
    from_customer: bool


@dataclass(frozen=True)
class Recorded:
    """What a message did: the conversation's touchpoint (None while only colleagues spoke), and the ts of the
    conversation's start when the touchpoint is new and still needs its permalink."""

    touchpoint_id: int | None
    permalink_for: str | None = None


def is_customer_side(
    team_id: str | None, enterprise_id: str | None, *, installation_team: str, installation_enterprise: str | None
) -> bool:
    """Someone of another organisation: neither the installation's team nor (for an org install) its enterprise."""
    if installation_enterprise and enterprise_id == installation_enterprise:
        return False
    return bool(team_id) and team_id != installation_team


def ts_instant(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), UTC)


def linked_customer(session: Session, workspace_id: int, channel_id: str) -> int | None:
    """The live customer the channel is linked to, if any: what the listener checks before asking Slack anything."""
    link = channel_store.live_link(session, workspace_id, channel_id)
    if link is None:
        return None
    customer = live_customers_by_id(session, workspace_id, [link.customer_id]).get(link.customer_id)
    return customer.id if customer else None


def record_message(session: Session, workspace_id: int, message: ChannelMessage, now: datetime) -> Recorded | None:
    """Add a new message to its conversation; None when the channel is not linked (or the message was seen)."""
    link = channel_store.live_link(session, workspace_id, message.channel_id, for_update=True)
    if link is None:
        return None
    customer = live_customers_by_id(session, workspace_id, [link.customer_id]).get(link.customer_id)
    if customer is None:
        return None
    if channel_store.message_at(session, workspace_id, message.channel_id, message.ts) is not None:
        return None
    conversation, moved_start = _conversation_for(session, workspace_id, message)
    session.add(
        ConversationMessage(
            workspace_id=workspace_id,
            channel_id=message.channel_id,
            conversation_id=conversation.id,
            ts=message.ts,
            user_id=message.user_id,
            from_customer=message.from_customer,
            text=message.text if message.from_customer else None,
        )
    )
    side = CUSTOMER if message.from_customer else INTERNAL
    participants = {CUSTOMER: [], INTERNAL: [], **(conversation.participants or {})}
    if message.user_id not in participants[side]:
        participants[side] = [*participants[side], message.user_id]
    conversation.participants = participants
    conversation.message_count += 1
    is_reply = bool(message.thread_ts) and message.thread_ts != message.ts
    if conversation.is_thread or not is_reply:
        # A run's gap is between its top-level messages: a late reply in one of its threads does not stretch it.
        conversation.last_ts = max(conversation.last_ts, message.ts, key=float)
    summary = None
    if message.from_customer and (
        conversation.summary_ts is None or float(message.ts) < float(conversation.summary_ts)
    ):
        conversation.summary_ts = message.ts
        summary = message.text
    session.flush()
    recorded = _touchpoint_follows(session, workspace_id, conversation, link, customer.id, summary, now)
    if moved_start and recorded.touchpoint_id is not None and recorded.permalink_for is None:
        row = touchpoint(session, workspace_id, recorded.touchpoint_id)
        if row is not None:  # the conversation starts earlier: so do its touchpoint and its link
            row.occurred_at = ts_instant(conversation.start_ts)
            row.permalink = None
            return Recorded(row.id, permalink_for=conversation.start_ts)
    return recorded


def record_edit(
    session: Session, workspace_id: int, channel_id: str, ts: str, text: str, now: datetime
) -> Recorded | None:
    """A message edited: the summary follows when it was the customer's first message (even once unlinked)."""
    channel_store.channel_link(session, workspace_id, channel_id, for_update=True)
    recorded = channel_store.message_at(session, workspace_id, channel_id, ts)
    if recorded is None or recorded.deleted_at is not None:
        return None
    if not recorded.from_customer:
        return None
    recorded.text = text
    conversation = session.get(Conversation, recorded.conversation_id)
    assert conversation is not None
    if conversation.summary_ts != ts or conversation.touchpoint_id is None:
        return Recorded(conversation.touchpoint_id)
    row = touchpoint(session, workspace_id, conversation.touchpoint_id)
    if row is not None:
        row.summary = summary_of(text)
        add_audit_event(session, workspace_id, None, "edited in channel", "touchpoint", row.id, now, ts=ts)
    return Recorded(conversation.touchpoint_id)


def record_deletion(session: Session, workspace_id: int, channel_id: str, ts: str, now: datetime) -> Recorded | None:
    """A message deleted: counted out, its words forgotten; with no customer message left, the touchpoint goes
    too (deleted like any other, in the audit trail, and back if the customer speaks there again). Even once the
    channel is unlinked: words deleted in Slack are not kept here."""
    channel_store.channel_link(session, workspace_id, channel_id, for_update=True)
    recorded = channel_store.message_at(session, workspace_id, channel_id, ts)
    if recorded is None or recorded.deleted_at is not None:
        return None
    recorded.deleted_at = now
    recorded.text = None
    session.flush()
    conversation = session.get(Conversation, recorded.conversation_id)
    assert conversation is not None
    live = channel_store.live_messages_of(session, conversation)
    participants: dict[str, list[str]] = {CUSTOMER: [], INTERNAL: []}
    for kept in live:
        side = participants[CUSTOMER if kept.from_customer else INTERNAL]
        if kept.user_id not in side:
            side.append(kept.user_id)
    conversation.participants = participants
    conversation.message_count = len(live)
    first = next((kept for kept in live if kept.from_customer), None)
    conversation.summary_ts = first.ts if first else None
    if conversation.touchpoint_id is None:
        return Recorded(None)
    row = touchpoint(session, workspace_id, conversation.touchpoint_id)
    if row is None:
        return Recorded(None)
    if first is None:
        if row.deleted_at is None:
            row.deleted_at = now
            add_audit_event(session, workspace_id, None, "deleted in channel", "touchpoint", row.id, now, ts=ts)
        return Recorded(row.id)
    row.summary = summary_of(first.text or "")
    _set_author(session, workspace_id, row, conversation)
    return Recorded(row.id)


def set_permalink(session: Session, workspace_id: int, touchpoint_id: int, permalink: str) -> None:
    row = touchpoint(session, workspace_id, touchpoint_id)
    if row is not None and row.permalink is None:
        row.permalink = permalink


def summary_of(text: str) -> str:
    """The customer's words, as they typed them, on one line and shortened."""
    return truncate(" ".join(slack_to_plain(text).split()), SUMMARY_CHARS) or "(no text)"


# ---------------------------------------------------------------------------------------------------------


def _conversation_for(session: Session, workspace_id: int, message: ChannelMessage) -> tuple[Conversation, bool]:
    """The conversation the message belongs to, made when it starts one; True when the message moved an existing
    conversation's start earlier (Slack delivered it after a later one)."""
    channel_id = message.channel_id
    if message.thread_ts and message.thread_ts != message.ts:
        found = channel_store.conversation_of_message(
            session, workspace_id, channel_id, message.thread_ts
        ) or channel_store.conversation_starting_at(session, workspace_id, channel_id, message.thread_ts)
        # A thread under a message from before the link (or whose replies came first) is a conversation of its own.
        return found or _new(session, workspace_id, channel_id, message.thread_ts, is_thread=True), False
    own = channel_store.conversation_starting_at(session, workspace_id, channel_id, message.ts)
    if own is not None:  # the parent of a thread whose replies were delivered before it
        return own, False
    before = channel_store.run_before(session, workspace_id, channel_id, message.ts)
    if before is not None and ts_instant(message.ts) - ts_instant(before.last_ts) <= RUN_GAP:
        return before, False
    after = channel_store.run_after(session, workspace_id, channel_id, message.ts)
    if after is not None and ts_instant(after.start_ts) - ts_instant(message.ts) <= RUN_GAP:
        after.start_ts = message.ts
        return after, True
    return _new(session, workspace_id, channel_id, message.ts, is_thread=False), False


def _new(session: Session, workspace_id: int, channel_id: str, start_ts: str, *, is_thread: bool) -> Conversation:
    conversation = Conversation(
        workspace_id=workspace_id,
        channel_id=channel_id,
        is_thread=is_thread,
        start_ts=start_ts,
        last_ts=start_ts,
        message_count=0,
        participants={CUSTOMER: [], INTERNAL: []},
    )
    session.add(conversation)
    session.flush()
    return conversation


def _touchpoint_follows(
    session: Session,
    workspace_id: int,
    conversation: Conversation,
    link: ChannelLink,
    customer_id: int,
    summary: str | None,
    now: datetime,
) -> Recorded:
    """Make the conversation's touchpoint once the customer spoke; else bring it up to date."""
    if conversation.touchpoint_id is None:
        if conversation.summary_ts is None:
            return Recorded(None)
        author = _author(conversation, link)
        known = member(session, workspace_id, author)
        touchpoint_id = insert_touchpoint(
            session,
            workspace_id=workspace_id,
            customer_id=customer_id,
            customer_text=None,
            author_user_id=author,
            author_department=known.department if known else None,
            kind=KIND,
            summary=summary_of(summary or ""),
            raw_text=None,
            tags=[],
            occurred_at=ts_instant(conversation.start_ts),
            source=SOURCE,
            channel_id=conversation.channel_id,
            created_at=now,
        )
        conversation.touchpoint_id = touchpoint_id
        add_audit_event(
            session,
            workspace_id,
            None,
            "logged from channel",
            "touchpoint",
            touchpoint_id,
            now,
            channel=conversation.channel_id,
            conversation=conversation.start_ts,
        )
        return Recorded(touchpoint_id, permalink_for=conversation.start_ts)
    row = touchpoint(session, workspace_id, conversation.touchpoint_id)
    if row is None:
        return Recorded(None)
    if summary is not None:
        row.summary = summary_of(summary)
    if row.deleted_at is not None and row.deleted_by is None and conversation.summary_ts is not None:
        # Deleted because every customer message was (record_deletion), not by a person: the customer is back.
        row.deleted_at = None
        add_audit_event(session, workspace_id, None, "restored in channel", "touchpoint", row.id, now)
    _set_author(session, workspace_id, row, conversation)
    return Recorded(row.id)


def _author(conversation: Conversation, link: ChannelLink) -> str:
    """The first colleague who spoke in it; until one has, whoever linked the channel."""
    internal = (conversation.participants or {}).get(INTERNAL) or []
    return internal[0] if internal else link.linked_by


def _set_author(session: Session, workspace_id: int, row: Touchpoint, conversation: Conversation) -> None:
    internal = (conversation.participants or {}).get(INTERNAL) or []
    if internal and row.author_user_id != internal[0]:
        row.author_user_id = internal[0]
        known = member(session, workspace_id, internal[0])
        row.author_department = known.department if known else None
