"""Dispatch: due follow-ups reach their assignee once, on time, through whatever Slack answers."""

from __future__ import annotations

import io
import itertools
import random
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.cli import main
from bot.followups.dispatch import Dispatcher, DispatchOptions, Pacer, dispatch_client
from bot.local.slack_standin import RecordedCall
from bot.scheduler import DAY_COUNTS, DIGESTS, NUDGES, build_scheduler
from storage import dispatch as dispatch_store
from storage.customers import add_customer
from storage.models import AuditEvent, FollowUp, Member, Touchpoint
from storage.workspaces import workspace_for_team
from tests.conftest import BOT_TOKEN, START, TEAM
from tests.helpers import element, seed_customers, texts

WORKER = "test-host:1:aaaaaa"
BERLIN_DIGEST = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # Wednesday 09:00 in Berlin
NEW_YORK_DIGEST = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # Wednesday 09:00 in New York


def make_dispatcher(runtime, standin, worker: str = WORKER, **options: Any) -> Dispatcher:
    options = {"conversation_interval": 0.0, "backoff": timedelta(seconds=30), "senders": 4, **options}
    opts = DispatchOptions(**options)
    client = dispatch_client(BOT_TOKEN, standin.api_url, opts.http_timeout)
    return Dispatcher(runtime, client, worker_id=worker, options=opts, rng=random.Random(7))


@pytest.fixture
def dispatcher(runtime, standin) -> Dispatcher:
    return make_dispatcher(runtime, standin)


def add_member(runtime, user: str, tz: str, *, digest: bool = True, hour: int = 9, deleted: bool = False) -> None:
    with runtime.sessions.begin() as session:
        workspace = workspace_for_team(session, TEAM)
        session.add(
            Member(
                workspace_id=workspace.id,
                slack_user_id=user,
                tz=tz,
                digest_enabled=digest,
                digest_hour=hour,
                deleted=deleted,
                refreshed_at=START,
            )
        )


def add_follow_up(
    runtime, user: str, due_at: datetime, *, customer: str = "Acme Corp", owner: str | None = None, summary: str = ""
) -> int:
    """A touchpoint logged by `user` with a follow-up for them, straight into the store."""
    with runtime.sessions.begin() as session:
        workspace = workspace_for_team(session, TEAM)
        customer_row = add_customer(session, workspace.id, customer, owner_user_id=owner, now=START)
        tp = Touchpoint(
            workspace_id=workspace.id,
            customer_id=customer_row.id,
            author_user_id=user,
            kind="call",
            summary=summary or f"call with {customer}",
            occurred_at=START,
            source="command",
        )
        session.add(tp)
        session.flush()
        row = FollowUp(
            workspace_id=workspace.id,
            touchpoint_id=tp.id,
            customer_id=customer_row.id,
            assignee_user_id=user,
            due_at=due_at,
        )
        session.add(row)
        session.flush()
        return row.id


def follow_up(runtime, follow_up_id: int) -> FollowUp:
    with runtime.sessions.begin() as session:
        return session.get(FollowUp, follow_up_id)


def posts(standin, ok: bool | None = True) -> list[RecordedCall]:
    return [c for c in standin.calls_to("chat.postMessage") if ok is None or c.ok == ok]


def ids_in(call: RecordedCall) -> list[int]:
    return call.params["metadata"]["event_payload"]["follow_up_ids"]


def eventually(check, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def audit(runtime, action: str) -> list[AuditEvent]:
    with runtime.sessions.begin() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


# ---------------------------------------------------------------------------------------------------------
# The real path
# ---------------------------------------------------------------------------------------------------------


def test_a_follow_up_logged_with_log_is_nudged_once_and_done_closes_it(slack, standin, runtime, clock, dispatcher):
    seed_customers(runtime, TEAM, {"name": "Acme Corp"})
    slack.command("U0ALICE", "Acme: call with Dana about the renewal, follow up friday 3pm")
    standin.clear()

    clock.advance(days=2, hours=4, minutes=31)  # Friday 27 November, 15:01 in Berlin
    report = dispatcher.run_pass(clock())

    [dm] = posts(standin)
    assert dm.params["channel"] == "U0ALICE"
    shown = texts(dm.params)
    assert "Acme Corp" in shown and "call with Dana about the renewal" in shown
    assert report.summary() == "sent 1 nudge, 0 catch-ups, 0 digests; 0 failed"
    [fu_id] = ids_in(dm)
    row = follow_up(runtime, fu_id)
    assert row.nudged_at == clock() and row.claimed_by is None
    assert (row.nudge_channel, row.nudge_ts) == (dm.response["channel"], dm.response["ts"])

    assert dispatcher.run_pass(clock()).messages == 0
    assert len(posts(standin, ok=None)) == 1

    block_id, done = element(dm.params, "fu_done")
    reply = slack.click(
        "U0ALICE", done, block_id=block_id, channel=dm.response["channel"], message=dm.response["message"]
    )
    assert reply.status == 200
    assert eventually(lambda: follow_up(runtime, fu_id).status == "done")


def test_nothing_is_sent_before_it_is_due(runtime, standin, clock, dispatcher):
    add_follow_up(runtime, "U0ALICE", START + timedelta(minutes=5))

    assert dispatcher.run_pass(clock()).messages == 0
    clock.advance(minutes=5)
    assert dispatcher.run_pass(clock()).nudges == 1


def test_up_to_three_due_at_once_are_nudged_one_by_one_more_in_one_catch_up(runtime, standin, clock, dispatcher):
    alice = [add_follow_up(runtime, "U0ALICE", START - timedelta(hours=n), customer=f"Alice {n}") for n in range(3)]
    bob = [add_follow_up(runtime, "U0BOB", START - timedelta(days=n), customer=f"Bob {n}") for n in range(20)]

    report = dispatcher.run_pass(clock())

    assert (report.nudges, report.catch_ups) == (3, 1)
    to_alice = [c for c in posts(standin) if c.params["channel"] == "U0ALICE"]
    [to_bob] = [c for c in posts(standin) if c.params["channel"] == "U0BOB"]
    assert sorted(i for c in to_alice for i in ids_in(c)) == sorted(alice)
    assert sorted(ids_in(to_bob)) == sorted(bob)
    assert "20 follow-ups" in texts(to_bob.params)
    rows = [follow_up(runtime, i) for i in bob]
    assert all(r.nudged_at == clock() and r.nudge_ts == to_bob.response["ts"] for r in rows)


def test_one_conversation_gets_at_most_one_message_a_second_while_others_go_at_once(runtime, standin, clock):
    for n in range(3):
        add_follow_up(runtime, "U0ALICE", START - timedelta(minutes=n), customer=f"Alice {n}")
    add_follow_up(runtime, "U0BOB", START, customer="Bob")
    add_follow_up(runtime, "U0CAROL", START, customer="Carol")
    standin.limit_rate(per_channel_per_second=1, workspace_per_second=50)

    make_dispatcher(runtime, standin, conversation_interval=1.05).run_pass(clock())

    assert all(c.status == 200 for c in posts(standin, ok=None))
    to_alice = [c.at for c in posts(standin) if c.params["channel"] == "U0ALICE"]
    assert len(to_alice) == 3 and all(b - a >= 1.0 for a, b in zip(to_alice, to_alice[1:], strict=False))
    # The others were not spaced like Alice's: both went before her second message and inside one
    # conversation interval of her first. (A loaded machine stretches gaps, so the bound is the interval
    # itself, not a fraction of it.)
    others = [c.at for c in posts(standin) if c.params["channel"] != "U0ALICE"]
    assert len(others) == 2 and max(others) < to_alice[1] and max(others) - min(to_alice) < 1.0


# ---------------------------------------------------------------------------------------------------------
# When Slack refuses
# ---------------------------------------------------------------------------------------------------------


def test_a_429_is_waited_out_for_its_retry_after_and_delivered_once(runtime, standin, clock, dispatcher):
    fu_id = add_follow_up(runtime, "U0ALICE", START)
    standin.fail_next("chat.postMessage", retry_after=1)

    started = time.monotonic()
    report = dispatcher.run_pass(clock())

    assert time.monotonic() - started >= 1.0
    assert [c.status for c in posts(standin, ok=None)] == [429, 200]
    assert (report.nudges, report.failed) == (1, 0)
    assert follow_up(runtime, fu_id).nudged_at is not None


def test_a_500_backs_off_and_is_retried_only_after_the_backoff(runtime, standin, clock, dispatcher):
    fu_id = add_follow_up(runtime, "U0ALICE", START)
    standin.fail_next("chat.postMessage", status=500)

    assert dispatcher.run_pass(clock()).failed == 1
    row = follow_up(runtime, fu_id)
    assert row.nudged_at is None and row.claimed_by is None and row.attempts == 1
    assert row.next_attempt_at > clock() and "500" in row.last_error

    clock.advance(seconds=20)
    assert dispatcher.run_pass(clock()).messages == 0
    assert len(posts(standin, ok=None)) == 1

    clock.instant = row.next_attempt_at
    assert dispatcher.run_pass(clock()).nudges == 1
    assert follow_up(runtime, fu_id).nudged_at == clock()


ZERO = timedelta(0)


def test_what_fails_in_a_pass_is_not_tried_again_in_that_pass_however_long_it_runs(runtime, standin, clock, dispatcher):
    fu_id = add_follow_up(runtime, "U0ALICE", START)
    standin.fail_next("chat.postMessage", status=503)
    readings = itertools.count()
    # Once the post failed, every reading of the dispatcher's clock a minute later than the last: the 30 s
    # backoff ends mid-pass.
    dispatcher.clock = lambda: clock() + (timedelta(minutes=next(readings)) if posts(standin, ok=None) else ZERO)

    report = dispatcher.run_pass(clock())

    assert (report.nudges, report.failed) == (0, 1)
    assert len(posts(standin, ok=None)) == 1
    assert follow_up(runtime, fu_id).attempts == 1


def test_a_pass_whose_leases_run_short_before_every_send_ends_and_leaves_the_row_to_the_next(
    runtime, standin, clock, dispatcher
):
    fu_id = add_follow_up(runtime, "U0ALICE", START)
    readings = itertools.count()
    # Every reading of the dispatcher's clock a minute later than the last: no 60 s lease is ever safe to send on.
    dispatcher.clock = lambda: clock() + timedelta(minutes=next(readings))

    report = dispatcher.run_pass(clock())

    assert (report.nudges, report.failed) == (0, 0)
    assert posts(standin, ok=None) == []
    row = follow_up(runtime, fu_id)
    assert row.nudged_at is None and row.claimed_by is None and row.attempts == 0
    dispatcher.clock = clock
    assert dispatcher.run_pass(clock()).nudges == 1


def test_backoff_doubles_with_each_failure(runtime, standin, clock, dispatcher):
    fu_id = add_follow_up(runtime, "U0ALICE", START)
    waits = []
    for _ in range(3):
        standin.fail_next("chat.postMessage", status=503)
        dispatcher.run_pass(clock())
        row = follow_up(runtime, fu_id)
        waits.append((row.next_attempt_at - clock()).total_seconds())
        clock.instant = row.next_attempt_at

    assert follow_up(runtime, fu_id).attempts == 3
    assert 24 <= waits[0] <= 36 and 48 <= waits[1] <= 72 and 96 <= waits[2] <= 144


def test_a_network_error_backs_off_like_a_500(runtime, clock):
    from tests.conftest import make_settings  # a Web API nobody listens on

    fu_id = add_follow_up(runtime, "U0ALICE", START)
    dead = make_settings(runtime.settings.database_url, "http://127.0.0.1:9/api/")
    client = dispatch_client(BOT_TOKEN, dead.slack_api_url, 2)
    dispatcher = Dispatcher(runtime, client, worker_id=WORKER, options=DispatchOptions(senders=1))

    assert dispatcher.run_pass(clock()).failed == 1
    row = follow_up(runtime, fu_id)
    assert row.nudged_at is None and row.next_attempt_at > clock() and row.last_error


# ---------------------------------------------------------------------------------------------------------
# People who left
# ---------------------------------------------------------------------------------------------------------


def test_a_follow_up_of_someone_deleted_goes_to_the_customers_owner(runtime, standin, clock, dispatcher):
    add_member(runtime, "U0BOB", "America/New_York", deleted=True)
    fu_id = add_follow_up(runtime, "U0BOB", START, owner="U0CAROL")

    report = dispatcher.run_pass(clock())

    [dm] = posts(standin)
    assert dm.params["channel"] == "U0CAROL" and ids_in(dm) == [fu_id]
    assert "Taken over from <@U0BOB>, who is not a member of this workspace." in texts(dm.params)
    assert (report.reassigned, report.nudges) == (1, 1)
    row = follow_up(runtime, fu_id)
    assert row.assignee_user_id == "U0CAROL" and row.nudged_at is not None and row.taken_over_from == "U0BOB"
    [event] = audit(runtime, "reassigned")
    assert event.entity_id == fu_id
    assert event.details == {"from_": "U0BOB", "to": "U0CAROL", "reason": "left the workspace"}


def test_a_dm_answered_user_not_found_hands_the_follow_up_over_and_marks_them_gone(runtime, standin, clock, dispatcher):
    add_member(runtime, "U0BOB", "America/New_York", digest=False)
    fu_id = add_follow_up(runtime, "U0BOB", START, owner="U0CAROL")
    standin.fail_next("chat.postMessage", error="user_not_found")

    dispatcher.run_pass(clock())

    assert [c.params["channel"] for c in posts(standin, ok=None)] == ["U0BOB", "U0CAROL"]
    assert follow_up(runtime, fu_id).assignee_user_id == "U0CAROL"
    assert audit(runtime, "reassigned")[0].details["reason"] == "left the workspace (user_not_found)"
    with runtime.sessions.begin() as session:
        assert session.scalar(select(Member.deleted).where(Member.slack_user_id == "U0BOB")) is True


def test_without_an_owner_it_goes_to_the_admin_channel_and_is_recorded(runtime, standin, clock):
    add_member(runtime, "U0BOB", "America/New_York", deleted=True)
    fu_id = add_follow_up(runtime, "U0BOB", START)

    report = make_dispatcher(runtime, standin, admin_channel="C0ADMIN").run_pass(clock())

    [post] = posts(standin)
    assert post.params["channel"] == "C0ADMIN" and ids_in(post) == [fu_id]
    assert "<@U0BOB> has left the workspace" in texts(post.params)
    assert report.to_admin_channel == 1
    row = follow_up(runtime, fu_id)
    assert row.nudged_at is not None and row.nudge_channel == "C0ADMIN"
    [event] = audit(runtime, "reassigned")
    assert event.details == {"from_": "U0BOB", "to": "C0ADMIN", "reason": "left the workspace"}


def test_with_nowhere_to_go_it_waits_with_the_reason_and_is_not_retried_in_a_loop(runtime, standin, clock, dispatcher):
    add_member(runtime, "U0BOB", "America/New_York", deleted=True)
    fu_id = add_follow_up(runtime, "U0BOB", START)

    report = dispatcher.run_pass(clock())

    assert report.parked == 1 and posts(standin, ok=None) == []
    row = follow_up(runtime, fu_id)
    assert row.status == "open" and row.nudged_at is None and row.claimed_by is None
    assert row.next_attempt_at >= clock() + timedelta(minutes=59) and "ADMIN_CHANNEL" in row.last_error
    assert dispatcher.run_pass(clock()).parked == 0


# ---------------------------------------------------------------------------------------------------------
# Crashes and other processes
# ---------------------------------------------------------------------------------------------------------


def test_a_claim_whose_lease_ran_out_is_taken_over(runtime, standin, clock, dispatcher):
    live = add_follow_up(runtime, "U0ALICE", START, customer="Live")
    dead = add_follow_up(runtime, "U0BOB", START, customer="Dead")
    with runtime.sessions.begin() as session:
        session.execute(
            update(FollowUp)
            .where(FollowUp.id == live)
            .values(claimed_by="other:2:x", lease_until=START + timedelta(seconds=30))
        )
        session.execute(
            update(FollowUp)
            .where(FollowUp.id == dead)
            .values(claimed_by="crashed:3:y", lease_until=START - timedelta(seconds=1))
        )

    dispatcher.run_pass(clock())

    assert [ids_in(c) for c in posts(standin)] == [[dead]]
    assert follow_up(runtime, live).claimed_by == "other:2:x"
    clock.advance(seconds=31)
    dispatcher.run_pass(clock())
    assert [ids_in(c) for c in posts(standin)] == [[dead], [live]]


def test_one_person_is_claimed_whole_by_one_process(runtime, clock):
    for n in range(5):
        add_follow_up(runtime, "U0ALICE", START, customer=f"A{n}")
    add_follow_up(runtime, "U0BOB", START, customer="B")
    lease = START + timedelta(minutes=1)

    with runtime.sessions.begin() as session:
        first = dispatch_store.lock_people_with_due_follow_ups(session, due_by=START, now=START, limit=1)
        rows = dispatch_store.lock_due_follow_ups_of(session, first, due_by=START, now=START)
        dispatch_store.claim(session, [r.id for r in rows], "one", lease)
    with runtime.sessions.begin() as session:
        second = dispatch_store.lock_people_with_due_follow_ups(session, due_by=START, now=START, limit=10)

    assert first == [(first[0][0], "U0ALICE")] and len(rows) == 5
    assert [user for _, user in second] == ["U0BOB"]


def test_a_lease_that_ran_out_is_taken_over_by_another_worker_never_by_the_one_holding_it(runtime):
    fu_id = add_follow_up(runtime, "U0ALICE", START)
    later = START + timedelta(minutes=5)  # long after the lease's end: its holder's senders may still be at it
    with runtime.sessions.begin() as session:
        dispatch_store.claim(session, [fu_id], "one", START + timedelta(minutes=1))

    def claimable_for(worker):
        with runtime.sessions.begin() as session:
            people = dispatch_store.lock_people_with_due_follow_ups(
                session, due_by=later, now=later, limit=10, worker_id=worker
            )
            return [
                r.id
                for r in dispatch_store.lock_due_follow_ups_of(
                    session, people, due_by=later, now=later, worker_id=worker
                )
            ]

    assert claimable_for("one") == []
    assert claimable_for("two") == [fu_id]


def test_a_row_marked_done_after_the_claim_is_not_sent(runtime, standin, clock, dispatcher):
    fu_id = add_follow_up(runtime, "U0ALICE", START)
    with runtime.sessions.begin() as session:
        dispatch_store.claim(session, [fu_id], WORKER, START + timedelta(minutes=1))
        session.execute(update(FollowUp).where(FollowUp.id == fu_id).values(status="done"))
    with runtime.readers.begin() as session:
        assert dispatch_store.still_claimed(session, [fu_id], WORKER, due_by=START, lease_after=START) == []


def test_stop_gives_claimed_rows_back(runtime, standin, clock, dispatcher):
    ids = [add_follow_up(runtime, f"U{n:04d}", START, customer=f"C{n}") for n in range(5)]
    dispatcher.stop()

    assert dispatcher.send_nudges(clock()).messages == 0
    with runtime.sessions.begin() as session:
        assert session.scalars(select(FollowUp.claimed_by).where(FollowUp.id.in_(ids))).all() == [None] * 5


# ---------------------------------------------------------------------------------------------------------
# The daily digest
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def two_zones(runtime):
    add_member(runtime, "U0ALICE", "Europe/Berlin")
    add_member(runtime, "U0BOB", "America/New_York")
    return {
        # Alice: overdue since Tuesday, due early Wednesday (before her digest), and due Wednesday afternoon.
        "alice_overdue": add_follow_up(runtime, "U0ALICE", datetime(2026, 11, 24, 15, 0, tzinfo=UTC), customer="A1"),
        "alice_early": add_follow_up(runtime, "U0ALICE", datetime(2026, 11, 25, 6, 0, tzinfo=UTC), customer="A2"),
        "alice_later": add_follow_up(runtime, "U0ALICE", datetime(2026, 11, 25, 13, 0, tzinfo=UTC), customer="A3"),
        # Bob: due at 07:00 in New York, before his 09:00 digest, and at 16:00.
        "bob_early": add_follow_up(runtime, "U0BOB", datetime(2026, 11, 25, 12, 0, tzinfo=UTC), customer="B1"),
        "bob_later": add_follow_up(runtime, "U0BOB", datetime(2026, 11, 25, 21, 0, tzinfo=UTC), customer="B2"),
    }


def test_each_person_gets_one_digest_at_nine_in_their_own_zone(runtime, standin, clock, dispatcher, two_zones):
    with runtime.sessions.begin() as session:
        session.execute(update(FollowUp).where(FollowUp.id == two_zones["alice_overdue"]).values(nudged_at=START))

    clock.instant = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)  # 06:00 in Berlin: Alice's early one is due...
    clock.advance(hours=1, minutes=30)
    assert dispatcher.run_pass(clock()).messages == 0  # ...but left to her digest

    clock.instant = BERLIN_DIGEST
    report = dispatcher.run_pass(clock())
    [digest] = posts(standin)
    assert (report.digests, report.nudges) == (1, 0)
    assert digest.params["channel"] == "U0ALICE" and digest.params["metadata"]["event_payload"]["kind"] == "digest"
    assert sorted(ids_in(digest)) == sorted(two_zones[k] for k in ("alice_overdue", "alice_early", "alice_later"))
    assert "*2 overdue* and *1 due today*" in texts(digest.params)
    early = follow_up(runtime, two_zones["alice_early"])
    assert early.nudged_at == BERLIN_DIGEST and early.nudge_ts == digest.response["ts"]
    assert follow_up(runtime, two_zones["alice_later"]).nudged_at is None

    clock.advance(minutes=30)
    assert dispatcher.run_pass(clock()).messages == 0  # once a day

    clock.instant = datetime(2026, 11, 25, 12, 0, 5, tzinfo=UTC)  # 07:00 in New York: Bob's early one waits
    report = dispatcher.run_pass(clock())
    assert report.messages == 0 and report.deferred == 1
    assert [c.params["channel"] for c in posts(standin)] == ["U0ALICE"]
    clock.instant = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)  # Alice's 14:00 one gets its own nudge
    assert dispatcher.run_pass(clock()).nudges == 1

    clock.instant = NEW_YORK_DIGEST
    assert dispatcher.run_pass(clock()).digests == 1
    to_bob = [c for c in posts(standin) if c.params["channel"] == "U0BOB"]
    assert len(to_bob) == 1 and sorted(ids_in(to_bob[0])) == sorted([two_zones["bob_early"], two_zones["bob_later"]])
    assert follow_up(runtime, two_zones["bob_early"]).nudged_at == NEW_YORK_DIGEST

    clock.instant = datetime(2026, 11, 25, 21, 0, tzinfo=UTC)  # 16:00 in New York
    assert dispatcher.run_pass(clock()).nudges == 1
    with runtime.sessions.begin() as session:
        days = dict(session.execute(select(Member.slack_user_id, Member.digest_sent_on)).all())
    assert days == {"U0ALICE": date(2026, 11, 25), "U0BOB": date(2026, 11, 25)}


def test_the_digest_marks_what_it_covers_once_digest_and_nudge_tick_race(
    runtime, standin, clock, dispatcher, two_zones
):
    clock.instant = BERLIN_DIGEST + timedelta(seconds=5)
    assert dispatcher.send_nudges(clock()).messages == 0  # the nudge tick first: Alice's due ones wait

    assert dispatcher.send_digests(clock()).digests == 1
    assert dispatcher.send_nudges(clock()).messages == 0
    assert len(posts(standin)) == 1


def test_no_digest_on_saturday_nudges_go_as_usual(runtime, standin, clock, dispatcher):
    add_member(runtime, "U0ALICE", "Europe/Berlin")
    fu_id = add_follow_up(runtime, "U0ALICE", datetime(2026, 11, 28, 7, 0, tzinfo=UTC))  # Saturday 08:00 Berlin

    clock.instant = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)
    assert dispatcher.run_pass(clock()).nudges == 1
    clock.instant = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
    assert dispatcher.run_pass(clock()).messages == 0
    assert [ids_in(c) for c in posts(standin)] == [[fu_id]]


def test_no_digest_when_nothing_is_due(runtime, standin, clock, dispatcher):
    add_member(runtime, "U0ALICE", "Europe/Berlin")
    add_follow_up(runtime, "U0ALICE", datetime(2026, 11, 27, 8, 0, tzinfo=UTC))  # Friday: nothing today

    clock.instant = BERLIN_DIGEST
    assert dispatcher.run_pass(clock()).messages == 0
    assert posts(standin, ok=None) == []


def test_with_the_digest_off_early_follow_ups_are_nudged_at_their_time(runtime, standin, clock, dispatcher):
    add_member(runtime, "U0ALICE", "Europe/Berlin", digest=False)
    add_follow_up(runtime, "U0ALICE", datetime(2026, 11, 25, 6, 0, tzinfo=UTC))

    clock.instant = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
    assert dispatcher.run_pass(clock()).nudges == 1
    clock.instant = BERLIN_DIGEST
    assert dispatcher.run_pass(clock()).messages == 0


def test_turning_the_digest_off_releases_what_waited_for_it(runtime, standin, clock, dispatcher, slack):
    add_member(runtime, "U0ALICE", "Europe/Berlin")
    held = add_follow_up(runtime, "U0ALICE", datetime(2026, 11, 25, 6, 0, tzinfo=UTC))  # 07:00 Berlin
    clock.instant = datetime(2026, 11, 25, 6, 30, tzinfo=UTC)
    assert dispatcher.run_pass(clock()).deferred == 1

    slack.command("U0ALICE", "digest off", command="/followups")
    report = dispatcher.run_pass(clock())

    assert report.nudges == 1
    assert follow_up(runtime, held).nudged_at == clock()


def digest_claim(runtime, user: str) -> tuple[date | None, str | None, datetime | None]:
    with runtime.sessions.begin() as session:
        member = session.scalars(select(Member).where(Member.slack_user_id == user)).one()
        return member.digest_sent_on, member.digest_claimed_by, member.digest_lease_until


def test_a_digest_whose_claimer_died_before_slack_answered_goes_once_its_lease_ran_out(
    runtime, standin, clock, dispatcher, two_zones
):
    clock.instant = BERLIN_DIGEST
    with runtime.sessions.begin() as session:  # another process claimed Alice's digest, then died
        session.execute(
            update(Member)
            .where(Member.slack_user_id == "U0ALICE")
            .values(
                digest_sent_on=date(2026, 11, 25),
                digest_claimed_by="crashed:3:y",
                digest_lease_until=BERLIN_DIGEST + timedelta(seconds=30),
            )
        )
    assert dispatcher.send_digests(clock()).digests == 0  # its lease still runs: it may only be slow
    assert posts(standin) == []

    clock.advance(seconds=31)
    assert dispatcher.run_pass(clock()).digests == 1
    [digest] = posts(standin)
    assert digest.params["channel"] == "U0ALICE"
    assert sorted(ids_in(digest)) == sorted(two_zones[k] for k in ("alice_overdue", "alice_early", "alice_later"))
    assert digest_claim(runtime, "U0ALICE") == (date(2026, 11, 25), None, None)  # sent for good
    clock.advance(minutes=5)
    assert dispatcher.run_pass(clock()).digests == 0
    assert len(posts(standin)) == 1


def test_a_digest_claim_taken_over_is_neither_sent_nor_given_back_by_the_process_that_lost_it(runtime, two_zones):
    day = date(2026, 11, 25)
    with runtime.sessions.begin() as session:
        alice = session.scalars(select(Member).where(Member.slack_user_id == "U0ALICE")).one().id
    minute = timedelta(minutes=1)
    with runtime.sessions.begin() as session:
        assert dispatch_store.claim_digest(
            session, alice, day, "slow", now=BERLIN_DIGEST, lease_until=BERLIN_DIGEST + minute
        )
    with runtime.sessions.begin() as session:  # within the lease, nobody else gets it
        assert not dispatch_store.claim_digest(
            session, alice, day, "other", now=BERLIN_DIGEST, lease_until=BERLIN_DIGEST
        )
    later = BERLIN_DIGEST + 2 * minute
    with runtime.sessions.begin() as session:  # "slow" waited out a 429 past its lease: "other" takes it over
        assert dispatch_store.claim_digest(session, alice, day, "other", now=later, lease_until=later + minute)

    with runtime.sessions.begin() as session:
        assert not dispatch_store.hold_digest(session, alice, day, "slow", lease_until=later + minute)  # not sent
        dispatch_store.unclaim_digest(session, alice, day, "slow", None)  # and not given back
    assert digest_claim(runtime, "U0ALICE") == (day, "other", later + minute)

    with runtime.sessions.begin() as session:
        assert dispatch_store.hold_digest(session, alice, day, "other", lease_until=later + 2 * minute)
        dispatch_store.unclaim_digest(session, alice, day, "other", day)  # Slack refused: back to no day at all
    assert digest_claim(runtime, "U0ALICE") == (None, None, None)


def test_a_digest_slack_refused_is_tried_again_and_a_late_one_is_skipped(
    runtime, standin, clock, dispatcher, two_zones
):
    standin.fail_next("chat.postMessage", status=500)
    clock.instant = BERLIN_DIGEST
    assert dispatcher.send_digests(clock()).failed == 1
    with runtime.sessions.begin() as session:
        assert session.scalar(select(Member.digest_sent_on).where(Member.slack_user_id == "U0ALICE")) is None
    clock.advance(minutes=1)
    assert dispatcher.run_pass(clock()).digests == 1

    # The scheduler was down from before Bob's digest until two hours after it: no digest, a nudge instead.
    clock.instant = NEW_YORK_DIGEST + timedelta(hours=2)
    report = dispatcher.run_pass(clock())
    assert report.digests == 0
    to_bob = [c for c in posts(standin) if c.params["channel"] == "U0BOB"]
    assert [ids_in(c) for c in to_bob] == [[two_zones["bob_early"]]]


# ---------------------------------------------------------------------------------------------------------
# Pacing, the stand-in's limits, the scheduler and the command
# ---------------------------------------------------------------------------------------------------------


def test_the_pacer_spreads_messages_at_the_rate_and_a_429_pauses_everything():
    now = [100.0]
    pacer = Pacer(per_second=10, conversation_interval=1.0, monotonic=lambda: now[0])

    waits = [pacer.book(f"C{n}")[0] for n in range(5)]
    assert waits == pytest.approx([0.0, 0.0, 0.1, 0.2, 0.3])  # a burst of a fifth of a second's worth
    assert pacer.book("C0") == (pytest.approx(1.0), None)  # the same conversation waits its second
    _, ticket = pacer.book("C9")
    pacer.pause(3)
    assert not pacer.valid(ticket)
    assert pacer.book("C8")[0] == pytest.approx(3.0)
    assert pacer.rate == pytest.approx(5)  # halved: another process may share the workspace's limit
    now[0] += 3 + Pacer.RECOVERY_S
    pacer.book("C7")
    assert pacer.rate == pytest.approx(10)  # and back to all of it after a while without a 429


def test_the_standin_answers_429_over_the_conversation_and_workspace_limits(standin):
    from slack_sdk.errors import SlackApiError

    client = dispatch_client(BOT_TOKEN, standin.api_url, 5)
    standin.limit_rate(per_channel_per_second=1, workspace_per_second=3)

    client.chat_postMessage(channel="U0ALICE", text="one")
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="U0ALICE", text="two")
    client.chat_postMessage(channel="U0BOB", text="three")
    client.chat_postMessage(channel="U0CAROL", text="four")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C0OTHER", text="five")

    assert refused.value.response.status_code == 429
    assert refused.value.response.headers["Retry-After"] == "1"
    assert [c.ok for c in standin.calls_to("chat.postMessage")] == [True, False, True, True, False]
    assert standin.calls[0].response["ts"]


def test_the_scheduler_ticks_nudges_often_and_digests_every_minute(dispatcher):
    scheduler = build_scheduler(dispatcher, background=True)
    scheduler.start(paused=True)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)

    assert jobs[NUDGES].trigger.interval == timedelta(seconds=2)
    assert jobs[DIGESTS].trigger.interval == timedelta(seconds=60)
    assert jobs[DAY_COUNTS].trigger.interval == timedelta(seconds=30)
    assert all(job.max_instances == 1 and job.coalesce for job in jobs.values())
    assert jobs[DIGESTS].next_run_time < jobs[NUDGES].next_run_time


def test_nudge_makes_one_pass_at_an_instant_and_says_what_it_did(runtime, standin, database_url, monkeypatch, capsys):
    add_follow_up(runtime, "U0ALICE", datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    for n in range(4):
        add_follow_up(runtime, "U0BOB", datetime(2026, 12, 1, 11, 0, tzinfo=UTC), customer=f"B{n}")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", standin.api_url)
    monkeypatch.setenv("DEFAULT_TZ", "UTC")

    assert main(["nudge", "--at", "2026-12-01T11:30"]) == 0
    assert capsys.readouterr().out == "sent 0 nudges, 1 catch-up, 0 digests; 0 failed\n"
    # --once is what scripts written when it was required still pass: it changes nothing.
    assert main(["nudge", "--once", "--at", "2026-12-01T13:00:00+01:00"]) == 0
    assert capsys.readouterr().out == "sent 1 nudge, 0 catch-ups, 0 digests; 0 failed\n"


def test_scheduling_commands_need_a_bot_token(monkeypatch, capsys, database_url):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)

    assert main(["nudge"]) == 2
    assert main(["scheduler"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all(line.startswith("touchpoint: SLACK_BOT_TOKEN is not set") for line in err)


def test_in_a_served_process_exactly_one_worker_runs_the_scheduler(runtime, tmp_path):
    from bot.cli import scheduling

    lock = str(tmp_path / "scheduler.lock")
    try:
        assert scheduling.start_if_elected(runtime, lock) is True
        assert scheduling.start_if_elected(runtime, lock) is False  # another worker of the same server
    finally:
        scheduling.stop_in_process()


def test_the_shell_shows_nudges_arriving_when_its_clock_moves(monkeypatch, capsys, tmp_path, database_url):
    from bot.local import shell

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_TZ", "UTC")
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(shell, "wall_clock", lambda: START)
    lines = ["/log Acme: call with Dana, follow up tomorrow 3pm", ":advance 1h", ":advance 1d6h"]
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(line + "\n" for line in lines)))

    assert main(["shell"]) == 0

    out = capsys.readouterr().out
    before, after = out.split("Clock moved 1 day 6 hours ahead")
    assert "Follow up with" not in before
    assert after.count("Follow up with") == 1 and "call with Dana" in after


def test_admin_channel_and_rate_are_read_from_the_environment_and_checked():
    from bot.config import ConfigError, load_settings

    settings = load_settings({"ADMIN_CHANNEL": "C0ADMINS", "SLACK_MESSAGES_PER_SECOND": "20"})
    assert (settings.admin_channel, settings.slack_messages_per_second) == ("C0ADMINS", 20.0)
    assert (load_settings({}).admin_channel, load_settings({}).slack_messages_per_second) == (None, 50.0)
    with pytest.raises(ConfigError, match="ADMIN_CHANNEL is '#admins'; it should be a Slack channel id"):
        load_settings({"ADMIN_CHANNEL": "#admins"})
    with pytest.raises(ConfigError, match="SLACK_MESSAGES_PER_SECOND is '0'"):
        load_settings({"SLACK_MESSAGES_PER_SECOND": "0"})
