"""In-memory name indexes, one per workspace, caught up from the store on every use."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from sqlalchemy.orm import Session

from bot.customers.matching import NameIndex, NameRow
from storage.curation import key_holders
from storage.customers import name_rows_since

CATCH_UP_PAGE = 50_000


class CustomerIndexes:
    def __init__(self) -> None:
        self._indexes: dict[int, NameIndex] = {}
        self._lock = threading.Lock()

    def current(self, session: Session, workspace_id: int) -> NameIndex:
        """The workspace's index including every name any process has added to the store."""
        with self._lock:
            index = self._indexes.setdefault(workspace_id, NameIndex())
        dropped: set[str] = set()
        index.add(_rows_since(session, workspace_id, index.max_row_id, dropped))
        # Names switched off (renamed, removed, merged away) leave an inactive row behind: recount their keys.
        for key, holders in key_holders(session, workspace_id, dropped).items():
            index.set_holders(key, holders)
        return index


def _rows_since(session: Session, workspace_id: int, after_row_id: int, dropped: set[str]) -> Iterator[NameRow]:
    """Names added since a row id, read in pages so a large workspace's first catch-up never holds them all.

    The keys of switched-off names are collected in `dropped`.
    """
    while True:
        rows = name_rows_since(session, workspace_id, after_row_id, CATCH_UP_PAGE)
        dropped.update(row.key for row in rows if not row.active)
        yield from rows
        if len(rows) < CATCH_UP_PAGE:
            return
        after_row_id = rows[-1].row_id
