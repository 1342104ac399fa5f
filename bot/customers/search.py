"""`/customer <query>`: which customer someone means, by name, alias, domain, contact name or e-mail.

The in-memory index proposes candidates with the matcher `/log` uses too (`bot.customers.matching.rank_keys`:
exact keys, keys starting with the query, trigram-sharing keys scored for typos and partial words, for the
query and its other spellings); the store confirms them (the name is still active, the customer is live or
merged into one that is) so a renamed or deleted customer is never offered; `matching.decide`, the rule
`/log` applies too, says whether they name one customer.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz
from sqlalchemy.orm import Session

from bot.customers import matching
from bot.customers.matching import CLOSEST_SIZE, MAX_QUERY_CHARS, PLAUSIBLE_SCORE, decide, rank_keys
from bot.customers.name_index import CustomerIndexes
from bot.text import fold
from storage import customers as customer_store

RECENT_SIZE = 8

Outcome = Literal[matching.Outcome, "recent", "unsearchable", "help"]
HELP_WORDS = frozenset({"help", "-h", "--help"})

# How each kind of name is told to the person when it, not the customer's name, is what matched.
KIND_LABELS = {"alias": "alias", "domain": "domain", "contact": "contact", "email": "contact e-mail"}


@dataclass(frozen=True)
class Match:
    customer_id: int
    name: str
    score: float
    # What matched when it was not the customer's own name, e.g. ("contact e-mail", "dana@acme.com").
    via: tuple[str, str] | None = None


@dataclass(frozen=True)
class SearchResult:
    outcome: Outcome
    typed: str
    matches: list[Match] = field(default_factory=list)
    # The query was longer than MAX_QUERY_CHARS: only its start was matched.
    truncated: bool = False
    # Plausible matches left out of the chooser.
    more: int = 0


def search_customers(
    session: Session, indexes: CustomerIndexes, workspace_id: int, viewer_user_id: str, text: str
) -> SearchResult:
    typed = " ".join(text.split())
    if not typed:
        recent = customer_store.customers_touched_by(session, workspace_id, viewer_user_id, RECENT_SIZE)
        return SearchResult("recent", "", [Match(c.id, c.name, 100.0) for c in recent])
    if typed.lower() in HELP_WORDS:
        return SearchResult("help", typed)
    truncated = len(typed) > MAX_QUERY_CHARS
    typed = typed[:MAX_QUERY_CHARS]
    query = fold(typed)
    if not query:
        return SearchResult("unsearchable", typed, truncated=truncated)
    index = indexes.current(session, workspace_id)
    matches = _confirmed(session, workspace_id, rank_keys(index, typed), query)
    if not matches and index.exact(query):  # that name was switched off since: look further
        matches = _confirmed(session, workspace_id, rank_keys(index, typed, known_is_enough=False), query)
    if not matches:  # nothing close: still name the nearest customers, by any word they share
        nearest = {hit.key: min(hit.score, PLAUSIBLE_SCORE - 1) for hit in index.closest(query, limit=CLOSEST_SIZE)}
        matches = _confirmed(session, workspace_id, nearest, query)
    return _decide(typed, matches, truncated)


def _confirmed(session: Session, workspace_id: int, scored: dict[str, float], query: str) -> list[Match]:
    """One match per live customer, best first, from the candidate keys the store still holds as active names.

    Equal scores (`Walker & Co`, `Walker & Co AB`, `Walker & Co plc` all share the key `walker co`) are
    ordered by how close the whole name is to what was typed.
    """
    if not scored:
        return []
    rows = customer_store.active_names_with_keys(session, workspace_id, list(scored))
    # Names of customers merged away lead to their survivor (looked up only for those, which are few).
    merged = {row.customer_id for row in rows if row.merged_into_id is not None}
    survivors = customer_store.live_customers_by_id(session, workspace_id, merged) if merged else {}
    best: dict[int, Match] = {}
    for row in rows:
        if row.merged_into_id is not None:
            survivor = survivors.get(row.customer_id)
            if survivor is None:
                continue
            customer_id, name = survivor.id, survivor.name
        elif row.deleted:
            continue
        else:
            customer_id, name = row.customer_id, row.customer_name
        score = scored[row.key]
        own_name = row.kind == "name" and row.customer_id == customer_id
        via = None if own_name else (KIND_LABELS.get(row.kind, "former name"), row.value)
        known = best.get(customer_id)
        if known is None or score > known.score or (score == known.score and known.via and not via):
            best[customer_id] = Match(customer_id, name, score, via)
    return sorted(best.values(), key=lambda m: (-m.score, -fuzz.ratio(query, fold(m.name)), len(m.name), m.customer_id))


def _decide(typed: str, matches: list[Match], truncated: bool) -> SearchResult:
    outcome, shown, more = decide(matches)
    return SearchResult(outcome, typed, shown, truncated=truncated, more=more)


_SLACK_LINK = re.compile(r"<([^<>|]*)\|([^<>]*)>|<([^<>]*)>")


def plain_query(text: str) -> str:
    """What a person typed after `/customer`: Slack's entities undone, `<mailto:a@b.c|a@b.c>` read as its label."""

    def label(match: re.Match[str]) -> str:
        if match.group(2) is not None:
            return match.group(2)
        return match.group(3).removeprefix("mailto:")

    return html.unescape(_SLACK_LINK.sub(label, text))
