"""Small helpers tests share: reading replies and the store."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from bot.runtime import Runtime
from storage.customers import add_customer
from storage.models import Base
from storage.workspaces import workspace_for_team


def elements(reply: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every interactive element of a message with the block_id it sits in."""
    found = []
    for block in reply.get("blocks", []):
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            found.append((block.get("block_id", "b"), element))
        if "accessory" in block:
            found.append((block.get("block_id", "b"), block["accessory"]))
    return found


def element(reply: dict[str, Any], action_id: str, label: str | None = None) -> tuple[str, dict[str, Any]]:
    for block_id, candidate in elements(reply):
        if candidate["action_id"] == action_id and (label is None or label in candidate["text"]["text"]):
            return block_id, candidate
    raise AssertionError(f"no {action_id} element in {reply}")


def texts(reply: dict[str, Any]) -> str:
    """All mrkdwn text of a message, joined, for assertions on what a person reads."""
    parts = [reply.get("text", "")]
    for block in reply.get("blocks", []):
        if "text" in block:
            parts.append(block["text"]["text"])
        for item in block.get("elements", []) if block["type"] == "context" else []:
            parts.append(item["text"])
    return "\n".join(parts)


def count(session: Session, model: type[Base], *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def seed_customers(rt: Runtime, team_id: str, *specs: dict[str, Any]) -> dict[str, int]:
    """Customers by name -> id, e.g. seed_customers(rt, TEAM, {"name": "Acme Corp", "domain": "acme.com"})."""
    ids = {}
    with rt.sessions.begin() as session:
        workspace = workspace_for_team(session, team_id)
        for spec in specs:
            row = add_customer(session, workspace.id, now=rt.now(), **spec)
            ids[row.name] = row.id
    return ids


def after(out: str, line: str, nth: int = 1) -> str:
    """What the shell printed in answer to the `nth` occurrence of an input line (up to the next echoed line)."""
    start = -1
    for _ in range(nth):
        start = out.index(f"> {line}\n", start + 1)
    start += len(line) + 3
    following = out.find("\n> ", start)
    return out[start : following + 1 if following != -1 else len(out)]


def start_touchpoint(args: list[str], env: dict[str, str], cwd: Path, stderr: Path) -> subprocess.Popen:
    """`touchpoint ARGS` in a process of its own: the console script's function, from this interpreter."""
    code = "import sys; from bot.cli import main; sys.exit(main(sys.argv[1:]))"
    root = str(Path(__file__).resolve().parents[1])
    env = {**env, "PYTHONPATH": root + os.pathsep + env.get("PYTHONPATH", "")}
    with stderr.open("w", encoding="utf-8") as err:
        return subprocess.Popen(
            [sys.executable, "-c", code, *args], env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err
        )


def plans_of(engine, look_up: Callable[[Session], object]) -> str:
    """The store's plans of the statements `look_up` runs, with sequential scans made a last resort on PostgreSQL
    so that a table of a test's size shows whether an index can answer at all."""
    ran: list[tuple[str, object]] = []

    def seen(_conn, _cursor, statement, parameters, _context, _many) -> None:
        ran.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with Session(engine) as session:
            look_up(session)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    plans = []
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in ran:
            if engine.dialect.name == "sqlite":
                cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
                plans += [str(row[-1]) for row in cursor.fetchall()]
            else:
                cursor.execute("SET enable_seqscan = off")
                cursor.execute(f"EXPLAIN {statement}", parameters)
                plans += [row[0] for row in cursor.fetchall()]
    finally:
        raw.close()
    return "\n".join(plans)


def run_at_once(work: Sequence[Callable[[], object]]) -> list[BaseException]:
    """Runs each of `work` in its own thread, all released together, and says what any of them raised."""
    start = threading.Barrier(len(work))
    failures: list[BaseException] = []

    def released(each: Callable[[], object]) -> None:
        try:
            start.wait()
            each()
        except BaseException as error:  # noqa: BLE001 - told to the caller, in the test's thread
            failures.append(error)

    threads = [threading.Thread(target=released, args=(each,)) for each in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures
