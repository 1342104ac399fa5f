"""`touchpoint import customers|touchpoints`, `touchpoint export touchpoints|customers` and `touchpoint parse`:
the command lines.

What they do lives beside its capability: reading customer files in `bot.customers.imports`, touchpoint history
files in `bot.capture.history` (saved as the HTTP API saves a batch, `bot.api.intake.save_batch`), customer
records in `bot.customers.exports`, touchpoint export and parse records in `bot.capture.records`. Here are the
arguments, the store and what is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.api.intake import MAX_SOURCE_SYSTEM, SOURCE_SYSTEM_NAME, Invalid, save_batch
from bot.api.lookups import Lookups
from bot.api.tokens import Caller
from bot.capture.history import HistoryFile, HistoryFileError, column_of, keyed, read_history
from bot.capture.parsing import NameLookup, ParsedLine, parse_log_line
from bot.capture.records import as_slack_sends, parse_result, write_export
from bot.cli.common import CommandError, one_line_errors, required_workspace, resolve_workspace, with_store
from bot.cli.progress import Progress
from bot.config import Settings
from bot.customers import imports
from bot.customers.curation import stages_for
from bot.customers.exports import write_customers
from bot.customers.matching import NameIndex
from bot.customers.name_index import CustomerIndexes
from bot.runtime import system_clock
from bot.text import plural
from storage import curation as curation_store
from storage import customers as customer_store
from storage import touchpoints as touchpoint_store
from storage.db import make_reader_factory, make_session_factory

# An import that met a bad row still imports the others, and says so with this status: a script (or cron) that
# checks only the status learns that some of its file did not arrive, as `touchpoint nudge` tells an undelivered one.
EXIT_SOME_ROWS_BAD = 1


@one_line_errors
def import_customers(args: argparse.Namespace, settings: Settings) -> int:
    try:
        text = imports.read_text(Path(args.file))
        layout = imports.columns_of(text, args.file)
    except imports.CustomerFileError as error:
        raise CommandError(str(error)) from None
    return with_store(settings, lambda engine: _import(engine, args, text, layout))


def _import(engine: Engine, args: argparse.Namespace, text: str, layout: imports.Layout) -> int:
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        workspace_id = required_workspace(session, args.team, create=True).id
        stages = stages_for(session, workspace_id)
        members = curation_store.member_ids_by_name(session, workspace_id)

    # Rows skipped while reading and fields left out while importing, told in line order after each chunk.
    problems: list[tuple[int, str]] = []

    def bad_row(line: int, problem: str) -> None:
        problems.append((line, f"{problem}; row skipped"))

    def note(line: int, problem: str) -> None:
        problems.append((line, problem))

    importer = imports.CustomerImport(
        workspace_id, source=os.path.basename(args.file), now=system_clock(), stages=stages, members=members, note=note
    )
    rows = imports.customer_lines(text, layout, bad_row)
    for chunk in imports.chunks(rows, imports.CHUNK_ROWS):
        with sessions.begin() as session:
            importer.import_chunk(session, chunk)
        for line, problem in sorted(problems, key=lambda item: item[0]):
            print(f"{args.file}:{line}: {problem}", file=sys.stderr)
        problems.clear()
    print(import_summary(importer.counts))
    return EXIT_SOME_ROWS_BAD if importer.counts["skipped"] else 0


def import_summary(counts: dict[str, int]) -> str:
    """What an import did, in one line; a re-import of the same file says it changed nothing."""
    skipped = f"skipped {plural(counts['skipped'], 'bad row')}"
    if not counts["new"] and not counts["updated"]:
        already = plural(counts["unchanged"] + counts["merged"], "row")
        return f"nothing changed: {already} already in the store as the file has them, {skipped}"
    merged = f" ({plural(counts['merged'], 'row')} about a customer an earlier row named)" if counts["merged"] else ""
    return (
        f"imported {plural(counts['new'], 'new customer')}{merged}, updated {counts['updated']}, "
        f"unchanged {counts['unchanged']}, {skipped}"
    )


# ---------------------------------------------------------------------------------------------------------
# import touchpoints
# ---------------------------------------------------------------------------------------------------------

HISTORY_BATCH_ROWS = 1000  # rows per transaction: a crash loses little, and a re-run finds what was committed
# The store's statistics of the touchpoints are refreshed each time the import has added as many rows again as
# there were at the last refresh (from this many on): a few times in a long import, never for a short one.
REFRESH_STATISTICS_FROM = 1000
SHOWN_BAD_ROWS = 20  # told one by one; past these, only counted


@one_line_errors
def import_touchpoints(args: argparse.Namespace, settings: Settings) -> int:
    source = args.source
    if len(source) > MAX_SOURCE_SYSTEM or not SOURCE_SYSTEM_NAME.fullmatch(source):
        raise CommandError(
            f"--source {source!r}: use up to {MAX_SOURCE_SYSTEM} letters, digits, '.', '_' or '-', such as hubspot"
        )
    try:
        history = read_history(Path(args.file))
    except HistoryFileError as error:
        raise CommandError(str(error)) from None
    return with_store(settings, lambda engine: _import_history(engine, args, history))


def _import_history(engine: Engine, args: argparse.Namespace, history: HistoryFile) -> int:
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        workspace_id = required_workspace(session, args.team, create=True).id
    # As a token's name does for the API: the source_system of records naming none, and who logged them.
    caller = Caller(workspace_id=workspace_id, token_id=0, token_name=args.source)
    progress = Progress(f"importing {os.path.basename(args.file)}", history.lines)
    bad = _BadRows(args.file, progress)
    if history.ignored_columns:
        bad.say(f"ignoring columns that are no touchpoint field: {', '.join(history.ignored_columns)}")
    lookups = Lookups(CustomerIndexes(), workspace_id, people={})
    made = existing = 0
    refresh_at = REFRESH_STATISTICS_FROM
    for chunk in imports.chunks(history.rows, HISTORY_BATCH_ROWS):
        readable = [row for row in chunk if row.record is not None]
        records = [("", _with_options(keyed(row.record), args)) for row in readable if row.record is not None]
        with sessions.begin() as session:
            outcomes = save_batch(
                session, lookups.indexes, caller, records, now=system_clock(), source="import", lookups=lookups
            )
        problems = {row.line: row.problem for row in chunk if row.problem is not None}
        for row, outcome in zip(readable, outcomes, strict=True):
            if isinstance(outcome, Invalid):
                field = column_of if history.csv else str
                problems[row.line] = "; ".join(f"{field(e.field)}: {e.message}" for e in outcome.errors)
            elif outcome.created:
                made += 1
            else:
                existing += 1
        for line in sorted(problems):
            bad.row(line, problems[line])
        if made >= refresh_at:  # else looking up what earlier batches sent slows down as the import goes on
            with sessions.begin() as session:
                touchpoint_store.refresh_touchpoint_statistics(session)
            refresh_at = 2 * made
        progress.update(chunk[-1].line)
    progress.done()
    bad.finish()
    print(f"Imported {plural(made, 'touchpoint')} ({existing} already there, {plural(bad.count, 'bad row')})")
    return EXIT_SOME_ROWS_BAD if bad.count else 0


def _with_options(record: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """--create-customers: a customer named by name is created when missing, unless the record says not to."""
    customer = record.get("customer")
    if args.create_customers and isinstance(customer, dict) and "name" in customer:
        return {**record, "customer": {"create_if_missing": True, **customer}}
    return record


class _BadRows:
    """Bad rows told on standard error by line, the first SHOWN_BAD_ROWS of them, and how many more there were."""

    def __init__(self, filename: str, progress: Progress) -> None:
        self.filename, self.progress, self.count = filename, progress, 0

    def row(self, line: int, problem: str) -> None:
        self.count += 1
        if self.count <= SHOWN_BAD_ROWS:
            self._print(f"{self.filename}:{line}: {problem}")

    def say(self, message: str) -> None:
        self._print(f"{self.filename}: {message}")

    def _print(self, line: str) -> None:
        self.progress.clear()
        print(line, file=sys.stderr)

    def finish(self) -> None:
        if self.count > SHOWN_BAD_ROWS:
            self.say(f"… and {plural(self.count - SHOWN_BAD_ROWS, 'more bad row')}, not shown")


# ---------------------------------------------------------------------------------------------------------
# export touchpoints
# ---------------------------------------------------------------------------------------------------------


@one_line_errors
def export_touchpoints(args: argparse.Namespace, settings: Settings) -> int:
    def write(out: TextIO, session: Session, workspace_id: int) -> int:
        return write_export(out, args.format, touchpoint_store.touchpoints_for_export(session, workspace_id))

    return with_store(settings, lambda engine: _export(engine, args, write, "touchpoint"), read_only=True)


@one_line_errors
def export_customers(args: argparse.Namespace, settings: Settings) -> int:
    def write(out: TextIO, session: Session, workspace_id: int) -> int:
        return write_customers(out, args.format, session, workspace_id)

    return with_store(settings, lambda engine: _export(engine, args, write, "customer"), read_only=True)


Writer = Callable[[TextIO, Session, int], int]


def _export(engine: Engine, args: argparse.Namespace, write: Writer, noun: str) -> int:
    readers = make_reader_factory(engine)
    with readers.begin() as session:
        workspace_id = required_workspace(session, args.team).id
    if not args.output:
        with readers.begin() as session:
            write(sys.stdout, session, workspace_id)
        return 0
    # Written beside the target and moved into place, so a failed export never leaves half a file behind.
    partial = f"{args.output}.partial"
    try:
        with open(partial, "w", encoding="utf-8", newline="") as out, readers.begin() as session:
            count = write(out, session, workspace_id)
        os.replace(partial, args.output)
    except OSError as error:
        raise CommandError(f"cannot write {args.output}: {error.strerror or error}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(partial)
    print(f"exported {plural(count, noun)} to {args.output}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------------------------------------
# parse
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParseRequest:
    text: str
    now: datetime
    tz: ZoneInfo
    user: str


@one_line_errors
def parse_lines(args: argparse.Namespace, settings: Settings) -> int:
    tz = _zone_option(args.tz, "--tz") if args.tz else settings.default_tz
    now = _instant_option(args.now, tz, "--now") if args.now else system_clock()
    for value, option in ((args.text, "the line"), (args.user, "--user")):
        try:
            _check_unicode(value, option)
        except ValueError as error:
            raise CommandError(str(error)) from None
    defaults = ParseRequest(text=args.text, now=now, tz=tz, user=args.user)
    return with_store(settings, lambda engine: _parse(engine, args.team, defaults), read_only=True)


def _parse(engine: Engine, team: str | None, defaults: ParseRequest) -> int:
    readers = make_reader_factory(engine)
    with readers() as session:
        workspace = resolve_workspace(session, team)
        workspace_id = workspace.id if workspace else None
    indexes = CustomerIndexes()
    if defaults.text != "-":
        _print_json(_parse_one(readers, indexes, workspace_id, defaults))
        return 0
    if isinstance(sys.stdin, io.TextIOWrapper):
        # Bytes that are not UTF-8 become lone surrogates, which the line's check then reports, instead of
        # a UnicodeDecodeError out of the loop that would end the batch at the first such line.
        sys.stdin.reconfigure(errors="surrogateescape")
    for number, raw in enumerate(sys.stdin, start=1):
        if raw.strip():
            _print_json(_parse_batch_line(readers, indexes, workspace_id, raw, number, defaults))
    return 0


def _parse_batch_line(
    readers: Callable[[], Session],
    indexes: CustomerIndexes,
    workspace_id: int | None,
    raw: str,
    number: int,
    defaults: ParseRequest,
) -> dict[str, Any]:
    """The result for one line of a batch, or an error object for it: no line may end the run."""
    try:
        request = _request_from_json(raw, defaults)
    except ValueError as error:
        return {"error": str(error), "line": number}
    try:
        return _parse_one(readers, indexes, workspace_id, request)
    except Exception as error:  # a bug, found by one odd line: report it there and go on with the rest
        return {"error": f"could not parse this line ({type(error).__name__}: {error})", "line": number}


def _parse_one(
    readers: Callable[[], Session], indexes: CustomerIndexes, workspace_id: int | None, request: ParseRequest
) -> dict[str, Any]:
    """One line read against the store in a session that is rolled back, never committed.

    Without a workspace there is nothing to match against, and the workspace is not created either.
    """
    if workspace_id is None:
        return parse_result(_parsed(request, NameIndex()), {}, request.tz)
    with readers() as session:
        parsed = _parsed(request, indexes.current(session, workspace_id))
        ids = [parsed.customer_id] if parsed.customer_id else []
        live = customer_store.live_customers_by_id(
            session, workspace_id, [*ids, *(candidate.customer_id for candidate in parsed.candidates)]
        )
    return parse_result(parsed, live, request.tz)


def _parsed(request: ParseRequest, names: NameLookup) -> ParsedLine:
    return parse_log_line(as_slack_sends(request.text), names, now=request.now, tz=request.tz, author=request.user)


def _request_from_json(raw: str, defaults: ParseRequest) -> ParseRequest:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON: {error}") from None
    if not isinstance(data, dict):
        raise ValueError('expected a JSON object such as {"text": "Acme: call"}')
    for key in ("text", "now", "tz", "user"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise ValueError(f"{key} must be a string")
    if data.get("text") is None:
        raise ValueError("text is missing")
    for key in ("text", "now", "tz", "user"):
        if data.get(key) is not None:
            _check_unicode(data[key], key)
    try:
        tz = _zone_option(data["tz"], "tz") if data.get("tz") else defaults.tz
        now = _instant_option(data["now"], tz, "now") if data.get("now") else defaults.now
    except CommandError as error:
        raise ValueError(str(error)) from None
    return ParseRequest(text=data["text"], now=now, tz=tz, user=data.get("user") or defaults.user)


def _check_unicode(value: str, what: str) -> None:
    """Refuse lone surrogates ("\\ud800" in JSON, or bytes that were not UTF-8): no text can hold them."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(
            f"{what} is not valid Unicode: a lone surrogate or a byte that is not UTF-8 at character {error.start + 1}"
        ) from None


def _zone_option(value: str, option: str) -> ZoneInfo:
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise CommandError(f"{option}: {value!r} is not an IANA time zone such as Europe/Berlin") from None


def _instant_option(value: str, tz: ZoneInfo, option: str) -> datetime:
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option}: {value!r} is not an ISO 8601 time such as 2026-11-25T10:30:00+01:00") from None
    return instant if instant.tzinfo else instant.replace(tzinfo=tz)


def _print_json(data: dict[str, Any]) -> None:
    print(json.dumps(data, ensure_ascii=False), flush=True)
