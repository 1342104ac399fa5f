"""What `/report` was asked for, from its words to a `Report`, and back again from a button.

`read_words` turns the typed words into a period and a filter, checked against what the workspace knows; it
looks up only what the words need (departments when words are left after the period, people for an `@`,
tags for a `#`), so a bad word is answered within the command's acknowledgement; `build_report` then
makes the report, as for `touchpoint report`. The buttons under a summary carry `Asked` (the words and the
instant the report was made at), so *Share in channel* and *Download CSV* rebuild the same period and
filter; the workspace always comes from the request, never from a button.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from bot.customers.name_index import CustomerIndexes
from bot.reports.periods import (
    EXAMPLES,
    Filter,
    Known,
    Period,
    ReportWordsError,
    customer_finder,
    read_filter,
    read_period,
)
from storage import reports as report_store

# Words longer than this name no period or filter; refusing them keeps a button's value within Slack's 2,000.
MAX_WORDS = 500


@dataclass(frozen=True)
class Asked:
    """A report as asked: the words typed after `/report`, the instant it was made at, and the zone its days are
    read in when it is not the viewer's (the weekly report's: whoever clicks its buttons gets the week posted)."""

    words: str
    at: datetime
    tz: str | None = None

    def as_value(self) -> str:
        """A button's value (under 2,000 characters, as `read_words` refuses longer words)."""
        value = {"words": self.words, "at": self.at.isoformat()}
        if self.tz:
            value["tz"] = self.tz
        return json.dumps(value, ensure_ascii=False)

    @classmethod
    def from_value(cls, value: str) -> Asked | None:
        """The `Asked` a button carried; None for a value this module did not write."""
        try:
            data = json.loads(value)
            words, at, tz = data["words"], datetime.fromisoformat(data["at"]), data.get("tz")
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        if tz is not None and not _known_zone(tz):
            return None
        # An instant without its offset names no moment; words that are not text were not typed.
        return cls(words, at, tz) if isinstance(words, str) and at.tzinfo is not None else None

    def zone(self, viewer: ZoneInfo) -> ZoneInfo:
        """The zone the report's days are read in: its own, else the viewer's."""
        return ZoneInfo(self.tz) if self.tz and _known_zone(self.tz) else viewer


def _known_zone(name: object) -> bool:
    try:
        ZoneInfo(name)  # type: ignore[arg-type]
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return False
    return True


def read_words(
    session: Session,
    indexes: CustomerIndexes,
    workspace_id: int,
    viewer_user_id: str,
    words: str,
    *,
    now: datetime,
    tz: ZoneInfo,
) -> tuple[Period, Filter]:
    """The period and filter `words` name, in the viewer's zone `tz`; `ReportWordsError` says what is wrong."""
    if len(words) > MAX_WORDS:
        raise ReportWordsError(f"That is more than a report can be about; try for example {EXAMPLES}.")
    period, rest = read_period(words, now, tz)
    known = Known(
        departments=report_store.known_departments(session, workspace_id) if rest.strip() else (),
        people=report_store.known_people(session, workspace_id) if "@" in rest else {},
        tags=report_store.known_tags(session, workspace_id) if "#" in rest else (),
    )
    return period, read_filter(rest, known, customer_finder(session, indexes, workspace_id, viewer_user_id))
