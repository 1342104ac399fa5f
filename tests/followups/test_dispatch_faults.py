"""Faults: two scheduler processes, 2,000 follow-ups due at once, a Slack that fails and rate-limits, one process
killed mid-run. Every follow-up arrives, none twice.

Runs against PostgreSQL when TEST_DATABASE_URL is set (as CI does), else against a SQLite file: the same
processes, the same assertions.

The kill is timed so that it cannot fall between Slack's acceptance and the killed process's commit (the one
duplicate the design permits): the stand-in holds new messages for a moment, every message it accepted is
seen marked in the store, and only then is the process killed. Its held requests die with it, unanswered, as
if lost on the way. What the test shows is what matters: the rows it had claimed and not sent are taken over
by the other process when their lease ends, and nothing is sent twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select

from bot.local.slack_standin import SlackStandIn
from storage.customers import add_customer
from storage.db import COMMAND_TIMEOUTS, create_store_engine, make_session_factory
from storage.models import FollowUp, Touchpoint
from storage.workspaces import workspace_for_team
from tests.conftest import BOT_TOKEN, TEAM

SINGLES = 200  # people with one follow-up due: one nudge each
GROUPS, GROUP_SIZE = 360, 5  # people with five due: one catch-up each
TOTAL = SINGLES + GROUPS * GROUP_SIZE
LEASE_S = 6
TIMEOUT_S = 90


def seed(engine: Engine) -> list[str]:
    """2,000 follow-ups due a minute ago, in real time (the schedulers run on the real clock); their people."""
    due = datetime.now(UTC) - timedelta(minutes=1)
    people = [f"U1{n:05d}" for n in range(SINGLES)] + [f"U2{n:05d}" for n in range(GROUPS)]
    assignees = people[:SINGLES] + [p for p in people[SINGLES:] for _ in range(GROUP_SIZE)]
    with make_session_factory(engine).begin() as session:
        workspace_id = workspace_for_team(session, TEAM).id
        customer_id = add_customer(session, workspace_id, "Acme Corp", now=due).id
        touchpoints = session.scalars(
            insert(Touchpoint).returning(Touchpoint.id, sort_by_parameter_order=True),
            [
                {
                    "workspace_id": workspace_id,
                    "customer_id": customer_id,
                    "author_user_id": user,
                    "kind": "call",
                    "summary": f"call {n}",
                    "occurred_at": due,
                    "source": "command",
                    "tags": [],
                }
                for n, user in enumerate(assignees)
            ],
        ).all()
        session.execute(
            insert(FollowUp),
            [
                {
                    "workspace_id": workspace_id,
                    "touchpoint_id": tp_id,
                    "customer_id": customer_id,
                    "assignee_user_id": user,
                    "due_at": due,
                    "status": "open",
                    "attempts": 0,
                }
                for tp_id, user in zip(touchpoints, assignees, strict=True)
            ],
        )
    return people


def delivered(standin: SlackStandIn) -> Counter[int]:
    """How many times Slack accepted a message about each follow-up."""
    counts: Counter[int] = Counter()
    for call in standin.calls_to("chat.postMessage"):
        if call.ok:
            counts.update(call.params["metadata"]["event_payload"]["follow_up_ids"])
    return counts


def nudged_ids(engine: Engine) -> set[int]:
    with engine.connect() as conn:
        return set(conn.scalars(select(FollowUp.id).where(FollowUp.nudged_at.is_not(None))))


def claimed_by_process(engine: Engine, pid: int) -> int:
    with engine.connect() as conn:
        return conn.scalar(
            select(func.count()).where(FollowUp.claimed_by.like(f"%:{pid}:%"), FollowUp.nudged_at.is_(None))
        )


def until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting until {what}")
        time.sleep(0.05)


def touchpoint_command() -> list[str]:
    script = Path(sys.executable).with_name("touchpoint")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from bot.cli import main; main()"]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """The test's own seeding and reading: the schedulers under test keep their own limits, and a loaded machine
    must not fail the 2,000-row seed on the 1.5 s a request to Slack is allowed."""
    engine = create_store_engine(database_url, COMMAND_TIMEOUTS)
    yield engine
    engine.dispose()


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn(team_id=TEAM) as server:
        yield server


def test_two_schedulers_deliver_every_follow_up_once_through_failures_rate_limits_and_a_kill(
    engine, database_url, standin, tmp_path
):
    for user in seed(engine):
        standin.add_user(user, tz="UTC")
    # Slack's limits, little burst allowed, and two processes that each may send the whole 60 a second: 429s are
    # certain while both run, until they come to share the limit.
    standin.limit_rate(per_channel_per_second=1, workspace_per_second=60, burst=0.2)
    standin.set_failure_rate("chat.postMessage", 0.1, status=500, seed=4)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": standin.api_url,
        "DEFAULT_TZ": "UTC",
        "LOG_LEVEL": "WARNING",
    }
    command = [*touchpoint_command(), "scheduler", "--every", "0.5", "--lease", str(LEASE_S)]
    command += ["--rate", "60", "--backoff", "0.5", "--senders", "8"]
    logs = [open(tmp_path / f"scheduler-{n}.log", "w") for n in range(2)]  # noqa: SIM115
    victim, survivor = (subprocess.Popen(command, env=env, cwd=tmp_path, stderr=log, stdout=log) for log in logs)
    try:
        until(lambda: len(delivered(standin)) >= TOTAL // 3, TIMEOUT_S, "a third was delivered")

        standin.hold("chat.postMessage")
        until(lambda: set(delivered(standin)) <= nudged_ids(engine), 5, "every accepted message was marked")
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        orphaned = claimed_by_process(engine, victim.pid)
        standin.release("chat.postMessage")

        until(lambda: len(delivered(standin)) >= TOTAL, TIMEOUT_S, "every follow-up was delivered")
        survivor.send_signal(signal.SIGTERM)
        assert survivor.wait(30) == 0
    finally:
        standin.release()
        for process in (victim, survivor):
            if process.poll() is None:
                process.kill()
                process.wait()
        for log in logs:
            log.close()

    counts = delivered(standin)
    assert len(counts) == TOTAL
    assert [i for i, n in counts.items() if n > 1] == []
    assert orphaned > 0  # the killed process held claims it never sent: the survivor took them over
    statuses = Counter(c.status for c in standin.calls_to("chat.postMessage"))
    assert statuses[500] > 0 and statuses[429] > 0
    with engine.connect() as conn:
        rows = conn.execute(select(FollowUp.nudged_at, FollowUp.claimed_by, FollowUp.nudge_ts)).all()
    assert all(nudged is not None and claimed is None and ts for nudged, claimed, ts in rows)
    messages = sum(1 for c in standin.calls_to("chat.postMessage") if c.ok)
    assert messages == SINGLES + GROUPS  # one nudge per single, one catch-up per group
