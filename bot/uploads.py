"""Uploading a file to a Slack conversation: the only module that does.

Slack's current upload API takes three steps (files.getUploadURLExternal, a POST of the bytes to the URL it
hands out, files.completeUploadExternal); slack_sdk's ``WebClient.files_upload_v2`` drives them. The two
Web API steps wait out a 429 through the client's retry handlers (the app's client has a
RateLimitErrorRetryHandler). The byte POST goes around those handlers (slack_sdk sends it with plain
urllib), so a 429 there is waited out here, as its Retry-After says, and the whole upload is made again.

A failed upload is a logged warning and None, never an exception: a report's summary has already been
answered by then, and a missing picture must not turn into an error reply.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from urllib.error import HTTPError, URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

logger = logging.getLogger(__name__)

# How many times a 429 on the byte upload is waited out before giving up, and the longest wait believed.
BYTE_UPLOAD_RETRIES = 2
MAX_RETRY_AFTER_S = 30


def upload_file(
    client: WebClient,
    *,
    channel: str,
    filename: str,
    content: bytes,
    title: str,
    initial_comment: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> str | None:
    """Share `content` as `filename` in `channel` (a conversation id, or a user id: their DM is opened);
    the file's id, or None when Slack refused or could not be reached (logged as a warning).

    `sleep` waits out a 429 on the bytes (tests pass a recorder instead of waiting).
    """
    try:
        conversation = _conversation_for(client, channel)
        for attempt in range(BYTE_UPLOAD_RETRIES + 1):
            try:
                response = client.files_upload_v2(
                    channel=conversation,
                    filename=filename,
                    content=content,
                    title=title,
                    initial_comment=initial_comment,
                )
            except HTTPError as error:
                wait = _retry_after(error)
                if wait is None or attempt == BYTE_UPLOAD_RETRIES:
                    raise
                sleep(wait)
                continue
            file = response.get("file") or {}
            return str(file["id"]) if file.get("id") else None
    except SlackApiError as error:
        logger.warning("could not upload %s to %s: %s", filename, channel, error.response.get("error"))
    except (SlackClientError, HTTPError, URLError, OSError) as error:
        logger.warning("could not upload %s to %s: %s: %s", filename, channel, type(error).__name__, error)
    return None


def _conversation_for(client: WebClient, channel: str) -> str:
    """files.completeUploadExternal takes a conversation id only; a person is reached in their DM."""
    if channel[:1] not in ("U", "W"):
        return channel
    return str(client.conversations_open(users=channel)["channel"]["id"])


def _retry_after(error: HTTPError) -> float | None:
    """The seconds a 429 says to wait (1 when it does not say), None for any other failure."""
    if error.code != 429:
        return None
    try:
        seconds = float(error.headers.get("Retry-After") or 1)
    except ValueError:
        seconds = 1.0
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)
