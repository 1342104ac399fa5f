"""`touchpoint import customers`, `touchpoint export touchpoints` and `touchpoint parse`: data in and out."""

from __future__ import annotations

import argparse
import contextlib
import csv
import functools
import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.customer_index import CustomerIndexes
from bot.matching import NameIndex
from bot.parsing import NameLookup, ParsedLine, parse_log_line
from bot.runtime import system_clock
from bot.store import open_store
from bot.text import clean_domain, domain_keys, fold, name_keys
from storage import curation as curation_store
from storage import customers as customer_store
from storage import touchpoints as touchpoint_store
from storage import workspaces as workspace_store
from storage.db import make_reader_factory, make_session_factory
from storage.models import Customer, Touchpoint, Workspace

EXIT_USAGE = 2
CHUNK_ROWS = 1000  # rows per transaction: a crash loses little, and a re-run skips what was committed
MAX_NAME = 200
MAX_STAGE = 40
MAX_OWNER = 32

EXPORT_FIELDS = (
    "id",
    "occurred_at",
    "customer_id",
    "customer",
    "customer_text",
    "kind",
    "summary",
    "tags",
    "author",
    "department",
    "source",
    "permalink",
    "follow_up_due_at",
)


class CommandError(Exception):
    """Stops the command with this one line on standard error and exit status 2."""


def _one_line_errors(command: Callable[[argparse.Namespace, Settings], int]) -> Callable[..., int]:
    @functools.wraps(command)
    def run(args: argparse.Namespace, settings: Settings) -> int:
        try:
            return command(args, settings)
        except CommandError as error:
            print(f"touchpoint: {error}", file=sys.stderr)
            return EXIT_USAGE
        except BrokenPipeError:
            # The reader went away (`… | head`): stop quietly, and keep Python from complaining at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1

    return run


# ---------------------------------------------------------------------------------------------------------
# Which workspace a command works in
# ---------------------------------------------------------------------------------------------------------


def resolve_workspace(session: Session, team: str | None, *, create: bool = False) -> Workspace | None:
    """The workspace named by --team, or the only one in the store when --team is left out.

    With `create`, a named team is created on first use, as Slack's first contact would. None means the
    store has no workspace at all; an unknown team among others, or a choice left open, is a CommandError.
    """
    if team and create:
        return workspace_store.workspace_for_team(session, team)
    found = workspace_store.find_workspace(session, team)
    if found is not None:
        return found
    known = workspace_store.team_ids(session)
    if not known:
        return None
    listed = ", ".join(known)
    if team:
        raise CommandError(f"no workspace with team id {team} in the store (it has: {listed})")
    raise CommandError(f"the store has several workspaces ({listed}): pick one with --team")


def required_workspace(session: Session, team: str | None, *, create: bool = False) -> Workspace:
    workspace = resolve_workspace(session, team, create=create)
    if workspace is not None:
        return workspace
    if create:
        raise CommandError("the store has no workspace yet: pass --team with your Slack team id (T…) to create it")
    if team:
        raise CommandError(f"no workspace with team id {team} in the store (it has none yet)")
    raise CommandError("the store has no workspace yet")


def _with_store(settings: Settings, work: Callable[[Engine], int]) -> int:
    engine = open_store(settings)
    try:
        return work(engine)
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------------------------
# import customers
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerLine:
    line: int  # where the row starts in the file, as an editor numbers it
    name: str
    domain: str | None
    aliases: tuple[str, ...]
    stage: str | None
    owner: str | None


class BadRow(ValueError):
    pass


@_one_line_errors
def import_customers(args: argparse.Namespace, settings: Settings) -> int:
    text = _read_text(Path(args.file))
    columns = _columns(text, args.file)
    return _with_store(settings, lambda engine: _import(engine, args, text, columns))


def _import(engine: Engine, args: argparse.Namespace, text: str, columns: dict[str, int]) -> int:
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        workspace_id = required_workspace(session, args.team, create=True).id
    importer = CustomerImport(workspace_id, source=os.path.basename(args.file), now=system_clock())
    for chunk in _chunks(_customer_lines(text, columns, args.file), CHUNK_ROWS):
        with sessions.begin() as session:
            importer.import_chunk(session, chunk)
    counts = importer.counts
    print(
        f"imported {counts['new']} new customers, updated {counts['updated']}, "
        f"unchanged {counts['unchanged']}, skipped {counts['skipped']} bad rows"
    )
    return 0


def _read_text(path: Path) -> str:
    """The whole file, decoded up front so an encoding problem stops the import before anything is written."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        return data.decode("utf-8-sig")  # spreadsheets often start UTF-8 CSV files with a byte-order mark
    except UnicodeDecodeError as error:
        raise CommandError(
            f"{path} is not UTF-8 text (byte {error.start}); save it as “CSV UTF-8” and try again"
        ) from None


def _columns(text: str, filename: str) -> dict[str, int]:
    """Header names (trimmed, any case) to their positions; also checks the whole file is readable CSV."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, [])
        for _ in reader:  # fail on broken quoting now rather than after half the rows are in
            pass
    except csv.Error as error:
        raise CommandError(f"{filename}:{reader.line_num}: not valid CSV ({error})") from None
    columns: dict[str, int] = {}
    for position, title in enumerate(header):
        columns.setdefault(title.strip().lower(), position)
    if "name" not in columns:
        found = ", ".join(title.strip() for title in header if title.strip()) or "nothing"
        raise CommandError(f"{filename} has no name column in its header row (found: {found})")
    return columns


def _customer_lines(text: str, columns: dict[str, int], filename: str) -> Iterator[CustomerLine | None]:
    """Each data row read, or None for a bad row, which is reported on standard error right away."""
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader)
    while True:
        start = reader.line_num + 1
        cells = next(reader, None)
        if cells is None:
            return
        if not any(cell.strip() for cell in cells):
            continue  # blank rows are layout, not data
        try:
            yield _customer_line(start, cells, columns)
        except BadRow as error:
            print(f"{filename}:{start}: {error}; row skipped", file=sys.stderr)
            yield None


def _customer_line(line: int, cells: list[str], columns: dict[str, int]) -> CustomerLine:
    def cell(title: str) -> str:
        position = columns.get(title)
        return cells[position].strip() if position is not None and position < len(cells) else ""

    name = cell("name")
    if not name:
        raise BadRow("no name")
    if len(name) > MAX_NAME:
        raise BadRow(f"name longer than {MAX_NAME} characters")
    if not fold(name):
        raise BadRow(f"name {name!r} has no letters or digits")
    aliases = tuple(dict.fromkeys(alias.strip() for alias in cell("aliases").split(";") if alias.strip()))
    if any(len(alias) > MAX_NAME for alias in aliases):
        raise BadRow(f"an alias is longer than {MAX_NAME} characters")
    return CustomerLine(
        line=line,
        name=name,
        domain=_domain(cell("domain")),
        aliases=aliases,
        stage=_limited(cell("stage"), "stage", MAX_STAGE),
        owner=_owner(cell("owner")),
    )


_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})")
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def _domain(raw: str) -> str | None:
    if not raw:
        return None
    domain = clean_domain(raw)
    try:
        ascii_form = domain.encode("idna").decode("ascii")  # müller.de is a domain too
    except UnicodeError:
        ascii_form = ""
    if len(domain) > MAX_NAME or not _DOMAIN.fullmatch(ascii_form):
        raise BadRow(f"malformed domain {raw!r}")
    return domain


def _owner(raw: str) -> str | None:
    mention = _MENTION.fullmatch(raw)
    return _limited(mention.group(1) if mention else raw, "owner", MAX_OWNER)


def _limited(value: str, title: str, limit: int) -> str | None:
    if len(value) > limit:
        raise BadRow(f"{title} longer than {limit} characters")
    return value or None


def _chunks(items: Iterable[CustomerLine | None], size: int) -> Iterator[list[CustomerLine | None]]:
    chunk: list[CustomerLine | None] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


_PLURAL = {"name": "names", "alias": "aliases", "domain": "domains"}


def _name_keys(kind: str, value: str) -> set[str]:
    return domain_keys(value) if kind == "domain" else name_keys(value)


@dataclass(eq=False)
class _Draft:
    """A customer this chunk creates or completes: its fields as they will be, and the names it gains."""

    name: str
    domain: str | None
    stage: str | None
    owner: str | None
    known: set[tuple[str, str]]  # (key, value) pairs the customer has, compared as add_names does
    row: Customer | None = None  # the stored customer; None while a new one has no row yet
    names: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, value, key) to add
    changes: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, row: Customer, known: set[tuple[str, str]]) -> _Draft:
        return cls(row.name, row.domain, row.stage, row.owner_user_id, set(known), row=row)

    @classmethod
    def new(cls, line: CustomerLine) -> _Draft:
        draft = cls(line.name, line.domain, line.stage, line.owner, known=set())
        draft.add_names("name", [line.name])
        draft.add_names("domain", [line.domain] if line.domain else [])
        draft.add_names("alias", line.aliases)
        draft.changes.clear()
        return draft

    def complete(self, line: CustomerLine) -> bool:
        """Fill what the customer lacks from the row, never overwriting what is set; True when it changed."""
        for attribute in ("domain", "stage", "owner"):
            value = getattr(line, attribute)
            if value and not getattr(self, attribute):
                setattr(self, attribute, value)
                self.changes[attribute] = value
        # A second domain is kept as a name, so typing either one finds the customer.
        names_added = self.add_names("domain", [line.domain] if line.domain else [])
        names_added = self.add_names("alias", line.aliases) or names_added
        return names_added or bool(self.changes)

    def write_back(self, now: datetime) -> None:
        if self.row is not None:
            self.row.domain, self.row.stage, self.row.owner_user_id = self.domain, self.stage, self.owner
            self.row.updated_at = now

    def add_names(self, kind: str, values: Iterable[str]) -> bool:
        """Stage the names not known yet; True when there was any."""
        added = False
        for value in values:
            missing = [key for key in sorted(_name_keys(kind, value)) if (key, value) not in self.known]
            self.known.update((key, value) for key in missing)
            self.names.extend((kind, value, key) for key in missing)
            if missing:
                self.changes.setdefault(_PLURAL[kind], []).append(value)
                added = True
        return added


class CustomerImport:
    """Customers from CSV rows, a chunk per transaction, matching names against an in-memory index.

    The index holds the keys `customer_by_exact_name` looks up, caught up from the store before each
    chunk, and new rows go in with one INSERT per table, so 100,000 rows need a few statements per chunk.
    """

    def __init__(self, workspace_id: int, *, source: str, now: datetime) -> None:
        self.workspace_id = workspace_id
        self.source = source
        self.now = now
        self.counts = dict.fromkeys(("new", "updated", "unchanged", "skipped"), 0)
        self._ids_by_key: dict[str, set[int]] = {}
        self._seen_row_id = 0

    def import_chunk(self, session: Session, lines: list[CustomerLine | None]) -> None:
        self._catch_up(session)
        good = [(fold(line.name), line) for line in lines if line is not None]
        self.counts["skipped"] += len(lines) - len(good)
        live = customer_store.live_customers_by_id(
            session, self.workspace_id, {i for key, _ in good for i in self._ids_by_key.get(key, ())}
        )
        known = customer_store.name_pairs_by_customer(session, {row.id for row in live.values()})
        existing: dict[int, _Draft] = {}
        created: dict[str, _Draft] = {}
        for key, line in good:
            draft = self._existing(key, live, known, existing) or created.get(key)
            if draft is None:
                draft = _Draft.new(line)
                created.update(dict.fromkeys(name_keys(line.name), draft))
                self.counts["new"] += 1
            else:
                self.counts["updated" if draft.complete(line) else "unchanged"] += 1
        self._save(session, list(dict.fromkeys(created.values())), existing)

    def _catch_up(self, session: Session) -> None:
        for row_id, customer_id, key in customer_store.customer_name_keys_since(
            session, self.workspace_id, self._seen_row_id
        ):
            self._ids_by_key.setdefault(key, set()).add(customer_id)
            self._seen_row_id = row_id

    def _existing(
        self, key: str, live: dict[int, Customer], known: dict[int, set[tuple[str, str]]], drafts: dict[int, _Draft]
    ) -> _Draft | None:
        rows = {live[i] for i in self._ids_by_key.get(key, ()) if i in live}
        if not rows:
            return None
        # Several customers can share a short key ("acme" for Acme Corp and Acme Inc): the one named
        # exactly so wins, then the oldest, so a re-run always picks the same one.
        row = min(rows, key=lambda r: (fold(r.name) != key, r.id))
        if row.id not in drafts:
            drafts[row.id] = _Draft.of(row, known.get(row.id, set()))
        return drafts[row.id]

    def _save(self, session: Session, created: list[_Draft], existing: dict[int, _Draft]) -> None:
        ids = customer_store.insert_customers(session, [self._columns(draft) for draft in created])
        changed = {customer_id: draft for customer_id, draft in existing.items() if draft.changes}
        for draft in changed.values():
            draft.write_back(self.now)
        saved = [*zip(ids, created, strict=True), *changed.items()]
        customer_store.insert_names(
            session,
            [
                {
                    "workspace_id": self.workspace_id,
                    "customer_id": customer_id,
                    "kind": kind,
                    "value": value,
                    "key": key,
                }
                for customer_id, draft in saved
                for kind, value, key in draft.names
            ],
        )
        # A stage set by the file is a stage change like any other, so reports see when each customer entered it.
        staged = [(i, None, d.stage) for i, d in zip(ids, created, strict=True) if d.stage]
        staged += [(i, None, d.stage) for i, d in changed.items() if "stage" in d.changes]
        curation_store.insert_stage_changes(
            session,
            [
                {
                    "workspace_id": self.workspace_id,
                    "customer_id": customer_id,
                    "from_stage": before,
                    "to_stage": after,
                    "changed_by": None,
                    "changed_at": self.now,
                }
                for customer_id, before, after in staged
            ],
        )
        self._record(session, "created", [(i, {"name": draft.name}) for i, draft in zip(ids, created, strict=True)])
        self._record(session, "updated", [(i, {"added": draft.changes}) for i, draft in changed.items()])

    def _columns(self, draft: _Draft) -> dict[str, Any]:
        return {
            "workspace_id": self.workspace_id,
            "name": draft.name,
            "domain": draft.domain,
            "stage": draft.stage,
            "owner_user_id": draft.owner,
            "created_at": self.now,
            "updated_at": self.now,
        }

    def _record(self, session: Session, action: str, entities: list[tuple[int, dict[str, Any]]]) -> None:
        touchpoint_store.record_many(
            session,
            self.workspace_id,
            None,
            action,
            Customer,
            [(entity_id, {**details, "source": "import", "file": self.source}) for entity_id, details in entities],
            self.now,
        )


# ---------------------------------------------------------------------------------------------------------
# export touchpoints
# ---------------------------------------------------------------------------------------------------------


@_one_line_errors
def export_touchpoints(args: argparse.Namespace, settings: Settings) -> int:
    return _with_store(settings, lambda engine: _export(engine, args))


def _export(engine: Engine, args: argparse.Namespace) -> int:
    readers = make_reader_factory(engine)
    with readers.begin() as session:
        workspace_id = required_workspace(session, args.team).id
    if not args.output:
        with readers.begin() as session:
            _write_export(sys.stdout, args.format, touchpoint_store.touchpoints_for_export(session, workspace_id))
        return 0
    # Written beside the target and moved into place, so a failed export never leaves half a file behind.
    partial = f"{args.output}.partial"
    try:
        with open(partial, "w", encoding="utf-8", newline="") as out, readers.begin() as session:
            count = _write_export(out, args.format, touchpoint_store.touchpoints_for_export(session, workspace_id))
        os.replace(partial, args.output)
    except OSError as error:
        raise CommandError(f"cannot write {args.output}: {error.strerror or error}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(partial)
    print(f"exported {count} touchpoints to {args.output}", file=sys.stderr)
    return 0


def _write_export(out: TextIO, fmt: str, rows: Iterable[tuple[Touchpoint, str | None, datetime | None]]) -> int:
    count = 0
    writer = csv.writer(out) if fmt == "csv" else None
    if writer is not None:
        writer.writerow(EXPORT_FIELDS)
    for touchpoint, customer_name, due_at in rows:
        record = export_record(touchpoint, customer_name, due_at)
        if writer is not None:
            writer.writerow(_csv_cell(record[name]) for name in EXPORT_FIELDS)
        else:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def export_record(touchpoint: Touchpoint, customer_name: str | None, due_at: datetime | None) -> dict[str, Any]:
    known = touchpoint.customer_id is not None
    return {
        "id": touchpoint.id,
        "occurred_at": _iso_utc(touchpoint.occurred_at),
        "customer_id": touchpoint.customer_id,
        "customer": customer_name if known else None,
        # What was typed only matters while no customer is attached; otherwise `customer` says it.
        "customer_text": None if known else touchpoint.customer_text,
        "kind": touchpoint.kind,
        "summary": touchpoint.summary,
        "tags": list(touchpoint.tags or []),
        "author": touchpoint.author_user_id,
        "department": touchpoint.author_department,
        "source": touchpoint.source,
        "permalink": touchpoint.permalink,
        "follow_up_due_at": _iso_utc(due_at) if due_at else None,
    }


def _iso_utc(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat(timespec="seconds")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


# ---------------------------------------------------------------------------------------------------------
# parse
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParseRequest:
    text: str
    now: datetime
    tz: ZoneInfo
    user: str


@_one_line_errors
def parse_lines(args: argparse.Namespace, settings: Settings) -> int:
    tz = _zone_option(args.tz, "--tz") if args.tz else settings.default_tz
    now = _instant_option(args.now, tz, "--now") if args.now else system_clock()
    for value, option in ((args.text, "the line"), (args.user, "--user")):
        try:
            _check_unicode(value, option)
        except ValueError as error:
            raise CommandError(str(error)) from None
    defaults = ParseRequest(text=args.text, now=now, tz=tz, user=args.user)
    return _with_store(settings, lambda engine: _parse(engine, args.team, defaults))


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


def parse_result(parsed: ParsedLine, live: dict[int, Customer], tz: ZoneInfo) -> dict[str, Any]:
    customer = live.get(parsed.customer_id) if parsed.customer_id else None
    candidates: dict[int, dict[str, Any]] = {}
    for candidate in parsed.candidates:
        row = live.get(candidate.customer_id)
        if row is not None and row.id not in candidates:  # two merged-away names lead to one survivor
            candidates[row.id] = {"id": row.id, "name": row.name, "score": round(candidate.score, 1)}
    plan = parsed.follow_up
    return {
        "customer": {"id": customer.id, "name": customer.name} if customer else None,
        "customer_text": parsed.customer_text,
        "candidates": list(candidates.values()),
        "kind": parsed.kind,
        "summary": parsed.summary,
        "tags": parsed.tags,
        "follow_up": (
            {"due_at": plan.due_at.astimezone(tz).isoformat(), "assignee": plan.assignee, "text": plan.text}
            if plan
            else None
        ),
        "errors": parsed.errors,
    }


_SLACK_TOKEN = re.compile(r"(<[@#!][^<>]*>)")


def as_slack_sends(text: str) -> str:
    """The text as Slack delivers what a person typed: `&`, `<`, `>` escaped, mentions kept as tokens."""
    pieces = _SLACK_TOKEN.split(text.replace("&", "&amp;"))
    return "".join(
        piece if index % 2 else piece.replace("<", "&lt;").replace(">", "&gt;") for index, piece in enumerate(pieces)
    )


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
