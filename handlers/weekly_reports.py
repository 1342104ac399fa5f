"""`/report weekly …`: a channel's weekly report set up, changed, stopped or listed (`bot.reports.weekly`).

Bad words are answered in the acknowledgement. Setting one up is acknowledged first; then a notice is posted
in the channel, which is also how the bot learns whether it may post there (Slack answers `not_in_channel`,
and the person is told to `/invite` it); only then is the subscription written, and the person told what, where
and when next by response URL. A channel another organisation reads is warned about first, as a share is: every
week's report would reach people outside the company, so it is set up there only on *Share anyway*. The
workspace is always the request's.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import reports as report_blocks
from bot.reports.periods import ReportWordsError
from bot.reports.weekly import (
    check_filter_words,
    live_subscription,
    planned,
    read_weekly_words,
    subscribe,
    subscriptions,
    unsubscribe,
)
from bot.reports.weekly_posts import CANNOT_POST_THERE
from handlers.common import acting_in, member, runtime
from handlers.outsiders import share_warning

logger = logging.getLogger(__name__)


def weekly_command(
    ack: Ack,
    words: str,
    user_id: str,
    context: BoltContext,
    client: WebClient,
    respond: Respond,
    *,
    confirmed: bool = False,
) -> None:
    """`words` are those after `/report weekly`, as typed; `confirmed` after *Share anyway* under a warning."""
    rt = runtime(context)
    now = rt.now()
    try:
        asked = read_weekly_words(words)
    except ReportWordsError as error:
        ack(**report_blocks.report_words_error(str(error)))
        return
    if asked.channel_id is None:
        workspace_id, _ = member(context, client, user_id)
        with rt.readers.begin() as session:
            ack(**report_blocks.weekly_list(subscriptions(session, workspace_id)))
        return
    if asked.stop:
        with acting_in(context, client, user_id) as (session, workspace_id, _):
            stopped = unsubscribe(session, workspace_id, asked.channel_id, user_id=user_id, now=now)
        ack(**report_blocks.weekly_stopped(asked.channel_id, stopped))
        return
    workspace_id, author = member(context, client, user_id)
    try:
        with rt.readers.begin() as session:
            check_filter_words(session, rt.indexes, workspace_id, user_id, asked.filter_words, now=now, tz=author.tz)
            current = live_subscription(session, workspace_id, asked.channel_id)
    except ReportWordsError as error:
        ack(**report_blocks.report_words_error(str(error)))
        return
    ack()
    unchanged = current is not None and current.filter_words == asked.filter_words and current.tz == author.tz
    if not unchanged and not confirmed:
        value = f"<#{asked.channel_id}> {asked.filter_words}"
        warning = share_warning(context, client, asked.channel_id, report_blocks.WEEKLY_SHARE_CONFIRMED, value)
        if warning is not None:
            respond(**warning)
            return
    if not unchanged:
        # The channel hears of it from the bot itself: the post is also the check that the bot may post there.
        upcoming = planned(asked.channel_id, asked.filter_words, tz=author.tz, user_id=user_id, now=now)
        try:
            client.chat_postMessage(
                channel=asked.channel_id, **report_blocks.weekly_channel_notice(user_id, upcoming), unfurl_links=False
            )
        except SlackApiError as error:
            code = str(error.response.get("error") or "")
            logger.info("the weekly report's notice in %s was refused: %s", asked.channel_id, code)
            if code in CANNOT_POST_THERE:
                respond(**report_blocks.weekly_not_in_channel(asked.channel_id))
            else:
                respond(**report_blocks.report_share_failed())
            return
    with rt.sessions.begin() as session:
        subscribed = subscribe(
            session, workspace_id, asked.channel_id, asked.filter_words, tz=author.tz, user_id=user_id, now=now
        )
    respond(**report_blocks.weekly_subscribed(subscribed))


def weekly_share_confirmed(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    """*Share anyway* under the warning about a shared channel: the weekly report is set up there after all."""
    weekly_command(ack, action["value"], body["user"]["id"], context, client, respond, confirmed=True)


def register(app: App) -> None:
    app.action(report_blocks.WEEKLY_SHARE_CONFIRMED)(weekly_share_confirmed)
