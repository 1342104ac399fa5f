"""Customers from a CSV file: rows read and checked, then created or completed in chunks, never overwritten.

A row names a customer (`name`, with optional `domain`, `aliases`, `stage`, `owner`). A row whose name is
already known completes that customer with what it lacks; a bad row is reported with its line number and
skipped, and the rest go in. The command line around it is `bot.cli.data`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bot.text import clean_domain, domain_keys, fold, name_keys, storable
from storage import curation as curation_store
from storage import customers as customer_store
from storage import touchpoints as touchpoint_store
from storage.models import Customer

CHUNK_ROWS = 1000  # rows per transaction: a crash loses little, and a re-run skips what was committed
MAX_NAME = 200
MAX_STAGE = 40
MAX_OWNER = 32


class CustomerFileError(ValueError):
    """The file as a whole cannot be imported (unreadable, not UTF-8, not CSV, no name column)."""


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


def read_text(path: Path) -> str:
    """The whole file, decoded up front so an encoding problem stops the import before anything is written."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CustomerFileError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8-sig")  # spreadsheets often start UTF-8 CSV files with a byte-order mark
    except UnicodeDecodeError as error:
        raise CustomerFileError(
            f"{path} is not UTF-8 text (byte {error.start}); save it as “CSV UTF-8” and try again"
        ) from None
    return storable(text)  # as text from Slack is: no NUL bytes or other control characters


def columns_of(text: str, filename: str) -> dict[str, int]:
    """Header names (trimmed, any case) to their positions; also checks the whole file is readable CSV."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, [])
        for _ in reader:  # fail on broken quoting now rather than after half the rows are in
            pass
    except csv.Error as error:
        raise CustomerFileError(f"{filename}:{reader.line_num}: not valid CSV ({error})") from None
    columns: dict[str, int] = {}
    for position, title in enumerate(header):
        columns.setdefault(title.strip().lower(), position)
    if "name" not in columns:
        found = ", ".join(title.strip() for title in header if title.strip()) or "nothing"
        raise CustomerFileError(f"{filename} has no name column in its header row (found: {found})")
    return columns


def customer_lines(
    text: str, columns: dict[str, int], bad_row: Callable[[int, str], None]
) -> Iterator[CustomerLine | None]:
    """Each data row read, or None for a bad row, which is told to `bad_row` (its line, what is wrong) at once."""
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
            bad_row(start, str(error))
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


def chunks(items: Iterable[CustomerLine | None], size: int) -> Iterator[list[CustomerLine | None]]:
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
