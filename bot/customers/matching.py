"""Finding the customer a person means, tolerating case, accents, typos and partial words.

The one matcher of `/log`, `/customer` and the typeahead: `rank_keys` scores the index's keys against what
was typed (exact, then prefixes, then typos and partial words, for the query and its `spellings`: legal forms,
`&`/`and`, possessives), and `decide` says whether that names one customer, several, or none.

The index lives in memory per workspace and is only a candidate generator: callers confirm
candidates against the store, which stays the source of truth across processes. Fuzzy look-ups
score only the keys that share trigrams with the query, so they stay fast with 100,000s of names.

Keys are kept compactly (one byte blob, offset and id arrays, a sorted order for exact and prefix
look-ups) because a workspace of 100,000 customers has close to a million keys: as Python strings
in a dict they alone would take well over 100 MB.
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeVar

import numpy as np
from rapidfuzz import fuzz, process

from bot.text import clean_domain, domain_keys, fold, spellings

# A typo is forgiven when the typed name is this close to exactly one customer's name.
AUTO_MATCH_SCORE = 85.0
SUGGEST_SCORE = 60.0
# How many trigram-sharing keys are scored in full; plenty for a typo or a partial word.
MAX_SCORED = 300
# Trigrams are counted rarest first until this many postings are counted: common ones ("gmb", "ing", " co")
# hold tens of thousands of keys each, cost most of the time and tell little about which key is meant.
MAX_POSTINGS = 20_000
# Keys added at once beyond which the sorted order is rebuilt in one sort instead of key by key.
RESORT_AFTER = 256

# What is matched of a query: a name is never this long, and a pasted paragraph must not cost seconds.
MAX_QUERY_CHARS = 100
# A query matching one customer this well (and clearly better than the next) names it.
CLEAR_SCORE = 88.0
CLEAR_MARGIN = 5.0
# Matches at least this good are offered as choices; weaker ones only as "closest names".
PLAUSIBLE_SCORE = 75.0
ALONE_SCORE = 80.0
CLOSEST_SCORE = 55.0
CHOOSER_SIZE = 5
CLOSEST_SIZE = 3
# How much less a match on another spelling of the query counts than a match on the query as typed.
VARIANT_PENALTY = 2.0
# A query that is a piece of a longer name, or its words in another order, counts a little less than a typo.
PARTIAL_WEIGHT = 0.9
TOKEN_SORT_WEIGHT = 0.95
# Trigram postings counted per fuzzy look-up (see NameIndex.candidate_keys).
TRIGRAM_BUDGET = 10_000
DEEP_TRIGRAM_BUDGET = 20_000
# Keys scored in full per fuzzy look-up: common words ("bakker", "logistics") tie many keys on trigrams.
FUZZY_CANDIDATES = 1000
# Candidate keys kept per query; callers confirm each against the store in one indexed read.
MAX_CANDIDATES = 40
# Spellings of a query scored for typos beyond the query itself (the barest first), and the keys scored for each:
# every pass costs about a millisecond, and `/log` pays it on every line naming no known customer.
MAX_FUZZY_SPELLINGS = 1
SPELLING_CANDIDATES = 300

Outcome = Literal["one", "several", "none"]


@dataclass(frozen=True)
class NameRow:
    row_id: int
    customer_id: int
    key: str
    # False for the copy appended when a name is switched off: its key may have lost this holder.
    active: bool = True


@dataclass(frozen=True)
class Scored:
    customer_id: int
    key: str
    score: float


def trigrams(key: str) -> set[str]:
    padded = f"  {key} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def _most_shared(lock: threading.Lock, postings: list[array], limit: int) -> list[int]:
    """Key numbers found in at least a third of the postings, the most often found first (at most `limit`).

    Counted with numpy: a Python Counter over ~20,000 key numbers costs milliseconds on every fuzzy look-up.
    """
    if not postings:
        return []
    with lock:  # add() must not grow a posting while numpy reads its buffer
        positions = np.concatenate([np.frombuffer(posting, dtype=np.uintc) for posting in postings])
    hits = np.bincount(positions)
    best = np.flatnonzero(hits >= max(1, len(postings) // 3))
    best_hits = hits[best]
    if len(best) > limit:
        top = np.argpartition(-best_hits, limit)[:limit]
        best, best_hits = best[top], best_hits[top]
    return best[np.lexsort((best, -best_hits))].tolist()


class NameIndex:
    """Folded names, aliases, domains, contact names and e-mails of one workspace's customers."""

    def __init__(self) -> None:
        # Key number n is _blob[_starts[n]:_starts[n + 1]]; keys are UTF-8 (folded ones ASCII).
        self._blob = bytearray()
        self._starts = array("I", [0])
        # Most keys name one customer: keep its id, and only the rare shared keys in a second dict.
        self._owner = array("I")
        self._shared: dict[int, array] = {}
        # Key numbers in key order, for exact and prefix look-ups by bisection.
        self._order = array("I")
        self._postings: dict[str, array] = {}
        self.max_row_id = 0
        self._lock = threading.Lock()
        # Parsing one line asks for the same query several times (is the head a name? which one? how close?).
        self._recent: dict[str, tuple[int, dict[int, str]]] = {}
        self._ranked: dict[tuple[str, int], tuple[int, list[Scored]]] = {}

    def _key(self, position: int) -> str:
        return self._blob[self._starts[position] : self._starts[position + 1]].decode()

    def _keys_at(self, positions: list[int]) -> list[str]:
        """Many keys at once: one join and one decode instead of a decode per key (a fuzzy look-up reads 1,000)."""
        if not positions:
            return []
        blob, starts = self._blob, self._starts  # keys are appended, never moved: as safe to read as `_key`
        return b"\n".join([blob[starts[p] : starts[p + 1]] for p in positions]).decode().split("\n")

    def add(self, rows: Iterable[NameRow]) -> None:
        with self._lock:
            added: dict[str, int] = {}
            owner = self._owner
            searchable = len(self._order) > 0  # on a first catch-up every key is new: no look-ups needed
            for row in rows:
                if row.row_id > self.max_row_id:
                    self.max_row_id = row.row_id
                if not row.active:
                    continue
                key = row.key
                position = added.get(key)
                if position is None and searchable:
                    position = self._position(key)
                if position is None:
                    added[key] = self._append(key, row.customer_id)
                elif owner[position] != row.customer_id:
                    owners = self._shared.setdefault(position, array("I", [owner[position]]))
                    if row.customer_id not in owners:  # a handful of ids: a scan beats a set's memory
                        owners.append(row.customer_id)
            self._sort_in(added)

    def set_holders(self, key: str, customer_ids: set[int]) -> None:
        """After names were switched off: exactly these customers hold the key now, perhaps none."""
        with self._lock:
            position = self._position(key)
            if position is None:
                return
            if len(customer_ids) == 1:
                self._owner[position] = next(iter(customer_ids))
                self._shared.pop(position, None)
            else:
                # No customer has id 0: whoever adds the key again is added to the shared ids.
                self._owner[position] = 0
                self._shared[position] = array("I", sorted(customer_ids))

    def _append(self, key: str, customer_id: int) -> int:
        position = len(self._owner)
        self._blob += key.encode()
        self._starts.append(len(self._blob))
        self._owner.append(customer_id)
        postings = self._postings
        for gram in trigrams(key):
            posting = postings.get(gram)
            if posting is None:
                posting = postings[gram] = array("I")
            posting.append(position)
        return position

    def _sort_in(self, added: dict[str, int]) -> None:
        if not self._order:
            self._order = array("I", (position for _, position in sorted(added.items())))
        elif len(added) > RESORT_AFTER:
            keys = [self._key(p) for p in range(len(self._owner))]
            self._order = array("I", sorted(range(len(keys)), key=keys.__getitem__))
        else:
            for key, position in added.items():
                self._order.insert(bisect_left(self._order, key, key=self._key), position)

    def _position(self, key: str) -> int | None:
        order = self._order
        at = bisect_left(order, key, key=self._key)
        if at < len(order) and self._key(order[at]) == key:
            return order[at]
        return None

    def _ids_at(self, position: int) -> set[int]:
        shared = self._shared.get(position)
        return set(shared) if shared is not None else {self._owner[position]}

    def _ids(self, key: str) -> set[int]:
        position = self._position(key)
        return set() if position is None else self._ids_at(position)

    def __len__(self) -> int:
        return len(self._owner)

    def exact(self, text: str) -> set[int]:
        return self._ids(fold(text))

    def prefixed(self, text: str, limit: int = 50) -> list[Scored]:
        """Customers with a key starting with what was typed (`wayne ent`, `umbr`), best first.

        Scored by how much of the key was typed, and higher when the typed text ends where a word does
        (`wayne` means Wayne Enterprises before Waynesboro Foods).
        """
        query = fold(text)
        if not query:
            return []
        order = self._order
        at = bisect_left(order, query, key=self._key)
        found: list[tuple[float, str, int]] = []
        while at < len(order) and len(found) < limit * 4:
            key = self._key(order[at])
            if not key.startswith(query):
                break
            typed = len(query) / len(key)
            whole_words = len(key) == len(query) or key[len(query)] == " "
            found.append((100.0 * ((1 + typed) / 2 if whole_words else typed), key, order[at]))
            at += 1
        found.sort(key=lambda item: (-item[0], item[1]))
        seen: dict[int, Scored] = {}
        for score, key, position in found:
            for customer_id in sorted(self._ids_at(position)):
                if customer_id not in seen:
                    seen[customer_id] = Scored(customer_id, key, score)
        return list(seen.values())[:limit]

    def candidate_keys(self, text: str, budget: int = MAX_POSTINGS, limit: int = MAX_SCORED) -> dict[int, str]:
        """Keys worth scoring against what was typed, by key number, for callers with their own scorer.

        `budget` caps the trigram postings counted: less is faster, and finds fewer far-fetched keys.
        """
        return self._candidates(fold(text), budget, limit)

    def _candidates(self, query: str, budget: int = MAX_POSTINGS, limit: int = MAX_SCORED) -> dict[int, str]:
        """Keys (by key number) sharing the most trigrams with the query, the rarest trigrams counted first."""
        recent = self._recent.get(f"{budget}:{limit}:{query}")
        if recent is not None and recent[0] == len(self._owner):
            return recent[1]
        grams = sorted(trigrams(query), key=lambda g: len(self._postings.get(g, ())))
        chosen: list[array] = []
        volume = 0
        for gram in grams:
            posting = self._postings.get(gram)
            if posting is None:
                continue
            if chosen and volume + len(posting) > budget:
                break
            chosen.append(posting)
            volume += len(posting)
        best = _most_shared(self._lock, chosen, limit)
        found = dict(zip(best, self._keys_at(best), strict=True))
        if len(self._recent) >= 256:
            self._recent.clear()
        self._recent[f"{budget}:{limit}:{query}"] = (len(self._owner), found)
        return found

    def trigram_volume(self, text: str) -> int:
        """Postings of all the query's trigrams: a budget above it counts them all, so a deeper look adds nothing."""
        return sum(len(self._postings.get(gram, ())) for gram in trigrams(fold(text)))

    def closest(
        self,
        text: str,
        limit: int = 5,
        scorer: Callable[..., float] = fuzz.WRatio,
        cutoff: float = SUGGEST_SCORE,
    ) -> list[Scored]:
        """Best-scoring customers, one entry per customer, best first."""
        query = fold(text)
        if not query:
            return []
        candidates = self._candidates(query)
        hits = process.extract(query, candidates, scorer=scorer, score_cutoff=cutoff, limit=limit * 3)
        seen: dict[int, Scored] = {}
        for key, score, position in hits:
            for customer_id in sorted(self._ids_at(position)):
                if customer_id not in seen:
                    seen[customer_id] = Scored(customer_id, key, float(score))
        return sorted(seen.values(), key=lambda s: (-s.score, s.customer_id))[:limit]

    def known(self, text: str) -> set[int]:
        """Customers known by exactly what was typed, else by its longest other spelling that is known.

        `Acme GmbH` is Acme GmbH when that is a name, else whoever is `acme` (Acme Corp: legal forms dropped).
        """
        query = fold(text[:MAX_QUERY_CHARS])
        found = self.exact(query)
        if found:
            return found
        for key in sorted(spellings(text[:MAX_QUERY_CHARS]) - {query}, key=lambda k: (-len(k), k)):
            found = self.exact(key)
            if found:
                return found
        return set()

    def ranked(self, text: str, limit: int = CHOOSER_SIZE) -> list[Scored]:
        """The customers `text` may name, best first, one entry each: `rank_keys` resolved to customers.

        When nothing is close, the nearest names by any word they share, scored below PLAUSIBLE_SCORE.
        """
        text = text[:MAX_QUERY_CHARS]
        query = fold(text)
        if not query:
            return []
        # Parsing one line asks about the same text more than once (is the head a name? which one?).
        cached = self._ranked.get((text, limit))
        if cached is not None and cached[0] == len(self._owner):
            return cached[1]
        scores = rank_keys(self, text)
        if not scores:
            scores = {hit.key: min(hit.score, PLAUSIBLE_SCORE - 1) for hit in self.closest(query, limit=CLOSEST_SIZE)}
        best: dict[int, Scored] = {}
        for key, score in scores.items():
            for customer_id in self._ids(key):
                known = best.get(customer_id)
                if known is None or (score, fuzz.ratio(query, key)) > (known.score, fuzz.ratio(query, known.key)):
                    best[customer_id] = Scored(customer_id, key, score)
        ranked = sorted(best.values(), key=lambda s: (-s.score, -fuzz.ratio(query, s.key), len(s.key), s.customer_id))
        if len(self._ranked) >= 256:
            self._ranked.clear()
        self._ranked[(text, limit)] = (len(self._owner), ranked[:limit])
        return ranked[:limit]

    def match(self, text: str) -> Resolution:
        """Which customer `text` names: one, several plausible ones, or none (then the closest names)."""
        outcome, shown, more = decide(self.ranked(text, limit=MAX_CANDIDATES))
        return Resolution(outcome, shown, more)


def query_spellings(typed: str) -> dict[str, float]:
    """Each folded form of a query with how much less a match on it counts: the query as typed first.

    Its `spellings` (legal forms, `&`/`and`, possessives, transliteration), and a pasted URL's bare domain.
    """
    query = fold(typed)
    forms = dict.fromkeys(spellings(typed), VARIANT_PENALTY)
    if "." in typed and " " not in typed.strip():
        forms.update(dict.fromkeys(domain_keys(clean_domain(typed)), VARIANT_PENALTY))
    forms.pop(query, None)
    return {query: 0.0, **dict(sorted(forms.items()))} if query else {}


def rank_keys(index: NameIndex, typed: str, *, known_is_enough: bool = True) -> dict[str, float]:
    """Best score per key: exact 100, prefixes 90-99 (more typed, higher), then fuzzy scores below.

    Other spellings of the query (without its legal form, a pasted URL's bare domain: `umbrela corp` → `umbrela`)
    count a little less than the query as typed, so `Acme GmbH` typed whole still beats `Acme Corp`. With
    `known_is_enough` a query found exactly or as the start of a name is not scored for typos: nothing fuzzy
    would rank above that.
    """
    forms = query_spellings(typed[:MAX_QUERY_CHARS])
    if not forms:
        return {}
    scores: dict[str, float] = {}

    def offer(key: str, score: float) -> None:
        if score > scores.get(key, 0.0):
            scores[key] = score

    for text, penalty in forms.items():
        if index.exact(text):
            offer(text, 100.0 - penalty)
        for hit in index.prefixed(text, limit=MAX_CANDIDATES):
            offer(hit.key, min(99.0, 90.0 + hit.score / 10) - penalty)
    if scores and known_is_enough:
        return _best(scores)
    # Rarest trigrams first, within a budget; a deeper look only when that found nothing clear, so the
    # usual typo stays cheap; last, other spellings (`umbrela corp` for `Umbrella Inc`, `globx` for `Globx Inc`).
    query, *others = forms
    passes = [(query, TRIGRAM_BUDGET, FUZZY_CANDIDATES, 0.0)]
    if index.trigram_volume(query) > TRIGRAM_BUDGET:  # else the first look already counted every posting
        passes.append((query, DEEP_TRIGRAM_BUDGET, FUZZY_CANDIDATES, 0.0))
    others.sort(key=lambda form: (len(form), form))  # the shortest are the barest: legal forms and 's dropped
    passes += [(form, TRIGRAM_BUDGET, SPELLING_CANDIDATES, VARIANT_PENALTY) for form in others[:MAX_FUZZY_SPELLINGS]]
    for text, budget, limit, penalty in passes:
        for key, score in fuzzy_scores(text, index.candidate_keys(text, budget, limit)).items():
            offer(key, min(score, 98.0) - penalty)
        if max(scores.values(), default=0.0) >= CLEAR_SCORE:
            break
    return _best(scores)


def _best(scores: dict[str, float]) -> dict[str, float]:
    return dict(sorted(scores.items(), key=lambda item: -item[1])[:MAX_CANDIDATES])


def fuzzy_scores(query: str, candidates: dict[int, str], limit: int = MAX_CANDIDATES) -> dict[str, float]:
    """How well each key answers a query: typos in the whole name, a piece of a longer name, words in any order.

    Unlike rapidfuzz's WRatio, a key that is only a piece of the query (`me` for `acme`) scores low: the
    partial score counts only for keys longer than the query. The `limit` best are kept. Scored with `cdist`:
    `process.extract` builds a Python tuple per key, which cost most of a fuzzy look-up.
    """
    keys = list(dict.fromkeys(candidates.values()))
    if not keys:
        return {}
    best = process.cdist([query], keys, scorer=fuzz.ratio, score_cutoff=CLOSEST_SCORE, dtype=np.float32)[0]
    words = (
        TOKEN_SORT_WEIGHT
        * process.cdist([query], keys, scorer=fuzz.token_sort_ratio, score_cutoff=CLOSEST_SCORE, dtype=np.float32)[0]
    )
    best = np.maximum(best, words)
    size = len(query)
    longer = [i for i, key in enumerate(keys) if len(key) > size] if size >= 3 else []
    if longer:
        shards = [keys[i] for i in longer]
        pieces = process.cdist([query], shards, scorer=fuzz.partial_ratio, score_cutoff=CLOSEST_SCORE)
        best[longer] = np.maximum(best[longer], PARTIAL_WEIGHT * pieces[0])
    kept = np.flatnonzero(best >= CLOSEST_SCORE)
    if len(kept) > limit:  # only the best few can be among a query's candidates
        kept = kept[np.argpartition(-best[kept], limit)[:limit]]
    return {keys[i]: float(best[i]) for i in kept.tolist()}


class _HasScore(Protocol):
    @property
    def score(self) -> float: ...


_Match = TypeVar("_Match", bound=_HasScore)


@dataclass(frozen=True)
class Resolution:
    """What a typed name names: `one` customer (the first match), `several` plausible ones, or `none`.

    With `none`, `matches` are the closest names, to offer beside *Create*.
    """

    outcome: Outcome
    matches: list[Scored] = field(default_factory=list)
    more: int = 0  # plausible matches beyond the ones listed


def decide(matches: Sequence[_Match]) -> tuple[Outcome, list[_Match], int]:
    """The rule both `/log` and `/customer` apply to matches sorted best first: (outcome, what to show, more).

    One exact match, or one clearly ahead, or a single plausible one (a typo in a short name scores lower,
    but when nothing else comes near it is still the one meant) names that customer.
    """
    if not matches:
        return "none", [], 0
    top = matches[0]
    runner_up = matches[1].score if len(matches) > 1 else 0.0
    exact_ones = [m for m in matches if m.score == 100.0]
    plausible = [m for m in matches if m.score >= PLAUSIBLE_SCORE]
    clear = top.score >= CLEAR_SCORE and top.score - runner_up >= CLEAR_MARGIN
    alone = top.score >= ALONE_SCORE and len(plausible) == 1
    if len(exact_ones) == 1 or clear or alone:
        return "one", [top], 0
    if plausible:
        shown = list(plausible[:CHOOSER_SIZE])
        return "several", shown, len(plausible) - len(shown)
    return "none", list(matches[:CLOSEST_SIZE]), 0
