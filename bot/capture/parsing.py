"""Understanding one `/log` line: customer, kind, summary, tags and follow-up.

The follow-up clause is read by the same code wherever words name one: the line's end, or a form's
"follow-up in words" field (`follow_up_from_words`, marker or not).

Input is the text as Slack sends it (mentions as `<@U1>`, `&amp;` escaped); the summary that comes
out is plain text, escaped again only when rendered. Nothing here touches Slack or the store: the
customer names come in through a `NameLookup`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.capture.due_times import DueTimeError, FollowUpClause, find_follow_up, parse_due
from bot.capture.kinds import detect_kind
from bot.customers.matching import Resolution, Scored
from bot.text import fold, slack_to_plain

MAX_CUSTOMER_WORDS = 6
MAX_CUSTOMER_CHARS = 80
SUGGESTIONS = 3
FOLLOW_UP_EXAMPLES = ("follow up friday 10am", "f/u in 2 weeks")

# A colon only separates when a space follows, so "3:30" and "https://" stay whole. The lookbehind lets a
# match start only where a run of spaces starts: from every space inside a long run, `\s*` would rescan the
# rest of the run, and a line of spaces would cost time quadratic in its length.
_SEPARATOR = re.compile(r"(?<!\s)\s*(?::(?=\s|$)|\s[-–—]\s|[–—])\s*")
_TAG = re.compile(r"(?<![<\w&/])#(\w[\w-]*)")
# What joins a summary to its follow-up clause: "call went well, and follow up friday".
_CLAUSE_LEAD_CHARS = ",;.-–—"  # and any whitespace
_CLAUSE_LEAD_WORD = re.compile(r"\b(?:and|then)\Z", re.IGNORECASE)


class NameLookup(Protocol):
    """The matcher `/customer` uses too (`bot.customers.matching.NameIndex`), so both find the same customers."""

    def known(self, text: str) -> set[int]: ...
    def match(self, text: str) -> Resolution: ...


@dataclass(frozen=True)
class FollowUpPlan:
    due_at: datetime
    assignee: str
    text: str


class UnknownAssignee(DueTimeError):
    """The follow-up names someone as "@dave" in plain text, not as a Slack mention: who is meant is unknown."""

    def __init__(self, name: str) -> None:
        super().__init__(f"I couldn't tell who @{name} is.")
        self.name = name


def follow_up_from_words(words: str, *, now: datetime, tz: ZoneInfo, author: str) -> FollowUpPlan:
    """The follow-up that words name, as a form's field holds them: anything the `/log` line's follow-up clause
    accepts, with its marker ("follow up friday 10am", "ping <@U1> dec 10") or without ("friday 10am").

    Raises DueTimeError (UnknownAssignee for a plain "@dave") with a sentence for the person.
    """
    text = words.strip()
    clause = find_follow_up(text)
    if clause is None or _without_clause_lead(text[: clause.start]):
        # No marker, or one inside the phrase ("in 2 weeks, ping" is not a clause): the words are the time.
        clause = FollowUpClause(start=0, marker="", assignee=None, when_text=text)
    return _plan(clause, slack_to_plain(text), now=now, tz=tz, author=author)


def _plan(clause: FollowUpClause, text: str, *, now: datetime, tz: ZoneInfo, author: str) -> FollowUpPlan:
    if clause.unknown_name:
        raise UnknownAssignee(clause.unknown_name)
    return FollowUpPlan(parse_due(clause.when_text, now, tz), clause.assignee or author, text)


@dataclass(frozen=True)
class ParsedLine:
    customer_id: int | None
    customer_text: str
    matched_by: str  # exact, typo, ambiguous, unknown, missing
    candidates: list[Scored]
    kind: str
    summary: str
    tags: list[str]
    follow_up: FollowUpPlan | None
    follow_up_text: str | None
    errors: list[str] = field(default_factory=list)


def parse_log_line(text: str, names: NameLookup, *, now: datetime, tz: ZoneInfo, author: str) -> ParsedLine:
    wire = text.strip()
    follow_up, follow_up_text, errors, body = _split_follow_up(wire, now=now, tz=tz, author=author)
    tags = tags_in(wire)
    plain = slack_to_plain(body).strip()
    customer_text, rest, has_separator = _split_customer(plain, names)
    customer_id, matched_by, candidates = _resolve_customer(customer_text, names, has_separator)
    summary = rest.strip(" ,;.-–—")
    if matched_by == "missing":
        errors.insert(0, "I couldn't tell which customer this is about. Start the line with the customer's name.")
    elif matched_by == "ambiguous":
        errors.insert(0, f"Several customers are called “{customer_text}”: pick the right one.")
    elif matched_by == "unknown":
        errors.insert(0, f"I don't know a customer called “{customer_text}” yet.")
    return ParsedLine(
        customer_id=customer_id,
        customer_text=customer_text,
        matched_by=matched_by,
        candidates=candidates,
        kind=detect_kind(summary),
        summary=summary,
        tags=tags,
        follow_up=follow_up,
        follow_up_text=follow_up_text,
        errors=errors,
    )


def _split_follow_up(
    wire: str, *, now: datetime, tz: ZoneInfo, author: str
) -> tuple[FollowUpPlan | None, str | None, list[str], str]:
    clause = find_follow_up(wire)
    if clause is None:
        return None, None, [], wire
    body = _without_clause_lead(wire[: clause.start])
    clause_text = slack_to_plain(wire[clause.start :]).strip()
    try:
        plan = _plan(clause, clause_text, now=now, tz=tz, author=author)
    except UnknownAssignee as error:
        mention = "to give someone the follow-up, type @ and pick the person from the list Slack shows"
        return None, clause_text, [f"{error} The touchpoint is saved without a follow-up; {mention}."], body
    except DueTimeError as error:
        hint = " or ".join(f"“{example}”" for example in FOLLOW_UP_EXAMPLES)
        return None, clause_text, [f"{error} The touchpoint is saved without a follow-up; try {hint}."], body
    return plan, clause_text, [], body


def _without_clause_lead(body: str) -> str:
    """`body` without the separators and the one "and"/"then" that lead into the follow-up clause.

    Stripped by hand rather than with one regex: two adjacent starred classes ending in `$` backtrack over
    every split of a run of dashes, which took seconds on a single line.
    """
    body = _rstrip_lead(body)
    if word := _CLAUSE_LEAD_WORD.search(body):
        body = _rstrip_lead(body[: word.start()])
    return body


def _rstrip_lead(text: str) -> str:
    end = len(text)
    # isspace() is what `\s` matches, so spaces such as U+00A0 count as they did for the regex this replaces.
    while end and (text[end - 1] in _CLAUSE_LEAD_CHARS or text[end - 1].isspace()):
        end -= 1
    return text[:end]


def tags_in(wire: str) -> list[str]:
    """Every `#word` of a text, lower case, each once, as `/log` reads a line's tags."""
    seen: dict[str, None] = {}
    for match in _TAG.finditer(wire):
        seen.setdefault(match.group(1).lower(), None)
    return list(seen)


def _split_customer(plain: str, names: NameLookup) -> tuple[str, str, bool]:
    """The customer text and the rest; with no separator the longest known name at the start wins."""
    match = _SEPARATOR.search(plain)
    if match and match.start() == 0:
        return "", plain[match.end() :], True
    if match and match.start() <= MAX_CUSTOMER_CHARS:
        head = plain[: match.start()].strip()
        if len(head.split()) <= MAX_CUSTOMER_WORDS and fold(head):
            # A colon later in the line ("Acme GmbH site visit: ...") must not hide the known name it starts with.
            known = None if _names_one(names, head) else _known_prefix(plain, names)
            if known is None:
                return head, plain[match.end() :], True
            return known
    known = _known_prefix(plain, names)
    if known is not None:
        return known
    tokens = list(re.finditer(r"\S+", plain))
    for count in range(min(3, len(tokens)), 0, -1):
        end = tokens[count - 1].end()
        head = plain[:end].rstrip(",;.")
        if len(fold(head)) >= 4 and names.match(head).outcome == "one":
            return head, plain[end:], False
    if not tokens:
        return "", "", False
    head_count = _capitalised_lead(tokens)
    end = tokens[head_count - 1].end()
    return plain[:end].rstrip(",;."), plain[end:], False


def _known_prefix(plain: str, names: NameLookup) -> tuple[str, str, bool] | None:
    """The longest known name the line starts with: "Acme GmbH site visit: ..." is about Acme GmbH."""
    tokens = list(re.finditer(r"\S+", plain))
    for count in range(min(MAX_CUSTOMER_WORDS, len(tokens)), 0, -1):
        end = tokens[count - 1].end()
        head = plain[:end].rstrip(",;.")
        if names.known(head):
            return head, plain[end:], False
    return None


def _names_one(names: NameLookup, text: str) -> bool:
    """True when the text is a known name, or names one customer as `/customer` would read it."""
    return bool(names.known(text)) or names.match(text).outcome == "one"


def _capitalised_lead(tokens: list[re.Match[str]]) -> int:
    """Guess where an unknown name ends: "Initech Systems called about…" names "Initech Systems"."""
    count = 1
    while count < min(3, len(tokens)) and tokens[count].group()[:1].isupper():
        count += 1
    return count


def customer_named(text: str, names: NameLookup) -> tuple[int | None, str, list[Scored]]:
    """Which customer a name given on its own names, as `/log` decides it: (id or None, how, the candidates).

    How is `exact`, `typo`, `ambiguous` (several customers hold the name), `unknown` or `missing`.
    """
    return _resolve_customer(text, names, True)


def _resolve_customer(text: str, names: NameLookup, has_separator: bool) -> tuple[int | None, str, list[Scored]]:
    if not fold(text):
        return None, "missing", []
    exact = names.known(text)
    if len(exact) == 1:
        return next(iter(exact)), "exact", []
    if len(exact) > 1:
        return None, "ambiguous", [Scored(cid, fold(text), 100.0) for cid in sorted(exact)]
    resolution = names.match(text)
    if resolution.outcome == "one":
        return resolution.matches[0].customer_id, "typo", []
    # Several plausible customers, or none: the reply offers them (closest first) beside *Create*.
    return None, "unknown", resolution.matches[:SUGGESTIONS]
