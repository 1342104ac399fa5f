"""`touchpoint nudge --once` retries what failed for a transient reason within its run, and tells cron (by its
exit status) when something due is still undelivered."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from bot.cli import main
from storage.models import FollowUp
from tests.conftest import BOT_TOKEN
from tests.followups.test_dispatch import add_follow_up, follow_up, posts

DUE = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
PEOPLE = [f"U1{n:04d}" for n in range(40)]


@pytest.fixture
def nudge_env(monkeypatch, database_url, standin):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", standin.api_url)
    monkeypatch.setenv("DEFAULT_TZ", "UTC")


def forty_people_with_one_due(runtime, standin) -> list[int]:
    for user in PEOPLE:
        standin.add_user(user, name=user.lower(), tz="UTC")
    return [add_follow_up(runtime, user, DUE, customer=f"Customer {user}") for user in PEOPLE]


def nudge_once(*extra: str) -> int:
    return main(["nudge", "--once", "--at", "2026-12-01T11:30Z", "--backoff", "0.1", *extra])


def test_with_15_percent_of_calls_failing_every_nudge_is_delivered_once_within_the_run(
    runtime, standin, nudge_env, capsys
):
    ids = forty_people_with_one_due(runtime, standin)
    standin.fail_next("chat.postMessage", retry_after=1)  # and a 429 on the way
    standin.fail_next("chat.postMessage", disconnect=True, times=2)  # and the network failing twice
    standin.set_failure_rate("chat.postMessage", 0.15, status=503, seed=3)

    assert nudge_once() == 0  # the default deadline, 60 s

    out = capsys.readouterr().out
    assert out.startswith("sent 40 nudges, 0 catch-ups, 0 digests; 0 failed; ") and "sent on a retry" in out
    assert Counter(call.params["channel"] for call in posts(standin)) == Counter({user: 1 for user in PEOPLE})
    failures = Counter(call.status for call in posts(standin, ok=False))
    assert failures[429] == 1 and failures[0] == 2 and failures[503] > 0  # the failures did happen
    assert all(follow_up(runtime, i).nudged_at is not None for i in ids)


def test_what_is_still_undelivered_at_the_deadline_exits_non_zero_and_is_kept(runtime, standin, nudge_env, capsys):
    ids = forty_people_with_one_due(runtime, standin)[:3]
    with runtime.sessions.begin() as session:  # only three of them due
        session.execute(update(FollowUp).where(FollowUp.id.not_in(ids)).values(status="done"))
    standin.set_failure_rate("chat.postMessage", 1.0, status=500)

    assert nudge_once("--max-seconds", "3") == 1  # time for a retry or more, even on a loaded machine

    assert capsys.readouterr().out.startswith("sent 0 nudges, 0 catch-ups, 0 digests; 3 failed")
    rows = [follow_up(runtime, i) for i in ids]
    assert all(row.nudged_at is None and row.status == "open" and row.attempts >= 2 for row in rows)


def test_a_refusal_a_retry_will_not_mend_is_not_retried_but_still_exits_non_zero(runtime, standin, nudge_env, capsys):
    add_follow_up(runtime, "U0ALICE", DUE)
    standin.fail_next("chat.postMessage", error="invalid_blocks")

    assert nudge_once("--max-seconds", "5") == 1

    assert capsys.readouterr().out.startswith("sent 0 nudges, 0 catch-ups, 0 digests; 1 failed")
    assert len(posts(standin, ok=None)) == 1


def test_a_refusal_a_retry_will_not_mend_is_tried_once_while_the_run_retries_the_rest(
    runtime, standin, nudge_env, capsys
):
    standin.add_user("U0ALICE", name="alice", tz="UTC")
    standin.add_user("U0BOB", name="bob", tz="UTC")
    refused = add_follow_up(runtime, "U0ALICE", DUE, customer="Acme Corp")
    retried = add_follow_up(runtime, "U0BOB", DUE.replace(minute=5), customer="Globex")
    # One sender, so Alice (due first) meets the refusal and Bob the 503s.
    standin.fail_next("chat.postMessage", error="invalid_blocks")
    standin.fail_next("chat.postMessage", status=503, times=3)

    assert nudge_once("--senders", "1", "--max-seconds", "10") == 1

    assert capsys.readouterr().out.startswith("sent 1 nudge, 0 catch-ups, 0 digests; 1 failed; 1 sent on a retry")
    to_alice = [c for c in posts(standin, ok=None) if c.params["channel"] == "U0ALICE"]
    assert [c.ok for c in to_alice] == [False]  # passes that retried Bob's never tried Alice's again
    assert follow_up(runtime, refused).nudged_at is None and follow_up(runtime, retried).nudged_at is not None
