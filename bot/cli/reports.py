"""`touchpoint report`: the measures of a period in a terminal, as a table, JSON or CSV.

What the measures are lives in `bot.reports` (periods and filters in `bot.reports.periods`, the figures in
`bot.reports.measures`); here are the options, the store (opened read-only, as `export` does) and what is
printed. A bad option is one line on standard error and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.cli.common import CommandError, one_line_errors, required_workspace, with_store
from bot.config import Settings
from bot.customers.name_index import CustomerIndexes
from bot.reports.chart_data import chart_spec
from bot.reports.measures import build_report, report_csv, report_json, report_text
from bot.reports.periods import (
    Filter,
    Known,
    Period,
    ReportWordsError,
    customer_finder,
    known_department,
    known_tag,
    period_between,
    person_filter,
)
from bot.runtime import system_clock
from storage import reports as report_store
from storage.db import make_reader_factory

if TYPE_CHECKING:
    from bot.reports.chart import ChartSpec

# Who the customer matcher searches as: only an empty query depends on it, and --customer is never empty.
VIEWER = "U0REPORT"


@one_line_errors
def report(args: argparse.Namespace, settings: Settings) -> int:
    tz = settings.default_tz
    now = _instant(args.now, tz) if args.now else system_clock()
    since = _day(args.since, "--since") if args.since else None
    until = _day(args.until, "--until") if args.until else None
    try:
        period = period_between(since, until, now, tz)
    except ReportWordsError as error:
        raise CommandError(str(error).replace("`", "")) from None
    return with_store(settings, lambda engine: _report(engine, args, settings, period, now), read_only=True)


def _report(engine: Engine, args: argparse.Namespace, settings: Settings, period: Period, now: datetime) -> int:
    readers = make_reader_factory(engine)
    with readers() as session:
        workspace_id = required_workspace(session, args.team).id
        try:
            chosen = _filter(session, workspace_id, args)
        except ReportWordsError as error:
            raise CommandError(str(error).replace("`", "")) from None
    made = build_report(readers, workspace_id, period, chosen, now=now, quiet_after_days=settings.quiet_after_days)
    if args.chart:
        with readers() as session:
            spec = chart_spec(session, workspace_id, made)
        _write_chart(args.chart, spec)
    if args.format == "json":
        print(json.dumps(report_json(made), ensure_ascii=False, indent=2))
    elif args.format == "csv":
        sys.stdout.write(report_csv(made))
    else:
        sys.stdout.write(report_text(made))
    return 0


def _write_chart(path: str, spec: ChartSpec) -> None:
    """The chart `/report` uploads, as a PNG file; matplotlib is loaded only here (bot.reports.chart)."""
    from bot.reports.chart import render_chart

    picture = render_chart(spec)
    try:
        Path(path).write_bytes(picture)
    except OSError as error:
        raise CommandError(f"--chart: cannot write {path} ({error.strerror or error})") from None
    print(f"chart written to {Path(path).resolve()}", file=sys.stderr)


def _filter(session: Session, workspace_id: int, args: argparse.Namespace) -> Filter:
    """The filter options, each checked against what the workspace knows (only those given are looked up)."""
    chosen: dict[str, Any] = {}
    if args.department:
        known = Known(departments=report_store.known_departments(session, workspace_id))
        chosen["department"] = known_department(args.department, known)
    if args.user:
        known = Known(people=report_store.known_people(session, workspace_id))
        chosen.update(person_filter(args.user, known))
    if args.tag:
        known = Known(tags=report_store.known_tags(session, workspace_id))
        chosen["tag"] = known_tag(args.tag, known)
    if args.customer:
        found = customer_finder(session, CustomerIndexes(), workspace_id, VIEWER)(args.customer)
        if found.customer_id is None:
            nearest = f"; similar names: {', '.join(found.nearest[:8])}" if found.nearest else ""
            raise CommandError(f"--customer: no customer is called {args.customer!r}{nearest}")
        chosen.update(customer_id=found.customer_id, customer_name=found.name)
    return Filter(**chosen)


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option}: {value!r} is not a day such as 2026-10-01") from None


def _instant(value: str, tz: ZoneInfo) -> datetime:
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--now: {value!r} is not an ISO 8601 time such as 2026-12-02T09:00:00+01:00") from None
    return instant if instant.tzinfo else instant.replace(tzinfo=tz)
