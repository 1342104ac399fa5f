"""`/customer <query>`: which customer someone means, by name, alias, domain, contact name or e-mail.

The in-memory index proposes candidates (exact keys, keys starting with the query, trigram-sharing keys
scored for typos and partial words); the store confirms them (the name is still active, the customer is
live or merged into one that is) so a renamed or deleted customer is never offered.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz, process
from sqlalchemy.orm import Session

from bot.customers.matching import NameIndex
from bot.customers.name_index import CustomerIndexes
from bot.text import LEGAL_SUFFIXES, clean_domain, domain_keys, fold, name_keys
from storage import customers as customer_store

# What is matched of a query: a name is never this long, and a pasted paragraph must not cost seconds.
MAX_QUERY_CHARS = 100
# A query matching one customer this well (and clearly better than the next) opens its card directly.
CLEAR_SCORE = 88.0
CLEAR_MARGIN = 5.0
# Matches at least this good are offered in a chooser; weaker ones only as "closest names".
PLAUSIBLE_SCORE = 75.0
ALONE_SCORE = 80.0
CLOSEST_SCORE = 55.0
CHOOSER_SIZE = 5
CLOSEST_SIZE = 3
RECENT_SIZE = 8
# How much less a match on a variant of the query counts than a match on the query as typed.
VARIANT_PENALTY = 2.0
# A query that is a piece of a longer name, or its words in another order, counts a little less than a typo.
PARTIAL_WEIGHT = 0.9
TOKEN_SORT_WEIGHT = 0.95
# Trigram postings counted per fuzzy look-up (see NameIndex.candidate_keys).
TRIGRAM_BUDGET = 10_000
DEEP_TRIGRAM_BUDGET = 20_000
# Keys scored in full per fuzzy look-up: common words ("bakker", "logistics") tie many keys on trigrams.
FUZZY_CANDIDATES = 1000
# Index candidates looked at per query; each is confirmed against the store in one indexed read.
MAX_CANDIDATES = 40

Outcome = Literal["one", "several", "none", "recent", "unsearchable", "help"]
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
    variants = query_variants(typed) - {query}
    matches = _confirmed(session, workspace_id, _candidates(index, query, variants), query)
    if not matches and index.exact(query):  # that name was switched off since: look further
        candidates = _candidates(index, query, variants, known_is_enough=False)
        matches = _confirmed(session, workspace_id, candidates, query)
    if not matches:  # nothing close: still name the nearest customers, by any word they share
        nearest = {hit.key: min(hit.score, PLAUSIBLE_SCORE - 1) for hit in index.closest(query, limit=CLOSEST_SIZE)}
        matches = _confirmed(session, workspace_id, nearest, query)
    return _decide(typed, matches, truncated)


def query_variants(typed: str) -> set[str]:
    """Other folded forms of a query: without its legal form, German transliteration, a pasted URL's bare domain."""
    variants = name_keys(typed)
    if "." in typed and " " not in typed:
        variants |= domain_keys(clean_domain(typed))
    return variants


def _candidates(index: NameIndex, query: str, variants: set[str], *, known_is_enough: bool = True) -> dict[str, float]:
    """Best score per key: exact 100, prefixes 90-99 (more typed, higher), then fuzzy scores below.

    Variants of the query (without its legal form, a pasted URL's bare domain: `umbrela corp` → `umbrela`)
    count a little less than the query as typed, so `Acme GmbH` typed whole still beats `Acme Corp`.
    """
    scores: dict[str, float] = {}

    def offer(key: str, score: float) -> None:
        if score > scores.get(key, 0.0):
            scores[key] = score

    for text, penalty in [(query, 0.0), *((variant, VARIANT_PENALTY) for variant in sorted(variants))]:
        if index.exact(text):
            offer(text, 100.0 - penalty)
        for hit in index.prefixed(text, limit=MAX_CANDIDATES):
            offer(hit.key, min(99.0, 90.0 + hit.score / 10) - penalty)
    # Typed as a name is known, or as the start of one: nothing fuzzy would rank above that.
    if scores and known_is_enough:
        return _best(scores)
    # Rarest trigrams first, within a budget; a deeper look only when that found nothing clear, so the
    # usual typo stays cheap; last, the query without its legal form (`umbrela corp` for `Umbrella Inc`).
    bare = without_legal_form(query)
    passes = [(query, TRIGRAM_BUDGET, 0.0), (query, DEEP_TRIGRAM_BUDGET, 0.0)]
    if bare != query:
        passes.append((bare, TRIGRAM_BUDGET, VARIANT_PENALTY))
    for text, budget, penalty in passes:
        for key, score in fuzzy_scores(text, index.candidate_keys(text, budget, FUZZY_CANDIDATES)).items():
            offer(key, min(score, 98.0) - penalty)
        if max(scores.values(), default=0.0) >= CLEAR_SCORE:
            break
    return _best(scores)


def _best(scores: dict[str, float]) -> dict[str, float]:
    return dict(sorted(scores.items(), key=lambda item: -item[1])[:MAX_CANDIDATES])


def without_legal_form(key: str) -> str:
    words = key.split()
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words = words[:-1]
    return " ".join(words)


def fuzzy_scores(query: str, candidates: dict[int, str]) -> dict[str, float]:
    """How well each key answers a query: typos in the whole name, a piece of a longer name, words in any order.

    Unlike rapidfuzz's WRatio, a key that is only a piece of the query (`me` for `acme`) scores low: the
    partial score counts only for keys longer than the query.
    """
    scores: dict[str, float] = {}
    longer = {n: key for n, key in candidates.items() if len(key) > len(query)} if len(query) >= 3 else {}
    for scorer, weight, choices in (
        (fuzz.ratio, 1.0, candidates),
        (fuzz.partial_ratio, PARTIAL_WEIGHT, longer),
        (fuzz.token_sort_ratio, TOKEN_SORT_WEIGHT, candidates),
    ):
        for key, score, _ in process.extract(query, choices, scorer=scorer, score_cutoff=CLOSEST_SCORE, limit=None):
            scores[key] = max(scores.get(key, 0.0), weight * float(score))
    return {key: score for key, score in scores.items() if score >= CLOSEST_SCORE}


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
    if not matches:
        return SearchResult("none", typed, truncated=truncated)
    top = matches[0]
    runner_up = matches[1].score if len(matches) > 1 else 0.0
    exact_ones = [m for m in matches if m.score == 100.0]
    plausible = [m for m in matches if m.score >= PLAUSIBLE_SCORE]
    clear = top.score >= CLEAR_SCORE and top.score - runner_up >= CLEAR_MARGIN
    # A typo in a short name scores lower, but when nothing else comes near, it is still the one meant.
    alone = top.score >= ALONE_SCORE and len(plausible) == 1
    if len(exact_ones) == 1 or clear or alone:
        return SearchResult("one", typed, [top], truncated=truncated)
    if plausible:
        shown = plausible[:CHOOSER_SIZE]
        return SearchResult("several", typed, shown, truncated=truncated, more=len(plausible) - len(shown))
    return SearchResult("none", typed, matches[:CLOSEST_SIZE], truncated=truncated)


_SLACK_LINK = re.compile(r"<([^<>|]*)\|([^<>]*)>|<([^<>]*)>")


def plain_query(text: str) -> str:
    """What a person typed after `/customer`: Slack's entities undone, `<mailto:a@b.c|a@b.c>` read as its label."""

    def label(match: re.Match[str]) -> str:
        if match.group(2) is not None:
            return match.group(2)
        return match.group(3).removeprefix("mailto:")

    return html.unescape(_SLACK_LINK.sub(label, text))
