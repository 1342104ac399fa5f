"""Finding the customer a person means, tolerating case, accents and typos.

The index lives in memory per workspace and is only a candidate generator: callers confirm
candidates against the store, which stays the source of truth across processes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.text import fold

# A typo is forgiven when the typed name is this close to exactly one customer's name.
AUTO_MATCH_SCORE = 85.0
SUGGEST_SCORE = 60.0


@dataclass(frozen=True)
class NameRow:
    row_id: int
    customer_id: int
    key: str


@dataclass(frozen=True)
class Scored:
    customer_id: int
    key: str
    score: float


class NameIndex:
    """Folded names, aliases and domains of one workspace's customers."""

    def __init__(self) -> None:
        self._ids_by_key: dict[str, set[int]] = {}
        self._keys: list[str] = []
        self.max_row_id = 0
        self._lock = threading.Lock()

    def add(self, rows: Iterable[NameRow]) -> None:
        with self._lock:
            for row in rows:
                ids = self._ids_by_key.get(row.key)
                if ids is None:
                    ids = self._ids_by_key[row.key] = set()
                    self._keys.append(row.key)
                ids.add(row.customer_id)
                self.max_row_id = max(self.max_row_id, row.row_id)

    def __len__(self) -> int:
        return len(self._keys)

    def exact(self, text: str) -> set[int]:
        return set(self._ids_by_key.get(fold(text), ()))

    def closest(self, text: str, limit: int = 5, scorer=fuzz.WRatio, cutoff: float = SUGGEST_SCORE) -> list[Scored]:
        """Best-scoring customers, one entry per customer, best first."""
        query = fold(text)
        if not query:
            return []
        keys = self._keys
        hits = process.extract(query, keys, scorer=scorer, score_cutoff=cutoff, limit=limit * 3)
        seen: dict[int, Scored] = {}
        for key, score, _ in hits:
            for customer_id in sorted(self._ids_by_key[key]):
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
