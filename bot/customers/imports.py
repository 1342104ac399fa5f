"""Customers from a CSV file: rows read and checked, then created or completed in chunks, never overwritten.

A row names a customer (`name`, with optional `domain` (several separated by `;`), `aliases`, `stage`, `owner`,
`contacts` as `touchpoint export customers` writes them).
A row resolves to a customer by its name, an alias, or a domain, whether that customer is in the store or was
made by an earlier row of the file: two rows about one customer become one customer with every field of both
(the other name kept as an alias). Fields are checked as the card checks them: an owner must be a Slack user id
(or the name of a member Touchpoint knows), a stage one of the workspace's stages; a field that is not is
reported with its line number and left out, and a row that cannot be a customer at all is reported and skipped.
The file may be separated by `,`, `;` or tabs (spreadsheets write `;` in many locales). The command line
around it is `bot.cli.data`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from bot.capture.records import plain_cell
from bot.customers.curation import is_user_id, parse_stages
from bot.text import clean_domain, domain_keys, fold, name_keys, storable
from storage import curation as curation_store
from storage import customers as customer_store
from storage import touchpoints as touchpoint_store
from storage.models import Customer

T = TypeVar("T")
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
    domains: tuple[str, ...]  # the first is the one shown on the card
    aliases: tuple[str, ...]
    stage: str | None  # as typed: checked against the workspace's stages on import
    owner: str | None  # a Slack user id when it was one, else as typed
    contacts: tuple[tuple[str, str | None], ...] = ()  # (name, e-mail) each, from `Dana Scully <dana@acme.com>`


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


# Separators a header row is tried with, the usual first: spreadsheets write `;` where `,` is the decimal mark.
DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class Layout:
    """How a file is laid out: its separator and its header names (trimmed, any case) to their positions."""

    delimiter: str
    columns: dict[str, int]


def columns_of(text: str, filename: str, required: str = "name") -> Layout:
    """The file's layout, from its header row; also checks the whole file is readable CSV.

    The separator is the one whose header has the `required` column (the one with the most columns, if several
    do). `touchpoint import touchpoints` reads its files with this too, requiring `kind`.
    """
    headers = {delimiter: _header(text, delimiter) for delimiter in DELIMITERS}
    named = [d for d in DELIMITERS if required in {title.strip().lower() for title in headers[d]}]
    delimiter = max(named, key=lambda d: len(headers[d])) if named else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for _ in reader:  # fail on broken quoting now rather than after half the rows are in
            pass
    except csv.Error as error:
        raise CustomerFileError(f"{filename}:{reader.line_num}: not valid CSV ({error})") from None
    columns: dict[str, int] = {}
    for position, title in enumerate(headers[delimiter]):
        columns.setdefault(title.strip().lower(), position)
    if required not in columns:
        found = ", ".join(title.strip() for title in headers[delimiter] if title.strip()) or "nothing"
        raise CustomerFileError(f"{filename} has no {required} column in its header row (found: {found})")
    return Layout(delimiter, columns)


def _header(text: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error:
        return []


def customer_lines(text: str, layout: Layout, bad_row: Callable[[int, str], None]) -> Iterator[CustomerLine | None]:
    """Each data row read, or None for a bad row, which is told to `bad_row` (its line, what is wrong) at once."""
    for start, cells in data_rows(text, layout):
        try:
            yield _customer_line(start, cells, layout.columns)
        except BadRow as error:
            bad_row(start, str(error))
            yield None


def data_rows(text: str, layout: Layout) -> Iterator[tuple[int, list[str]]]:
    """Each row after the header that is not blank, with the line it starts on as an editor numbers it."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=layout.delimiter)
    next(reader)
    while True:
        start = reader.line_num + 1
        cells = next(reader, None)
        if cells is None:
            return
        if any(cell.strip() for cell in cells):  # blank rows are layout, not data
            yield start, cells


def _customer_line(line: int, cells: list[str], columns: dict[str, int]) -> CustomerLine:
    def cell(title: str) -> str:
        position = columns.get(title)
        # A cell `touchpoint export customers` defused against formulas (`'=…`) is read back as it was.
        return plain_cell(cells[position].strip()) if position is not None and position < len(cells) else ""

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
        domains=tuple(
            dict.fromkeys(_domain(raw) for raw in _DOMAIN_SEPARATORS.split(cell("domain") or cell("domains")) if raw)
        ),
        aliases=aliases,
        stage=_limited(cell("stage"), "stage", MAX_STAGE),
        owner=_owner(cell("owner")),
        contacts=_contacts(cell("contacts")),
    )


_CONTACT = re.compile(r"^(.*?)\s*<([^<>\s]+@[^<>\s]+)>$")


def _contacts(raw: str) -> tuple[tuple[str, str | None], ...]:
    """`Dana Scully <dana@acme.com>; Lucius Fox`: each contact's name and e-mail, as the export writes them."""
    found: dict[tuple[str, str | None], None] = {}
    for entry in (part.strip() for part in raw.split(";")):
        if not entry:
            continue
        match = _CONTACT.match(entry)
        name, email = (match.group(1).strip(), match.group(2).lower()) if match else (entry, None)
        if len(name) > MAX_NAME:
            raise BadRow(f"a contact's name is longer than {MAX_NAME} characters")
        found[(name or email or entry, email)] = None
    return tuple(found)


_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})")
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


# Several domains in one cell, as the card's names form takes them one per line: `a.com;b.com`, `a.com, b.com`.
_DOMAIN_SEPARATORS = re.compile(r"\s*[;,\n]\s*")


def _domain(raw: str) -> str:
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


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


_PLURAL = {"name": "names", "alias": "aliases", "domain": "domains", "contact": "contacts"}


def _name_keys(kind: str, value: str) -> set[str]:
    if kind == "domain":
        return domain_keys(value)
    if kind == "email":
        return {fold(value)} - {""}
    return name_keys(value)


Handle = tuple[str, str]  # ("name" or "alias", folded key) or ("domain", the domain): what a row may resolve by


def line_handles(line: CustomerLine) -> list[Handle]:
    """What a row names its customer by, in the order it is trusted: its name, then as an alias, then its domains."""
    key = fold(line.name)
    return [("name", key), ("alias", key), *(("domain", domain) for domain in line.domains)]


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
    # (folded name, e-mail) of the contacts it has, and the (name, e-mail) ones to add.
    known_contacts: set[tuple[str, str | None]] = field(default_factory=set)
    contacts: list[tuple[str, str | None]] = field(default_factory=list)

    @classmethod
    def of(cls, row: Customer, known: set[tuple[str, str]], contacts: set[tuple[str, str | None]]) -> _Draft:
        return cls(row.name, row.domain, row.stage, row.owner_user_id, set(known), row=row, known_contacts=contacts)

    @classmethod
    def new(cls, line: CustomerLine) -> _Draft:
        draft = cls(line.name, line.domains[0] if line.domains else None, line.stage, line.owner, known=set())
        draft.add_names("name", [line.name])
        draft.add_names("domain", line.domains)
        draft.add_names("alias", line.aliases)
        draft.add_contacts(line.contacts)
        draft.changes.clear()
        return draft

    def handles(self) -> list[Handle]:
        """What later rows may find this customer by, among the names it gains."""
        found: list[Handle] = []
        for kind, value, key in self.names:
            found.append(("domain", value) if kind == "domain" else (kind, key))
        return found

    def complete(self, line: CustomerLine, note: Callable[[int, str], None]) -> bool:
        """Fill what the customer lacks from the row, never overwriting what is set; True when it changed.

        A different stage or owner than the one kept is told to `note`; the row's other name becomes an alias.
        """
        for attribute, label in (("stage", "stage"), ("owner", "owner")):
            value, kept = getattr(line, attribute), getattr(self, attribute)
            if value and not kept:
                setattr(self, attribute, value)
                self.changes[attribute] = value
            elif value and value != kept:
                note(line.line, f"{label} {value!r} differs from {kept!r}, which {self.name!r} keeps")
        if line.domains and not self.domain:
            self.domain = self.changes["domain"] = line.domains[0]
        # Every domain is kept as a name, so typing any one finds the customer.
        names_added = self.add_names("domain", line.domains)
        if fold(line.name) != fold(self.name):
            names_added = self.add_names("alias", [line.name]) or names_added
        names_added = self.add_names("alias", line.aliases) or names_added
        names_added = self.add_contacts(line.contacts) or names_added
        return names_added or bool(self.changes)

    def write_back(self, now: datetime) -> None:
        if self.row is not None:
            self.row.domain, self.row.stage, self.row.owner_user_id = self.domain, self.stage, self.owner
            self.row.updated_at = now

    def add_contacts(self, contacts: Iterable[tuple[str, str | None]]) -> bool:
        """Stage the contacts not known yet (by name and e-mail), with the names they are found by."""
        added = False
        for name, email in contacts:
            if (fold(name), email) in self.known_contacts:
                continue
            self.known_contacts.add((fold(name), email))
            self.contacts.append((name, email))
            self.add_names("contact", [name])
            self.add_names("email", [email] if email else [], told=False)
            added = True
        return added

    def add_names(self, kind: str, values: Iterable[str], *, told: bool = True) -> bool:
        """Stage the names not known yet; True when there was any."""
        added = False
        for value in values:
            missing = [key for key in sorted(_name_keys(kind, value)) if (key, value) not in self.known]
            self.known.update((key, value) for key in missing)
            self.names.extend((kind, value, key) for key in missing)
            if missing and told:
                self.changes.setdefault(_PLURAL[kind], []).append(value)
            added = added or bool(missing)
        return added


class CustomerImport:
    """Customers from CSV rows, a chunk per transaction, matching rows against in-memory handles.

    The handles (names, aliases, domains) are caught up from the store before each chunk; new rows go in
    with one INSERT per table, so 100,000 rows need a few statements per chunk. `note(line, problem)` is
    told about a field left out of an imported row.
    """

    def __init__(
        self,
        workspace_id: int,
        *,
        source: str,
        now: datetime,
        stages: list[str],
        members: dict[str, set[str]],
        note: Callable[[int, str], None],
    ) -> None:
        self.workspace_id = workspace_id
        self.source = source
        self.now = now
        self.stages = stages
        self.members = members
        self.note = note
        # new: customers made; merged: rows that named a customer an earlier row of the file made.
        self.counts = dict.fromkeys(("new", "merged", "updated", "unchanged", "skipped"), 0)
        self._ids: dict[Handle, set[int]] = {}
        self._seen_row_id = 0

    def import_chunk(self, session: Session, lines: list[CustomerLine | None]) -> None:
        self._catch_up(session)
        good = [self._checked(line) for line in lines if line is not None]
        self.counts["skipped"] += len(lines) - len(good)
        wanted = {i for line in good for handle in line_handles(line) for i in self._ids.get(handle, ())}
        live = customer_store.live_customers_by_id(session, self.workspace_id, wanted)
        known = customer_store.name_pairs_by_customer(session, {row.id for row in live.values()})
        contacts = customer_store.contact_pairs_by_customer(session, {row.id for row in live.values()})
        existing: dict[int, _Draft] = {}
        created: list[_Draft] = []
        in_chunk: dict[Handle, _Draft] = {}  # what rows of this chunk named, not in the store yet
        for line in good:
            draft = self._resolved(line, live, known, contacts, existing, in_chunk)
            if draft is None:
                draft = _Draft.new(line)
                created.append(draft)
                self.counts["new"] += 1
            elif draft.row is None:
                draft.complete(line, self.note)
                self.counts["merged"] += 1
            else:
                self.counts["updated" if draft.complete(line, self.note) else "unchanged"] += 1
            for handle in draft.handles():
                in_chunk.setdefault(handle, draft)
        self._save(session, created, existing)

    def _checked(self, line: CustomerLine) -> CustomerLine:
        """The row with its stage and owner as the card takes them, or left out (and told to `note`)."""
        stage, owner = line.stage, line.owner
        if stage is not None:
            try:
                [stage] = parse_stages(stage)
            except ValueError:
                stage = None
            if stage not in self.stages:
                listed = ", ".join(self.stages)
                self.note(line.line, f"stage {line.stage!r} is not one of this workspace's ({listed}); left out")
                stage = None
        if owner is not None and not is_user_id(owner):
            ids = self.members.get(owner.removeprefix("@").strip().lower(), set())
            if len(ids) == 1:
                owner = next(iter(ids))
            else:
                self.note(
                    line.line,
                    f"owner {line.owner!r} is not a Slack user id (such as U012AB3CD) nor one known member's name; "
                    "left out",
                )
                owner = None
        return replace(line, stage=stage, owner=owner)

    def _catch_up(self, session: Session) -> None:
        for row_id, customer_id, kind, key, value in customer_store.company_names_since(
            session, self.workspace_id, self._seen_row_id
        ):
            handle = ("domain", value) if kind == "domain" else (kind, key)
            self._ids.setdefault(handle, set()).add(customer_id)
            self._seen_row_id = row_id

    def _resolved(
        self,
        line: CustomerLine,
        live: dict[int, Customer],
        known: dict[int, set[tuple[str, str]]],
        contacts: dict[int, set[tuple[str, str | None]]],
        drafts: dict[int, _Draft],
        in_chunk: dict[Handle, _Draft],
    ) -> _Draft | None:
        """The customer a row names: by its name, as an alias, by a domain; in the store or earlier in the file."""
        key = fold(line.name)
        for handle in line_handles(line):
            rows = {live[i] for i in self._ids.get(handle, ()) if i in live}
            if rows:
                # Several customers can share a short key ("acme" for Acme Corp and Acme Inc): the one named
                # exactly so wins, then the oldest, so a re-run always picks the same one.
                row = min(rows, key=lambda r: (fold(r.name) != key, r.id))
                if row.id not in drafts:
                    drafts[row.id] = _Draft.of(row, known.get(row.id, set()), contacts.get(row.id, set()))
                return drafts[row.id]
            if handle in in_chunk:
                return in_chunk[handle]
        return None

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
        customer_store.insert_contacts(
            session,
            [
                {
                    "workspace_id": self.workspace_id,
                    "customer_id": customer_id,
                    "name": name,
                    "email": email,
                    "created_at": self.now,
                }
                for customer_id, draft in saved
                for name, email in draft.contacts
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
