"""Logging touchpoints: the domain operations behind `/log`, the modal, the shortcut, the HTTP API and the
Workflow Builder step (`bot.capture.steps`).

Each function takes an open session and the clock as `now`; the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.capture.parsing import FollowUpPlan, ParsedLine, parse_log_line
from bot.customers.name_index import CustomerIndexes
from bot.members import Author
from bot.text import fold
from storage import api as api_store
from storage import customers as customer_store
from storage import touchpoints as touchpoint_store
from storage import workspaces as workspace_store
from storage.customers import CustomerRef
from storage.models import Customer, FollowUp, Touchpoint

# The same line from the same person within this long is one touchpoint sent twice: a reply that never reached
# them (Slack gave up waiting, the store was slow) makes people type the line again, and it must not count twice.
RETYPED_LINE_WINDOW = timedelta(minutes=10)

DEPARTMENTS = ("sales", "support", "finance", "logistics", "production", "marketing", "management", "other")
# The longest name, alias or contact name a customer may have (the store's column holds no more).
MAX_NAME_LENGTH = 200


class NotFound(LookupError):
    """The touchpoint or customer a button points at is not in this workspace (any more)."""


class BadName(ValueError):
    """A name that cannot be a new customer's; `reason` is a friendly sentence, with no user text in it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def customer_name_problem(name: str) -> str | None:
    """Why a typed name cannot be a new customer's, or None when it can."""
    if not fold(name):
        return "A customer needs a name with at least one letter or digit."
    if len(name.strip()) > MAX_NAME_LENGTH:
        return f"A customer's name has at most {MAX_NAME_LENGTH} characters."
    return None


@dataclass(frozen=True)
class TouchpointView:
    id: int
    customer_id: int | None
    customer_name: str | None
    customer_text: str | None
    kind: str
    summary: str
    tags: list[str]
    occurred_at: datetime
    author_user_id: str
    department: str | None
    source: str
    permalink: str | None
    deleted: bool
    follow_up_due: datetime | None
    follow_up_assignee: str | None
    follow_up_text: str | None


@dataclass(frozen=True)
class LoopOffer:
    """The logger's earliest open follow-up with the touchpoint's customer, offered to be marked done."""

    follow_up_id: int
    due_at: datetime
    customer_name: str | None
    done: bool = False  # already closed from this reply: it then offers Undo
    others: int = 0  # further open follow-ups with the same customer


@dataclass(frozen=True)
class LogOutcome:
    touchpoint: TouchpointView
    matched_by: str = "exact"
    typed_customer: str | None = None
    candidates: list[tuple[int, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    ask_department: bool = False
    # The logger's open follow-up with this customer, offered to be marked done ("closing the loop").
    loop: LoopOffer | None = None
    # The line had been logged already (RETYPED_LINE_WINDOW): this is that touchpoint, nothing new was saved.
    already_logged: bool = False


@dataclass(frozen=True)
class Entry:
    """A touchpoint as filled in through the modal or the message shortcut."""

    customer_id: int | None
    new_customer_name: str | None
    kind: str
    summary: str
    occurred_at: datetime
    tags: list[str]
    follow_up: FollowUpPlan | None
    source: str
    permalink: str | None = None
    channel_id: str | None = None
    author_user_id: str | None = None
    # How much of the stored summary the edit form could show (None: all of it); an edit leaving that part as
    # it was keeps the whole summary rather than the part shown.
    summary_shown: int | None = None
    # Another system's record (the HTTP API): which system, its id there, a link back, the department it names.
    source_system: str | None = None
    external_id: str | None = None
    url: str | None = None
    department: str | None = None
    # The customer as typed, kept beside customer_id as /log keeps it: a name nobody created yet stays readable
    # and can be created or picked later from the reply (a Workflow Builder step's "Customer").
    customer_text: str | None = None


def log_line(
    session: Session,
    indexes: CustomerIndexes,
    workspace_id: int,
    author: Author,
    text: str,
    *,
    now: datetime,
    channel_id: str | None = None,
) -> LogOutcome:
    plan = plan_line(session, indexes, workspace_id, author, text, now=now)
    return save_line(session, workspace_id, author, text, plan, now=now, channel_id=channel_id)


@dataclass(frozen=True)
class LinePlan:
    """What a /log line means, worked out from reads alone: no write lock is needed meanwhile."""

    parsed: ParsedLine
    customer: CustomerRef | None
    candidates: list[tuple[int, str]]

    @property
    def says_nothing(self) -> bool:
        """`/log Acme:` and no more: no summary, no follow-up. Asked about instead of saved as an empty note."""
        parsed = self.parsed
        return not parsed.summary and not parsed.tags and parsed.follow_up_text is None


def plan_line(
    session: Session, indexes: CustomerIndexes, workspace_id: int, author: Author, text: str, *, now: datetime
) -> LinePlan:
    names = indexes.current(session, workspace_id)
    parsed = parse_log_line(text, names, now=now, tz=author.tz, author=author.user_id)
    customer, candidates = live_match(
        session, workspace_id, parsed.customer_id, [c.customer_id for c in parsed.candidates]
    )
    return LinePlan(parsed, customer, candidates)


def live_match(
    session: Session, workspace_id: int, customer_id: int | None, candidate_ids: list[int]
) -> tuple[CustomerRef | None, list[tuple[int, str]]]:
    """The matched customer and the offered candidates that are still live (not deleted or merged away since the
    name index was read), in one query: what `/log` and the Workflow Builder step save and offer."""
    asked = [customer_id, *candidate_ids] if customer_id else candidate_ids
    live = customer_store.live_customer_refs(session, workspace_id, asked)
    customer = live.get(customer_id) if customer_id else None
    candidates = {live[i].id: live[i].name for i in candidate_ids if i in live}
    return customer, list(candidates.items())


def save_line(
    session: Session,
    workspace_id: int,
    author: Author,
    text: str,
    plan: LinePlan,
    *,
    now: datetime,
    channel_id: str | None = None,
) -> LogOutcome:
    """Only inserts (touchpoint, follow-up, audit event); the reply is built from what is already known.

    A line the author logged within RETYPED_LINE_WINDOW gets that touchpoint back instead of a second one.
    """
    parsed, customer = plan.parsed, plan.customer
    touchpoint_store.wait_for_the_authors_other_lines(session, workspace_id, author.user_id)
    earlier = touchpoint_store.touchpoint_logged_from_line(
        session, workspace_id, author.user_id, text, since=now - RETYPED_LINE_WINDOW
    )
    if earlier is not None:
        view = describe(session, earlier)
        return LogOutcome(
            touchpoint=view,
            matched_by=parsed.matched_by if view.customer_id is None else "exact",
            typed_customer=parsed.customer_text,
            candidates=plan.candidates,
            ask_department=author.department is None,
            already_logged=True,
        )
    customer_id = customer.id if customer else None
    touchpoint_id = touchpoint_store.insert_touchpoint(
        session,
        workspace_id=workspace_id,
        customer_id=customer_id,
        customer_text=parsed.customer_text or None,
        author_user_id=author.user_id,
        author_department=author.department,
        kind=parsed.kind,
        summary=parsed.summary,
        raw_text=text,
        tags=parsed.tags,
        occurred_at=now,
        source="command",
        channel_id=channel_id,
        created_at=now,
    )
    follow_up = parsed.follow_up
    if follow_up is not None:
        touchpoint_store.insert_follow_up(
            session,
            workspace_id=workspace_id,
            touchpoint_id=touchpoint_id,
            customer_id=customer_id,
            assignee_user_id=follow_up.assignee,
            due_at=follow_up.due_at,
            due_text=follow_up.text[:200],
            created_at=now,
        )
    touchpoint_store.insert_audit_event(
        session,
        workspace_id=workspace_id,
        actor_user_id=author.user_id,
        action="logged",
        entity_type="touchpoint",
        entity_id=touchpoint_id,
        details={"text": text},
        at=now,
    )
    view = TouchpointView(
        id=touchpoint_id,
        customer_id=customer_id,
        customer_name=customer.name if customer else None,
        customer_text=parsed.customer_text or None,
        kind=parsed.kind,
        summary=parsed.summary,
        tags=list(parsed.tags),
        occurred_at=now,
        author_user_id=author.user_id,
        department=author.department,
        source="command",
        permalink=None,
        deleted=False,
        follow_up_due=follow_up.due_at if follow_up else None,
        follow_up_assignee=follow_up.assignee if follow_up else None,
        follow_up_text=follow_up.text[:200] if follow_up else None,
    )
    return LogOutcome(
        touchpoint=view,
        matched_by=parsed.matched_by if customer or parsed.customer_id is None else "unknown",
        typed_customer=parsed.customer_text,
        candidates=plan.candidates,
        errors=parsed.errors,
        ask_department=author.department is None,
    )


def replayed_outcome(
    session: Session, indexes: CustomerIndexes, workspace_id: int, author: Author, touchpoint_id: int
) -> LogOutcome:
    """The outcome a touchpoint's reply showed, for a reply updated in place (the department answered, an undo
    restored): the line is planned again as it was logged, at the instant it was logged, so the reply keeps
    every choice it offered (the customer suggestions, *Create*, *Set follow-up*) instead of being rebuilt
    with less. What changed since wins: a customer attached meanwhile, a follow-up set meanwhile.
    """
    row = _touchpoint(session, workspace_id, touchpoint_id)
    view = describe(session, row)
    if row.source != "command" or not row.raw_text:
        return LogOutcome(touchpoint=view)
    plan = plan_line(session, indexes, workspace_id, author, row.raw_text, now=row.created_at)
    parsed = plan.parsed
    errors = [e for e in parsed.errors if view.follow_up_due is None or "follow-up" not in e]
    if view.customer_id is not None:
        same = plan.customer is not None and plan.customer.id == view.customer_id
        return LogOutcome(view, parsed.matched_by if same else "exact", parsed.customer_text, [], errors)
    candidates = plan.candidates
    if plan.customer is not None:  # found now, though not when it was logged: offer it first
        candidates = [(plan.customer.id, plan.customer.name), *(c for c in candidates if c[0] != plan.customer.id)]
    matched_by = parsed.matched_by if parsed.matched_by in ("ambiguous", "missing") else "unknown"
    return LogOutcome(view, matched_by, parsed.customer_text, candidates, errors)


def entry_customer(session: Session, workspace_id: int, actor: Author, entry: Entry, *, now: datetime) -> int | None:
    """The customer a submitted form names, checked to be a live customer of this workspace (a merged one's
    survivor), or created from the typed name; the form's customer id came from Slack, so it is never trusted."""
    if entry.customer_id is None:
        if not entry.new_customer_name:
            return None
        return create_customer(session, workspace_id, actor.user_id, entry.new_customer_name, now=now)
    customer = customer_store.customer(session, workspace_id, entry.customer_id)
    if customer is None:
        raise NotFound("customer")
    return customer.id


def log_entry(session: Session, workspace_id: int, actor: Author, entry: Entry, *, now: datetime) -> LogOutcome:
    customer_id = entry_customer(session, workspace_id, actor, entry, now=now)
    author_id = entry.author_user_id or actor.user_id
    department = actor.department
    if author_id != actor.user_id:
        author_member = workspace_store.member(session, workspace_id, author_id)
        department = author_member.department if author_member else None
    row = Touchpoint(**touchpoint_columns(workspace_id, customer_id, entry, author_id, department, now=now))
    session.add(row)
    session.flush()
    if entry.follow_up is not None:
        _add_follow_up(session, row, entry.follow_up, now)
    touchpoint_store.record(session, workspace_id, actor.user_id, "logged", row, now, source=entry.source)
    return LogOutcome(touchpoint=describe(session, row), ask_department=actor.department is None)


def touchpoint_columns(
    workspace_id: int, customer_id: int | None, entry: Entry, author_id: str, department: str | None, *, now: datetime
) -> dict[str, Any]:
    """The columns of the touchpoint an entry makes, for one row here and for a batch's insert
    (`bot.capture.bulk`): the department the entry names, else the author's."""
    return {
        "workspace_id": workspace_id,
        "customer_id": customer_id,
        "customer_text": entry.customer_text,
        "author_user_id": author_id,
        "author_department": entry.department or department,
        "kind": entry.kind,
        "summary": entry.summary,
        "tags": entry.tags,
        "occurred_at": entry.occurred_at,
        "source": entry.source,
        "permalink": entry.permalink,
        "channel_id": entry.channel_id,
        "source_system": entry.source_system,
        "external_id": entry.external_id,
        "url": entry.url,
        "created_at": now,
    }


def follow_up_columns(
    workspace_id: int, touchpoint_id: int, customer_id: int | None, plan: FollowUpPlan, *, now: datetime
) -> dict[str, Any]:
    """The columns of a touchpoint's follow-up, for one row and for a batch's insert alike."""
    return {
        "workspace_id": workspace_id,
        "touchpoint_id": touchpoint_id,
        "customer_id": customer_id,
        "assignee_user_id": plan.assignee,
        "due_at": plan.due_at,
        "due_text": plan.text[:200],
        "created_at": now,
    }


def log_record(session: Session, workspace_id: int, actor: Author, entry: Entry, *, now: datetime) -> tuple[int, bool]:
    """A touchpoint another system sent: (its id, whether this call made it).

    A record with an `external_id` already logged from the same `source_system` is the touchpoint it made then,
    left as it is; two requests racing with the same record make one row (uq_touchpoints_external_id), and the
    one that lost answers with the winner's id.
    """
    if entry.external_id is not None and entry.source_system is not None:
        earlier = api_store.touchpoint_id_by_external_id(session, workspace_id, entry.source_system, entry.external_id)
        if earlier is not None:
            return earlier, False
    try:
        with session.begin_nested():
            outcome = log_entry(session, workspace_id, actor, entry, now=now)
    except IntegrityError:
        if entry.external_id is None or entry.source_system is None:
            raise
        winner = api_store.touchpoint_id_by_external_id(session, workspace_id, entry.source_system, entry.external_id)
        if winner is None:
            raise
        return winner, False
    return outcome.touchpoint.id, True


def edit_touchpoint(
    session: Session, workspace_id: int, actor: Author, touchpoint_id: int, entry: Entry, *, now: datetime
) -> LogOutcome:
    row = _touchpoint(session, workspace_id, touchpoint_id)
    before = _snapshot(session, row)
    row.customer_id = entry_customer(session, workspace_id, actor, entry, now=now)
    summary = entry.summary
    if entry.summary_shown and summary == row.summary[: entry.summary_shown].strip():
        summary = row.summary
    row.kind, row.summary, row.tags, row.occurred_at = entry.kind, summary, entry.tags, entry.occurred_at
    current = touchpoint_store.follow_up_of(session, workspace_id, row.id)
    if current is not None and current.status == "open":
        current.status, current.completed_at = "cancelled", now
    if entry.follow_up is not None:
        _add_follow_up(session, row, entry.follow_up, now)
    session.flush()
    touchpoint_store.record(
        session, workspace_id, actor.user_id, "edited", row, now, before=before, after=_snapshot(session, row)
    )
    return LogOutcome(touchpoint=describe(session, row))


def undo_touchpoint(
    session: Session, workspace_id: int, user_id: str, touchpoint_id: int, *, now: datetime
) -> LogOutcome:
    """Hide the touchpoint and pause its follow-up; restore_touchpoint brings both back."""
    row = _touchpoint(session, workspace_id, touchpoint_id)
    if row.deleted_at is None:
        row.deleted_at, row.deleted_by = now, user_id
        follow_up = touchpoint_store.follow_up_of(session, workspace_id, row.id)
        if follow_up is not None and follow_up.status == "open":
            follow_up.status = "cancelled"
        touchpoint_store.record(session, workspace_id, user_id, "undone", row, now)
    return LogOutcome(touchpoint=describe(session, row))


def restore_touchpoint(
    session: Session, workspace_id: int, user_id: str, touchpoint_id: int, *, now: datetime
) -> LogOutcome:
    row = _touchpoint(session, workspace_id, touchpoint_id)
    if row.deleted_at is not None:
        row.deleted_at, row.deleted_by = None, None
        follow_up = touchpoint_store.follow_up_of(session, workspace_id, row.id)
        if follow_up is not None and follow_up.status == "cancelled" and follow_up.completed_at is None:
            follow_up.status = "open"
        touchpoint_store.record(session, workspace_id, user_id, "restored", row, now)
    return LogOutcome(touchpoint=describe(session, row))


def attach_customer(
    session: Session, workspace_id: int, user_id: str, touchpoint_id: int, customer_id: int, *, now: datetime
) -> LogOutcome:
    row = _touchpoint(session, workspace_id, touchpoint_id)
    customer = customer_store.customer(session, workspace_id, customer_id)
    if customer is None:
        raise NotFound("customer")
    before = row.customer_id
    row.customer_id = customer.id
    follow_up = touchpoint_store.follow_up_of(session, workspace_id, row.id)
    if follow_up is not None:
        follow_up.customer_id = customer.id
    touchpoint_store.record(session, workspace_id, user_id, "customer_set", row, now, before=before, after=customer.id)
    return LogOutcome(touchpoint=describe(session, row))


def create_customer(session: Session, workspace_id: int, user_id: str, name: str, *, now: datetime) -> int:
    """A new customer, or the existing one when someone else created the same name a moment ago.

    Every way of creating a customer comes here, so the name rules hold whichever button or form was used:
    a name they refuse raises BadName, and nothing is written.
    """
    if problem := customer_name_problem(name):
        raise BadName(problem)
    existing = customer_store.customer_by_exact_name(session, workspace_id, name)
    if existing is not None:
        return existing.id
    row, created = customer_store.add_customer_once(session, workspace_id, name, created_by=user_id, now=now)
    if created:
        touchpoint_store.record(session, workspace_id, user_id, "created", row, now, name=row.name)
    return row.id


def set_follow_up(
    session: Session, workspace_id: int, user_id: str, touchpoint_id: int, plan: FollowUpPlan, *, now: datetime
) -> LogOutcome:
    row = _touchpoint(session, workspace_id, touchpoint_id)
    current = touchpoint_store.follow_up_of(session, workspace_id, row.id)
    if current is not None and current.status == "open":
        current.status, current.completed_at = "cancelled", now
    follow_up = _add_follow_up(session, row, plan, now)
    touchpoint_store.record(
        session, workspace_id, user_id, "follow_up_set", follow_up, now, due_at=plan.due_at.isoformat()
    )
    return LogOutcome(touchpoint=describe(session, row))


def touchpoint_view(session: Session, workspace_id: int, touchpoint_id: int) -> TouchpointView:
    return describe(session, _touchpoint(session, workspace_id, touchpoint_id))


def describe(session: Session, row: Touchpoint) -> TouchpointView:
    customer = customer_store.customer(session, row.workspace_id, row.customer_id) if row.customer_id else None
    follow_up = touchpoint_store.follow_up_of(session, row.workspace_id, row.id)
    return _view(row, customer, follow_up if follow_up is not None and follow_up.status == "open" else None)


def _view(row: Touchpoint, customer: Customer | None, open_follow_up: FollowUp | None) -> TouchpointView:
    """The touchpoint as replies show it; `describe` reads what a just-inserted row already has in hand."""
    return TouchpointView(
        id=row.id,
        customer_id=customer.id if customer else None,
        customer_name=customer.name if customer else None,
        customer_text=row.customer_text,
        kind=row.kind,
        summary=row.summary,
        tags=list(row.tags or []),
        occurred_at=row.occurred_at,
        author_user_id=row.author_user_id,
        department=row.author_department,
        source=row.source,
        permalink=row.permalink,
        deleted=row.deleted_at is not None,
        follow_up_due=open_follow_up.due_at if open_follow_up else None,
        follow_up_assignee=open_follow_up.assignee_user_id if open_follow_up else None,
        follow_up_text=open_follow_up.due_text if open_follow_up else None,
    )


def with_errors(outcome: LogOutcome, *errors: str) -> LogOutcome:
    return replace(outcome, errors=[*outcome.errors, *errors])


def _add_follow_up(session: Session, row: Touchpoint, plan: FollowUpPlan, now: datetime) -> FollowUp:
    follow_up = FollowUp(**follow_up_columns(row.workspace_id, row.id, row.customer_id, plan, now=now))
    session.add(follow_up)
    session.flush()
    return follow_up


def _touchpoint(session: Session, workspace_id: int, touchpoint_id: int) -> Touchpoint:
    row = touchpoint_store.touchpoint(session, workspace_id, touchpoint_id)
    if row is None:
        raise NotFound("touchpoint")
    return row


def _snapshot(session: Session, row: Touchpoint) -> dict[str, object]:
    return {
        "customer_id": row.customer_id,
        "kind": row.kind,
        "summary": row.summary,
        "tags": list(row.tags or []),
        "occurred_at": row.occurred_at.isoformat(),
    }
