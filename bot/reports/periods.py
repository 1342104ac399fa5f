"""Reading what a report is about: its period and its filter, from `/report`'s words or the CLI's options.

A period is a run of whole local days in the viewer's time zone, first and last day included; its bounds are
the UTC instants of local midnight before its first day and after its last, so a period across a DST change
holds every hour of its days (23 or 25 of them on the day of the change). `Period.previous()` is the same
number of days just before it, which every figure is shown beside.

Period words (default: `last 30 days`): `today`, `yesterday`, `last N days`, `this|last week` (weeks start
on Monday), `this|last month`, `this|last quarter`, `this|last year`, `YYYY-MM-DD..YYYY-MM-DD`. A period that
has not finished yet ends today. Reversed, future, unreadable or longer than ten years: `ReportWordsError`.

Filter words: a department name, a person (`<@U…>` as Slack sends a mention, or `@name`), `#tag`, or a
customer's name, matched by the one matcher of `/log` and `/customer` (`bot.customers.search`). An unknown
department, person or tag raises `ReportWordsError` naming the known ones.

Everything here but `customer_finder` is a pure function: `now` and `tz` are passed in.
"""

from __future__ import annotations

import calendar
import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.text import fold

if TYPE_CHECKING:
    from bot.customers.name_index import CustomerIndexes

DEFAULT_DAYS = 30
MAX_YEARS = 10
EXAMPLES = "`last week`, `this quarter`, `last 30 days`, `this month`, `2026-10-01..2026-12-31`"
# How many known names an error lists at most.
SUGGESTIONS = 8


class ReportWordsError(ValueError):
    """Words that name no period or no known filter: the message says what was wrong and what would do."""


class UnreadablePeriod(ReportWordsError):
    """Words such as `last` or `this` that make no period (they may still be part of a name)."""


@dataclass(frozen=True)
class Period:
    """Local days `first` to `last`, both included, in `tz`."""

    first: date
    last: date
    tz: ZoneInfo
    label: str = ""

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime:
        """The UTC instant the period begins: local midnight before its first day."""
        return local_midnight(self.first, self.tz)

    @property
    def end(self) -> datetime:
        """The UTC instant just after the period: local midnight after its last day."""
        return local_midnight(self.last + timedelta(days=1), self.tz)

    def previous(self) -> Period:
        """The period of the same number of days just before this one."""
        last = self.first - timedelta(days=1)
        return Period(last - timedelta(days=self.days - 1), last, self.tz, f"the {self.days} days before")

    def weeks(self) -> list[tuple[date, datetime, datetime]]:
        """The period cut into runs of seven local days from its first day (the last run may be shorter).

        Each is (first local day, start instant, end instant). Weeks count from the period's first day, not
        from Mondays, so the previous period's week n lines up with this one's.
        """
        cuts = []
        day = self.first
        while day <= self.last:
            after = min(day + timedelta(days=7), self.last + timedelta(days=1))
            cuts.append((day, local_midnight(day, self.tz), local_midnight(after, self.tz)))
            day = after
        return cuts

    def describe(self) -> str:
        return f"{self.first.isoformat()}..{self.last.isoformat()}"


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class Filter:
    """What a report is narrowed to; every field None is the whole workspace."""

    department: str | None = None
    user_id: str | None = None
    customer_id: int | None = None
    customer_name: str | None = None
    tag: str | None = None
    # The person's name, for describing the filter.
    user_name: str | None = None

    def is_empty(self) -> bool:
        return not (self.department or self.user_id or self.customer_id or self.tag)

    def describe(self) -> str:
        parts = []
        if self.department:
            parts.append(f"department {self.department}")
        if self.user_id:
            parts.append(f"person {self.user_name or self.user_id}")
        if self.customer_id:
            parts.append(f"customer {self.customer_name or self.customer_id}")
        if self.tag:
            parts.append(f"tag #{self.tag}")
        return ", ".join(parts) or "everyone"


@dataclass(frozen=True)
class CustomerFound:
    """What the matcher made of a name: the one customer meant, or the nearest names when it is not one."""

    customer_id: int | None
    name: str | None = None
    nearest: list[str] = field(default_factory=list)


CustomerFinder = Callable[[str], CustomerFound]


@dataclass(frozen=True)
class Known:
    """What a filter may name in the workspace: departments, people (user id to name) and tags."""

    departments: Sequence[str] = ()
    people: Mapping[str, str] = field(default_factory=dict)
    tags: Sequence[str] = ()


# ---------------------------------------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------------------------------------

_RANGE = re.compile(r"(?<![\w-])(\d{4}-\d{1,2}-\d{1,2})\s*\.\.\s*(\d{4}-\d{1,2}-\d{1,2})(?![\w-])")
_LAST_DAYS = re.compile(r"\b(?:last|past)\s+(\d{1,6})\s+days?\b", re.IGNORECASE)
_NAMED = re.compile(r"\b(this|last|next)\s+(week|month|quarter|year)\b", re.IGNORECASE)
_DAY = re.compile(r"\b(today|yesterday|tomorrow)\b", re.IGNORECASE)
# Words that look like an attempt at a period, left over once the period words are read: unreadable.
_PERIODISH = re.compile(r"\b(?:last|this|next|past)\b|\d{4}-\d{1,2}|\.\.", re.IGNORECASE)


def today_in(now: datetime, tz: ZoneInfo) -> date:
    return now.astimezone(tz).date()


def default_period(now: datetime, tz: ZoneInfo) -> Period:
    return last_days(DEFAULT_DAYS, today_in(now, tz), tz)


def last_days(days: int, today: date, tz: ZoneInfo) -> Period:
    return Period(today - timedelta(days=days - 1), today, tz, f"last {days} days")


def read_period(text: str, now: datetime, tz: ZoneInfo) -> tuple[Period, str]:
    """The period the words name (the default when they name none) and the words left for the filter."""
    today = today_in(now, tz)
    found = _RANGE.search(text)
    if found:
        first, last = _date(found.group(1)), _date(found.group(2))
        return checked(first, last, today, tz, f"{found.group(1)}..{found.group(2)}"), _cut(text, found)
    found = _LAST_DAYS.search(text)
    if found:
        days = int(found.group(1))
        if days < 1:
            raise ReportWordsError(f"`{found.group(0)}` has no days in it; try for example {EXAMPLES}.")
        first = today - timedelta(days=days - 1) if days <= MAX_YEARS * 366 else date.min
        return checked(first, today, today, tz, f"last {days} days"), _cut(text, found)
    found = _NAMED.search(text)
    if found:
        which, unit = found.group(1).lower(), found.group(2).lower()
        if which == "next":
            raise ReportWordsError(f"`{found.group(0)}` is in the future; try for example {EXAMPLES}.")
        first, last = _named(unit, which == "last", today)
        return checked(first, min(last, today), today, tz, f"{which} {unit}"), _cut(text, found)
    found = _DAY.search(text)
    if found:
        word = found.group(1).lower()
        if word == "tomorrow":
            raise ReportWordsError(f"`tomorrow` is in the future; try for example {EXAMPLES}.")
        day = today if word == "today" else today - timedelta(days=1)
        return Period(day, day, tz, word), _cut(text, found)
    if _PERIODISH.search(text):
        raise _unreadable(text)
    return default_period(now, tz), text


def _unreadable(text: str) -> UnreadablePeriod:
    return UnreadablePeriod(f"I can't read a period in `{text.strip()}`; try for example {EXAMPLES}.")


def checked(first: date, last: date, today: date, tz: ZoneInfo, label: str) -> Period:
    """A period from its first and last day, refused when reversed, in the future or over ten years long."""
    if first > last:
        raise ReportWordsError(
            f"{label} ends before it begins; put the earlier day first, e.g. `2026-10-01..2026-12-31`."
        )
    if first > today:
        raise ReportWordsError(f"{label} is in the future: nothing is logged there yet; try for example {EXAMPLES}.")
    last = min(last, today)
    if first < _years_before(last, MAX_YEARS):
        raise ReportWordsError(f"{label} is longer than {MAX_YEARS} years; try a shorter one, e.g. `this year`.")
    return Period(first, last, tz, label)


def period_between(since: date | None, until: date | None, now: datetime, tz: ZoneInfo) -> Period:
    """The CLI's --since and --until (each optional): a missing end is today, a missing start 30 days back."""
    today = today_in(now, tz)
    if since and since > today and not (until and since > until):
        raise ReportWordsError(f"{since.isoformat()} is in the future: nothing is logged there yet.")
    last = until or today
    first = since or last - timedelta(days=DEFAULT_DAYS - 1)
    label = f"{first.isoformat()}..{last.isoformat()}" if since or until else f"last {DEFAULT_DAYS} days"
    return checked(first, last, today, tz, label)


def _named(unit: str, last: bool, today: date) -> tuple[date, date]:
    if unit == "week":
        monday = today - timedelta(days=today.weekday()) - timedelta(days=7 if last else 0)
        return monday, monday + timedelta(days=6)
    if unit == "month":
        year, month = today.year, today.month
        if last:
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    if unit == "quarter":
        year, quarter = today.year, (today.month - 1) // 3
        if last:
            year, quarter = (year - 1, 3) if quarter == 0 else (year, quarter - 1)
        first = date(year, quarter * 3 + 1, 1)
        end_month = quarter * 3 + 3
        return first, date(year, end_month, calendar.monthrange(year, end_month)[1])
    year = today.year - 1 if last else today.year
    return date(year, 1, 1), date(year, 12, 31)


def _date(text: str) -> date:
    try:
        year, month, day = (int(part) for part in text.split("-"))
        return date(year, month, day)
    except ValueError:
        raise ReportWordsError(
            f"`{text}` is not a day of the calendar; write days as YYYY-MM-DD, e.g. `2026-10-01..2026-12-31`."
        ) from None


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _cut(text: str, found: re.Match[str]) -> str:
    return text[: found.start()] + " " + text[found.end() :]


# ---------------------------------------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------------------------------------

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_AT_NAME = re.compile(r"(?<![\w<])@([\w.\-]+)")
_CHANNEL_TAG = re.compile(r"<#[A-Z0-9]+\|([^>]*)>")
_TAG = re.compile(r"(?<![\w&])#([\w\-]+)")


def read_report_words(
    text: str, now: datetime, tz: ZoneInfo, known: Known, find_customer: CustomerFinder
) -> tuple[Period, Filter]:
    """What `/report`'s words ask for: `last week finance`, `2026-10-01..2026-12-31 #expo2026`, `@dana`, `acme`."""
    try:
        period, rest = read_period(text, now, tz)
    except UnreadablePeriod as unreadable:
        # Words like "last" or "this" that make no period may be a name: "Last Mile Logistics" is a customer.
        try:
            return default_period(now, tz), read_filter(text, known, find_customer)
        except ReportWordsError:
            raise unreadable from None
    return period, read_filter(rest, known, find_customer)


def read_filter(text: str, known: Known, find_customer: CustomerFinder) -> Filter:
    chosen = Filter()
    rest = text
    for found in _MENTION.finditer(rest):
        chosen = replace(chosen, user_id=found.group(1), user_name=known.people.get(found.group(1)))
        if found.group(1) not in known.people:
            raise ReportWordsError(_unknown("person", f"<@{found.group(1)}>", _people_names(known)))
    rest = _MENTION.sub(" ", rest)
    for found in _AT_NAME.finditer(rest):
        chosen = replace(chosen, **person_filter(found.group(1), known))
    rest = _AT_NAME.sub(" ", rest)
    rest = _CHANNEL_TAG.sub(lambda found: f" #{found.group(1)} ", rest)
    for found in _TAG.finditer(rest):
        chosen = replace(chosen, tag=known_tag(found.group(1), known))
    rest = " ".join(_TAG.sub(" ", rest).split())
    if not rest:
        return chosen
    department = known_department(rest, known, required=False)
    if department:
        return replace(chosen, department=department)
    customer = find_customer(rest)
    if customer.customer_id is None:
        departments = ", ".join(known.departments[:SUGGESTIONS]) or "none yet"
        nearest = (
            f" Customers with a similar name: {', '.join(customer.nearest[:SUGGESTIONS])}." if customer.nearest else ""
        )
        raise ReportWordsError(
            f"No department or customer is called `{rest}`. Departments: {departments}.{nearest} "
            f"A period is for example {EXAMPLES}."
        )
    return replace(chosen, customer_id=customer.customer_id, customer_name=customer.name)


def known_department(name: str, known: Known, *, required: bool = True) -> str | None:
    """The known department `name` means, case and accents aside; unknown: None, or an error when required."""
    key = fold(name)
    for department in known.departments:
        if fold(department) == key:
            return department
    if required:
        raise ReportWordsError(_unknown("department", name, list(known.departments)))
    return None


def known_tag(tag: str, known: Known) -> str:
    key = fold(tag.lstrip("#"))
    for candidate in known.tags:
        if fold(candidate) == key:
            return candidate
    raise ReportWordsError(_unknown("tag", f"#{tag.lstrip('#')}", [f"#{t}" for t in known.tags]))


def person_filter(typed: str, known: Known) -> dict[str, str | None]:
    """A person as a user id (`U0DANA`) or a name (`dana`, `@dana`): the filter's user_id and user_name."""
    typed = typed.lstrip("@")
    if typed in known.people:
        return {"user_id": typed, "user_name": known.people[typed]}
    key = fold(typed)
    matches = [user_id for user_id, name in known.people.items() if fold(name) == key]
    if len(matches) == 1:
        return {"user_id": matches[0], "user_name": known.people[matches[0]]}
    raise ReportWordsError(_unknown("person", f"@{typed}", _people_names(known)))


def _people_names(known: Known) -> list[str]:
    return [f"@{name}" for name in known.people.values()]


def _unknown(what: str, typed: str, names: list[str]) -> str:
    if not names:
        return f"No {what} is called `{typed}`, and none is known yet."
    close = difflib.get_close_matches(typed, names, n=3, cutoff=0.5)
    shown = close or sorted(names)[:SUGGESTIONS]
    lead = "Did you mean" if close else "Known ones"
    return f"No {what} is called `{typed}`. {lead}: {', '.join(shown)}."


def customer_finder(
    session: Session, indexes: CustomerIndexes, workspace_id: int, viewer_user_id: str
) -> CustomerFinder:
    """The matcher of `/customer` as a `CustomerFinder`: one customer when it names one, else the nearest names."""
    from bot.customers.search import search_customers  # the matcher's numpy and rapidfuzz, only when asked

    def find(text: str) -> CustomerFound:
        result = search_customers(session, indexes, workspace_id, viewer_user_id, text)
        if result.outcome == "one" and result.matches:
            return CustomerFound(result.matches[0].customer_id, result.matches[0].name)
        return CustomerFound(None, nearest=[match.name for match in result.matches])

    return find
