"""Writes through the HTTP API: single touchpoints at 1 and 20 concurrent clients, and batches, beside a floor.

    python bench/ingest.py [--pg postgresql://postgres@127.0.0.1:5432/postgres] [--singles 2000] [--batches 20]
                           [--import-rows 100000] [--stores sqlite,postgresql]

For each store (a scratch SQLite file, and with --pg a PostgreSQL database the run creates and drops):

1. Migrates it and seeds one workspace: 1,000 customers (half with a domain), 50 members, one API token.
2. Starts `touchpoint serve` on it (gunicorn, --workers 2 --threads 8, as bench/log_latency.py does), with
   API_RATE_PER_MINUTE raised so the rate limiter counts but never refuses: the load is one client's.
3. Measures the floor in this process on the same store: a bare INSERT of one touchpoint row per
   transaction at 1 and 20 concurrent threads, and an executemany of 500 rows per transaction.
4. Posts single touchpoints (`POST /api/v1/touchpoints`, each its own external_id, customer named by name
   or domain, author a member, one in five with a follow-up) over keep-alive connections at 1 and 20
   concurrent clients, then batches of 500 at one client.
5. Runs `touchpoint import touchpoints` on a CSV of 100,000 rows (--import-rows) naming those customers,
   a third of them without an external_id, then on the same file again (which must import nothing).
6. Prints a Markdown table and the goals: on PostgreSQL, single write p99 < 50 ms at 20 clients and
   batches at least 2,000 touchpoints a second; on SQLite, the 100,000-row import in under a minute.

Beside each run: the CPU it cost per request (the server's processes, or for the floor this one, plus on
PostgreSQL the server backends of the scratch database; for an import, the command's alone) and the share of the
machine's cores that every other process used meanwhile (for an import on PostgreSQL, its backend among them),
so that a run on a busy machine reads as one.

Exit status: 0 when every goal is met and no request failed, 1 otherwise. Loopback only; the server runs in
its own session and is stopped on exit, Ctrl-C or error.
"""

from __future__ import annotations

import argparse
import csv
import functools
import http.client
import itertools
import json
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/ingest.py` from anywhere
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.log_latency import (  # noqa: E402
    KINDS,
    TAGS,
    Server,
    Servers,
    cpu_seconds,
    free_port,
    machine_busy,
    make_customers,
    percentile,
    server_cpu,
    wait_healthy,
)
from bench.nudges import scratch_store  # noqa: E402
from bot.api.tokens import create_token  # noqa: E402
from bot.capture.touchpoints import DEPARTMENTS, create_customer  # noqa: E402
from storage.db import create_store_engine, make_session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Customer, Touchpoint  # noqa: E402
from storage.workspaces import member_row, workspace_for_team  # noqa: E402

TEAM = "T0BENCH"
CUSTOMERS = 1000
MEMBERS = 50
BATCH = 500
SINGLE_P99_GOAL_MS = 50.0
BATCH_GOAL_PER_S = 2000.0
IMPORT_GOAL_S = 60.0
REQUEST_TIMEOUT_S = 30.0
TOUCHPOINT = Path(sys.executable).with_name("touchpoint")  # the console script of the running interpreter


@dataclass
class Run:
    store: str
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    touchpoints: int = 0
    wall_s: float = 0.0
    other_share: float = 0.0  # of the machine's cores, used by processes other than this one and the server
    cpu_s: float = 0.0  # of the command, for the import runs: what its wall time would be on an idle machine
    serving_cpu_s: float = 0.0  # of whatever served the requests (`serving_cpu`), its store's backends included
    spread: list[int] = field(default_factory=list)  # the clients' connections held by each server worker

    def p(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    @property
    def per_second(self) -> float:
        return self.touchpoints / self.wall_s if self.wall_s else 0.0


@dataclass(frozen=True)
class Seeded:
    workspace_id: int
    token: str
    names: list[str]
    domains: list[str]
    members: list[str]


def seed(url: str) -> Seeded:
    engine = create_store_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    now = datetime.now(UTC)
    specs = make_customers(CUSTOMERS)
    members = [f"U0B{n:05d}" for n in range(1, MEMBERS + 1)]
    with sessions.begin() as session:
        workspace_id = workspace_for_team(session, TEAM).id
        for n, user in enumerate(members):
            member_row(session, workspace_id, user).department = DEPARTMENTS[n % len(DEPARTMENTS)]
        token = create_token(session, workspace_id, "bench", now=now)
        # Numbered, so that each name and domain names one customer: "Hansen & Söhne" and "Hansen & Söhne AB"
        # are one name to /log's matching, and a sender told "names several customers" is not what is measured.
        names, domains = [f"{spec.name} {n}" for n, spec in enumerate(specs, start=1)], []
        for n, name in enumerate(names, start=1):
            customer_id = create_customer(session, workspace_id, members[0], name, now=now)
            if n % 2:
                domains.append(f"customer-{n}.example")
                session.get(Customer, customer_id).domain = domains[-1]
    engine.dispose()
    return Seeded(workspace_id, token, names, domains, members)


def records(rng: random.Random, seeded: Seeded, count: int, prefix: str) -> list[dict[str, Any]]:
    """`count` distinct touchpoints as another system sends them."""
    out = []
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(count):
        by_domain = seeded.domains and rng.random() < 0.3
        customer = {"domain": rng.choice(seeded.domains)} if by_domain else {"name": rng.choice(seeded.names)}
        author = rng.choice(seeded.members)
        record: dict[str, Any] = {
            "external_id": f"{prefix}-{n}",
            "kind": rng.choice(KINDS),
            "summary": f"order {n} confirmed, {rng.choice(['call back', 'all good', 'delivery late'])}",
            "occurred_at": (start + timedelta(minutes=n)).isoformat(),
            "customer": customer,
            "author": author,
            "tags": [tag.lstrip("#") for tag in rng.sample(TAGS, k=rng.choice((0, 1, 2)))],
        }
        if rng.random() < 0.2:
            record["follow_up"] = {"due_at": (start + timedelta(days=30, minutes=n)).isoformat()}
        out.append(record)
    return out


def post_all(
    port: int,
    token: str,
    bodies: Sequence[bytes],
    clients: int,
    run: Run,
    items_each: int,
    serving_cpu: Callable[[], float] = lambda: 0.0,
) -> None:
    """Post every body over `clients` keep-alive connections; latencies and failures into `run`."""
    cursor = itertools.count()
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
        try:
            while True:
                with lock:
                    index = next(cursor)
                if index >= len(bodies):
                    return
                started = time.perf_counter()
                try:
                    connection.request("POST", "/api/v1/touchpoints", body=bodies[index], headers=headers)
                    response = connection.getresponse()
                    data = response.read()
                except (OSError, http.client.HTTPException) as error:
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
                    with lock:
                        run.errors.append(f"{type(error).__name__}: {error}")
                    continue
                elapsed_ms = (time.perf_counter() - started) * 1000
                problem = None
                if response.status not in (200, 201):
                    problem = f"{response.status}: {data[:200]!r}"
                elif items_each > 1:
                    results = json.loads(data)["results"]
                    if any(item["status"] != "created" for item in results):
                        problem = f"batch item not created: {next(r for r in results if r['status'] != 'created')}"
                with lock:
                    run.latencies_ms.append(elapsed_ms)
                    if problem:
                        run.errors.append(problem)
        finally:
            connection.close()

    timed(run, lambda: _in_threads(client, clients), serving_cpu)
    run.touchpoints = (len(run.latencies_ms) - len(run.errors)) * items_each


def _in_threads(work: Callable[[], None], count: int) -> None:
    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def timed(run: Run, work: Callable[[], None], serving_cpu: Callable[[], float] = lambda: 0.0) -> None:
    """Run `work`, noting its wall time, the CPU `serving_cpu` counts meanwhile, and what all other processes
    used of the machine (this one and `serving_cpu`'s left out)."""
    busy, own, served = machine_busy(), _own_cpu(), serving_cpu()
    started = time.perf_counter()
    work()
    run.wall_s = time.perf_counter() - started
    run.serving_cpu_s = serving_cpu() - served
    others = machine_busy() - busy - (_own_cpu() - own) - run.serving_cpu_s
    run.other_share = max(0.0, others) / (run.wall_s * (os.cpu_count() or 1))


def connections_per_worker(server: Server) -> list[int]:
    """How many established connections each worker of `server` holds, most first (Linux `ss`; none without it).

    gunicorn's workers take connections as they come, so keep-alive clients that connect at once can end up on one
    worker: whatever share each got stays for the run."""
    try:
        listed = subprocess.run(
            ["ss", "-tnpH", "state", "established", f"( sport = :{server.port} )"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    held: dict[str, int] = {}
    for pid in re.findall(r"pid=(\d+)", listed):
        held[pid] = held.get(pid, 0) + 1
    return sorted(held.values(), reverse=True)


def backends_cpu(url: str) -> float:
    """CPU seconds of the PostgreSQL backends (on this machine) connected to the database `url` names; 0 for SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or not parsed.database:
        return 0.0
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            title = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres: ") and f" {parsed.database} " in title:
            total += cpu_seconds(int(proc.name))
    return total


def _own_cpu() -> float:
    """CPU seconds of this process and of the commands it ran and waited for."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def floor_row(workspace_id: int, key: str, now: datetime) -> dict[str, Any]:
    return {
        "workspace_id": workspace_id,
        "author_user_id": "U0B00001",
        "kind": "call",
        "summary": f"floor {key}",
        "tags": [],
        "occurred_at": now,
        "source": "api",
        "source_system": "floor",
        "external_id": key,
        "created_at": now,
    }


def floor_single(url: str, workspace_id: int, count: int, clients: int, run: Run) -> None:
    """One bare INSERT per transaction, from `clients` threads: what no write can beat on this store."""
    engine = create_store_engine(url, pool_size=clients, max_overflow=0)
    table = Touchpoint.__table__
    cursor = itertools.count()
    lock = threading.Lock()

    def writer() -> None:
        while True:
            with lock:
                n = next(cursor)
            if n >= count:
                return
            started = time.perf_counter()
            with engine.begin() as conn:
                conn.execute(insert(table), floor_row(workspace_id, f"floor-c{clients}-{n}", datetime.now(UTC)))
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                run.latencies_ms.append(elapsed)

    timed(run, lambda: _in_threads(writer, clients), lambda: time.process_time() + backends_cpu(url))
    run.touchpoints = count
    engine.dispose()


def floor_batches(url: str, workspace_id: int, batches: int, run: Run) -> None:
    engine = create_store_engine(url)
    table = Touchpoint.__table__

    def work() -> None:
        for b in range(batches):
            now = datetime.now(UTC)
            started = time.perf_counter()
            with engine.begin() as conn:
                rows = [floor_row(workspace_id, f"floor-batch-{b}-{n}", now) for n in range(BATCH)]
                conn.execute(insert(table), rows)
            run.latencies_ms.append((time.perf_counter() - started) * 1000)

    timed(run, work, lambda: time.process_time() + backends_cpu(url))
    run.touchpoints = batches * BATCH
    engine.dispose()


def measure(store: str, url: str, args: argparse.Namespace, servers: Servers, workdir: Path) -> list[Run]:
    print(f"{store}: seeding {CUSTOMERS:,} customers and {MEMBERS} members", flush=True)
    seeded = seed(url)
    rng = random.Random(5)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": "bench-signing-secret",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",  # nothing here asks Slack: authors are given by user id
        "API_RATE_PER_MINUTE": "1000000",
        "DEFAULT_TZ": "UTC",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("SLACK_APP_TOKEN", "PORT", "WEB_CONCURRENCY"):
        env.pop(name, None)
    argv = [str(TOUCHPOINT), "serve", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--workers", str(args.workers), "--threads", str(args.threads)]
    server = servers.start("touchpoint", argv, env, workdir, workdir / f"serve-{store}.log", port)

    def serving() -> float:
        return server_cpu(server) + backends_cpu(url)

    try:
        wait_healthy(server)
        warm = [json.dumps(r).encode() for r in records(rng, seeded, 100, "warm")]
        post_all(port, seeded.token, warm, 4, Run(store, "warm-up"), 1)
        runs = []
        for clients in (1, 20):
            count = args.singles if clients > 1 else max(200, args.singles // 5)
            floor = Run(store, f"floor: bare INSERT, c={clients}")
            floor_single(url, seeded.workspace_id, count, clients, floor)
            single = Run(store, f"single POST, c={clients}")
            bodies = [json.dumps(r).encode() for r in records(rng, seeded, count, f"single{clients}")]
            census = threading.Timer(1.0, lambda run=single: run.spread.extend(connections_per_worker(server)))
            census.start()
            post_all(port, seeded.token, bodies, clients, single, 1, serving)
            census.cancel()
            runs += [floor, single]
        floor = Run(store, f"floor: INSERT of {BATCH} rows, c=1")
        floor_batches(url, seeded.workspace_id, args.batches, floor)
        batch = Run(store, f"batch POST of {BATCH}, c=1")
        items = records(rng, seeded, args.batches * BATCH, "batch")
        bodies = [
            json.dumps({"touchpoints": items[start : start + BATCH]}).encode() for start in range(0, len(items), BATCH)
        ]
        post_all(port, seeded.token, bodies, 1, batch, BATCH, serving)
        runs += [floor, batch]
    finally:
        servers.stop(server)
    if args.import_rows:
        runs += import_history(url, seeded, args.import_rows, workdir, store)
    return runs


def import_history(url: str, seeded: Seeded, rows: int, workdir: Path, store: str) -> list[Run]:
    """`touchpoint import touchpoints` of a CSV of `rows` rows, then the same file again (nothing new)."""
    rng = random.Random(9)
    path = workdir / "history.csv"
    columns = ["external_id", "kind", "summary", "occurred_at", "customer_name", "customer_domain", "author", "tags"]
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        for record in records(rng, seeded, rows, "history"):
            customer = record["customer"]
            if len(record["external_id"]) % 3 == 0:  # a third without one: keyed by a hash of the row
                record["external_id"] = ""
            cells = {**record, "customer_name": customer.get("name", ""), "customer_domain": customer.get("domain", "")}
            cells["tags"] = ",".join(record["tags"])
            writer.writerow([cells.get(column, "") for column in columns])
    env = {**os.environ, "DATABASE_URL": url, "DEFAULT_TZ": "UTC"}
    runs = []
    for name in (f"import {rows:,} CSV rows", "the same file again"):
        run = Run(store, name)
        argv = [str(TOUCHPOINT), "import", "touchpoints", str(path), "--team", TEAM, "--source", "crm"]
        done: list[subprocess.CompletedProcess[str]] = []
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        timed(run, functools.partial(_run_into, done, argv, env, workdir))
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # The command's own: its PostgreSQL backend ends with it, before it could be read, and counts as another's.
        run.cpu_s = run.serving_cpu_s = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        said = done[0].stdout.strip() or done[0].stderr.strip()[-300:]
        print(f"{store}: {name}: {said} in {run.wall_s:.1f} s ({run.cpu_s:.1f} s of CPU)", flush=True)
        if done[0].returncode != 0 or ", 0 bad rows)" not in said:
            run.errors.append(said)
        run.latencies_ms.append(run.wall_s * 1000)
        run.touchpoints = rows
        runs.append(run)
    return runs


def _run_into(done: list[subprocess.CompletedProcess[str]], argv: list[str], env: dict[str, str], cwd: Path) -> None:
    done.append(subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=False))


def report(runs: list[Run]) -> tuple[str, bool]:
    lines = [
        "| store | run | requests | errors | p50 ms | p99 ms | touchpoints/s | CPU ms/request | other processes |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        cpu_ms = run.serving_cpu_s * 1000 / len(run.latencies_ms) if run.latencies_ms else 0.0
        lines.append(
            f"| {run.store} | {run.name} | {len(run.latencies_ms):,} | {len(run.errors)} | {run.p(50):.1f} | "
            f"{run.p(99):.1f} | {run.per_second:,.0f} | {cpu_ms:.1f} | {run.other_share:.0%} |"
        )
    ok = not any(run.errors for run in runs)
    lines += ["", "| goal | result |", "| --- | --- |"]
    for run in runs:
        if run.store != "PostgreSQL":
            continue
        if run.name == "single POST, c=20":
            met = run.p(99) < SINGLE_P99_GOAL_MS
            held = " and ".join(map(str, run.spread))
            spread = f" (the clients' connections per worker: {held})" if run.spread else ""
            lines.append(
                f"| single write p99 < {SINGLE_P99_GOAL_MS:.0f} ms at 20 clients | **{run.p(99):.1f} ms**{spread} |"
            )
        elif run.name.startswith("batch POST"):
            met = run.per_second >= BATCH_GOAL_PER_S
            lines.append(f"| batches ≥ {BATCH_GOAL_PER_S:,.0f} touchpoints/s | **{run.per_second:,.0f}/s** |")
        else:
            continue
        ok = ok and met
    for run in runs:
        if run.store == "SQLite" and run.name.startswith("import "):
            met = run.wall_s < IMPORT_GOAL_S
            lines.append(
                f"| {run.name} on SQLite < {IMPORT_GOAL_S:.0f} s | **{run.wall_s:.1f} s** "
                f"({run.cpu_s:.1f} s of CPU, other processes {run.other_share:.0%} of the machine) |"
            )
            ok = ok and met
    return "\n".join(lines), ok


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", help="a PostgreSQL server URL; a scratch database is created on it and dropped")
    parser.add_argument("--singles", type=int, default=2000, help="single POSTs at 20 clients (a fifth at 1)")
    parser.add_argument("--batches", type=int, default=20, help=f"batches of {BATCH} to post")
    parser.add_argument(
        "--import-rows",
        type=int,
        default=100_000,
        help="rows of the CSV `touchpoint import touchpoints` reads (0: none)",
    )
    parser.add_argument(
        "--stores", default="sqlite,postgresql", help="which stores to measure (postgresql only with --pg)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    return parser.parse_args(argv)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    workdir = Path(tempfile.mkdtemp(prefix="touchpoint-ingest-"))
    servers = Servers()
    runs: list[Run] = []
    try:
        wanted = {name.strip().lower() for name in args.stores.split(",")}
        stores = [("SQLite", None)] if "sqlite" in wanted else []
        stores += [("PostgreSQL", args.pg)] if args.pg and "postgresql" in wanted else []
        for store, server_url in stores:
            url, drop = scratch_store(server_url, workdir)
            try:
                runs += measure(store, url, args, servers, workdir)
            finally:
                drop()
        table, ok = report(runs)
        print(table)
        for run in runs:
            for problem in run.errors[:5]:
                print(f"{run.store} {run.name}: {problem}", file=sys.stderr)
        return 0 if ok else 1
    finally:
        servers.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
