"""`/customer` search and card latency, and the search index's memory, on a large store (SQLite and PostgreSQL).

    .venv/bin/python bench/search.py [--customers 100000] [--touchpoints 1000000] [--queries 300]
                                     [--pg postgresql://postgres@127.0.0.1:5432/touchpoint_bench_search] [--quick]

1. Reuses bench/log_latency.py's cached store (bench/.data/store-<customers>-<touchpoints>.db, built once by its
   builder) and adds contacts to a copy of it, bench/.data/search-<customers>-<touchpoints>.db (also cached), so
   aliases and contacts together number 3 per customer (300,000 for 100,000 customers), each contact with an
   e-mail, written as storage.customers.add_contact writes them.
2. With --pg, creates the named database (dropping a leftover one of that name first), migrates it, copies the
   SQLite store into it with COPY, and drops it again at the end.
3. On each store, in this process, as the `/customer` listener does before rendering: catches the search index
   up from the store (memory measured with tracemalloc, and as the RSS delta), then times per query a read
   transaction running `bot.customers.search.search_customers` (index candidates, confirmed and loaded from the store)
   for exact, prefix and one-typo queries of existing customers; beside it, in the same run, the floor: an exact
   indexed lookup `SELECT customer_id FROM customer_names WHERE workspace_id=? AND key=?`; and the full card
   (`bot.customers.card.customer_card`) of customers picked as people pick them (busy ones more often).
4. Prints a Markdown table and the goals: search p95 < 20 ms, card p95 < 50 ms, index memory < 100 MB.

Exit status 0 when every goal is met.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import shutil
import sqlite3
import statistics
import sys
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/search.py` from anywhere
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.log_latency import (  # noqa: E402
    DATA,
    FIRST_NAMES,
    SURNAMES,
    build_note,
    build_store,
    machine_busy,
    migrate_cached,
    store_path,
    typo,
)
from bot.config import normalize_database_url  # noqa: E402
from bot.customers.card import customer_card  # noqa: E402
from bot.customers.name_index import CustomerIndexes  # noqa: E402
from bot.customers.search import search_customers  # noqa: E402
from bot.text import fold, name_keys  # noqa: E402
from storage.db import create_store_engine, make_reader_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402

SEARCH_P95_GOAL_MS = 20.0
CARD_P95_GOAL_MS = 50.0
MEMORY_GOAL_MB = 100.0
NAMES_PER_CUSTOMER = 3  # aliases and contacts together
WORKSPACE_ID = 1
VIEWER = "U0B00001"
ROLES = ["Purchasing", "CEO", "Accounts payable", "Plant manager", "IT", "Logistics", "Quality", None, None]
# Tables copied to PostgreSQL: everything search and the card read (audit events are not read by either).
PG_TABLES = ("workspaces", "members", "customers", "customer_names", "contacts", "touchpoints", "follow_ups")


# ---------------------------------------------------------------------------------------------------------
# The store: log_latency's, plus contacts
# ---------------------------------------------------------------------------------------------------------


def search_store(customers: int, touchpoints: int) -> Path:
    """The cached search store, made from log_latency's cached store (built first if missing)."""
    path = DATA / f"search-{customers}-{touchpoints}.db"
    if path.exists():
        migrate_cached(path)
        print(f"using the cached store {path} ({path.stat().st_size / 1e6:,.0f} MB)")
        return path
    base = store_path(customers, touchpoints)
    if base.exists():
        migrate_cached(base)
        print(f"base store {base.name}: {build_note(base)}")
    else:
        build_store(base, customers, touchpoints)
    started = time.perf_counter()
    tmp = path.with_suffix(".building")
    shutil.copyfile(base, tmp)
    added = add_contacts(tmp, customers)
    tmp.replace(path)
    print(f"added {added:,} contacts in {time.perf_counter() - started:.1f}s: {path}")
    return path


def add_contacts(path: Path, customers: int) -> int:
    """Contacts with e-mails until aliases and contacts number NAMES_PER_CUSTOMER per customer."""
    rng = random.Random(5)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    aliases = db.execute(
        "SELECT count(*) FROM (SELECT DISTINCT customer_id, value FROM customer_names WHERE kind = 'alias')"
    ).fetchone()[0]
    wanted = max(0, NAMES_PER_CUSTOMER * customers - aliases)
    domains = dict(db.execute("SELECT id, domain FROM customers"))
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    contact_rows, name_rows = [], []
    for n in range(wanted):
        customer_id = rng.randrange(1, customers + 1)
        first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        name = f"{first} {last}"
        local = fold(f"{first}.{last}").replace(" ", ".")
        email = f"{local}{n}@{domains.get(customer_id) or 'mail.example.com'}"
        contact_rows.append((WORKSPACE_ID, customer_id, name, email, None, rng.choice(ROLES), stamp))
        for key in sorted(name_keys(name)):
            name_rows.append((WORKSPACE_ID, customer_id, "contact", name, key, 1))
        name_rows.append((WORKSPACE_ID, customer_id, "email", email, fold(email), 1))
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO contacts (workspace_id, customer_id, name, email, phone, role, created_at) VALUES (?,?,?,?,?,?,?)",
        contact_rows,
    )
    db.executemany(
        "INSERT INTO customer_names (workspace_id, customer_id, kind, value, key, active) VALUES (?,?,?,?,?,?)",
        name_rows,
    )
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()
    return wanted


# Rows are copied a batch at a time, each batch committed and, where the table's triggers change other rows,
# followed by a VACUUM, as autovacuum keeps up with a store that grew over months (it cleans a table once a
# fifth of its rows changed: 20,000 of 100,000 customers). Copied in one transaction, each touchpoint's triggers
# left a dead version of its customer (migration 0020) that nothing could remove while the copy ran: customers
# took 126 MB instead of 12, ix_customers_stage 97 MB instead of 7, and PostgreSQL read every customer from the
# table rather than the index.
_BATCH_ROWS = 20_000


def copy_to_postgres(sqlite_path: Path, url: str, tables: Sequence[str] = PG_TABLES) -> None:
    """A fresh, migrated database with the SQLite store's rows of `tables`, copied with COPY."""
    import psycopg

    parsed = make_url(url)
    name = parsed.database
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = create_store_engine(url)
    upgrade(engine)
    engine.dispose()
    started = time.perf_counter()
    source = sqlite3.connect(f"file:{sqlite_path}?mode=ro&immutable=1", uri=True)
    plain = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as target, psycopg.connect(plain, autocommit=True) as cleaner:
        triggered = {
            table
            for (table,) in target.execute(
                "SELECT DISTINCT event_object_table FROM information_schema.triggers"
                " WHERE trigger_schema = current_schema()"
            )
        }
        for table in tables:
            columns = [row[1] for row in source.execute(f"PRAGMA table_info({table})")]
            listed = ", ".join(f'"{c}"' for c in columns)
            rows = source.execute(f"SELECT {listed} FROM {table}")
            while batch := rows.fetchmany(_BATCH_ROWS):
                with target.cursor() as cursor, cursor.copy(f"COPY {table} ({listed}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
                target.commit()
                if table in triggered:
                    cleaner.execute("VACUUM")
            highest = f"(SELECT coalesce(max(id), 1) FROM {table})"
            target.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {highest})")
            target.commit()
            print(f"  copied {table} ({time.perf_counter() - started:.0f}s)", flush=True)
        target.execute("ANALYZE")
    source.close()


# ---------------------------------------------------------------------------------------------------------
# Queries as people type them
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    typed: str
    customer_id: int


def load_names(path: Path) -> list[tuple[int, str]]:
    db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        return list(db.execute("SELECT id, name FROM customers ORDER BY id"))
    finally:
        db.close()


def make_queries(rng: random.Random, names: Sequence[tuple[int, str]], count: int) -> dict[str, list[Query]]:
    picked = [names[int(len(names) * rng.random() ** 2)] for _ in range(count)]
    prefix = []
    for cid, name in picked:
        cut = max(4, int(len(name) * rng.uniform(0.5, 0.8)))
        prefix.append(Query(name[:cut].rstrip(), cid))
    return {
        "exact": [Query(name, cid) for cid, name in picked],
        "prefix": prefix,
        "one-typo": [Query(typo(rng, name), cid) for cid, name in picked],
    }


# ---------------------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Timing:
    label: str
    ms: list[float] = field(default_factory=list)
    first: int = 0  # the query's customer came first
    listed: int = 0  # the query's customer was among the results shown
    answered: int = 0

    def p(self, q: float) -> float:
        ordered = sorted(self.ms)
        return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Run:
    backend: str
    index_build_s: float
    index_keys: int
    traced_mb: float
    rss_mb: float
    timings: list[Timing]
    # Share of the machine's cores busy with other processes while measuring (the database server included).
    foreign_share: float


def measure(backend: str, url: str, queries: dict[str, list[Query]], card_ids: list[int]) -> Run:
    engine = create_store_engine(url, pool_size=2)
    readers = make_reader_factory(engine)
    indexes = CustomerIndexes()
    with readers.begin() as session:  # connect and warm the pool outside the measurement
        session.execute(text("SELECT 1"))
    gc.collect()
    rss_before = rss_mb()
    started = time.perf_counter()
    with readers.begin() as session:
        index = indexes.current(session, WORKSPACE_ID)
    build_s = time.perf_counter() - started
    gc.collect()
    rss_after = rss_mb()
    print(f"{backend}: index of {len(index):,} keys caught up in {build_s:.1f}s", flush=True)
    # The same catch-up again into a fresh index, traced: what the index itself keeps, without the transients.
    tracemalloc.start()
    with readers.begin() as session:
        traced_index = CustomerIndexes().current(session, WORKSPACE_ID)
    gc.collect()
    traced, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del traced_index
    gc.collect()

    now = datetime.now(UTC)
    floor = Timing("floor: exact indexed lookup")
    searches = {label: Timing(f"search: {label}") for label in queries}
    card = Timing("card: full card assembly")
    lookup = text("SELECT customer_id FROM customer_names WHERE workspace_id = :w AND key = :k")

    def look_up(query: Query) -> None:
        t0 = time.perf_counter()
        with readers.begin() as session:
            found = session.execute(lookup, {"w": WORKSPACE_ID, "k": fold(query.typed)}).scalars().all()
        floor.ms.append((time.perf_counter() - t0) * 1000)
        floor.first += query.customer_id in found
        floor.listed += query.customer_id in found

    def find(timing: Timing, query: Query) -> None:
        t0 = time.perf_counter()
        with readers.begin() as session:
            result = search_customers(session, indexes, WORKSPACE_ID, VIEWER, query.typed)
        timing.ms.append((time.perf_counter() - t0) * 1000)
        timing.first += bool(result.matches) and result.matches[0].customer_id == query.customer_id
        timing.listed += any(match.customer_id == query.customer_id for match in result.matches)

    def show(customer_id: int) -> None:
        t0 = time.perf_counter()
        with readers.begin() as session:
            shown = customer_card(session, WORKSPACE_ID, customer_id, now=now, tz=UTC)
        card.ms.append((time.perf_counter() - t0) * 1000)
        card.first += shown is not None
        card.listed += shown is not None

    # Interleaved, so whatever else the machine does meanwhile weighs on the floor and on search alike.
    busy_before, cpu_before, wall_before = machine_busy(), time.process_time(), time.perf_counter()
    for i, exact in enumerate(queries["exact"]):
        look_up(exact)
        for label, batch in queries.items():
            find(searches[label], batch[i])
        show(card_ids[i])
    wall = time.perf_counter() - wall_before
    foreign = (machine_busy() - busy_before - (time.process_time() - cpu_before)) / (wall * (os.cpu_count() or 1))
    timings = [floor, *searches.values(), card]
    engine.dispose()
    return Run(backend, build_s, len(index), traced / 1e6, rss_after - rss_before, timings, max(0.0, foreign))


def report(runs: list[Run], facts: list[str]) -> tuple[str, bool]:
    lines = ["", "## Performance: customer search", "", *[f"- {fact}" for fact in facts], ""]
    lines.append("| store | measured | n | p50 ms | p95 ms | max ms | meant customer first | ... or listed |")
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|")
    ok = True
    for run in runs:
        for t in run.timings:
            first, listed = f"{t.first / max(1, len(t.ms)):.0%}", f"{t.listed / max(1, len(t.ms)):.0%}"
            lines.append(
                f"| {run.backend} | {t.label} | {len(t.ms)} | {statistics.median(t.ms):.2f} | {t.p(95):.2f} "
                f"| {max(t.ms):.2f} | {first} | {listed} |"
            )
    lines.append("")
    for run in runs:
        searches = [t for t in run.timings if t.label.startswith("search")]
        worst = max(t.p(95) for t in searches)
        card = next(t for t in run.timings if t.label.startswith("card"))
        memory = run.traced_mb
        for good, line in (
            (worst < SEARCH_P95_GOAL_MS, f"search p95 (worst kind) {worst:.1f} ms (goal < {SEARCH_P95_GOAL_MS:.0f})"),
            (card.p(95) < CARD_P95_GOAL_MS, f"card p95 {card.p(95):.1f} ms (goal < {CARD_P95_GOAL_MS:.0f})"),
            (
                memory < MEMORY_GOAL_MB,
                f"index memory {run.traced_mb:.0f} MB (tracemalloc; process RSS grew {run.rss_mb:.0f} MB while "
                f"catching up, transients included), {run.index_keys:,} keys, caught up in {run.index_build_s:.1f}s "
                f"(goal < {MEMORY_GOAL_MB:.0f} MB)",
            ),
        ):
            ok &= good
            lines.append(f"- {run.backend}: {line}: {'met' if good else 'MISSED'}")
        lines.append(
            f"- {run.backend}: other processes used {run.foreign_share:.0%} of the machine while measuring"
            + (" (the PostgreSQL server's own work included)" if run.backend == "PostgreSQL" else "")
        )
    return "\n".join(lines), ok


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--touchpoints", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300, help="queries per kind, and cards")
    parser.add_argument("--pg", help="PostgreSQL URL of a database this benchmark may create and drop")
    parser.add_argument("--keep-pg", action="store_true", help="leave the PostgreSQL database for a look")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 10,000 customers, 100,000 touchpoints")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    if args.quick:
        args.customers, args.touchpoints = 10_000, 100_000
    if args.pg:
        args.pg = normalize_database_url(args.pg)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    path = search_store(args.customers, args.touchpoints)
    rng = random.Random(args.seed)
    names = load_names(path)
    queries = make_queries(rng, names, args.queries)
    card_ids = [names[int(len(names) * rng.random() ** 2)][0] for _ in range(args.queries)]
    scratch = DATA / f"search-run-{os.getpid()}.db"
    shutil.copyfile(path, scratch)  # WAL files and the like never touch the cached store
    runs = []
    try:
        runs.append(measure("SQLite", f"sqlite:///{scratch}", queries, card_ids))
        if args.pg:
            started = time.perf_counter()
            print(f"copying the store to PostgreSQL ({make_url(args.pg).database}) ...", flush=True)
            copy_to_postgres(path, args.pg)
            print(f"copied in {time.perf_counter() - started:.0f}s", flush=True)
            runs.append(measure("PostgreSQL", args.pg, queries, card_ids))
    finally:
        for leftover in (scratch, Path(f"{scratch}-wal"), Path(f"{scratch}-shm")):
            leftover.unlink(missing_ok=True)
        if args.pg and not args.keep_pg:
            parsed = make_url(args.pg)
            admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
            admin.dispose()
    db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    counts = {
        kind: n
        for kind, n in db.execute("SELECT kind, count(DISTINCT customer_id || value) FROM customer_names GROUP BY kind")
    }
    db.close()
    facts = [
        f"cpus: {os.cpu_count()}, python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}",
        f"store: {args.customers:,} customers ({counts.get('alias', 0):,} aliases, {counts.get('contact', 0):,} "
        f"contacts with e-mails, {counts.get('domain', 0):,} domains), {args.touchpoints:,} touchpoints",
        f"{args.queries} queries per kind, picked as people pick customers (busy ones more often); "
        "each timed as one read transaction, in this process, after the index is caught up",
    ]
    table, ok = report(runs, facts)
    print(table)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
