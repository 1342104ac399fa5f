"""`/report`'s replies: the summary (ephemeral, shared in a channel, or the weekly report's post), the empty
report, the reply to bad words, the comments on the files it uploads, and `/report weekly`'s replies.

The summary shows the few figures someone acts on (touchpoints, customers touched, follow-ups kept on time,
quiet customers), each beside the previous period's, and the three things most worth acting on
(`Report.actions`). Filter names, actions and the words of an error come from people: all are escaped.
The buttons carry `Asked` (the words and the instant), never a workspace.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.blocks import BUTTON_VALUE_LIMIT, Block, Message, actions, button, context, mention, message, mrkdwn, when
from bot.reports.asked import Asked
from bot.reports.chart_data import days_in_words
from bot.reports.measures import PERSON, Action, Figure, Kept, Report
from bot.reports.weekly import Subscribed, WeeklySubscription
from bot.text import escape, plural, truncate

REPORT_SHARE = "report_share"
# *Share anyway*, under the warning that people of another organisation read the channel.
REPORT_SHARE_CONFIRMED = "report_share_confirmed"
REPORT_CSV = "report_csv"
WEEKLY_SHARE_CONFIRMED = "weekly_share_confirmed"
# The most things worth acting on a summary lists.
MOST_ACTIONS = 3
FILTER_CHARS = 300
ACTION_CHARS = 400
ERROR_CHARS = 2500
HEADER_LIMIT = 150
TRY = "`/report`, `/report last week`, `/report this quarter finance`, `/report @dana`, `/report #expo2026`"


def report_summary(report: Report, asked: Asked, *, shared_by: str | None = None, weekly: bool = False) -> Message:
    """The report in a few figures; with `shared_by`, the copy posted in a channel, saying who shared it; `weekly`,
    the weekly report's post in its channel."""
    if report.is_empty():
        return empty_report(report)
    posted = f" · shared by {mention(shared_by)}" if shared_by else ""
    if weekly:
        posted = " · the weekly report, every Monday"
    kept = report.follow_ups.kept
    figures = [
        ("Touchpoints", _count(report.touchpoints.total)),
        ("Customers touched", _count(report.coverage.customers_touched)),
        ("Follow-ups kept on time", _rate(kept)),
        ("Quiet customers", _count(report.quiet_customers.total)),
    ]
    blocks: list[Block] = [
        _header(report),
        context(_about(report) + posted),
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{name}*\n{shown}"} for name, shown in figures]},
    ]
    if report.actions:
        listed = "\n".join(f"• {_action(a)}" for a in report.actions[:MOST_ACTIONS])
        blocks.append(mrkdwn(f"*Worth acting on*\n{listed}"))
    value = asked.as_value()
    if len(value) <= BUTTON_VALUE_LIMIT:  # always, for words `read_words` accepted; a cut value would mislead
        buttons = [button("Download CSV", REPORT_CSV, value)]
        if shared_by is None and not weekly:  # already in a channel
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
        "*Every week*: `/report weekly #channel [filter]` posts the previous Monday-to-Sunday week there every"
        " Monday at 09:00; `/report weekly #channel off` stops it; `/report weekly` lists them.",
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


def weekly_subscribed(subscribed: Subscribed) -> Message:
    """The ephemeral confirmation of `/report weekly #channel`: what, where, and when next."""
    sub = subscribed.subscription
    what = f"the previous week's report for {_filter_words(sub.filter_words)}"
    where, next_post = _channel(sub.channel_id), _moment(sub.next_due_at, sub.tz)
    if subscribed.outcome == "same":
        text = f":calendar: {where} already gets {what} every Monday at 09:00; the next is on {next_post}."
    else:
        did = {"changed": "Changed", "restarted": "Started again"}.get(subscribed.outcome, "Set up")
        which = "next" if subscribed.outcome == "changed" else "first"
        text = f":calendar: {did}: {what} in {where} every Monday at 09:00 {sub.tz.key}. The {which} is on {next_post}."
    # Slack shows a channel inside `code` as its raw token, so the channel stays outside the backticks.
    stop = f"To stop it: `/report weekly` {_channel(sub.channel_id)} `off`. `/report weekly` alone lists them all."
    return message(text, [mrkdwn(text), context(stop)])


def weekly_channel_notice(user_id: str, sub: WeeklySubscription) -> Message:
    """Posted in the channel when its weekly report is set up: the channel knows what is coming and from whom."""
    text = (
        f":calendar: {mention(user_id)} set up the weekly report here: {_filter_words(sub.filter_words)}, the"
        f" previous Monday to Sunday, every Monday at 09:00 {sub.tz.key}, starting {_moment(sub.next_due_at, sub.tz)}."
    )
    return message(text, [mrkdwn(text)])


def weekly_list(subscriptions: list[WeeklySubscription]) -> Message:
    """`/report weekly` alone: each channel's weekly report, when next, and what went wrong last, if anything."""
    if not subscriptions:
        text = "No channel gets the weekly report yet. `/report weekly #channel` posts it there every Monday at 09:00."
        return message(text, [mrkdwn(text)])
    lines = []
    for sub in subscriptions:
        line = f"• {_channel(sub.channel_id)}: {_filter_words(sub.filter_words)}"
        line += f", next on {_moment(sub.next_due_at, sub.tz)}"
        if sub.last_error:
            line += f" (the last one could not be posted: {escape(truncate(sub.last_error, ERROR_CHARS // 10))})"
        lines.append(line)
    text = f"The weekly report goes to {len(subscriptions)} channel{'s' if len(subscriptions) > 1 else ''}"
    listed = truncate("\n".join(lines), ERROR_CHARS)
    hint = "`/report weekly #channel off` stops one; `/report weekly #channel department` narrows it."
    return message(text, [mrkdwn(f"*{text}*\n{listed}"), context(hint)])


def weekly_stopped(channel_id: str, stopped: WeeklySubscription | None) -> Message:
    where = _channel(channel_id)
    if stopped is None:
        text = f"{where} does not get the weekly report, so there is nothing to stop."
    else:
        text = f"Stopped: {where} no longer gets the weekly report. `/report weekly` {where} starts it again."
    return message(text, [mrkdwn(text)])


def weekly_not_in_channel(channel_id: str) -> Message:
    """The bot cannot post in the channel: how to let it in."""
    where = _channel(channel_id)
    text = (
        f":warning: I'm not in {where}, so I can't post the weekly report there. Invite me with"
        f" `/invite @Touchpoint` in {where}, then type `/report weekly` {where} again."
    )
    return message(text, [mrkdwn(text)])


_TOKEN = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>|<#[CG][A-Z0-9]*\|([^>]*)>")
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]+")


def _filter_words(words: str) -> str:
    """The filter as typed, escaped, or `everyone`; a person in it is shown by name, never pinged."""
    if not words:
        return "everyone"
    plain = _TOKEN.sub(lambda t: f"@{t.group(2) or t.group(1)}" if t.group(1) else f"#{t.group(3)}", words)
    return escape(truncate(plain, FILTER_CHARS))


def _channel(channel_id: str) -> str:
    return f"<#{channel_id}>" if _CHANNEL_ID.fullmatch(channel_id) else escape(truncate(channel_id, 40))


def _moment(moment: datetime, tz: ZoneInfo) -> str:
    """ "Monday 7 December at 09:00 Europe/Berlin"."""
    local = moment.astimezone(tz)
    return f"{local:%A} {local.day} {local:%B} at {local:%H:%M} {tz.key}"


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
