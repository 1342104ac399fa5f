"""HTTP mode: Bolt behind gunicorn, the HTTP API for other systems (`/api/v1/…`, `bot.api.routes`), a
health check that asks the store, and with OAuth the install pages (`GET /slack/install`, `/slack/oauth_redirect`).

Slack's requests reach Bolt only through `bot.edge`: a body over the limit is refused with 413 before it is
read further, and one that fails verification with 401, before Bolt (or anything that could call out) runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger as GunicornLogger
from slack_bolt import App, BoltRequest, BoltResponse
from sqlalchemy import Engine

from bot.config import Settings
from bot.edge import Refused, log_refusal, read_body, verified_request
from bot.logs import OneLineFormatter
from bot.response_urls import ResponseUrls
from storage.db import store_answers

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
API_PATHS = "/api/"
# A fresh list per response: servers (wsgiref) append Content-Length to the list they are handed.
_PLAIN = ("Content-Type", "text/plain; charset=utf-8")


Wsgi = Callable[..., Iterable[bytes]]


def wsgi_app(app: App, engine: Engine, settings: Settings, api: Wsgi | None = None) -> Wsgi:
    """Slack's requests on EVENTS_PATH, the health check, and `api` (when given) on every path under /api/."""
    secret = settings.require("SLACK_SIGNING_SECRET").slack_signing_secret or ""
    response_urls = ResponseUrls(settings.slack_hooks_url)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            healthy = store_answers(engine)
            start_response("200 OK" if healthy else "503 Service Unavailable", [_PLAIN])
            return [b"ok\n" if healthy else b"store unavailable\n"]
        if api is not None and path is not None and path.startswith(API_PATHS):
            return api(environ, start_response)
        oauth = app.oauth_flow
        if oauth is not None and method == "GET" and path in (oauth.install_path, oauth.redirect_uri_path):
            # No signature here: a browser arrives, and the OAuth flow checks its state cookie itself.
            request = BoltRequest(body="", query=environ.get("QUERY_STRING", ""), headers=_headers(environ))
            if path == oauth.install_path:
                return _answer(oauth.handle_installation(request), start_response)
            return _answer(oauth.handle_callback(request), start_response)
        if path != EVENTS_PATH or method != "POST":
            start_response("404 Not Found", [_PLAIN])
            return [b"Not Found"]
        try:
            body = read_body(environ)
            request = verified_request(
                body, _headers(environ), signing_secret=secret, response_urls=response_urls, now=time.time()
            )
        except Refused as refused:
            log_refusal(refused)
            status = HTTPStatus(refused.status)
            start_response(f"{status.value} {status.phrase}", [_PLAIN])
            return [status.phrase.encode()]
        return _answer(app.dispatch(request), start_response)

    return application


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {"content-type": environ.get("CONTENT_TYPE", "")}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].lower().replace("_", "-")] = value
    return headers


def _answer(response: BoltResponse, start_response: Callable[..., Any]) -> Iterable[bytes]:
    body = (response.body or "").encode("utf-8")
    status = HTTPStatus(response.status)
    headers = [
        (name, value) for name, values in response.headers.items() if name != "content-length" for value in values
    ]
    start_response(f"{status.value} {status.phrase}", [*headers, ("Content-Length", str(len(body)))])
    return [body]


class GunicornServer(BaseApplication):
    """gunicorn started from our own CLI; each worker builds its app after the fork."""

    def __init__(self, load_app: Callable[[], Callable[..., Iterable[bytes]]], options: dict[str, Any]) -> None:
        self._load_app = load_app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        self.cfg.set("logger_class", OneLineGunicornLogger)
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Callable[..., Iterable[bytes]]:
        return self._load_app()


class OneLineGunicornLogger(GunicornLogger):
    """gunicorn's own logs, one line a record like ours: its access log repeats a request's path and user agent,
    and its error log the request line it could not parse."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if handler.formatter is not None and not isinstance(handler.formatter, OneLineFormatter):
                    handler.setFormatter(OneLineFormatter(handler.formatter._fmt, handler.formatter.datefmt))
