"""Find the follow-up clause at the end of a /log line and turn its time phrase into an instant; say whether
the words named a time of their own or only a day (`asks_for_a_time`: the morning digest covers the latter).

Pure domain code: no Slack client, no database, and no clock. Callers pass `now`, so every rule can be
tested against a fixed instant.

Time phrases are read by a small hand-written grammar over normalised text (lower case, typos fixed,
multi-word idioms collapsed into one token). dateparser is only the fallback for absolute dates the
grammar does not cover, because it is slow on first use and happily "parses" garbage such as "3".

Finding the clause costs time linear in the line: parsing holds the worker's GIL, and one line of dashes
or with a marker in every word once stalled a worker for seconds. A remainder longer than MAX_WHEN_CHARS
is not read as a time at all, and a due time past HORIZON_YEARS is refused like any unreadable one. Long on
purpose: the grammar's rules read best side by side, one phrase shape after another.
"""

import calendar
import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, UTC, date, datetime, time, timedelta
from functools import cache
from types import ModuleType
from zoneinfo import ZoneInfo

from bot.text import slack_to_plain, truncate

# ---------------------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUpClause:
    start: int  # index in the original text where the clause begins (the marker's first char)
    marker: str  # the marker as typed, e.g. "f/u"
    assignee: str | None  # Slack user id from a mention right after the marker
    # The time phrase after marker (and assignee), without surrounding punctuation, as plain text: `Q&A`,
    # not Slack's `Q&amp;A`, so an error quoting it is escaped once when shown, like any user text.
    when_text: str
    # A name typed as "@dave" right after the marker that is not a Slack mention: who is meant is unknown.
    unknown_name: str | None = None


class DueTimeError(ValueError):
    """Message is a friendly, user-facing sentence saying what was not understood."""


# A follow-up further ahead than this is a typo ("2062" for "2026") or a joke, never a plan.
HORIZON_YEARS = 10
# A time phrase is a few words; a longer remainder after a marker is the rest of a summary, and reading it
# as a date would cost time that grows with the line.
MAX_WHEN_CHARS = 100


def find_follow_up(text: str) -> FollowUpClause | None:
    """The follow-up clause of a /log line, or None when the line has no follow-up marker.

    Words like "ping" and "check in" also occur in ordinary summaries, so with several markers the last
    one whose remainder reads as a time wins; if none does, the last marker is returned anyway so the
    caller can tell the user which time phrase it could not read.
    """
    markers = _markers(text)
    if not markers:
        return None
    # Every marker's remainder runs to the end of the line, so its end is the same for all of them.
    end = len(text.rstrip(_PUNCTUATION))
    for marker in reversed(markers):
        start, mention = _when_span(text, marker, end)
        # Only a marker near the end can have a short remainder: a line with a marker in every word costs
        # one phrase read per marker in the last MAX_WHEN_CHARS, not one per marker in the line.
        if end - start <= MAX_WHEN_CHARS and _is_readable(text[start:end]):
            return _clause(text, marker, mention, start, end)
    start, mention = _when_span(text, markers[-1], end)
    return _clause(text, markers[-1], mention, start, end)


def parse_due(when_text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """The instant `when_text` names, read in the author's zone `tz`; strictly after `now`."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")  # a programming error, not the user's
    now = now.astimezone(tz)
    text = _strip_punctuation(when_text)
    if not text:
        raise DueTimeError("Tell me when to follow up, e.g. “friday” or “tomorrow 3pm”.")
    if len(text) > MAX_WHEN_CHARS:  # not a time phrase but the rest of a long line: not worth reading
        raise DueTimeError(f"I couldn't read “{truncate(text, 60)}” as a date or time.")
    phrase = _normalize(text)
    try:
        reading = _read_rules(phrase)
        due = reading.resolve(now, tz) if reading else _read_with_dateparser(phrase, now, tz)
        too_far = due is not None and due > follow_up_horizon(now)
    except OverflowError:
        # "in 9999 years" runs past what date and datetime can hold. Any step of the arithmetic may be the
        # one to overflow, so every overflow is the user's "too far", not a failed request.
        too_far = True
    if too_far:
        raise DueTimeError(f"That's too far ahead: “{text}” is more than {HORIZON_YEARS} years away.")
    if due is None:
        raise DueTimeError(f"I couldn't read “{text}” as a date or time.")
    if due <= now:
        raise DueTimeError(_in_the_past(due, now, reading))
    return due


def asks_for_a_time(follow_up_text: str | None) -> bool:
    """Whether the words a follow-up was set with name its own time ("in 30 minutes", "at 7am", "tomorrow
    6:30") rather than only a day ("friday", "dec 10", which mean that day's 09:00).

    Read from the words kept with the follow-up, the clause from its marker on ("follow up friday 10am") or
    the phrase alone; no words at all (an import, an old row) count as a day without a time. The dispatcher
    asks this of every row it claims, so it reads with the grammar and patterns only, never with dateparser.
    """
    if not follow_up_text:
        return False
    text = follow_up_text[: MAX_WHEN_CHARS * 2]
    marker = _MARKER_RE.match(text)
    end = len(text.rstrip(_PUNCTUATION))
    phrase = _strip_fillers(_normalize(text[_when_span(text, marker, end)[0] : end] if marker else text))
    try:
        reading = _read_rules(phrase)
    except (DueTimeError, OverflowError):
        reading = None
    if reading is not None:
        return reading.timed
    return bool(_CLOCK_RE.search(phrase) or _EXTRA_CLOCK_RE.search(phrase))


def warm_up() -> None:
    """Pay dateparser's import and first-parse cost at boot rather than on a user's first request."""
    _read_with_dateparser("10 december 2030 2pm", _PROBE_NOW, _PROBE_ZONE)


# ---------------------------------------------------------------------------------------------------------
# Finding the clause
# ---------------------------------------------------------------------------------------------------------

# Lookarounds make markers whole words: "fun", "refund", "pinged" and "ping-pong" are not markers.
_MARKER_RE = re.compile(
    r"(?<![\w/@-])"
    r"(?:follow(?:\s+|-)?up|f/u|fu|remind(?:\s+me|er)|nudge\s+me|ping"
    r"|check\s+(?:in|back)|circle\s+back)"
    r"(?![\w/@-])",
    re.IGNORECASE,
)
# Slack's wire format for mentions and links; a marker inside one ("<@U1|ping>") is not a marker.
_SLACK_TOKEN_RE = re.compile(r"<[^<>]*>")
# The label stops at "<" as in _SLACK_TOKEN_RE (Slack escapes it in labels): a label scan never runs
# past the next mention, so the scans after a line full of "ping <@U1|" markers do not overlap.
_MENTION_RE = re.compile(r"[\s:,-]*<@(?P<user>[A-Z0-9]+)(?:\|[^<>]*)?>")
# "@dave" typed without picking Dave from Slack's list arrives as plain text. A clock ("@3pm", "@noon") is not
# a name; a name starts with a letter and runs to a space, as Slack's display names do.
_PLAIN_NAME_RE = re.compile(
    r"[\s:,-]*@(?P<name>(?!(?:noon|midnight|morning|afternoon|evening|eod)\b)[^\W\d_][\w.'-]*)", re.IGNORECASE
)
_CLAUSE_FILLER_RE = re.compile(r"(?:(?:me|again)\b[\s:,-]*)+", re.IGNORECASE)  # used with match()
_PUNCTUATION = " \t\r\n.,;:!?-–—()[]\"'“”‘’"


def _markers(text: str) -> list[re.Match[str]]:
    tokens = [token.span() for token in _SLACK_TOKEN_RE.finditer(text)]
    token_starts = [start for start, _ in tokens]
    markers = []
    for marker in _MARKER_RE.finditer(text):
        # Tokens do not overlap, so only the last one starting at or before the marker can contain it.
        # Bisection rather than a scan of all tokens per marker: a line of "<@U1> ping" is not quadratic.
        index = bisect_right(token_starts, marker.start()) - 1
        if index < 0 or marker.start() >= tokens[index][1]:
            markers.append(marker)
    return markers


def _when_span(text: str, marker: re.Match[str], end: int) -> tuple[int, re.Match[str] | None]:
    """Where the time phrase after `marker` starts, and the mention of an assignee before it, if any: a
    Slack mention, or a plain "@name" (its match has a "name" group).

    `end` is where the line's trailing punctuation starts. Positions are found in place instead of on
    slices of the rest of the line, so each marker costs work for the characters up to its phrase only.
    """
    start = marker.end()
    mention = _MENTION_RE.match(text, start) or _PLAIN_NAME_RE.match(text, start, end)
    if mention:
        start = mention.end()
    start = _skip_punctuation(text, start, end)
    if filler := _CLAUSE_FILLER_RE.match(text, start, end):
        start = _skip_punctuation(text, filler.end(), end)
    return min(start, end), mention


def _skip_punctuation(text: str, start: int, end: int) -> int:
    while start < end and text[start] in _PUNCTUATION:
        start += 1
    return start


def _clause(text: str, marker: re.Match[str], mention: re.Match[str] | None, start: int, end: int) -> FollowUpClause:
    named = mention is not None and "name" in mention.re.groupindex
    return FollowUpClause(
        start=marker.start(),
        marker=marker.group(),
        assignee=mention["user"] if mention and not named else None,
        when_text=slack_to_plain(text[start:end]),
        unknown_name=mention["name"] if mention and named else None,
    )


def _strip_punctuation(text: str) -> str:
    return text.strip(_PUNCTUATION)


def _is_readable(when_text: str) -> bool:
    """Whether the phrase means a time at all; being in the past or an impossible date still counts."""
    phrase = _normalize(when_text)
    if not phrase:
        return False
    try:
        readable = _read_rules(phrase) or _read_with_dateparser(phrase, _PROBE_NOW, _PROBE_ZONE)
    except (DueTimeError, OverflowError):  # "in 10^90 minutes" is a time, only far too far ahead
        return True
    return readable is not None


# ---------------------------------------------------------------------------------------------------------
# Normalising a time phrase
# ---------------------------------------------------------------------------------------------------------

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

_TYPOS = {
    **dict.fromkeys(
        ("tomorow", "tommorow", "tommorrow", "tomorrw", "tmrw", "tmrow", "tmr", "tmw", "2moro", "2morrow"),
        "tomorrow",
    ),
    "tdy": "today",
    "tonite": "tonight",
    "nxt": "next",
    "wk": "week",
    "wks": "weeks",
    "mon": "monday",
    "tue": "tuesday",
    "tues": "tuesday",
    "wed": "wednesday",
    "weds": "wednesday",
    "thu": "thursday",
    "thur": "thursday",
    "thurs": "thursday",
    "fri": "friday",
    "sat": "saturday",
    "sun": "sunday",
}

# Idioms collapse into single tokens so the grammar below stays small.
_IDIOMS = [
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\b([ap])\.m\b\.?", r"\1m"),
        (r"\bend of next week\b", "next eow"),
        (r"\bend of next month\b", "next eom"),
        (r"\bend of (?:the |this )?(?:business |work )?day\b|\bclose of business\b|\bcob\b", "eod"),
        (r"\bend of (?:the |this )?week\b", "eow"),
        (r"\bend of (?:the |this )?month\b", "eom"),
        (r"\b(?:the )?day after tomorrow\b", "overmorrow"),
        (r"\bin the (morning|afternoon|evening)\b", r"\1"),
        (r"\btonight\b", "today evening"),
        (r"\bmidday\b", "noon"),
        (r"\b(?:a )?half an? hour\b", "30 minutes"),
        (r"\ban? hour and a half\b", "90 minutes"),
        (r"\ba couple(?: of)?\b", "2"),
    )
]


def _normalize(text: str) -> str:
    words = _strip_punctuation(text).lower().replace(",", " ").replace(";", " ").split()
    phrase = " ".join(_TYPOS.get(word, word) for word in words)
    for pattern, replacement in _IDIOMS:
        phrase = pattern.sub(replacement, phrase)
    return phrase


# ---------------------------------------------------------------------------------------------------------
# The grammar
# ---------------------------------------------------------------------------------------------------------

Resolver = Callable[[datetime, ZoneInfo], datetime]  # (local now, zone) -> due instant
DayRule = Callable[[date], date]  # local today -> the day meant


@dataclass(frozen=True)
class _Clock:
    minutes: int  # after midnight; 24 * 60 is the end of the day
    text: str  # for error messages: as typed, or the hour a word like "morning" stands for


@dataclass(frozen=True)
class _Reading:
    """What the grammar understood, before it is anchored to `now`."""

    resolve: Resolver
    clock_text: str | None = None  # the explicit time of day, if any
    timed: bool = False  # a time of its own (a clock time, an elapsed time), not only a day


_NINE_AM = _Clock(9 * 60, "9am")
_FIVE_PM = _Clock(17 * 60, "5pm")
_WORD_CLOCKS = {
    "noon": _Clock(12 * 60, "noon"),
    "midnight": _Clock(24 * 60, "midnight"),  # the end of the named day, so "midnight" is never past
    "morning": _NINE_AM,
    "afternoon": _Clock(14 * 60, "2pm"),
    "evening": _Clock(18 * 60, "6pm"),
    "eod": _FIVE_PM,  # unlike "end of week", a closed day does not roll over: it is reported as past
}

_WEEKDAY = "(?P<weekday>" + "|".join(_WEEKDAYS) + ")"
_MONTH = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_COUNTING = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
_NUMBER_WORDS = {"a": 1, "an": 1} | {word: value for value, word in enumerate(_COUNTING, start=1)}
_NUMBER = r"(?P<number>\d+(?:\.\d+)?|" + "|".join(_NUMBER_WORDS) + ")"
_LATER = r"(?: from now| later)?"
_ORDINAL = r"(?:st|nd|rd|th)"

# "in", "on", "by" ... in front of a phrase add nothing: "follow up on friday", "remind me by eod".
_FILLERS_RE = re.compile(r"^(?:(?:on|in|by|for|me|again|until|till|:|-)(?: |$))+")
_ELAPSED_RE = re.compile(rf"(?:after |within )?{_NUMBER} ?(?P<unit>minutes?|mins?|m|hours?|hrs?|h){_LATER}")
_PERIOD_END_RE = re.compile(r"(?P<next>next )?(?P<period>eow|eom)")
_CLOCK_RE = re.compile(
    r"(?:(?:\bat|\bby|@) ?)?"
    r"(?:(?<![\d:/.-])(?P<hour>\d{1,2})(?:[:.](?P<minute>\d{2}))?(?P<ampm> ?[ap]m|[ap])\b"
    r"|(?<![\d:/.-])(?P<hour24>\d{1,2}):(?P<minute24>\d{2})\b"
    r"|\b(?P<word>noon|midnight|morning|afternoon|evening|eod)\b)"
    r"|(?:\bat|@) ?(?P<bare_hour>\d{1,2})(?:[:.](?P<bare_minute>\d{2}))?\b(?![/.-]\d)"
)
_RELATIVE_DAYS_RE = re.compile(
    rf"(?:after |within )?{_NUMBER} ?(?P<unit>days?|d|weeks?|w|fortnights?|months?|mo|years?|yrs?|y){_LATER}"
)
_WEEKDAY_RE = re.compile(rf"(?:next |this |coming )?{_WEEKDAY}")
_WEEKDAY_NEXT_WEEK_RE = re.compile(rf"{_WEEKDAY} next week|next week (?P<weekday_after>{'|'.join(_WEEKDAYS)})")
_DAY_OF_MONTH_RE = re.compile(rf"(?:the )?(?P<day>\d{{1,2}}){_ORDINAL}")
_WEEKDAY_PREFIX_RE = re.compile(rf"{_WEEKDAY} (?P<rest>.+)")
_DATE_RES = (
    re.compile(r"(?P<year>\d{4})[-/](?P<month>\d{1,2})[-/](?P<day>\d{1,2})"),
    re.compile(rf"{_MONTH} (?:the )?(?P<day>\d{{1,2}}){_ORDINAL}?(?: (?P<year>\d{{4}}))?"),
    re.compile(rf"(?:the )?(?P<day>\d{{1,2}}){_ORDINAL}? (?:of )?{_MONTH}(?: (?P<year>\d{{4}}))?"),
    # Dots are the European day-first convention: "25.12." or "25.12.2026".
    re.compile(r"(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.?(?P<year>\d{4}|\d{2})?"),
)
_SLASH_DATE_RE = re.compile(r"(?P<first>\d{1,2})/(?P<second>\d{1,2})(?:/(?P<year>\d{4}|\d{2}))?")

_FIXED_DAYS: dict[str, DayRule] = {
    "yesterday": lambda today: today - timedelta(days=1),  # readable, so it earns "in the past"
    "today": lambda today: today,
    "tomorrow": lambda today: today + timedelta(days=1),
    "overmorrow": lambda today: today + timedelta(days=2),
    "next week": lambda today: _next_weekday(today, 0),
    "next month": lambda today: _add_months(today.replace(day=1), 1),
}


def _strip_fillers(phrase: str) -> str:
    return _FILLERS_RE.sub("", phrase).strip()


def _read_rules(phrase: str) -> _Reading | None:
    """The grammar's reading of a normalised phrase, or None when dateparser should have a go."""
    phrase = _strip_fillers(phrase)
    return _read_elapsed(phrase) or _read_period_end(phrase) or _read_day_and_clock(phrase)


def _read_elapsed(phrase: str) -> _Reading | None:
    match = _ELAPSED_RE.fullmatch(phrase)
    if not match:
        return None
    amount = _number(match["number"])
    delta = timedelta(minutes=amount) if match["unit"].startswith("m") else timedelta(hours=amount)
    # Elapsed time, not wall time: "in 2 hours" across a DST change is still 2 real hours.
    return _Reading(lambda now, tz: (now.astimezone(UTC) + delta).astimezone(tz), timed=True)


def _read_period_end(phrase: str) -> _Reading | None:
    match = _PERIOD_END_RE.fullmatch(phrase)
    if not match:
        return None
    this_end, following_end = _PERIOD_ENDS[match["period"]]

    def resolve(now: datetime, tz: ZoneInfo) -> datetime:
        due = _at(this_end(now.date()), _FIVE_PM, tz)
        # A period that has already closed means the next one, e.g. "end of week" typed on a Saturday.
        if match["next"] or due <= now:
            due = _at(following_end(now.date()), _FIVE_PM, tz)
        return due

    return _Reading(resolve)


def _read_day_and_clock(phrase: str) -> _Reading | None:
    clocks = list(_CLOCK_RE.finditer(phrase))
    if len(clocks) > 1:
        return None
    clock = _clock(clocks[0]) if clocks else None
    if clocks:
        start, end = clocks[0].span()
        phrase = _strip_fillers(" ".join((phrase[:start] + " " + phrase[end:]).split()))
    if clock is None and not phrase:
        return None
    if clock and phrase in ("", "this"):  # "4pm", "this afternoon"
        phrase = "today"
    day_rule = _read_day(phrase)
    if day_rule is None:
        return None
    if clock:
        candidates = (clock,)
    elif phrase == "today":
        # A bare "today" means the start of the working day while it is ahead, else its end; after
        # 17:00 there is no honest reading left, so it is reported as in the past.
        candidates = (_NINE_AM, _FIVE_PM)
    else:
        candidates = (_NINE_AM,)  # a day without a time means the start of that working day

    def resolve(now: datetime, tz: ZoneInfo) -> datetime:
        day = day_rule(now.date())
        dues = [_at(day, candidate, tz) for candidate in candidates]
        return next((due for due in dues if due > now), dues[-1])

    return _Reading(resolve, clock.text if clock else None, timed=clock is not None)


def _clock(match: re.Match[str]) -> _Clock:
    text = re.sub(r"^(?:at|by|@) ?", "", match.group())
    if match["word"]:
        return _WORD_CLOCKS[match["word"]]
    if match["ampm"]:
        hour, minute = int(match["hour"]), int(match["minute"] or 0)
        if not 1 <= hour <= 12:
            raise DueTimeError(f"“{text}” is not a valid time of day.")
        hour = hour % 12 + (12 if "p" in match["ampm"] else 0)
    else:
        hour_text = match["hour24"] or match["bare_hour"]
        hour = _working_hour(hour_text)
        minute = int(match["minute24"] or match["bare_minute"] or 0)
    if hour > 23 or minute > 59:
        raise DueTimeError(f"“{text}” is not a valid time of day.")
    return _Clock(hour * 60 + minute, text)


def _working_hour(hour_text: str) -> int:
    # Without am/pm, "at 3" or "3:30" in a work chat means the afternoon; "03:00" is plainly 24-hour.
    hour = int(hour_text)
    return hour + 12 if 1 <= hour <= 6 and not hour_text.startswith("0") else hour


def _read_day(phrase: str) -> DayRule | None:
    if phrase in _FIXED_DAYS:
        return _FIXED_DAYS[phrase]
    if match := _WEEKDAY_RE.fullmatch(phrase):
        # "friday" and "next friday" both mean the next Friday after today, never today itself.
        index = _WEEKDAYS.index(match["weekday"])
        return lambda today: _next_weekday(today, index)
    if match := _WEEKDAY_NEXT_WEEK_RE.fullmatch(phrase):
        index = _WEEKDAYS.index(match["weekday"] or match["weekday_after"])
        return lambda today: today + timedelta(days=7 - today.weekday() + index)
    if match := _RELATIVE_DAYS_RE.fullmatch(phrase):
        return _relative_days(match)
    if match := _DAY_OF_MONTH_RE.fullmatch(phrase):
        return _day_of_month(int(match["day"]), match.group())
    if match := _WEEKDAY_PREFIX_RE.fullmatch(phrase):
        date_rule = _read_date(match["rest"])
        return date_rule and _checked_weekday(date_rule, _WEEKDAYS.index(match["weekday"]))
    return _read_date(phrase)


def _relative_days(match: re.Match[str]) -> DayRule | None:
    amount = _number(match["number"])
    if amount != int(amount):
        return None  # "1.5 days" has no clear wall-clock meaning
    count, unit = int(amount), match["unit"]
    if unit.startswith("mo"):
        return lambda today: _add_months(today, count)
    if unit.startswith("y"):
        return lambda today: _add_months(today, 12 * count)
    days = {"d": 1, "w": 7, "f": 14}[unit[0]] * count
    # Calendar days, not 24-hour periods: "in 3 days" is 09:00 local even across a DST change.
    return lambda today: today + timedelta(days=days)


def _read_date(phrase: str) -> DayRule | None:
    for pattern in _DATE_RES:
        if match := pattern.fullmatch(phrase):
            month = match["month"]
            month_number = int(month) if month.isdigit() else _MONTHS.index(month[:3]) + 1
            return _calendar_day(match["year"], month_number, int(match["day"]), phrase)
    if match := _SLASH_DATE_RE.fullmatch(phrase):
        month, day = _slash_order(int(match["first"]), int(match["second"]), phrase)
        return _calendar_day(match["year"], month, day, phrase)
    return None


def _slash_order(first: int, second: int, text: str) -> tuple[int, int]:
    """(month, day) of "a/b"; refuse to guess when both readings are real dates."""
    if first > 12 or first == second:
        return second, first
    if second > 12:
        return first, second
    raise DueTimeError(
        f"I can't tell if “{text}” means {second} {_MONTHS[first - 1].title()} or "
        f"{first} {_MONTHS[second - 1].title()}; please write the month as a word."
    )


def _calendar_day(year_text: str | None, month: int, day: int, text: str) -> DayRule:
    if year_text is None:
        _real_date(2000, month, day, text)  # a leap year, so "feb 29" passes
        return lambda today: _next_occurrence(today, month, day)
    year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    target = _real_date(year, month, day, text)
    return lambda today: target


def _real_date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DueTimeError(f"“{text}” is not a real date.") from None


def _next_occurrence(today: date, month: int, day: int) -> date:
    """The first such date from today on: "Dec 3" typed on Dec 20 means next year's Dec 3.

    Today itself counts, so "Nov 25 3pm" typed on Nov 25 is this afternoon; a time already gone is then
    reported as in the past rather than silently moved a year ahead.
    """
    for year in range(today.year, today.year + 9):  # Feb 29 can be eight years away
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    raise AssertionError("unreachable: every valid month/day recurs within nine years")


def _day_of_month(day: int, text: str) -> DayRule:
    if not 1 <= day <= 31:
        raise DueTimeError(f"“{text}” is not a real date.")

    def rule(today: date) -> date:
        first = today.replace(day=1)
        for months_ahead in range(13):
            month_start = _add_months(first, months_ahead)
            if day <= calendar.monthrange(month_start.year, month_start.month)[1]:
                candidate = month_start.replace(day=day)
                if candidate >= today:
                    return candidate
        raise AssertionError("unreachable: every day 1-31 occurs within a year")

    return rule


def _checked_weekday(date_rule: DayRule, weekday: int) -> DayRule:
    """Guard "thu dec 4" against a wrong weekday rather than silently picking one of the two."""

    def rule(today: date) -> date:
        day = date_rule(today)
        if day.weekday() != weekday:
            raise DueTimeError(
                f"{day.day} {day:%b} {day.year} is a {_WEEKDAYS[day.weekday()].title()}, "
                f"not a {_WEEKDAYS[weekday].title()}."
            )
        return day

    return rule


def _number(text: str) -> float:
    return _NUMBER_WORDS.get(text) or float(text)


# ---------------------------------------------------------------------------------------------------------
# Calendar arithmetic
# ---------------------------------------------------------------------------------------------------------


def _next_weekday(today: date, weekday: int) -> date:
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _add_months(day: date, months: int) -> date:
    """Same day of the month, clamped: Jan 31 plus one month is the last day of February."""
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    if not MINYEAR <= year <= MAXYEAR:
        # What date + timedelta raises; date() itself would raise a ValueError, which reads as a bug.
        raise OverflowError("date value out of range")
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _week_end(today: date) -> date:
    return today + timedelta(days=4 - today.weekday())  # Friday of this Monday-based week


def _next_week_end(today: date) -> date:
    return _week_end(today) + timedelta(weeks=1)


def _month_end(today: date) -> date:
    return today.replace(day=calendar.monthrange(today.year, today.month)[1])


def _next_month_end(today: date) -> date:
    return _month_end(_add_months(today.replace(day=1), 1))


_PERIOD_ENDS: dict[str, tuple[DayRule, DayRule]] = {
    "eow": (_week_end, _next_week_end),
    "eom": (_month_end, _next_month_end),
}


# ---------------------------------------------------------------------------------------------------------
# Wall-clock time to instants
# ---------------------------------------------------------------------------------------------------------


def _at(day: date, clock: _Clock, tz: ZoneInfo) -> datetime:
    return _localize(datetime.combine(day, time()) + timedelta(minutes=clock.minutes), tz)


def _localize(wall: datetime, tz: ZoneInfo) -> datetime:
    """`wall` in `tz`: a repeated time (fall back) takes its first occurrence, a skipped one the gap's end."""
    aware = wall.replace(tzinfo=tz, fold=0)
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall:
        return aware
    return _end_of_gap(aware, tz)


def _end_of_gap(inside_gap: datetime, tz: ZoneInfo) -> datetime:
    # fold=1 reads the skipped wall time with the offset after the change, fold=0 with the offset before,
    # so the change itself lies between the two instants; bisect for it to the second.
    before = int(inside_gap.replace(fold=1).timestamp())
    after = int(inside_gap.replace(fold=0).timestamp())
    offset_after = datetime.fromtimestamp(after, tz).utcoffset()
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, tz).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, tz)


def follow_up_horizon(now: datetime) -> datetime:
    """The last instant a follow-up may be due, HORIZON_YEARS ahead of `now`, however its time was given."""
    # Feb 29 plus ten years is Feb 28: _add_months clamps the day as "in 10 years" itself does.
    horizon_day = _add_months(now.date(), 12 * HORIZON_YEARS)
    return datetime.combine(horizon_day, time.max, now.tzinfo)


def _in_the_past(due: datetime, now: datetime, reading: _Reading | None) -> str:
    if reading and reading.clock_text and due.date() == now.date():
        return f"{reading.clock_text} today has already passed."
    year = f" {due.year}" if due.year != now.year else ""
    return f"{due:%a} {due.day} {due:%b}{year}, {due:%H:%M} is in the past."


# ---------------------------------------------------------------------------------------------------------
# dateparser fallback
# ---------------------------------------------------------------------------------------------------------

# Any fixed instant will do: probes only ask whether a phrase reads as a date, not which one.
_PROBE_ZONE = ZoneInfo("UTC")
_PROBE_NOW = datetime(2000, 1, 3, 12, tzinfo=_PROBE_ZONE)
# dateparser reads "3", "12" or "we" as dates; only hand it phrases with something date-like in them.
_MONTH_WORD = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATE_ANCHOR_RE = re.compile(
    rf"\d{{1,2}}{_ORDINAL}? (?:of )?{_MONTH_WORD}(?!\w)|\b{_MONTH_WORD} \d{{1,2}}(?!\d)"
    r"|\d[-/.]\d|\b(?:days?|weeks?|fortnights?|months?|years?)\b"
)
# dateparser cannot say whether the phrase carried a time of day, so look for one ourselves.
_EXTRA_CLOCK_RE = re.compile(r"\b\d{1,2}h(?:\d{2})?\b|\b(?:hours?|hrs?|minutes?|mins?)\b")


@cache
def _dateparser() -> ModuleType:
    import dateparser  # deferred: costly to import, and most phrases never need it

    return dateparser


def _read_with_dateparser(phrase: str, now: datetime, tz: ZoneInfo) -> datetime | None:
    if not _DATE_ANCHOR_RE.search(phrase):
        return None
    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": now.astimezone(tz).replace(tzinfo=None),
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    if tz.key:
        settings["TIMEZONE"] = tz.key  # so "3pm est" comes back as wall time in tz
    try:
        parsed = _dateparser().parse(phrase, languages=["en"], settings=settings)
    except (ValueError, OverflowError):  # dateparser has raised on odd input before
        return None
    if parsed is None:
        return None
    if not (_CLOCK_RE.search(phrase) or _EXTRA_CLOCK_RE.search(phrase)):
        parsed = datetime.combine(parsed.date(), time()) + timedelta(minutes=_NINE_AM.minutes)
    return _localize(parsed.replace(tzinfo=None, second=0, microsecond=0), tz)
