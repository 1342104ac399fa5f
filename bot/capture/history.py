"""Another system's history as touchpoint records: a CSV file of the HTTP API's fields flattened, or JSON lines
of one API record each, read into the records `bot.api.intake.save_batch` checks and saves.

CSV columns are the API's fields, the nested ones flattened: `customer_id`, `customer_domain`,
`customer_email` or `customer_name` (with `customer_create_if_missing`), `follow_up_due_at` and
`follow_up_assignee`, and `tags` separated by commas; a plain `customer` column, in a file with no other
customer column, is `customer_name`. Empty cells are fields left out. Columns that are
no field are told once and ignored (an export's `id` or `author_name`), so a spreadsheet's extra notes do
no harm.

A record without an `external_id` is keyed by a hash of its content as the file has it (`content_key`), so
importing the same file again finds every record it made the first time and makes none twice. The command
line around it is `bot.cli.data`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.capture.records import plain_cell
from bot.customers.imports import CustomerFileError, Layout, columns_of, data_rows, read_text

CSV_FIELDS = (
    "kind",
    "summary",
    "occurred_at",
    "customer_id",
    "customer_domain",
    "customer_email",
    "customer_name",
    "customer_create_if_missing",
    "author",
    "department",
    "tags",
    "url",
    "source_system",
    "external_id",
    "follow_up_due_at",
    "follow_up_assignee",
)
# A spreadsheet's plain `customer` column is the customer's name, when no column names the customer otherwise.
_NAME_ALIAS = "customer"
_CUSTOMER_COLUMNS = ("customer_id", "customer_domain", "customer_email", "customer_name")
# What a CSV cell says for create_if_missing; anything else is passed on for the API's check to refuse.
_YES = frozenset({"true", "yes", "y", "1"})
_NO = frozenset({"false", "no", "n", "0"})
_DIGITS = re.compile(r"[0-9]{1,18}")  # ASCII digits only: str.isdigit() takes "²" too


class HistoryFileError(ValueError):
    """The file as a whole cannot be imported (unreadable, not UTF-8, neither CSV nor JSON lines, no header)."""


@dataclass(frozen=True)
class HistoryRow:
    """One row of the file: the record it holds, or why it holds none."""

    line: int  # where the row starts, as an editor numbers it
    record: dict[str, Any] | None
    problem: str | None = None


@dataclass(frozen=True)
class HistoryFile:
    rows: Iterator[HistoryRow]
    lines: int  # the file's lines, for a progress bar
    ignored_columns: tuple[str, ...]
    csv: bool  # so problems can be told by column name (customer_name) rather than field (customer.name)


def read_history(path: Path) -> HistoryFile:
    """The file's rows, read lazily; a HistoryFileError before anything is read when the file is unusable.

    `.csv` files are CSV (separated by `,`, `;` or tabs, with a header row naming `kind`), `.jsonl` and
    `.ndjson` files JSON lines.
    """
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson"):
        raise HistoryFileError(f"{path} is neither .csv nor .jsonl: name the file for what it holds")
    try:
        text = read_text(path)
        if suffix != ".csv":
            return HistoryFile(_json_rows(text), text.count("\n") + 1, (), csv=False)
        layout = columns_of(text, str(path), required="kind")
    except CustomerFileError as error:
        raise HistoryFileError(str(error)) from None
    if _NAME_ALIAS in layout.columns and not any(title in layout.columns for title in _CUSTOMER_COLUMNS):
        columns = {("customer_name" if title == _NAME_ALIAS else title): at for title, at in layout.columns.items()}
        layout = Layout(layout.delimiter, columns)
    ignored = tuple(title for title in layout.columns if title and title not in CSV_FIELDS)
    return HistoryFile(_csv_rows(text, layout), text.count("\n") + 1, ignored, csv=True)


def content_key(record: dict[str, Any]) -> str:
    """The key of a record that has no external_id: a hash of its fields, the same each time it is read."""
    canonical = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def keyed(record: dict[str, Any]) -> dict[str, Any]:
    """The record with its external_id, or keyed by its content when it has none."""
    if record.get("external_id") is not None:
        return record
    return {**record, "external_id": content_key(record)}


def _json_rows(text: str) -> Iterator[HistoryRow]:
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except (ValueError, RecursionError) as error:
            yield HistoryRow(number, None, f"not JSON ({error})")
            continue
        if not isinstance(record, dict):
            yield HistoryRow(number, None, 'not a JSON object such as {"kind": "call", …}')
            continue
        yield HistoryRow(number, record)


def _csv_rows(text: str, layout: Layout) -> Iterator[HistoryRow]:
    positions = {title: position for title, position in layout.columns.items() if title in CSV_FIELDS}
    for line, cells in data_rows(text, layout):
        # A cell `touchpoint export` defused against formulas (`'=…`) is read back as it was.
        given = {
            title: plain_cell(cells[position].strip())
            for title, position in positions.items()
            if position < len(cells) and cells[position].strip()
        }
        yield HistoryRow(line, _record_of_cells(given))


def _record_of_cells(cells: dict[str, str]) -> dict[str, Any]:
    """The API record a CSV row's non-empty cells make: nested fields gathered, tags split, numbers read."""
    record: dict[str, Any] = {}
    customer: dict[str, Any] = {}
    follow_up: dict[str, Any] = {}
    for title, value in cells.items():
        if title.startswith("customer_"):
            customer[title.removeprefix("customer_")] = value
        elif title.startswith("follow_up_"):
            follow_up[title.removeprefix("follow_up_")] = value
        elif title == "tags":
            record["tags"] = [tag.strip() for tag in value.split(",") if tag.strip()]
        else:
            record[title] = value
    if _DIGITS.fullmatch(customer.get("id", "")):
        customer["id"] = int(customer["id"])
    create = customer.get("create_if_missing", "").lower()
    if create in _YES or create in _NO:
        customer["create_if_missing"] = create in _YES
    if customer:
        record["customer"] = customer
    if follow_up:
        record["follow_up"] = follow_up
    return record


def column_of(field: str) -> str:
    """The CSV column a field's problem is about: `customer.name` is `customer_name`, `tags` stays `tags`."""
    return field.replace(".", "_")
