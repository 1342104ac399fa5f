"""Signed `message` events from a linked Slack Connect channel give exactly the expected touchpoints: one per
conversation (a thread, or a run with no long gap), only when the customer's people took part, kept current as
messages arrive, are edited and are deleted, and never twice for Slack's retries."""

from __future__ import annotations

from sqlalchemy import select

from bot.local.simulator import channel_message, message_deleted, message_edited
from storage.models import Conversation, ConversationMessage, Touchpoint
from tests.conftest import TEAM
from tests.conversations.conftest import DANA, EVE, PARTNER, SHARED, ts
from tests.helpers import texts

ALICE, BOB = "U0ALICE", "U0BOB"


def said(user: str, text: str, minutes: float, *, team: str | None = None, thread: float | None = None) -> dict:
    return channel_message(
        user,
        text,
        channel=SHARED,
        ts=ts(minutes),
        team=team or (PARTNER if user in (DANA, EVE) else TEAM),
        thread_ts=ts(thread) if thread is not None else None,
    )


def touchpoints(runtime) -> list[Touchpoint]:
    with runtime.readers.begin() as session:
        return list(session.scalars(select(Touchpoint).order_by(Touchpoint.occurred_at, Touchpoint.id)))


def conversation_of(runtime, touchpoint: Touchpoint) -> Conversation:
    with runtime.readers.begin() as session:
        return session.scalars(select(Conversation).where(Conversation.touchpoint_id == touchpoint.id)).one()


def test_a_run_of_messages_with_the_customer_is_one_chat_touchpoint_kept_current(channel, runtime, acme, standin):
    channel.deliver(said(DANA, "Hi! Our <https://acme.com/po|PO 1042> is stuck &amp; we need it by Friday", 0))
    channel.deliver(said(ALICE, "Looking into it now", 5))
    channel.deliver(said(EVE, "Thanks, cc'ing our finance team", 20))
    channel.deliver(said(BOB, "Fixed: it went out this morning", 90))

    [touchpoint] = touchpoints(runtime)
    assert (touchpoint.customer_id, touchpoint.kind, touchpoint.source, touchpoint.channel_id) == (
        acme,
        "chat",
        "channel",
        SHARED,
    )
    assert touchpoint.summary == "Hi! Our PO 1042 (https://acme.com/po) is stuck & we need it by Friday"
    assert touchpoint.occurred_at.timestamp() == float(ts(0))
    assert touchpoint.permalink == f"https://example.slack.com/archives/{SHARED}/p{ts(0).replace('.', '')}"
    assert touchpoint.author_user_id == ALICE  # the first colleague who answered
    conversation = conversation_of(runtime, touchpoint)
    assert conversation.message_count == 4
    assert conversation.participants == {"customer": [DANA, EVE], "internal": [ALICE, BOB]}


def test_a_gap_of_hours_starts_another_conversation(channel, runtime):
    channel.deliver(said(DANA, "Is the invoice ready?", 0))
    channel.deliver(said(ALICE, "Sending it today", 10))
    channel.deliver(said(DANA, "Got it, thanks. Another question about shipping", 10 + 4 * 60))

    first, second = touchpoints(runtime)
    assert first.summary == "Is the invoice ready?"
    assert second.summary == "Got it, thanks. Another question about shipping"
    assert second.occurred_at.timestamp() == float(ts(10 + 4 * 60))
    assert conversation_of(runtime, first).message_count == 2
    assert conversation_of(runtime, second).message_count == 1


def test_a_thread_is_the_conversation_of_its_parent_message(channel, runtime):
    channel.deliver(said(ALICE, "Heads-up: maintenance on Saturday night", 0))  # only colleagues so far
    channel.deliver(said(DANA, "Will the API be down too?", 30, thread=0))
    channel.deliver(said(ALICE, "Only for ten minutes", 35, thread=0))
    # Hours later, still in the thread: the same conversation.
    channel.deliver(said(EVE, "All fine on our side after the maintenance", 26 * 60, thread=0))

    [touchpoint] = touchpoints(runtime)
    assert touchpoint.summary == "Will the API be down too?"
    assert touchpoint.occurred_at.timestamp() == float(ts(0))
    conversation = conversation_of(runtime, touchpoint)
    assert conversation.message_count == 4
    assert conversation.participants == {"customer": [DANA, EVE], "internal": [ALICE]}


def test_a_thread_under_a_message_from_before_the_link_is_a_conversation_of_its_own(channel, runtime):
    channel.deliver(said(DANA, "Following up on last week's call", 10, thread=-3 * 24 * 60))

    [touchpoint] = touchpoints(runtime)
    assert touchpoint.occurred_at.timestamp() == float(ts(-3 * 24 * 60))
    assert touchpoint.permalink.endswith(ts(-3 * 24 * 60).replace(".", ""))


def test_messages_only_among_colleagues_are_no_touchpoint(channel, runtime):
    channel.deliver(said(ALICE, "Did Acme answer about the renewal?", 0))
    channel.deliver(said(BOB, "Not yet", 3))
    channel.deliver(said(BOB, "I'll ask in the thread", 4, thread=0))

    assert touchpoints(runtime) == []


def test_bot_messages_and_joins_are_not_part_of_a_conversation(channel, runtime):
    bot = {**said(DANA, "Automated: ticket 55 closed", 0), "bot_id": "B0ACMEBOT", "subtype": "bot_message"}
    joined = {**said(EVE, "<@U0EVE> has joined the channel", 1), "subtype": "channel_join"}
    channel.deliver(bot)
    channel.deliver(joined)

    assert touchpoints(runtime) == []


def test_slacks_retries_never_log_twice(channel, runtime):
    first = said(DANA, "Can we move the meeting?", 0)
    channel.deliver(first, event_id="Ev0MOVE")
    for retry in (1, 2, 3):
        channel.deliver(first, event_id="Ev0MOVE", retry=retry)
    # The same message delivered again under another event id (over another link, say) is not counted again.
    channel.deliver(first, event_id="Ev0MOVE-AGAIN")

    [touchpoint] = touchpoints(runtime)
    assert conversation_of(runtime, touchpoint).message_count == 1


def test_an_edit_of_the_first_customer_message_updates_the_summary(channel, runtime):
    first = said(DANA, "Can we mvoe the meeting?", 0)
    channel.deliver(first)
    channel.deliver(said(ALICE, "Sure, when?", 2))
    channel.deliver(message_edited(first, "Can we move the meeting to Thursday?", edited_ts=ts(3)))
    channel.deliver(message_edited(said(ALICE, "Sure, when suits you?", 2), "Sure, when suits you?", edited_ts=ts(4)))

    [touchpoint] = touchpoints(runtime)
    assert touchpoint.summary == "Can we move the meeting to Thursday?"
    assert conversation_of(runtime, touchpoint).message_count == 2


def test_deletions_update_the_touchpoint_and_deleting_every_customer_message_removes_it(channel, runtime):
    first = said(DANA, "Wrong channel, sorry", 0)
    second = said(EVE, "Our order 77 arrived damaged", 1)
    channel.deliver(first)
    channel.deliver(second)
    channel.deliver(said(ALICE, "Sorry to hear that, replacing it", 2))

    channel.deliver(message_deleted(first, deleted_at_ts=ts(3)))

    [touchpoint] = touchpoints(runtime)
    assert touchpoint.summary == "Our order 77 arrived damaged"
    conversation = conversation_of(runtime, touchpoint)
    assert conversation.message_count == 2
    assert conversation.participants == {"customer": [EVE], "internal": [ALICE]}

    channel.deliver(message_deleted(second, deleted_at_ts=ts(4)))

    [touchpoint] = touchpoints(runtime)
    assert touchpoint.deleted_at is not None  # deleted as every delete is: the row and its audit stay


def test_the_whole_story_at_once(channel, runtime, acme):
    """Customer and internal messages, a thread, a retry, an edit and a deletion: exactly these touchpoints."""
    opening = said(DANA, "Hello, question about our contract", 0)
    channel.deliver(opening, event_id="Ev1")
    channel.deliver(opening, event_id="Ev1", retry=1)
    channel.deliver(said(ALICE, "Happy to help", 1), event_id="Ev2")
    channel.deliver(said(DANA, "Which clause covers renewals?", 2, thread=1), event_id="Ev3")
    channel.deliver(message_edited(opening, "Hello, a question about our contract", edited_ts=ts(3)), event_id="Ev4")
    internal = said(BOB, "Internal only: check the renewal date", 6 * 60)
    channel.deliver(internal, event_id="Ev5")
    channel.deliver(said(ALICE, "Done", 6 * 60 + 2), event_id="Ev6")
    late = said(EVE, "One more thing: new billing address", 12 * 60)
    channel.deliver(late, event_id="Ev7")
    channel.deliver(said(EVE, "Ignore that, it was a test", 12 * 60 + 1), event_id="Ev8")
    channel.deliver(message_deleted(late, deleted_at_ts=ts(12 * 60 + 2)), event_id="Ev9")

    found = [(t.summary, t.deleted_at is None, conversation_of(runtime, t).message_count) for t in touchpoints(runtime)]
    assert found == [
        ("Hello, a question about our contract", True, 3),
        ("Ignore that, it was a test", True, 1),
    ]
    assert all(t.customer_id == acme for t in touchpoints(runtime))


def test_after_unlinking_nothing_more_is_logged_and_what_was_logged_stays(channel, runtime, standin):
    channel.deliver(said(DANA, "First question", 0))
    channel.command("U0ALICE", f"acme unlink <#{SHARED}|acme-shared>")

    channel.deliver(said(DANA, "Second question, hours later", 5 * 60))

    [touchpoint] = touchpoints(runtime)
    assert touchpoint.summary == "First question" and touchpoint.deleted_at is None


def test_a_channel_not_linked_logs_nothing(channel, runtime, standin):
    standin.add_channel("C0OTHER", "random", shared_with=(PARTNER,), bot_is_member=True)

    channel.deliver({**said(DANA, "Hello from elsewhere", 0), "channel": "C0OTHER"})

    assert touchpoints(runtime) == []


def test_a_message_without_its_team_is_placed_by_the_persons_profile(channel, runtime, standin):
    anonymous = {k: v for k, v in said(DANA, "Any news?", 0).items() if k not in ("team", "user_team", "source_team")}
    colleague = {k: v for k, v in said(BOB, "Not yet", 1).items() if k not in ("team", "user_team", "source_team")}
    channel.deliver(anonymous)
    channel.deliver(colleague)

    [touchpoint] = touchpoints(runtime)
    assert conversation_of(runtime, touchpoint).participants == {"customer": [DANA], "internal": [BOB]}
    assert {call.params["user"] for call in standin.calls_to("users.info")} >= {DANA, BOB}


def test_a_private_channel_is_logged_as_a_public_one(channel, runtime, standin):
    standin.add_channel("G0PRIVATE", "acme-private", private=True, shared_with=(PARTNER,), bot_is_member=True)
    channel.command("U0ALICE", "acme link <#G0PRIVATE|acme-private>")

    event = channel_message(DANA, "Confidential: pricing question", channel="G0PRIVATE", ts=ts(0), team=PARTNER)
    channel.deliver({**event, "channel_type": "group"})

    [touchpoint] = touchpoints(runtime)
    assert (touchpoint.channel_id, touchpoint.summary) == ("G0PRIVATE", "Confidential: pricing question")


def test_the_customers_card_shows_the_conversation_with_who_took_part(channel, runtime, standin):
    channel.deliver(said(DANA, "Can we get a demo for our new team?", 0))
    channel.deliver(said(ALICE, "Of course, Thursday?", 3))
    channel.deliver(said(EVE, "Thursday works", 4))

    card = channel.slack.command("U0BOB", "acme", command="/customer").json()

    shown = texts(card)
    assert "• *chat* · " in shown and "Can we get a demo for our new team?" in shown
    assert f"3 messages: <@{DANA}>, <@{EVE}> with <@{ALICE}> · <https://example.slack.com/archives/{SHARED}/p" in shown
    assert "in a linked channel" in shown  # where the first touch came from
    assert f"*Linked channels:* <#{SHARED}>" in shown


def test_a_message_deleted_after_unlinking_is_forgotten_all_the_same(channel, runtime):
    first = said(DANA, "Please call me on my private number", 0)
    channel.deliver(first)
    channel.command("U0ALICE", f"acme unlink <#{SHARED}|acme-shared>")

    channel.deliver(message_deleted(first, deleted_at_ts=ts(30)))

    [touchpoint] = touchpoints(runtime)
    assert touchpoint.deleted_at is not None
    with runtime.readers.begin() as session:
        [kept] = session.scalars(select(ConversationMessage)).all()
    assert kept.text is None and kept.deleted_at is not None


def test_a_threads_parent_deleted_under_its_replies_counts_as_deleted(channel, runtime):
    parent = said(DANA, "Please delete me later", 0)
    channel.deliver(parent)
    channel.deliver(said(EVE, "Replying in the thread", 2, thread=0))
    # Slack keeps a deleted parent with replies as a "This message was deleted." tombstone, as an edit.
    tombstone = message_edited(parent, "This message was deleted.", edited_ts=ts(3))
    tombstone["message"] = {**tombstone["message"], "subtype": "tombstone", "user": "USLACKBOT"}
    channel.deliver(tombstone)

    [touchpoint] = touchpoints(runtime)
    assert touchpoint.summary == "Replying in the thread" and touchpoint.deleted_at is None
    assert conversation_of(runtime, touchpoint).participants == {"customer": [EVE], "internal": []}


def test_a_late_reply_in_a_thread_does_not_stretch_its_run_over_a_new_days_messages(channel, runtime):
    channel.deliver(said(DANA, "Monday question", 0))
    channel.deliver(said(ALICE, "Late answer in the thread", 24 * 60, thread=0))
    channel.deliver(said(DANA, "Tuesday, a new topic", 24 * 60 + 5))

    first, second = touchpoints(runtime)
    assert (first.summary, conversation_of(runtime, first).message_count) == ("Monday question", 2)
    assert (second.summary, conversation_of(runtime, second).message_count) == ("Tuesday, a new topic", 1)


def test_a_touchpoint_deleted_with_its_messages_is_back_when_the_customer_speaks_again(channel, runtime):
    first = said(DANA, "Oops, wrong channel", 0)
    channel.deliver(first)
    channel.deliver(message_deleted(first, deleted_at_ts=ts(1)))
    assert touchpoints(runtime)[0].deleted_at is not None

    channel.deliver(said(EVE, "Now the real question: delivery dates?", 2))

    [touchpoint] = touchpoints(runtime)
    assert touchpoint.deleted_at is None and touchpoint.summary == "Now the real question: delivery dates?"
    assert conversation_of(runtime, touchpoint).participants == {"customer": [EVE], "internal": []}
