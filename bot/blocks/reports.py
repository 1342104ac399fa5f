"""`/report`'s replies: the summary (ephemeral, or shared in a channel), the empty report, the reply to bad
words, and the comments on the files it uploads.

The summary shows the few figures someone acts on (touchpoints, customers touched, follow-ups kept on time,
quiet customers), each beside the previous period's, and the three things most worth acting on
(`Report.actions`). Filter names, actions and the words of an error come from people: all are escaped.
The buttons carry `Asked` (the words and the instant), never a workspace.
"""

from __future__ import annotations

from bot.blocks import BUTTON_VALUE_LIMIT, Block, Message, actions, button, context, mention, message, mrkdwn, when
from bot.reports.asked import Asked
from bot.reports.chart_data import days_in_words
from bot.reports.measures import PERSON, Action, Figure, Kept, Report
from bot.text import escape, plural, truncate

REPORT_SHARE = "report_share"
# *Share anyway*, under the warning that people of another organisation read the channel.
REPORT_SHARE_CONFIRMED = "report_share_confirmed"
REPORT_CSV = "report_csv"
# The most things worth acting on a summary lists.
MOST_ACTIONS = 3
FILTER_CHARS = 300
ACTION_CHARS = 400
ERROR_CHARS = 2500
HEADER_LIMIT = 150
TRY = "`/report`, `/report last week`, `/report this quarter finance`, `/report @dana`, `/report #expo2026`"


def report_summary(report: Report, asked: Asked, *, shared_by: str | None = None) -> Message:
    """The report in a few figures; with `shared_by`, the copy posted in a channel, saying who shared it."""
    if report.is_empty():
        return empty_report(report)
    kept = report.follow_ups.kept
    figures = [
        ("Touchpoints", _count(report.touchpoints.total)),
        ("Customers touched", _count(report.coverage.customers_touched)),
        ("Follow-ups kept on time", _rate(kept)),
        ("Quiet customers", _count(report.quiet_customers.total)),
    ]
    blocks: list[Block] = [
        _header(report),
        context(_about(report) + (f" · shared by {mention(shared_by)}" if shared_by else "")),
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{name}*\n{shown}"} for name, shown in figures]},
    ]
    if report.actions:
        listed = "\n".join(f"• {_action(a)}" for a in report.actions[:MOST_ACTIONS])
        blocks.append(mrkdwn(f"*Worth acting on*\n{listed}"))
    value = asked.as_value()
    if len(value) <= BUTTON_VALUE_LIMIT:  # always, for words `read_words` accepted; a cut value would mislead
        buttons = [button("Download CSV", REPORT_CSV, value)]
        if shared_by is None:
            buttons.insert(0, button("Share in channel", REPORT_SHARE, value))
        blocks.append(actions(*buttons))
    total = report.touchpoints.total
    text = f"Report for {days_in_words(report.period)}: {plural(int(total.value or 0), 'touchpoint')}"
    return message(f"{text} ({_change(total)})", blocks)


def empty_report(report: Report) -> Message:
    """Nothing logged in the period or the one before: say so, and how to start, instead of a row of zeros."""
    about = escape(truncate(report.filter.describe(), FILTER_CHARS))
    text = (
        f"No touchpoints for {about} in {days_in_words(report.period)}, nor in the {report.period.days} days before,"
        " so there is nothing to measure yet."
    )
    hint = "Touchpoints logged with `/log Acme: call with Dana, follow up friday` are counted here."
    return message(text, [_header(report), mrkdwn(text), context(hint)])


def report_words_error(problem: str) -> Message:
    """The reply to words that name no period or no known filter: what was wrong, with examples or suggestions."""
    said = escape(truncate(problem, ERROR_CHARS))
    return message(f":thinking_face: {said}", [mrkdwn(f":thinking_face: {said}"), context(f"For example: {TRY}")])


def report_help() -> Message:
    """`/report help`: what the words may be, with examples."""
    lines = [
        "*`/report [period] [filter]`*: the last 30 days (or the period you name) in a few figures, beside the"
        " period before, with a chart in your DM.",
        "*Period*: `today`, `yesterday`, `last 14 days`, `this week`, `last month`, `this quarter`, `last year`,"
        " `2026-10-01..2026-12-31`",
        "*Filter*: a department (`finance`), a person (`@dana`), a tag (`#expo2026`) or a customer (`acme`)",
    ]
    return message("How to use /report", [mrkdwn("\n".join(lines)), context(f"For example: {TRY}")])


def report_shared_note(report: Report) -> Message:
    text = f"Shared the report for {days_in_words(report.period)} in this channel, with its chart."
    return message(text, [mrkdwn(text)])


def report_share_failed() -> Message:
    text = (
        ":warning: I couldn't post the report in this channel; invite me to it (`/invite @Touchpoint`) and try again."
    )
    return message(text, [mrkdwn(text)])


def chart_comment(report: Report) -> str:
    """The words beside the chart: which period and filter it shows."""
    about = escape(truncate(report.filter.describe(), FILTER_CHARS))
    return f"Touchpoints and follow-ups for {about}, {days_in_words(report.period)}"


def csv_comment(report: Report) -> str:
    about = escape(truncate(report.filter.describe(), FILTER_CHARS))
    return f"Every figure of the report for {about}, {days_in_words(report.period)}, beside the period before"


def _header(report: Report) -> Block:
    title = truncate(f"Report · {days_in_words(report.period)}", HEADER_LIMIT)
    return {"type": "header", "text": {"type": "plain_text", "text": title, "emoji": True}}


def _about(report: Report) -> str:
    about = escape(truncate(report.filter.describe(), FILTER_CHARS))
    before = days_in_words(report.previous)
    made = when(report.made_at, report.period.tz)
    return f"For {about} · compared with {before} · made {made}"


def _count(figure: Figure) -> str:
    return f"{int(figure.value or 0)}  _{_change(figure)}_"


def _change(figure: Figure) -> str:
    value, before = figure.value or 0, figure.previous or 0
    if value == before:
        return "same as before"
    return f"{'↑' if value > before else '↓'} from {before}"


def _rate(kept: Kept) -> str:
    """The on-time rate of what was settled; follow-ups still within their grace are neither kept nor late yet."""
    rate, due = kept.on_time_rate, kept.due
    if rate.value is None:
        waiting = int(due.value or 0)
        shown = f"{waiting} fell due, still within the grace" if waiting else "none fell due"
    else:
        counted = int(kept.on_time.value or 0) + int(kept.late.value or 0) + int(kept.open_overdue.value or 0)
        shown = f"{_percent(rate.value)} ({int(kept.on_time.value or 0)} of {counted})"
    if rate.previous is None:
        return f"{shown}  _none fell due before_" if not due.previous else f"{shown}  _none settled before_"
    if rate.value is None or rate.value == rate.previous:
        change = f"was {_percent(rate.previous)}" if rate.value is None else "same as before"
    else:
        change = f"{'↑' if rate.value > rate.previous else '↓'} from {_percent(rate.previous)}"
    return f"{shown}  _{change}_"


def _percent(fraction: float) -> str:
    return f"{round(fraction * 100)}%"


def _action(action: Action) -> str:
    """An action's words escaped, and its person as a mention the bot writes itself (never escaped away)."""
    said = escape(action.text)
    if action.person:
        said = said.replace(escape(PERSON), mention(action.person))
    return truncate(said, ACTION_CHARS)  # never cuts an entity or the mention in half
