"""`/report [words]` and the buttons under its summary: *Share in channel* and *Download CSV*; `/report weekly …`
goes to `handlers.weekly_reports`.

Words that name no period or no known filter are answered in the acknowledgement itself. Otherwise the
command is acknowledged at once, and the report is built in a read session afterwards: the summary comes
at the response URL (ephemeral), the chart in the person's DM. The plotting library is imported only when
a chart is drawn (`bot.reports.chart`), never on `/log`'s path. The workspace is always the request's.
"""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import reports as report_blocks
from bot.reports.asked import Asked, read_words
from bot.reports.chart_data import figures_title
from bot.reports.measures import Report, build_report, report_csv
from bot.reports.periods import ReportWordsError
from bot.reports.sharing import share_chart
from bot.reports.weekly import WEEKLY
from bot.uploads import upload_file
from handlers.commands import HELP_WORDS
from handlers.common import member, runtime
from handlers.outsiders import share_warning
from handlers.weekly_reports import weekly_command

logger = logging.getLogger(__name__)


def report_command(ack: Ack, command: dict, context: BoltContext, client: WebClient, respond: Respond) -> None:
    """Bad words in the acknowledgement; else acknowledged at once, the summary by response URL, the chart in the DM."""
    user_id = command["user_id"]
    asked = Asked(_typed(command.get("text") or ""), runtime(context).now())
    if asked.words.lower() in HELP_WORDS:
        ack(**report_blocks.report_help())
        return
    first, _, rest = asked.words.partition(" ")
    if first.lower() == WEEKLY:
        weekly_command(ack, rest, user_id, context, client, respond)
        return
    try:
        workspace_id, made = _report(context, client, user_id, asked, acknowledge=ack)
    except ReportWordsError as error:
        ack(**report_blocks.report_words_error(str(error)))
        return
    respond(**report_blocks.report_summary(made, asked))
    _upload_chart(context, client, user_id, workspace_id, made)


def share_clicked(
    ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond
) -> None:
    """The same report posted visibly in the channel, on this click only, saying who shared it; its chart there too.

    Where people of another organisation read the channel, it is asked first (*Share anyway* shares).
    """
    _share(ack, body, action, context, client, respond, confirmed=False)


def share_confirmed(
    ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond
) -> None:
    """*Share anyway* under the warning that people outside the company read the channel."""
    _share(ack, body, action, context, client, respond, confirmed=True)


def _share(
    ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond, *, confirmed: bool
) -> None:
    ack()
    user_id, channel = body["user"]["id"], (body.get("channel") or {}).get("id") or body["user"]["id"]
    rebuilt = _rebuilt(body, action, context, client, respond)
    if rebuilt is None:
        return
    if not confirmed:
        warning = share_warning(context, client, channel, report_blocks.REPORT_SHARE_CONFIRMED, action["value"])
        if warning is not None:
            respond(**warning, replace_original=False)
            return
    asked, workspace_id, made = rebuilt
    try:
        client.chat_postMessage(channel=channel, **report_blocks.report_summary(made, asked, shared_by=user_id))
    except SlackApiError as error:
        logger.info("sharing a report failed: %s", error.response.get("error"))
        respond(**report_blocks.report_share_failed(), replace_original=False)
        return
    _upload_chart(context, client, channel, workspace_id, made)
    # After a warning, the warning gives way to the note; the summary it was shared from stays.
    respond(**report_blocks.report_shared_note(made), replace_original=confirmed)


def csv_clicked(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond) -> None:
    """Every figure of the report as `report-<period>.csv`, in the DM of whoever clicked."""
    ack()
    user_id = body["user"]["id"]
    rebuilt = _rebuilt(body, action, context, client, respond)
    if rebuilt is None:
        return
    made = rebuilt[2]
    upload_file(
        client,
        channel=user_id,
        filename=f"report-{made.period.describe()}.csv",
        content=report_csv(made).encode("utf-8"),
        title=figures_title(made),
        initial_comment=report_blocks.csv_comment(made),
    )


# ---------------------------------------------------------------------------------------------------------


def _report(
    context: BoltContext, client: WebClient, user_id: str, asked: Asked, *, acknowledge: Ack | None = None
) -> tuple[int, Report]:
    """The request's workspace (its row id) and the report `asked` names there, in the viewer's zone.

    `acknowledge` is called once the words are read (a `ReportWordsError` comes before it), so the slow part
    runs after the acknowledgement.
    """
    rt = runtime(context)
    workspace_id, viewer = member(context, client, user_id)
    with rt.readers.begin() as session:
        tz = asked.zone(viewer.tz)
        period, chosen = read_words(session, rt.indexes, workspace_id, user_id, asked.words, now=asked.at, tz=tz)
    if acknowledge is not None:
        acknowledge()
    made = build_report(
        rt.slow_readers, workspace_id, period, chosen, now=asked.at, quiet_after_days=rt.settings.quiet_after_days
    )
    return workspace_id, made


def _rebuilt(
    body: dict, action: dict, context: BoltContext, client: WebClient, respond: Respond
) -> tuple[Asked, int, Report] | None:
    """The report a button stands for, rebuilt from its words; a problem with them is replied, and None."""
    asked = Asked.from_value(action.get("value") or "")
    if asked is None:
        logger.warning("a report button with a value it did not write: %r", (action.get("value") or "")[:100])
        return None
    try:
        return asked, *_report(context, client, body["user"]["id"], asked)
    except ReportWordsError as error:
        respond(**report_blocks.report_words_error(str(error)), replace_original=False)
        return None


def _upload_chart(context: BoltContext, client: WebClient, channel: str, workspace_id: int, made: Report) -> None:
    """The chart drawn and shared in `channel` (a person's id: their DM); a failed upload is only logged."""
    share_chart(runtime(context).slow_readers, client, channel, workspace_id, made)


def _typed(text: str) -> str:
    """The words as typed: Slack sends &, < and > as entities, and mentions and channels as tokens (kept)."""
    return " ".join(text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").split())


def register(app: App) -> None:
    app.command("/report")(report_command)
    app.action(report_blocks.REPORT_SHARE)(share_clicked)
    app.action(report_blocks.REPORT_SHARE_CONFIRMED)(share_confirmed)
    app.action(report_blocks.REPORT_CSV)(csv_clicked)
