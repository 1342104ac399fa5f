"""A touchpoint posted to the HTTP API: its fields checked, its customer found as `/log` finds one, and saved
with the columns `bot.capture.touchpoints` gives any other touchpoint. A batch (the API's, single posts
arriving at once (`bot.api.together`), or `touchpoint import touchpoints`) is checked record by record, then
saved together (`bot.capture.bulk.log_records`): one insert per table, each member and customer the batch names
looked up once; the unique index on (source_system, external_id) leaves out a record sent before.

Every problem with a record is a `FieldError` naming the field (`customer.name`, `follow_up.due_at`), all of a
record's problems at once, so the sender can fix them in one go. Nothing is written for a record with any.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.api.lookups import Lookups
from bot.api.tokens import Caller
from bot.capture.bulk import log_records
from bot.capture.kinds import KINDS
from bot.capture.parsing import FollowUpPlan
from bot.capture.touchpoints import DEPARTMENTS, BadName, Entry, create_customer
from bot.customers.name_index import CustomerIndexes
from bot.members import Author
from bot.text import storable
from storage import api as api_store

MAX_BATCH = 500
MAX_SUMMARY = 10_000
MAX_TAGS = 20
MAX_TAG = 40
MAX_URL = 2000
MAX_SOURCE_SYSTEM = 64
MAX_EXTERNAL_ID = 200
FIELDS = frozenset(
    {
        "customer",
        "kind",
        "summary",
        "occurred_at",
        "author",
        "department",
        "tags",
        "url",
        "source_system",
        "external_id",
        "follow_up",
    }
)
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,31}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# What names a source system: the API checks a record's, `touchpoint import touchpoints` its --source.
SOURCE_SYSTEM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class Invalid(ValueError):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class Saved:
    touchpoint_id: int
    created: bool


def emails_named(records: list[Any]) -> set[str]:
    """The e-mail addresses records give as an author or a follow-up's assignee, in lower case."""
    found: set[str] = set()
    for record in records:
        if not isinstance(record, dict):
            continue
        follow_up = record.get("follow_up")
        for value in (record.get("author"), follow_up.get("assignee") if isinstance(follow_up, dict) else None):
            if isinstance(value, str) and _EMAIL.fullmatch(value.strip()):
                found.add(value.strip().lower())
    return found


def save_batch(
    session: Session,
    indexes: CustomerIndexes,
    caller: Caller,
    records: Sequence[tuple[str, Any]],
    *,
    now: datetime,
    people: Mapping[str, str] | None = None,
    source: str = "api",
    lookups: Lookups | None = None,
    ask_sent_first: bool | None = None,
) -> list[Saved | Invalid]:
    """Check each (field prefix, record) and log the good ones together; each record's outcome, in order.

    A record with any wrong field is its Invalid and writes nothing; the others are saved in one statement per
    table (a single post is a batch of one): the members and customers the records name are looked up once
    each, records sent before (by `external_id`) are found in one query, and a record sent twice in the same
    batch is the touchpoint its first copy made. Batches of one run (an import) pass the same `lookups`, so a
    customer found in one batch is only checked to be still live in the next.

    Records sent before are looked up before the insert when `ask_sent_first` says so (by default: when the
    records are many, as a file imported again is), and always when a customer may be created for one (nothing is
    made for a record sent before); otherwise the insert's unique index finds them.
    """
    if lookups is None:
        lookups = Lookups(indexes, caller.workspace_id, people or {})
    lookups.begin(session)
    lookups.prefetch(record for _, record in records)
    outcomes: list[Checked | Invalid] = []
    for prefix, record in records:
        try:
            outcomes.append(check_record(lookups, caller, record, prefix=prefix))
        except Invalid as invalid:
            outcomes.append(invalid)
    checked = [(position, item) for position, item in enumerate(outcomes) if isinstance(item, Checked)]
    items = [item for _, item in checked]
    ask_first = len(items) > 1 if ask_sent_first is None else ask_sent_first
    saved = _save_checked(session, lookups, caller, items, now=now, source=source, ask_first=ask_first)
    results: list[Saved | Invalid] = [Saved(0, False) if isinstance(item, Checked) else item for item in outcomes]
    for (position, _), result in zip(checked, saved, strict=True):
        results[position] = result
    return results


@dataclass(frozen=True)
class Checked:
    """A record whose every field is right, as it will be saved; the customer still to create, if it is new."""

    prefix: str
    customer_id: int | None
    new_customer_name: str | None
    kind: str
    summary: str
    occurred_at: datetime
    tags: list[str]
    url: str | None
    department: str | None
    source_system: str
    external_id: str | None
    author_id: str | None
    follow_up: FollowUpPlan | None


def check_record(lookups: Lookups, caller: Caller, record: Any, *, prefix: str = "") -> Checked:
    """The record's fields checked, all of its problems at once as Invalid; nothing is written."""
    errors: list[FieldError] = []

    def bad(name: str, message: str) -> None:
        errors.append(FieldError(prefix + name, message))

    if not isinstance(record, dict):
        raise Invalid([FieldError(prefix.rstrip(".") or "body", "must be a JSON object")])
    for unknown in sorted(set(record) - FIELDS):
        bad(unknown, "is not a field of a touchpoint; see /api/v1/openapi.json")
    kind = record.get("kind")
    if kind not in KINDS:
        bad("kind", "must be one of " + ", ".join(KINDS))
    summary = _text(record.get("summary"), "summary", MAX_SUMMARY, bad, required=True)
    occurred_at = _instant(record.get("occurred_at"), "occurred_at", bad, required=True)
    department = record.get("department")
    if department is not None and department not in DEPARTMENTS:
        bad("department", "must be one of " + ", ".join(DEPARTMENTS))
    tags = _tags(record.get("tags"), bad)
    url = _url(record.get("url"), bad)
    source_system = _text(record.get("source_system"), "source_system", MAX_SOURCE_SYSTEM, bad)
    if source_system is not None and not SOURCE_SYSTEM_NAME.fullmatch(source_system):
        bad("source_system", "must be letters, digits, '.', '_' or '-', such as shop or erp.orders")
    external_id = _text(record.get("external_id"), "external_id", MAX_EXTERNAL_ID, bad)
    author_id = _author(lookups, record.get("author"), "author", bad)
    follow_up = _follow_up(lookups, record.get("follow_up"), author_id, bad)
    customer_id, new_name = lookups.customer(record.get("customer"), bad)
    if errors:
        raise Invalid(errors)
    assert occurred_at is not None  # required: its absence is one of the errors above
    return Checked(
        prefix=prefix,
        customer_id=customer_id,
        new_customer_name=new_name,
        kind=kind,
        summary=summary or "",
        occurred_at=occurred_at,
        tags=tags,
        url=url,
        department=department,
        source_system=source_system or caller.token_name,
        external_id=external_id,
        author_id=author_id,
        follow_up=follow_up,
    )


def _save_checked(
    session: Session,
    lookups: Lookups,
    caller: Caller,
    items: list[Checked],
    *,
    now: datetime,
    source: str,
    ask_first: bool,
) -> list[Saved | Invalid]:
    """Log checked records, the new ones in one insert per table; each one's outcome, in order."""
    workspace_id = caller.workspace_id
    results: list[Saved | Invalid | None] = [None] * len(items)
    keys = {(item.source_system, item.external_id) for item in items if item.external_id is not None}
    # Sent before: that touchpoint, and nothing else made (no customer either).
    ask_first = ask_first or any(item.new_customer_name is not None for item in items)
    earlier = api_store.touchpoint_ids_by_external_ids(session, workspace_id, keys) if ask_first else {}
    first_copy: dict[tuple[str, str], int] = {}
    copies: list[tuple[int, int]] = []  # (position, position of the same record earlier in the batch)
    fresh: list[int] = []
    for position, item in enumerate(items):
        key = (item.source_system, item.external_id) if item.external_id is not None else None
        if key is not None and key in earlier:
            results[position] = Saved(earlier[key], False)
        elif key is not None and key in first_copy:
            copies.append((position, first_copy[key]))
        else:
            if key is not None:
                first_copy[key] = position
            fresh.append(position)
    authors = {position: _author_of(lookups, caller, items[position]) for position in fresh}
    created: dict[str, int | str] = {}  # a new customer's name -> its id, or why it cannot be one
    for position in fresh:
        name = items[position].new_customer_name
        if name is not None and name not in created:
            try:
                created[name] = create_customer(session, workspace_id, authors[position].user_id, name, now=now)
            except BadName as problem:
                created[name] = problem.reason
    entries: list[tuple[int, Entry]] = []
    for position in fresh:
        item = items[position]
        customer_id = item.customer_id
        if item.new_customer_name is not None:
            made = created[item.new_customer_name]
            if isinstance(made, str):
                results[position] = Invalid([FieldError(item.prefix + "customer.name", made)])
                continue
            customer_id = made
        entries.append((position, _entry(item, customer_id, authors[position], source)))
    ids = log_records(session, workspace_id, [(authors[p], entry) for p, entry in entries], now=now)
    # Left out by the unique index: sent before (not asked first), or by another request a moment ago.
    left_out = {_key_of(entry) for (_, entry), touchpoint_id in zip(entries, ids, strict=True) if touchpoint_id is None}
    existing = api_store.touchpoint_ids_by_external_ids(session, workspace_id, left_out) if left_out else {}
    for (position, entry), touchpoint_id in zip(entries, ids, strict=True):
        results[position] = Saved(touchpoint_id, True) if touchpoint_id else Saved(existing[_key_of(entry)], False)
    for position, original in copies:
        first = results[original]
        results[position] = Saved(first.touchpoint_id, False) if isinstance(first, Saved) else first
    assert all(result is not None for result in results)
    return results  # type: ignore[return-value]


def _key_of(entry: Entry) -> tuple[str, str]:
    assert entry.source_system is not None and entry.external_id is not None  # only such entries are left out
    return entry.source_system, entry.external_id


def _author_of(lookups: Lookups, caller: Caller, item: Checked) -> Author:
    """Who a record is logged as: its author, else the token. A member's touchpoint counts for their department,
    as their /log lines do, unless the record names one."""
    member = lookups.member(item.author_id) if item.author_id else None
    return Author(user_id=item.author_id or caller.token_name, tz=UTC, department=member.department if member else None)


def _entry(item: Checked, customer_id: int | None, author: Author, source: str) -> Entry:
    return Entry(
        customer_id=customer_id,
        new_customer_name=None,
        kind=item.kind,
        summary=item.summary,
        occurred_at=item.occurred_at,
        tags=item.tags,
        follow_up=item.follow_up,
        source=source,
        author_user_id=author.user_id,
        source_system=item.source_system,
        external_id=item.external_id,
        url=item.url,
        department=item.department,
    )


def _text(value: Any, name: str, most: int, bad: Any, *, required: bool = False) -> str | None:
    if value is None:
        if required:
            bad(name, "is required")
        return None
    if not isinstance(value, str):
        bad(name, "must be a string")
        return None
    text = storable(value).strip()
    if required and not text:
        bad(name, "must not be empty")
    elif len(text) > most:
        bad(name, f"has at most {most:,} characters")
    return text or None


def _instant(value: Any, name: str, bad: Any, *, required: bool = False) -> datetime | None:
    if value is None and not required:
        return None
    if not isinstance(value, str):
        bad(name, "is required: an ISO 8601 time with its offset, such as 2026-11-25T10:30:00+01:00")
        return None
    instant = aware_instant(value)
    if instant is None:
        bad(name, "must be an ISO 8601 time with its offset, such as 2026-11-25T10:30:00+01:00")
    return instant


def aware_instant(text: str) -> datetime | None:
    """An ISO 8601 time with its offset, in UTC; None for anything else, or a year outside 1900-2200."""
    try:
        instant = datetime.fromisoformat(text)
        if instant.tzinfo is None or not 1900 <= instant.year <= 2200:
            return None
        return instant.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 moved by its offset
        return None


def _tags(value: Any, bad: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        bad("tags", "must be a list of strings")
        return []
    tags = list(dict.fromkeys(storable(tag).strip().lstrip("#").lower() for tag in value))
    tags = [tag for tag in tags if tag]
    if len(tags) > MAX_TAGS or any(len(tag) > MAX_TAG or " " in tag for tag in tags):
        bad("tags", f"at most {MAX_TAGS} tags, each one word of at most {MAX_TAG} characters")
    return tags


def _url(value: Any, bad: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"https?://[^\s<>|]+", value) or len(value) > MAX_URL:
        bad("url", f"must be an http(s) address of at most {MAX_URL} characters, without spaces, < > or |")
        return None
    return value


def _author(lookups: Lookups, value: Any, name: str, bad: Any) -> str | None:
    """The Slack user id of a member of the workspace, given as such or by e-mail; None when none is given."""
    if value is None:
        return None
    if isinstance(value, str) and _EMAIL.fullmatch(value.strip()):
        found = lookups.people.get(value.strip().lower())
        if found is None:
            bad(name, "no person of this workspace in Slack has this e-mail address")
            return None
        value = found
    if not isinstance(value, str) or not _USER_ID.fullmatch(value):
        bad(name, "must be the Slack user id (U…) or the e-mail address of a member of this workspace")
        return None
    member = lookups.member(value)
    if member is None or member.deleted:
        bad(name, "is not a member this workspace knows (someone who has used Touchpoint)")
        return None
    return value


def _follow_up(lookups: Lookups, value: Any, author_id: str | None, bad: Any) -> FollowUpPlan | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        bad("follow_up", "must be an object with due_at and assignee")
        return None
    for unknown in sorted(set(value) - {"due_at", "assignee"}):
        bad(f"follow_up.{unknown}", "is not a field of a follow-up (due_at, assignee)")
    due_at = _instant(value.get("due_at"), "follow_up.due_at", bad, required=True)
    assignee = _author(lookups, value.get("assignee"), "follow_up.assignee", bad)
    assignee = assignee or author_id
    if assignee is None and "assignee" not in value:
        bad("follow_up.assignee", "is required when the touchpoint has no author")
    if due_at is None or assignee is None:
        return None
    return FollowUpPlan(due_at=due_at, assignee=assignee, text=f"{due_at:%Y-%m-%d %H:%M} UTC")
