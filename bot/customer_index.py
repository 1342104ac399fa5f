"""In-memory name indexes, one per workspace, caught up from the store on every use."""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session

from bot.matching import NameIndex
from storage.curation import key_holders, name_rows_since


class CustomerIndexes:
    def __init__(self) -> None:
        self._indexes: dict[int, NameIndex] = {}
        self._lock = threading.Lock()

    def current(self, session: Session, workspace_id: int) -> NameIndex:
        """The workspace's index including every name any process has added to the store."""
        with self._lock:
            index = self._indexes.setdefault(workspace_id, NameIndex())
        rows = name_rows_since(session, workspace_id, index.max_row_id)
        index.add(rows)
        # Names switched off (renamed, removed, merged away) leave an inactive row behind: recount their keys.
        dropped = {row.key for row in rows if not row.active}
        for key, holders in key_holders(session, workspace_id, dropped).items() if dropped else ():
            index.set_holders(key, holders)
        return index
