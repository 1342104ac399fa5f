"""Joins that stay inside one workspace.

Ids are unique across the store, so joining by id alone finds the right row whenever the data is right; it is
the workspace in the ON clause that keeps a row pointing at another workspace's row (a bug, or an id someone
sent from Slack) from showing that workspace's data. Every join between workspace rows goes through here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_


def scoped_join(parent: Any, child: Any, foreign_key: Any) -> ColumnElement[bool]:
    """ON clause from `child` to the `parent` row its `foreign_key` names, only when both are of one workspace."""
    return and_(parent.id == foreign_key, parent.workspace_id == child.workspace_id)
