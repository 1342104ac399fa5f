"""A touchpoint posted to the HTTP API: its fields checked, its customer found as `/log` finds one, and saved
through `bot.capture.touchpoints.log_record` like any other touchpoint.

Every problem with a record is a `FieldError` naming the field (`customer.name`, `follow_up.due_at`), all of a
record's problems at once, so the sender can fix them in one go. Nothing is written for a record with any.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.api.tokens import Caller
from bot.capture.kinds import KINDS
from bot.capture.parsing import FollowUpPlan, customer_named
from bot.capture.touchpoints import DEPARTMENTS, BadName, Entry, create_customer, log_record
from bot.customers.name_index import CustomerIndexes
from bot.members import Author
from bot.text import storable
from storage import api as api_store
from storage import customers as customer_store
from storage import workspaces as workspace_store

MAX_BATCH = 500
# Ids are the store's 32-bit integers on PostgreSQL: a larger number names no row, and must not reach a query.
MAX_ID = 2**31 - 1
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
CUSTOMER_KEYS = ("id", "domain", "email", "name")
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,31}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_SYSTEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


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


def save_posted(
    session: Session,
    indexes: CustomerIndexes,
    caller: Caller,
    record: Any,
    *,
    now: datetime,
    prefix: str = "",
    people: Mapping[str, str] | None = None,
) -> Saved:
    """Check one posted record and log it; Invalid (nothing written) when any field is wrong.

    `people` are the Slack user ids of the e-mail addresses the records name (`emails_named`), looked up in
    Slack beforehand: nothing here calls out while the store's transaction is open.
    """
    errors: list[FieldError] = []
    people = people or {}

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
    if source_system is not None and not _SYSTEM.fullmatch(source_system):
        bad("source_system", "must be letters, digits, '.', '_' or '-', such as shop or erp.orders")
    external_id = _text(record.get("external_id"), "external_id", MAX_EXTERNAL_ID, bad)
    author_id = _author(session, caller.workspace_id, record.get("author"), "author", people, bad)
    follow_up = _follow_up(session, caller.workspace_id, record.get("follow_up"), author_id, people, bad)
    customer_id, new_name = _customer(session, indexes, caller.workspace_id, record.get("customer"), bad)
    if errors:
        raise Invalid(errors)
    source_system = source_system or caller.token_name
    if external_id is not None:  # sent before: that touchpoint, and nothing else made (no customer either)
        earlier = api_store.touchpoint_id_by_external_id(session, caller.workspace_id, source_system, external_id)
        if earlier is not None:
            return Saved(earlier, False)
    member = workspace_store.member(session, caller.workspace_id, author_id) if author_id else None
    # A member's touchpoint counts for their department, as their /log lines do, unless the record names one.
    author = Author(user_id=author_id or caller.token_name, tz=UTC, department=member.department if member else None)
    if new_name is not None:
        try:
            customer_id = create_customer(session, caller.workspace_id, author.user_id, new_name, now=now)
        except BadName as problem:
            raise Invalid([FieldError(prefix + "customer.name", problem.reason)]) from None
    entry = Entry(
        customer_id=customer_id,
        new_customer_name=None,
        kind=kind,
        summary=summary or "",
        occurred_at=occurred_at or now,
        tags=tags,
        follow_up=follow_up,
        source="api",
        author_user_id=author.user_id,
        source_system=source_system,
        external_id=external_id,
        url=url,
        department=department,
    )
    touchpoint_id, created = log_record(session, caller.workspace_id, author, entry, now=now)
    return Saved(touchpoint_id, created)


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


def _author(
    session: Session, workspace_id: int, value: Any, name: str, people: Mapping[str, str], bad: Any
) -> str | None:
    """The Slack user id of a member of the workspace, given as such or by e-mail; None when none is given."""
    if value is None:
        return None
    if isinstance(value, str) and _EMAIL.fullmatch(value.strip()):
        found = people.get(value.strip().lower())
        if found is None:
            bad(name, "no person of this workspace in Slack has this e-mail address")
            return None
        value = found
    if not isinstance(value, str) or not _USER_ID.fullmatch(value):
        bad(name, "must be the Slack user id (U…) or the e-mail address of a member of this workspace")
        return None
    member = workspace_store.member(session, workspace_id, value)
    if member is None or member.deleted:
        bad(name, "is not a member this workspace knows (someone who has used Touchpoint)")
        return None
    return value


def _follow_up(
    session: Session, workspace_id: int, value: Any, author_id: str | None, people: Mapping[str, str], bad: Any
) -> FollowUpPlan | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        bad("follow_up", "must be an object with due_at and assignee")
        return None
    for unknown in sorted(set(value) - {"due_at", "assignee"}):
        bad(f"follow_up.{unknown}", "is not a field of a follow-up (due_at, assignee)")
    due_at = _instant(value.get("due_at"), "follow_up.due_at", bad, required=True)
    assignee = _author(session, workspace_id, value.get("assignee"), "follow_up.assignee", people, bad)
    assignee = assignee or author_id
    if assignee is None and "assignee" not in value:
        bad("follow_up.assignee", "is required when the touchpoint has no author")
    if due_at is None or assignee is None:
        return None
    return FollowUpPlan(due_at=due_at, assignee=assignee, text=f"{due_at:%Y-%m-%d %H:%M} UTC")


def _customer(
    session: Session, indexes: CustomerIndexes, workspace_id: int, value: Any, bad: Any
) -> tuple[int | None, str | None]:
    """(the customer's id, None), or (None, a name to create), or (None, None) with the problem told."""
    if not isinstance(value, dict):
        bad("customer", 'is required: {"id": …}, {"domain": …}, {"email": …} or {"name": …}')
        return None, None
    given = [key for key in CUSTOMER_KEYS if key in value]
    for unknown in sorted(set(value) - {*CUSTOMER_KEYS, "create_if_missing"}):
        bad(f"customer.{unknown}", "is not a way to name a customer (id, domain, email, name)")
    create = value.get("create_if_missing", False)
    if not isinstance(create, bool):
        bad("customer.create_if_missing", "must be true or false")
        create = False
    if len(given) != 1:
        bad("customer", "needs exactly one of id, domain, email or name")
        return None, None
    key = given[0]
    field, wanted = f"customer.{key}", value[key]
    if key == "id":
        if not isinstance(wanted, int) or isinstance(wanted, bool) or not 1 <= wanted <= MAX_ID:
            bad(field, "must be a customer's id, a whole number from 1 up")
            return None, None
        return _one_live(session, workspace_id, [wanted], field, "no customer has this id", bad), None
    if not isinstance(wanted, str) or not wanted.strip():
        bad(field, "must be a non-empty string")
        return None, None
    wanted = storable(wanted).strip()
    if key == "domain":
        ids = api_store.customer_ids_with_domain(session, workspace_id, wanted)
        return _one_live(session, workspace_id, ids, field, "no customer has this domain", bad), None
    if key == "email":
        ids = api_store.customer_ids_with_contact_email(session, workspace_id, wanted)
        return _one_live(session, workspace_id, ids, field, "no customer has a contact with this e-mail", bad), None
    customer_id, matched_by, candidates = customer_named(wanted, indexes.current(session, workspace_id))
    if customer_id is not None:
        return _one_live(session, workspace_id, [customer_id], field, "no customer has this name", bad), None
    if create:
        return None, wanted
    names = customer_store.live_customer_refs(session, workspace_id, [c.customer_id for c in candidates])
    similar = "; similar: " + ", ".join(sorted({ref.name for ref in names.values()})[:5]) if names else ""
    if matched_by == "ambiguous":
        bad(field, f"names several customers{similar}; send its id instead")
    else:
        bad(field, f'no customer has this name{similar}; send "create_if_missing": true to create it')
    return None, None


def _one_live(session: Session, workspace_id: int, ids: list[int], field: str, missing: str, bad: Any) -> int | None:
    """The one live customer these ids come to (a merged customer's survivor), else the problem told."""
    live = {ref.id for ref in customer_store.live_customer_refs(session, workspace_id, ids).values()}
    if len(live) == 1:
        return next(iter(live))
    bad(field, missing if not live else "names several customers; send its id instead")
    return None
