"""Touchpoints and parsed lines as plain records: what `export touchpoints` writes and `parse` prints."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.capture.parsing import ParsedLine
from storage.models import Customer, Touchpoint

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
    "author_name",
    "department",
    "source",
    "permalink",
    "source_system",
    "external_id",
    "url",
    "follow_up_due_at",
    "follow_up_status",
)

# A touchpoint as `storage.touchpoints.touchpoints_for_export` reads it: with its customer's name, its latest
# follow-up's due instant and status, and its author's name.
ExportRow = tuple[Touchpoint, str | None, datetime | None, str | None, str | None]


def write_export(out: TextIO, fmt: str, rows: Iterable[ExportRow]) -> int:
    return write_records(out, fmt, EXPORT_FIELDS, (export_record(*row) for row in rows))


def write_records(out: TextIO, fmt: str, fields: tuple[str, ...], records: Iterable[dict[str, Any]]) -> int:
    """Records as CSV (a header, then cells defused by `csv_cell`) or as JSON lines; how many were written."""
    count = 0
    writer = csv.writer(out) if fmt == "csv" else None
    if writer is not None:
        writer.writerow(fields)
    for record in records:
        if writer is not None:
            writer.writerow(csv_cell(record[name]) for name in fields)
        else:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def export_record(
    touchpoint: Touchpoint,
    customer_name: str | None,
    due_at: datetime | None,
    follow_up_status: str | None = None,
    author_name: str | None = None,
) -> dict[str, Any]:
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
        "author_name": author_name,
        "department": touchpoint.author_department,
        "source": touchpoint.source,
        "permalink": touchpoint.permalink,
        # A touchpoint another system sent through the HTTP API: which one, its own id there, and a link back.
        "source_system": touchpoint.source_system,
        "external_id": touchpoint.external_id,
        "url": touchpoint.url,
        "follow_up_due_at": _iso_utc(due_at) if due_at else None,
        "follow_up_status": follow_up_status,
    }


def _iso_utc(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat(timespec="seconds")


# A spreadsheet runs a cell that starts with one of these as a formula (`=HYPERLINK(…)`, `+cmd|…`, `@SUM(…)`),
# and anyone can type one into a summary or a customer name.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A value as one CSV cell that a spreadsheet shows as text: a leading `'` defuses a would-be formula."""
    if value is None:
        return ""
    text = ";".join(value) if isinstance(value, list) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def plain_cell(text: str) -> str:
    """A cell as it was before `csv_cell` defused it: `'=SUM(A1)` is read back as `=SUM(A1)`."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


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
