"""Follow-ups as people see them and act on them: done, undo, snooze, hand over, list, digest settings.

Each operation takes an open session and the clock as `now`; the caller owns the transaction. Every change
is a conditional update on the follow-up's current state, so a second click, a stale message or two
people clicking at once changes nothing twice; the answer then says what the follow-up's state is.
Nothing is deleted: every change is recorded in the audit trail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.capture.due_times import parse_due
from bot.capture.touchpoints import LogOutcome, LoopOffer, NotFound, TouchpointView
from bot.customers.matching import query_spellings
from bot.customers.name_index import CustomerIndexes
from bot.text import slack_to_plain
from storage import customers as customer_store
from storage import followups as followup_store
from storage import touchpoints as touchpoint_store
from storage.followups import FollowUpView
from storage.models import FollowUp

# ---------------------------------------------------------------------------------------------------------
# Acting on one follow-up
# ---------------------------------------------------------------------------------------------------------

MARKED_DONE, REOPENED, SNOOZED, REASSIGNED = "done", "reopened", "snoozed", "reassigned"

# Snooze choices, by the value their option carries; "pick" asks for a date instead.
SNOOZE_CHOICES = {"1h": "1 hour", "tomorrow": "Tomorrow 09:00", "monday": "Next Monday 09:00", "pick": "Pick a date…"}
PICK_DATE = "pick"


@dataclass(frozen=True)
class Outcome:
    """What a click did: the follow-up as it now is, and whether this click changed it."""

    follow_up: FollowUpView
    action: str
    changed: bool
    actor: str


def follow_up(session: Session, workspace_id: int, follow_up_id: int) -> FollowUpView:
    view = followup_store.follow_up_view(session, workspace_id, follow_up_id)
    if view is None:
        raise NotFound("follow-up")
    return view


def complete(
    session: Session, workspace_id: int, user_id: str, follow_up_id: int, *, now: datetime, **details: object
) -> Outcome:
    before = follow_up(session, workspace_id, follow_up_id)
    changed = followup_store.mark_done(session, workspace_id, follow_up_id, user_id, now)
    if changed:
        _record(
            session, workspace_id, user_id, "follow_up_done", follow_up_id, now, due_at=_iso(before.due_at), **details
        )
    return Outcome(follow_up(session, workspace_id, follow_up_id), MARKED_DONE, changed, user_id)


def reopen(session: Session, workspace_id: int, user_id: str, follow_up_id: int, *, now: datetime) -> Outcome:
    """Undo *Done*. It keeps its nudge history, so a follow-up already nudged is not nudged again."""
    before = follow_up(session, workspace_id, follow_up_id)
    changed = followup_store.mark_open(session, workspace_id, follow_up_id)
    if changed:
        _record(
            session,
            workspace_id,
            user_id,
            "follow_up_reopened",
            follow_up_id,
            now,
            was_done_by=before.completed_by,
            was_done_at=_iso(before.completed_at),
        )
    return Outcome(follow_up(session, workspace_id, follow_up_id), REOPENED, changed, user_id)


def snooze_until(choice: str, now: datetime, tz: ZoneInfo) -> datetime:
    """When a snooze choice ends, read in the clicker's zone: "tomorrow 09:00" is their 09:00."""
    if choice == "1h":
        return now + timedelta(hours=1)
    if choice == "tomorrow":
        return parse_due("tomorrow 9am", now, tz)
    if choice == "monday":
        return parse_due("next monday 9am", now, tz)
    raise ValueError(f"not a snooze choice: {choice}")


def snooze(
    session: Session, workspace_id: int, user_id: str, follow_up_id: int, until: datetime, *, now: datetime
) -> Outcome:
    before = follow_up(session, workspace_id, follow_up_id)
    # Snoozed to an instant the person chose: a time of its own, nudged then even at night.
    due_text = f"snoozed until {until.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    changed = followup_store.reschedule(session, workspace_id, follow_up_id, until, due_text)
    if changed:
        _record(
            session,
            workspace_id,
            user_id,
            "follow_up_snoozed",
            follow_up_id,
            now,
            before=_iso(before.due_at),
            after=_iso(until),
        )
    return Outcome(follow_up(session, workspace_id, follow_up_id), SNOOZED, changed, user_id)


def reassign(
    session: Session, workspace_id: int, user_id: str, follow_up_id: int, assignee: str, *, now: datetime
) -> Outcome:
    """Hand the follow-up to `assignee`; the caller tells them. Not yet nudged, it is nudged to them when due."""
    before = follow_up(session, workspace_id, follow_up_id)
    changed = before.assignee_user_id != assignee and followup_store.hand_over(
        session, workspace_id, follow_up_id, before.assignee_user_id, assignee
    )
    if changed:
        _record(
            session,
            workspace_id,
            user_id,
            REASSIGNED,
            follow_up_id,
            now,
            from_=before.assignee_user_id,
            to=assignee,
            reason="handed over",
        )
    return Outcome(follow_up(session, workspace_id, follow_up_id), REASSIGNED, changed, user_id)


def _record(
    session: Session, workspace_id: int, user_id: str, action: str, follow_up_id: int, now: datetime, **details: object
) -> None:
    touchpoint_store.record_many(session, workspace_id, user_id, action, FollowUp, [(follow_up_id, details)], now)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# ---------------------------------------------------------------------------------------------------------
# Closing the loop: a new touchpoint for a customer offers to close the author's open follow-up for it
# ---------------------------------------------------------------------------------------------------------


def loop_offer(session: Session, workspace_id: int, user_id: str, tp: TouchpointView) -> LoopOffer | None:
    """The person's earliest open follow-up with the touchpoint's customer, made before this touchpoint."""
    if tp.customer_id is None or tp.deleted:
        return None
    return _offer(session, workspace_id, user_id, tp.customer_id, tp.customer_name, before_touchpoint=tp.id)


def loop_offer_before_logging(
    session: Session, workspace_id: int, user_id: str, customer_id: int | None, customer_name: str | None
) -> LoopOffer | None:
    """loop_offer for a touchpoint about to be saved: every open follow-up is older than it."""
    if customer_id is None:
        return None
    return _offer(session, workspace_id, user_id, customer_id, customer_name, before_touchpoint=None)


def _offer(
    session: Session,
    workspace_id: int,
    user_id: str,
    customer_id: int,
    customer_name: str | None,
    *,
    before_touchpoint: int | None,
) -> LoopOffer | None:
    customer_ids = followup_store.customer_ids_merged_into(session, workspace_id, customer_id)
    dues = followup_store.open_follow_up_dues_before(session, workspace_id, user_id, customer_ids, before_touchpoint)
    if not dues:
        return None
    first_id, first_due = dues[0]
    return LoopOffer(first_id, first_due, customer_name, others=len(dues) - 1)


def with_loop_offer(session: Session, workspace_id: int, user_id: str, outcome: LogOutcome) -> LogOutcome:
    return replace(outcome, loop=loop_offer(session, workspace_id, user_id, outcome.touchpoint))


def loop_after(
    session: Session, workspace_id: int, user_id: str, tp: TouchpointView, closed: Outcome
) -> LoopOffer | None:
    """After *Mark done* on a reply: that follow-up with an Undo while it is done, else whatever is open now."""
    if closed.follow_up.status == "done":
        return LoopOffer(closed.follow_up.id, closed.follow_up.due_at, tp.customer_name, done=True)
    return loop_offer(session, workspace_id, user_id, tp)


# ---------------------------------------------------------------------------------------------------------
# /followups: whose list, or which customer's
# ---------------------------------------------------------------------------------------------------------

LIST_LIMIT = 20
HELP_WORDS = frozenset({"help", "?", "-h", "--help"})
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_LINK = re.compile(r"^<(?:https?|mailto):[^|<>]*\|([^<>]+)>$")


@dataclass(frozen=True)
class Scope:
    """Whose follow-ups a list shows; encoded into the list's buttons so a click can redraw it."""

    kind: str  # mine, user, customer
    key: str = ""  # the user id, or the customer id

    def encode(self) -> str:
        return {"mine": "me", "user": f"u.{self.key}", "customer": f"c.{self.key}"}[self.kind]

    @classmethod
    def decode(cls, text: str | None) -> Scope | None:
        if text == "me":
            return cls("mine")
        if text and text[:2] in ("u.", "c.") and text[2:].isalnum():
            return cls("user" if text[0] == "u" else "customer", text[2:])
        return None


@dataclass(frozen=True)
class Request:
    """What `/followups …` asks for."""

    kind: str  # list, customer, digest, help, unknown_user
    scope: Scope | None = None
    text: str = ""


def read_command(text: str) -> Request:
    text = text.strip()
    words = text.split()
    if not words or text.lower() in ("me", "mine"):
        return Request("list", Scope("mine"))
    if text.lower() in HELP_WORDS:
        return Request("help")
    if words[0].lower() == "digest":
        return Request("digest", text=" ".join(words[1:]).lower())
    if mention := _MENTION.match(text):
        return Request("list", Scope("user", mention.group(1)))
    if text.startswith("@"):  # typed without picking the person, so Slack could not turn it into an id
        return Request("unknown_user", text=text)
    if link := _LINK.match(text):  # Slack links a typed domain ("acme.com"): the name is its label
        return Request("customer", text=slack_to_plain(link.group(1)))
    return Request("customer", text=slack_to_plain(text))


@dataclass(frozen=True)
class Listing:
    scope: Scope
    viewer: str
    items: list[FollowUpView]
    total: int
    customer_name: str | None = None
    read_as: str | None = None  # what was typed, when a typo was forgiven


@dataclass(frozen=True)
class CustomerProblem:
    """A `/followups <customer>` whose customer is not clear: what was typed and the names it is close to."""

    typed: str
    ambiguous: bool
    suggestions: list[str] = field(default_factory=list)


def listing(session: Session, workspace_id: int, viewer: str, scope: Scope, *, read_as: str | None = None) -> Listing:
    if scope.kind == "customer":
        customer = customer_store.customer(session, workspace_id, int(scope.key))
        if customer is None:
            raise NotFound("customer")
        ids = followup_store.customer_ids_merged_into(session, workspace_id, customer.id)
        items, total = followup_store.open_follow_ups_with(session, workspace_id, ids, LIST_LIMIT)
        return Listing(Scope("customer", str(customer.id)), viewer, items, total, customer.name, read_as)
    assignee = viewer if scope.kind == "mine" else scope.key
    items, total = followup_store.open_follow_ups_assigned_to(session, workspace_id, assignee, LIST_LIMIT)
    return Listing(scope, viewer, items, total)


def customer_listing(
    session: Session, indexes: CustomerIndexes, workspace_id: int, viewer: str, typed: str
) -> Listing | CustomerProblem:
    """One customer's open follow-ups, the name matched by the one matcher `/log` and `/customer` use."""
    names = indexes.current(session, workspace_id)
    resolution = names.match(typed)
    ids = [hit.customer_id for hit in resolution.matches]
    found = customer_store.customers_by_ids(session, workspace_id, ids)
    if resolution.outcome == "one" and found:
        # Said when the name was read through a typo: a name typed whole, its start or its legal form goes unsaid.
        key = resolution.matches[0].key
        as_typed = any(key.startswith(form) for form in query_spellings(typed))
        scope = Scope("customer", str(found[0].id))
        return listing(session, workspace_id, viewer, scope, read_as=None if as_typed else typed)
    by_id = {c.id: c.name for c in found}
    return CustomerProblem(typed, resolution.outcome == "several", [by_id[i] for i in ids if i in by_id])


# ---------------------------------------------------------------------------------------------------------
# The daily digest's settings
# ---------------------------------------------------------------------------------------------------------


class DigestSettingError(ValueError):
    """A friendly sentence saying what `/followups digest …` expects."""


@dataclass(frozen=True)
class DigestSettings:
    enabled: bool
    hour: int
    changed: bool


_HOUR = re.compile(r"^(\d{1,2})(?::00)?\s*(am|pm|h)?$")


def read_digest_hour(text: str) -> int:
    """A local hour from "8", "08:00", "8am" or "17h"; 0–23."""
    match = _HOUR.match(text.strip().lower())
    if not match:
        raise DigestSettingError(f"“{text}” is not an hour. Say `/followups digest 8` for 08:00, or `on`/`off`.")
    hour, suffix = int(match.group(1)), match.group(2)
    if suffix in ("am", "pm"):
        if not 1 <= hour <= 12:
            raise DigestSettingError(f"“{text}” is not a time of day: use 1–12 with am/pm, or 0–23.")
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if not 0 <= hour <= 23:
        raise DigestSettingError(f"The digest hour is a whole hour from 0 to 23; “{text}” is not one.")
    return hour


def change_digest(session: Session, workspace_id: int, user_id: str, words: str) -> DigestSettings:
    """`on`, `off`, an hour (which also turns it on), or nothing to just show the settings."""
    enabled: bool | None = None
    hour: int | None = None
    if words in ("on", "off"):
        enabled = words == "on"
    elif words:
        enabled, hour = True, read_digest_hour(words)
    member, changed = followup_store.set_digest(session, workspace_id, user_id, enabled=enabled, hour=hour)
    return DigestSettings(enabled=member.digest_enabled, hour=member.digest_hour, changed=changed)
