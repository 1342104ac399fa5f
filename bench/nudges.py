"""Nudges after downtime: 5,000 follow-ups falling due at once for 5,000 people, plus 20 each for another 50.

    .venv/bin/python bench/nudges.py [--database-url URL] [--people 5000] [--crowd 50] [--each 20] [--rate 50]

1. Makes a scratch store (a SQLite file, or a fresh database on the PostgreSQL server of --database-url, dropped
   afterwards), migrated, with the follow-ups due a minute ago. Every member has the digest off, so everything
   due goes out as nudges and catch-ups, not in a digest.
2. Starts the Web API stand-in in this process, enforcing Slack's posting limits: one message a second per
   conversation and a workspace-wide cap (--rate, 50 a second by default, with a one-second burst); over them
   it answers 429 with Retry-After.
3. Runs `touchpoint nudge --once --rate <cap>` (one dispatch pass, as cron or a restart would) and times it from
   its start until the stand-in accepted the last message.
4. Prints a Markdown table: the time taken beside the least time the limits allow ((messages - burst) / cap),
   lost and duplicated follow-ups (counted per follow-up id in each accepted message's metadata), and how many
   messages each of the crowd got. Goal: within 1.2x of the limits, nothing lost, nothing twice, one catch-up
   for each of the crowd.

Exit status: 0 when every goal is met, 1 otherwise. Loopback only.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/nudges.py` from anywhere
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, create_engine, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.config import normalize_database_url  # noqa: E402
from bot.local.slack_standin import SlackStandIn  # noqa: E402
from storage.db import create_store_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Customer, FollowUp, Member, Touchpoint, Workspace  # noqa: E402

TEAM = "T0BENCH"
TOKEN = "xoxb-bench"
GOAL_RATIO = 1.2


def scratch_store(database_url: str | None, workdir: Path) -> tuple[str, Callable[[], None]]:
    """A store URL for this run and how to remove it."""
    if not database_url:
        return f"sqlite:///{workdir / 'nudges.db'}", lambda: None
    url = make_url(normalize_database_url(database_url))
    if url.get_backend_name() == "sqlite":
        return url.render_as_string(hide_password=False), lambda: None
    name = f"touchpoint_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def seed(engine: Engine, singles: list[str], crowd: list[str], each: int) -> int:
    """The follow-ups, due a minute ago; members with the digest off. Returns how many follow-ups."""
    due = datetime.now(UTC) - timedelta(minutes=1)
    assignees = singles + [user for user in crowd for _ in range(each)]
    with engine.begin() as conn:
        workspace_id = conn.execute(insert(Workspace).returning(Workspace.id), {"team_id": TEAM}).scalar_one()
        customer_id = conn.execute(
            insert(Customer).returning(Customer.id),
            {"workspace_id": workspace_id, "name": "Acme Corp", "created_at": due, "updated_at": due},
        ).scalar_one()
        conn.execute(
            insert(Member),
            [
                {"workspace_id": workspace_id, "slack_user_id": user, "tz": "UTC", "digest_enabled": False}
                for user in singles + crowd
            ],
        )
        touchpoints = conn.scalars(
            insert(Touchpoint).returning(Touchpoint.id, sort_by_parameter_order=True),
            [
                {
                    "workspace_id": workspace_id,
                    "customer_id": customer_id,
                    "author_user_id": user,
                    "kind": "call",
                    "summary": f"call number {n} about the renewal",
                    "tags": [],
                    "occurred_at": due - timedelta(days=3),
                    "source": "command",
                }
                for n, user in enumerate(assignees)
            ],
        ).all()
        conn.execute(
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
    return len(assignees)


def run(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="touchpoint-nudges-"))
    database_url, drop = scratch_store(args.database_url, workdir)
    try:
        return measure(args, database_url, workdir)
    finally:
        drop()


def measure(args: argparse.Namespace, database_url: str, workdir: Path) -> int:
    singles = [f"U1{n:06d}" for n in range(args.people)]
    crowd = [f"U2{n:06d}" for n in range(args.crowd)]
    engine = create_store_engine(database_url)
    upgrade(engine)
    started = time.monotonic()
    total = seed(engine, singles, crowd, args.each)
    print(f"seeded {total:,} follow-ups in {time.monotonic() - started:.1f} s", file=sys.stderr)

    with SlackStandIn(team_id=TEAM) as standin:
        for user in singles + crowd:
            standin.add_user(user, tz="UTC")
        standin.limit_rate(per_channel_per_second=1, workspace_per_second=args.rate, burst=1.0)
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": standin.api_url,
            "LOG_LEVEL": "WARNING",
        }
        command = [str(ROOT / ".venv" / "bin" / "touchpoint"), "nudge", "--once", "--rate", str(args.rate)]
        started = time.time()
        done = subprocess.run(command, env=env, cwd=workdir, capture_output=True, text=True)
        finished = time.time()
        calls = standin.calls_to("chat.postMessage")
    engine.dispose()

    accepted = [c for c in calls if c.ok]
    counts: Counter[int] = Counter()
    per_person: Counter[str] = Counter()
    for call in accepted:
        counts.update(call.params["metadata"]["event_payload"]["follow_up_ids"])
        per_person[call.params["channel"]] += 1
    messages = len(accepted)
    expected_messages = args.people + args.crowd
    burst = max(1, int(args.rate))
    floor = max(0.0, (expected_messages - burst) / args.rate)
    last = max((c.at for c in accepted), default=finished)
    first = min((c.at for c in accepted), default=started)
    elapsed = last - started
    lost = total - len(counts)
    twice = sum(1 for n in counts.values() if n > 1)
    crowd_messages = Counter(per_person[u] for u in crowd)
    refused = Counter(c.status for c in calls if not c.ok)
    ratio = elapsed / floor if floor else float("inf")

    print(f"\n## Nudges after downtime ({platform.python_version()}, {make_url(database_url).get_backend_name()})\n")
    print(
        f"{args.people:,} people with 1 follow-up due + {args.crowd} people with {args.each} each "
        f"= {total:,} follow-ups due at once. Stand-in limits: 1 message/s per conversation, "
        f"{args.rate:g} messages/s workspace-wide (burst {burst}). Digest off for everyone.\n"
    )
    print("| measure | value |")
    print("|---|---|")
    print(f"| messages accepted | {messages:,} (expected {expected_messages:,}) |")
    print(f"| time until everything was delivered (from process start) | {elapsed:.1f} s |")
    print(f"| of which sending (first to last message) | {last - first:.1f} s |")
    print(f"| least time the limits allow ((messages - burst) / cap) | {floor:.1f} s |")
    print(f"| ratio (goal ≤ {GOAL_RATIO}) | {ratio:.2f} |")
    print(f"| lost follow-ups | {lost} |")
    print(f"| follow-ups delivered twice | {twice} |")
    print(f"| messages per crowd member | {dict(sorted(crowd_messages.items()))} (goal: {{1: {args.crowd}}}) |")
    print(f"| refused calls (status: count) | {dict(refused) or 'none'} |")
    print(f"| `touchpoint nudge --once` said | {done.stdout.strip() or done.stderr.strip()[-200:]} |")
    ok = (
        done.returncode == 0
        and ratio <= GOAL_RATIO
        and lost == 0
        and twice == 0
        and crowd_messages == Counter({1: args.crowd})
        and messages == expected_messages
    )
    print(f"\n{'all goals met' if ok else 'GOALS NOT MET'}")
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="store to benchmark on (default: a scratch SQLite file)")
    parser.add_argument("--people", type=int, default=5000, help="people with one follow-up due (default: 5000)")
    parser.add_argument("--crowd", type=int, default=50, help="people with many due (default: 50)")
    parser.add_argument("--each", type=int, default=20, help="follow-ups due for each of the crowd (default: 20)")
    parser.add_argument("--rate", type=float, default=50.0, help="workspace-wide cap, messages/s (default: 50)")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
