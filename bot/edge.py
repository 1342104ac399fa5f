"""What is checked before Bolt sees a request: its size, its timestamp and signature, and that its body parses.

Everything Bolt does with a request (its middleware, the listeners, the global error handler) may call out:
the Web API, or the response_url the body names. So a request is verified here, once, before dispatch, and
one that fails for any reason is answered 401 and goes no further; Bolt's own check only runs on requests
that already passed this one. A request that passed carries `VERIFIED` in its context, and its `respond` is
the guarded one (`bot.response_urls`), so even the error handler answers only a verified request, and only
on Slack's hooks host. The HTTP server (`bot.server`) and the local simulator's in-process transport both
come through `verified_request`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Mapping
from typing import Any

from slack_bolt import BoltRequest

from bot.response_urls import ResponseUrls

logger = logging.getLogger(__name__)

# Slack's largest requests (a modal submission with many blocks) are a few hundred KB.
MAX_BODY_BYTES = 1_000_000
# Slack's own rule: a request signed more than five minutes from now is a replay, or a clock gone wrong.
MAX_CLOCK_SKEW_S = 300
VERIFIED = "touchpoint_verified"
# Epoch seconds: ten digits until the year 2286; anything longer, signed or fractional is not a Slack timestamp.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class Refused(Exception):
    """A request answered with `status` and never dispatched; `reason` is for the log, fixed text only."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def read_body(environ: Mapping[str, Any]) -> bytes:
    """The body of a WSGI request, refused with 413 past MAX_BODY_BYTES; never more than one byte past it is read."""
    declared = environ.get("CONTENT_LENGTH") or ""
    stream = environ.get("wsgi.input")
    if declared:
        if not (declared.isascii() and declared.isdigit()) or len(declared) > 18:
            raise Refused(400, "malformed Content-Length")
        if int(declared) > MAX_BODY_BYTES:
            raise Refused(413, "body over the limit")
        # A server that does not bound wsgi.input (wsgiref) would block on a read past the declared length.
        return stream.read(int(declared)) if stream is not None else b""
    if stream is None or not environ.get("wsgi.input_terminated"):
        return b""  # no Content-Length and no chunked framing the server ended for us: HTTP says no body
    body = stream.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise Refused(413, "body over the limit")
    return body


def verified_request(
    body: bytes, headers: Mapping[str, str], *, signing_secret: str, response_urls: ResponseUrls, now: float
) -> BoltRequest:
    """The request Bolt should dispatch, or Refused(401) when it is not provably from Slack, now, and well formed.

    `headers` are lower-case names. `now` is wall-clock epoch seconds: signatures are checked against the
    real time, whatever clock the app's domain runs on.
    """
    if len(body) > MAX_BODY_BYTES:
        raise Refused(413, "body over the limit")
    if not signing_secret:
        raise Refused(401, "no signing secret to check against")  # an empty key is one anybody can sign with
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise Refused(401, "missing or malformed timestamp")
    if abs(now - int(timestamp)) > MAX_CLOCK_SKEW_S:
        raise Refused(401, "timestamp too far from now")
    signed = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(signing_secret.encode(), signed, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise Refused(401, "bad signature")
    try:
        request = BoltRequest(body=body.decode("utf-8"), headers=dict(headers))
    except Exception:
        # Whatever Bolt's parser raises on (bad UTF-8, broken JSON, a payload that is not an object), a body
        # it cannot read is not a Slack request, signed or not.
        raise Refused(401, "body does not parse") from None
    if not isinstance(request.body, dict):
        raise Refused(401, "body does not parse")
    request.context[VERIFIED] = True
    request.context["respond"] = response_urls.respond_to(request.context.response_url)
    return request


def log_refusal(refused: Refused) -> None:
    # The reason only: the body and headers are the sender's text, and a refused body may be a megabyte.
    logger.info("refused a request with %d: %s", refused.status, refused.reason)
