"""The report's speed on a large store (SQLite or PostgreSQL), beside a floor measured in the same run.

    .venv/bin/python bench/report.py [--store sqlite|postgres] [--runs 20] [--breakdown] [--quick]
                                     [--pg postgresql://postgres@127.0.0.1:5432/touchpoint_bench_report]

1. Reuses bench/log_latency.py's cached store (bench/.data/store-<customers>-<touchpoints>.db, built once by its
   builder: 100,000 customers, 1,000,000 touchpoints over two years, 8 % of them with a follow-up) and adds to a
   copy of it, bench/.data/report-<customers>-<touchpoints>.db (also cached), what a report reads beyond that:
   every customer's walk through the default journey stages (lead, prospect, onboarding, active, at-risk,
   churned) as stage changes, its current stage the walk's last, and follow-ups closed late or left open past
   their grace as well as on time.
2. With --store postgres, the same rows are copied with COPY into the named database, kept between runs: a
   rerun finds it holding the cached store's rows and brings it to the current migration; then VACUUM ANALYZE,
   as autovacuum would have run on a store that grew over months.
3. In this process, each timed as `/report`'s listener runs it: `build_report` from the store's session factory,
   its parts read `REPORT_WORKERS` (two) at once, each in a read transaction of its own, for the
   last 30, 90 and 365 days, ending today (each with the period before it, as the report compares),
   for the whole workspace and for its busiest department; interleaved with the floor, one
   `SELECT count(*)` of the same period's touchpoints (the same department for the filtered one); and the full
   `/report` of the last 30 days: the report, its summary blocks, the chart's data and the PNG drawn. The store
   keeps the limits `/report` reads under (`Runtime.slow_readers`: `storage.db.BACKGROUND_TIMEOUTS`): a run
   they cancel is counted, not timed.
4. Prints a Markdown table and the goals: 30-day report p95 < 300 ms, a year's < 2 s, full `/report` p95 < 2 s.
   `--breakdown` adds the time each query of `storage.reports` took, summed per report (over both of the parts
   running at once: the sum is more than the report's own time).

Exit status 0 when every goal is met.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import shutil
import sqlite3
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/report.py` from anywhere
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from bench.log_latency import (  # noqa: E402
    DATA,
    DEFAULT_TZ,
    build_note,
    build_store,
    cpu_seconds,
    machine_busy,
    migrate_cached,
    percentile,
    sql_time,
    store_path,
)
from bench.search import PG_TABLES, copy_to_postgres  # noqa: E402
from bot.blocks import reports as report_blocks  # noqa: E402
from bot.config import normalize_database_url  # noqa: E402
from bot.customers.curation import DEFAULT_STAGES  # noqa: E402
from bot.reports.asked import Asked  # noqa: E402
from bot.reports.chart import render_chart  # noqa: E402
from bot.reports.chart_data import chart_spec  # noqa: E402
from bot.reports.measures import REPORT_WORKERS, build_report  # noqa: E402
from bot.reports.periods import Filter, Period, read_period  # noqa: E402
from storage import day_counts  # noqa: E402
from storage import reports as report_store  # noqa: E402
from storage.db import (  # noqa: E402
    BACKGROUND_TIMEOUTS,
    COMMAND_TIMEOUTS,
    create_store_engine,
    make_reader_factory,
    make_session_factory,
)
from storage.migrate import is_current, upgrade  # noqa: E402
from storage.models import Touchpoint  # noqa: E402

THIRTY_DAYS_P95_GOAL_MS = 300.0
YEAR_P95_GOAL_MS = 2000.0
FULL_REPORT_P95_GOAL_MS = 2000.0
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/touchpoint_bench_report"
WORKSPACE_ID = 1
QUIET_AFTER_DAYS = 30  # bot.config's default
PERIODS = ("last 30 days", "last 90 days", "last 365 days")  # ending today: the busiest days of the store
# Stage changes and follow-ups go to PostgreSQL beside what the search benchmark copies.
REPORT_TABLES = (*PG_TABLES, "stage_changes")


# ---------------------------------------------------------------------------------------------------------
# The store: log_latency's, plus stage changes and follow-ups kept late or not at all
# ---------------------------------------------------------------------------------------------------------


def report_store_path(customers: int, touchpoints: int) -> Path:
    """The cached report store, made from log_latency's cached store (built first if missing)."""
    path = DATA / f"report-{customers}-{touchpoints}.db"
    if path.exists():
        migrate_cached(path)
        folded(f"sqlite:///{path}")
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
    changes = add_journeys(tmp)
    folded(f"sqlite:///{tmp}")
    tmp.replace(path)
    print(f"added {changes:,} stage changes and follow-up outcomes in {time.perf_counter() - started:.1f}s: {path}")
    return path


def folded(url: str) -> None:
    """The touchpoints' day counts brought up to date, as the scheduler's worker keeps them: the builder's inserts
    (and COPY into PostgreSQL) went through the store's triggers like any other write."""
    engine = create_store_engine(url, COMMAND_TIMEOUTS)
    try:
        started = time.perf_counter()
        moved = day_counts.fold_all(make_session_factory(engine))
    finally:
        engine.dispose()
    if moved:
        print(f"folded {moved:,} touchpoint count changes into the day counts in {time.perf_counter() - started:.1f}s")


def _stored(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)


def add_journeys(path: Path) -> int:
    """Every customer's moves through DEFAULT_STAGES after it was created, and late and overdue follow-ups."""
    rng = random.Random(13)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    now = _stored(db.execute("SELECT max(occurred_at) FROM touchpoints").fetchone()[0])
    stages = list(DEFAULT_STAGES)
    change_rows, stage_of = [], []
    for customer_id, created, owner in db.execute("SELECT id, created_at, owner_user_id FROM customers"):
        at = _stored(created)
        stage: str | None = None
        # Most customers stop early in the journey; some reach active, some of those turn at-risk and churn.
        for step in range(rng.choice((0, 1, 1, 2, 2, 3, 4, 4, 5, 6))):
            at += timedelta(days=rng.expovariate(1 / 60))
            if at >= now:
                break
            if step == 5 and stage == "at-risk" and rng.random() < 0.3:
                target = "active"  # won back
            else:
                target = stages[min(step, len(stages) - 1)]
            change_rows.append((WORKSPACE_ID, customer_id, stage, target, owner, sql_time(at)))
            stage = target
        stage_of.append((stage, customer_id))
    follow_up_rows = []
    for follow_up_id, due in db.execute(
        "SELECT id, due_at FROM follow_ups WHERE status != 'cancelled' AND due_at < ?", (sql_time(now),)
    ):
        due_at = _stored(due)
        roll = rng.random()
        if roll < 0.08:
            follow_up_rows.append(("open", None, follow_up_id))  # never closed: overdue
        else:
            hours = rng.uniform(-48, 8) if roll < 0.75 else rng.expovariate(1 / 60)  # on time, or late by a spread
            closed = min(due_at + timedelta(hours=hours), now)
            follow_up_rows.append(("done", sql_time(closed), follow_up_id))
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO stage_changes (workspace_id, customer_id, from_stage, to_stage, changed_by, changed_at)"
        " VALUES (?,?,?,?,?,?)",
        change_rows,
    )
    db.executemany("UPDATE customers SET stage = ? WHERE id = ?", stage_of)
    db.executemany("UPDATE follow_ups SET status = ?, completed_at = ? WHERE id = ?", follow_up_rows)
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()
    return len(change_rows) + len(follow_up_rows)


def postgres_store(sqlite_path: Path, url: str) -> None:
    """The named database holding the cached store's rows: kept from an earlier run when it does, else copied."""
    source = sqlite3.connect(f"file:{sqlite_path}?mode=ro&immutable=1", uri=True)
    wanted = {table: source.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in REPORT_TABLES}
    source.close()
    if _holds(url, wanted):
        engine = create_store_engine(url, COMMAND_TIMEOUTS)  # building an index takes longer than a request may
        try:
            if not is_current(engine):
                started = time.perf_counter()
                upgrade(engine)
                with engine.connect() as conn:
                    conn.execute(text("ANALYZE"))
                    conn.commit()
                print(f"migrated the kept PostgreSQL store in {time.perf_counter() - started:.1f}s")
        finally:
            engine.dispose()
        print(f"using the kept PostgreSQL store {make_url(url).database}")
    else:
        started = time.perf_counter()
        print(f"copying the store to PostgreSQL ({make_url(url).database}) ...", flush=True)
        copy_to_postgres(sqlite_path, url, REPORT_TABLES)
        print(f"copied in {time.perf_counter() - started:.0f}s", flush=True)
    folded(url)
    vacuumed(url)


def vacuumed(url: str) -> None:
    """VACUUM ANALYZE, as autovacuum would have done to a store that grew over months: rows just copied are not
    yet marked all-visible, and every index-only scan would read the table as well."""
    started = time.perf_counter()
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("VACUUM (ANALYZE)"))
    finally:
        engine.dispose()
    print(f"vacuumed in {time.perf_counter() - started:.1f}s", flush=True)


def _holds(url: str, wanted: dict[str, int]) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return all(conn.scalar(text(f"SELECT count(*) FROM {table}")) == n for table, n in wanted.items())
    except Exception:  # no such database, or no such table: copy it afresh
        return False
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    words: str
    period: Period
    chosen: Filter

    @property
    def label(self) -> str:
        return f"{self.period.label or self.words}, {self.chosen.describe()}"


@dataclass
class Timing:
    case: Case
    measured: str
    ms: list[float] = field(default_factory=list)
    floor_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)  # CPU this process and the database server spent on it
    queries_ms: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    timeouts: int = 0  # runs a statement of which the store cancelled (statement_timeout, as when serving)


@dataclass
class Run:
    backend: str
    timings: list[Timing]
    foreign_share: float  # share of the machine's cores other processes used while measuring


@contextmanager
def timed_queries(into: dict[str, float] | None) -> Iterator[None]:
    """Each public query of storage.reports timed into `into` (summed per name) while inside; nothing if None."""
    if into is None:
        yield
        return
    originals = {
        name: getattr(report_store, name)
        for name in dir(report_store)
        if not name.startswith("_")
        and callable(getattr(report_store, name))
        and getattr(getattr(report_store, name), "__module__", "") == report_store.__name__
        and not isinstance(getattr(report_store, name), type)
    }

    def wrapped(name: str, original: Callable) -> Callable:
        def call(*args: object, **kwargs: object) -> object:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                into[name] += (time.perf_counter() - started) * 1000

        return call

    for name, original in originals.items():
        setattr(report_store, name, wrapped(name, original))
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(report_store, name, original)


def make_cases(now: datetime, tz: ZoneInfo, department: str) -> list[Case]:
    cases = []
    for words in PERIODS:
        period, _ = read_period(words, now, tz)
        cases.append(Case(words, period, Filter()))
        cases.append(Case(words, period, Filter(department=department)))
    return cases


def measure(backend: str, url: str, cases: Sequence[Case], runs: int, now: datetime, breakdown: bool) -> Run:
    engine = create_store_engine(url, BACKGROUND_TIMEOUTS, pool_size=2)  # as Runtime.slow_readers reads
    readers = make_reader_factory(engine)
    # As a served worker does once it has loaded the app (bot.cli.serving.warmed_app): what is loaded by now
    # lives as long as the process, and a full collection walking it again held the GIL for about 25 ms, in
    # about one report of ten. What the report path loads later (the plotting library) is left unfrozen there
    # and here.
    gc.collect()
    gc.freeze()

    def floor_count(case: Case) -> int:
        where = [
            Touchpoint.workspace_id == WORKSPACE_ID,
            Touchpoint.occurred_at >= case.period.start,
            Touchpoint.occurred_at < case.period.end,
            Touchpoint.deleted_at.is_(None),
        ]
        if case.chosen.department is not None:
            where.append(Touchpoint.author_department == case.chosen.department)
        with readers.begin() as session:
            return session.scalar(select(func.count()).select_from(Touchpoint).where(*where)) or 0

    def report_only(case: Case, queries: dict[str, float] | None) -> None:
        with timed_queries(queries):
            build_report(readers, WORKSPACE_ID, case.period, case.chosen, now=now, quiet_after_days=QUIET_AFTER_DAYS)

    def full_report(case: Case, queries: dict[str, float] | None) -> None:
        """What `/report`'s listener does after the acknowledgement: report, summary, chart data, PNG."""
        with timed_queries(queries):
            made = build_report(
                readers, WORKSPACE_ID, case.period, case.chosen, now=now, quiet_after_days=QUIET_AFTER_DAYS
            )
            report_blocks.report_summary(made, Asked(case.words, now))
            with readers.begin() as session:
                spec = chart_spec(session, WORKSPACE_ID, made)
        render_chart(spec)

    timings = [Timing(case, "report") for case in cases]
    full = [Timing(case, "full /report") for case in cases if case.words == PERIODS[0]]
    kinds: list[tuple[Timing, Callable[[Case, dict[str, float] | None], None]]] = [
        *((timing, report_only) for timing in timings),
        *((timing, full_report) for timing in full),
    ]

    server_pids: list[int] = []  # the PostgreSQL backends of this engine's pool, on this machine

    def cpu_s() -> float:
        return time.process_time() + sum(cpu_seconds(pid) for pid in server_pids)

    def attempt(timing: Timing, run_it: Callable[[Case, dict[str, float] | None], None], timed: bool) -> None:
        t0, cpu0 = time.perf_counter(), cpu_s()
        try:
            run_it(timing.case, timing.queries_ms if breakdown and timed else None)
        except OperationalError as error:  # the statement timeout: what /report would meet too
            if not timed:
                return
            timing.timeouts += 1
            print(f"  {timing.case.label}, {timing.measured}: {str(error.orig).splitlines()[0]}", flush=True)
            return
        if timed:
            timing.ms.append((time.perf_counter() - t0) * 1000)
            timing.cpu_ms.append((cpu_s() - cpu0) * 1000)

    for timing, run_it in kinds:  # once untimed: connections, caches, the plotting library's import
        floor_count(timing.case)
        attempt(timing, run_it, False)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            server_pids.extend(
                conn.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).all()
            )
    print(f"{backend}: warmed up; measuring {runs} runs of {len(kinds)} kinds", flush=True)
    busy_before, cpu_before, wall_before = machine_busy(), time.process_time(), time.perf_counter()
    for n in range(runs):  # interleaved, so whatever else the machine does weighs on floor and report alike
        for timing, run_it in kinds:
            t0 = time.perf_counter()
            floor_count(timing.case)
            timing.floor_ms.append((time.perf_counter() - t0) * 1000)
            attempt(timing, run_it, True)
        print(f"  run {n + 1}/{runs} done ({time.perf_counter() - wall_before:.0f}s)", flush=True)
    wall = time.perf_counter() - wall_before
    foreign = (machine_busy() - busy_before - (time.process_time() - cpu_before)) / (wall * (os.cpu_count() or 1))
    engine.dispose()
    return Run(backend, [*timings, *full], max(0.0, foreign))


def table(run: Run, facts: Sequence[str], breakdown: bool) -> tuple[str, bool]:
    lines = ["", f"## Performance: report ({run.backend})", "", *[f"- {fact}" for fact in facts], ""]
    lines.append(
        "| store | period, filter | measured | n | timed out | p50 ms | p95 ms | max ms | CPU p50 ms | CPU p95 ms "
        "| floor p50 ms | floor p95 ms |"
    )
    lines.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for t in run.timings:
        lines.append(
            f"| {run.backend} | {t.case.label} | {t.measured} | {len(t.ms)} | {t.timeouts} "
            f"| {percentile(t.ms, 50):.0f} | {percentile(t.ms, 95):.0f} | {max(t.ms, default=float('nan')):.0f} "
            f"| {percentile(t.cpu_ms, 50):.0f} | {percentile(t.cpu_ms, 95):.0f} "
            f"| {percentile(t.floor_ms, 50):.1f} | {percentile(t.floor_ms, 95):.1f} |"
        )
    lines.append("")
    ok = True
    for t in run.timings:
        p95 = percentile(t.ms, 95)
        if t.measured == "full /report":
            goal, what = FULL_REPORT_P95_GOAL_MS, "full /report"
        elif t.case.words == PERIODS[0]:
            goal, what = THIRTY_DAYS_P95_GOAL_MS, "report"
        elif t.case.words == PERIODS[-1]:
            goal, what = YEAR_P95_GOAL_MS, "report"
        else:
            continue
        good = p95 < goal and not t.timeouts
        ok &= good
        cancelled = (
            f", {t.timeouts} of {len(t.ms) + t.timeouts} cancelled by the statement timeout" if t.timeouts else ""
        )
        lines.append(
            f"- {run.backend}: {what} of {t.case.label}: p95 {p95:.0f} ms{cancelled} (goal < {goal:.0f}): "
            f"{'met' if good else 'MISSED'}"
        )
    lines.append(
        f"- {run.backend}: other processes used {run.foreign_share:.0%} of the machine while measuring"
        + (" (the PostgreSQL server's own work included)" if run.backend == "PostgreSQL" else "")
    )
    if breakdown:
        lines.extend(["", "| period, filter | measured | query | ms per report |", "|---|---|---|---:|"])
        for t in run.timings:
            for name, total in sorted(t.queries_ms.items(), key=lambda item: -item[1]):
                lines.append(f"| {t.case.label} | {t.measured} | {name} | {total / max(1, len(t.ms)):.1f} |")
    return "\n".join(lines), ok


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL URL of a database this benchmark may fill")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--touchpoints", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20, help="timed runs of each report")
    parser.add_argument("--breakdown", action="store_true", help="time each query of storage.reports too")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 10,000 customers, 100,000 touchpoints")
    args = parser.parse_args(argv)
    if args.quick:
        args.customers, args.touchpoints = 10_000, 100_000
    args.pg = normalize_database_url(args.pg)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    path = report_store_path(args.customers, args.touchpoints)
    db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    latest = _stored(db.execute("SELECT max(occurred_at) FROM touchpoints").fetchone()[0])
    department, _ = db.execute(
        "SELECT author_department, count(*) FROM touchpoints WHERE author_department IS NOT NULL"
        " GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
    ).fetchone()
    counts = {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in REPORT_TABLES}
    db.close()
    now = latest + timedelta(hours=1)  # the store's own "now": its touchpoints end just before it
    cases = make_cases(now, ZoneInfo(DEFAULT_TZ), department)
    scratch = None
    if args.store == "sqlite":
        scratch = DATA / f"report-run-{os.getpid()}.db"
        shutil.copyfile(path, scratch)  # WAL files and the like never touch the cached store
        backend, url = "SQLite", f"sqlite:///{scratch}"
    else:
        postgres_store(path, args.pg)
        backend, url = "PostgreSQL", args.pg
    try:
        run = measure(backend, url, cases, args.runs, now, args.breakdown)
    finally:
        if scratch is not None:
            for leftover in (scratch, Path(f"{scratch}-wal"), Path(f"{scratch}-shm")):
                leftover.unlink(missing_ok=True)
    facts = [
        f"cpus: {os.cpu_count()}, python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}",
        f"store: {counts['customers']:,} customers, {counts['touchpoints']:,} touchpoints, "
        f"{counts['follow_ups']:,} follow-ups, {counts['stage_changes']:,} stage changes; now = {now:%Y-%m-%d %H:%M} "
        f"UTC, periods in {DEFAULT_TZ}",
        f"each report is `build_report` (the period and the one before it), its parts read {REPORT_WORKERS} at once "
        "on connections of their own, in this process; the floor is `SELECT count(*)` of the period's touchpoints "
        "(the department's when filtered); CPU is this process's and (PostgreSQL) its server backends' during the "
        "run: what the report costs, which reading parts at once does not lower",
    ]
    shown, ok = table(run, facts, args.breakdown)
    print(shown)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
