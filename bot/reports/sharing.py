"""A report's chart drawn and shared in a conversation: what `/report`, *Share in channel* and the weekly
report all send beside the summary.

The plotting library is imported only here, when a chart is drawn (`bot.reports.chart`). A failed upload is
only logged (`bot.uploads`): the summary has been posted by then, and a missing picture is no error.
"""

from __future__ import annotations

from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.blocks.reports import chart_comment
from bot.reports.chart import render_chart
from bot.reports.chart_data import chart_spec
from bot.reports.measures import Report
from bot.uploads import upload_file


def share_chart(
    readers: sessionmaker[Session], client: WebClient, channel: str, workspace_id: int, made: Report
) -> str | None:
    """The chart of `made` uploaded to `channel` (a person's id: their DM); the file's id, or None when the report
    is empty (a picture of nothing would add nothing) or the upload failed."""
    if made.is_empty():
        return None
    with readers.begin() as session:
        spec = chart_spec(session, workspace_id, made)
    return upload_file(
        client,
        channel=channel,
        filename=f"report-{made.period.describe()}.png",
        content=render_chart(spec),
        title=spec.title,
        initial_comment=chart_comment(made),
    )
