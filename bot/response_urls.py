"""Replies through a request's response_url: sent to Slack's hooks host only, with a short timeout.

A response_url arrives inside the request body, so a URL on any other host is someone asking the bot to call
an address of their choosing (a port scan from inside our network, say). Every reply to a response_url goes
through `ResponseUrls.send`: Bolt's `respond` (replaced in every request's context by `GuardedRespond`) and
the listeners that answer a URL kept in a modal's private_metadata.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import Respond
from slack_sdk.webhook import WebhookClient, WebhookResponse

logger = logging.getLogger(__name__)

# Slack answers a response_url in well under a second; a listener thread must not wait the library's 30 s.
RESPONSE_URL_TIMEOUT_S = 5
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class ResponseUrls:
    """Where replies may go: `hooks_url` (scheme, host, port and path prefix), from SLACK_HOOKS_URL.

    A reply Slack does not take within `timeout_s` raises, as any failed reply does, for the error handler.
    """

    hooks_url: str
    timeout_s: float = RESPONSE_URL_TIMEOUT_S

    def accepts(self, url: str | None) -> bool:
        if not url or not url.isascii() or not url.isprintable() or any(c in url for c in " \\"):
            return False
        try:
            wanted, given = _address(self.hooks_url), _address(url)
        except ValueError:
            return False
        return given[:3] == wanted[:3] and given[3].startswith(wanted[3]) and "@" not in urlsplit(url).netloc

    def send(self, url: str | None, **message: Any) -> WebhookResponse | None:
        """Post `message` to `url` if it is on the hooks host; else log which host was refused and send nothing."""
        if not self.accepts(url):
            logger.warning("refused to post to a response_url outside %s: %s", self.hooks_url, _host_of(url))
            return None
        body = {name: value for name, value in message.items() if value is not None}
        return WebhookClient(url=url, timeout=self.timeout_s).send_dict(body)

    def respond_to(self, url: str | None) -> GuardedRespond:
        return GuardedRespond(self, url)


class GuardedRespond(Respond):
    """Bolt's `respond`, sent through `ResponseUrls` instead of straight to whatever URL the body named."""

    def __init__(self, response_urls: ResponseUrls, response_url: str | None) -> None:
        super().__init__(response_url=response_url)
        self._response_urls = response_urls

    def __call__(self, text: str | dict[str, Any] = "", **fields: Any) -> WebhookResponse | None:  # type: ignore[override]
        if self.response_url is None:
            raise ValueError("respond is unsupported here as there is no response_url")
        message = dict(text) if isinstance(text, dict) else {"text": text, **fields}
        return self._response_urls.send(self.response_url, **message)


def _address(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or _DEFAULT_PORTS.get(scheme)
    if port is None or not parts.hostname:
        raise ValueError(url)
    return scheme, parts.hostname, port, parts.path or "/"


def _host_of(url: str | None) -> str:
    """The part of a refused URL worth logging: its host, never the path (a response_url's path is its secret)."""
    try:
        host = urlsplit(url or "").netloc.rpartition("@")[2]
    except ValueError:
        host = ""
    return (host or "no host")[:100]
