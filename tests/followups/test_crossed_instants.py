"""A dispatcher whose clock jumps still stops at every instant it crossed: the digest hour on the way is kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.followups.crossing import crossed_instants, digest_moments_between
from storage.dispatch import Recipient
from tests.conftest import START
from tests.followups.test_dispatch import add_follow_up, add_member, ids_in, make_dispatcher, posts

BERLIN = ZoneInfo("Europe/Berlin")
THURSDAY_7_BERLIN = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
THURSDAY_DIGEST = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
FRIDAY_DIGEST = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
FRIDAY_NOON_BERLIN = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)


def kind(call) -> str:
    return call.params["metadata"]["event_payload"]["kind"]


def test_a_jump_past_the_digest_hour_sends_that_digest(runtime, standin, clock) -> None:
    add_member(runtime, "U0ALICE", "Europe/Berlin")
    due = add_follow_up(runtime, "U0ALICE", THURSDAY_7_BERLIN)
    clock.instant = FRIDAY_NOON_BERLIN  # two days on, three hours after Friday's digest hour
    make_dispatcher(runtime, standin).run_pass(clock(), since=START)

    sent = posts(standin)
    # Thursday's digest took the follow-up due that morning; Friday's listed it again as overdue.
    assert [(kind(call), ids_in(call)) for call in sent] == [("digest", [due]), ("digest", [due])]
    assert [call.params["text"] for call in sent] == ["1 overdue and 0 due today"] * 2


def test_without_since_only_now_counts(runtime, standin, clock) -> None:
    add_member(runtime, "U0ALICE", "Europe/Berlin")
    due = add_follow_up(runtime, "U0ALICE", THURSDAY_7_BERLIN)

    clock.instant = FRIDAY_NOON_BERLIN
    make_dispatcher(runtime, standin).run_pass(clock())

    # A scheduler starting after downtime does not replay the mornings it missed: one nudge, now.
    assert [(kind(call), ids_in(call)) for call in posts(standin)] == [("nudge", [due])]


def test_crossed_instants_are_due_times_and_working_day_digest_hours_in_each_zone() -> None:
    alice = Recipient(1, 1, "U0ALICE", "Europe/Berlin", False, True, 9, None)
    bob = Recipient(2, 1, "U0BOB", "America/New_York", False, True, 8, None)
    off = Recipient(3, 1, "U0CAROL", "Asia/Tokyo", False, False, 9, None)
    friday_evening = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    monday_noon = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

    assert digest_moments_between(alice, friday_evening, monday_noon, BERLIN) == [
        datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    ]
    assert digest_moments_between(off, friday_evening, monday_noon, BERLIN) == []
    saturday = friday_evening + timedelta(hours=20)
    assert crossed_instants(friday_evening, monday_noon, [saturday, monday_noon], [alice, bob, off], BERLIN) == [
        saturday,
        datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
    ]
