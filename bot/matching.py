"""Finding the customer a person means, tolerating case, accents and typos.

The index lives in memory per workspace and is only a candidate generator: callers confirm
candidates against the store, which stays the source of truth across processes. Fuzzy look-ups
score only the keys that share trigrams with the query, so they stay fast with 100,000s of names.
"""

from __future__ import annotations

import threading
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.text import fold

# A typo is forgiven when the typed name is this close to exactly one customer's name.
AUTO_MATCH_SCORE = 85.0
SUGGEST_SCORE = 60.0
# How many trigram-sharing keys are scored in full; plenty for a typo or a partial word.
MAX_SCORED = 300
# Trigrams are counted rarest first until this many postings are counted: common ones ("gmb", "ing", " co")
# hold tens of thousands of keys each, cost most of the time and tell little about which key is meant.
MAX_POSTINGS = 20_000


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


class NameIndex:
    """Folded names, aliases and domains of one workspace's customers."""

    def __init__(self) -> None:
        # Most keys name one customer: keep a bare id, and only the rare shared keys in a second dict.
        self._id_by_key: dict[str, int] = {}
        self._shared: dict[str, set[int]] = {}
        self._keys: list[str] = []
        self._postings: dict[str, array] = {}
        self.max_row_id = 0
        self._lock = threading.Lock()
        # Parsing one line asks for the same query up to five times (typo_match, then closest).
        self._recent: dict[str, tuple[int, list[str]]] = {}

    def add(self, rows: Iterable[NameRow]) -> None:
        with self._lock:
            for row in rows:
                self.max_row_id = max(self.max_row_id, row.row_id)
                if not row.active:
                    continue
                known = self._id_by_key.get(row.key)
                if known is None:
                    self._id_by_key[row.key] = row.customer_id
                    self._index_key(row.key)
                elif known != row.customer_id:
                    self._shared.setdefault(row.key, {known}).add(row.customer_id)

    def set_holders(self, key: str, customer_ids: set[int]) -> None:
        """After names were switched off: exactly these customers hold the key now, perhaps none."""
        with self._lock:
            if key not in self._id_by_key:
                return
            if len(customer_ids) == 1:
                self._id_by_key[key] = next(iter(customer_ids))
                self._shared.pop(key, None)
            else:
                # No customer has id 0: whoever adds the key again is added to the shared set.
                self._id_by_key[key] = 0
                self._shared[key] = set(customer_ids)

    def _index_key(self, key: str) -> None:
        position = len(self._keys)
        self._keys.append(key)
        postings = self._postings
        for gram in trigrams(key):
            posting = postings.get(gram)
            if posting is None:
                posting = postings[gram] = array("I")
            posting.append(position)

    def _ids(self, key: str) -> set[int]:
        shared = self._shared.get(key)
        if shared is not None:
            return set(shared)
        known = self._id_by_key.get(key)
        return set() if known is None else {known}

    def __len__(self) -> int:
        return len(self._keys)

    def exact(self, text: str) -> set[int]:
        return self._ids(fold(text))

    def _candidates(self, query: str) -> list[str]:
        """Keys sharing the most trigrams with the query, the rarest trigrams counted first."""
        recent = self._recent.get(query)
        if recent is not None and recent[0] == len(self._keys):
            return recent[1]
        grams = sorted(trigrams(query), key=lambda g: len(self._postings.get(g, ())))
        counts: Counter[int] = Counter()
        counted = volume = 0
        for gram in grams:
            posting = self._postings.get(gram)
            if posting is None:
                continue
            if counted and volume + len(posting) > MAX_POSTINGS:
                break
            counts.update(posting)
            counted, volume = counted + 1, volume + len(posting)
        needed = max(1, counted // 3)
        best = [position for position, hits in counts.most_common(MAX_SCORED) if hits >= needed]
        keys = self._keys
        found = [keys[position] for position in best]
        if len(self._recent) >= 256:
            self._recent.clear()
        self._recent[query] = (len(keys), found)
        return found

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
        for key, score, _ in hits:
            for customer_id in sorted(self._ids(key)):
                if customer_id not in seen:
                    seen[customer_id] = Scored(customer_id, key, float(score))
        return sorted(seen.values(), key=lambda s: (-s.score, s.customer_id))[:limit]

    def typo_match(self, text: str) -> Scored | None:
        """The one customer a slightly misspelt name must mean, or None when it is not clear."""
        hits = self.closest(text, limit=2, scorer=fuzz.ratio, cutoff=AUTO_MATCH_SCORE)
        if not hits:
            return None
        if len(hits) > 1 and hits[1].score >= hits[0].score - 3:
            return None
        return hits[0]
