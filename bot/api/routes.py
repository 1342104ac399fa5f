"""The HTTP API as a plain WSGI application, served beside `/slack/events` by `bot.server`.

Each request is checked in this order, and the first check that fails answers: a route it knows (404, 405),
a bearer token of the workspace (401, with `WWW-Authenticate`), the token's rate (429, with `Retry-After`),
the body's size (413, `bot.edge.read_body`), its type (415) and its JSON (400). Only then is the store
written: a batch in a transaction of its own, single touchpoints that arrive at once in one transaction together
(`bot.api.together`), each answered as if posted alone. Bad input never reaches a 500: each record's problems
are a list of field errors (400), and in a batch each item is answered on its own.

A write whose token this process has seen before (`KnownCallers`) opens no transaction of its own to check it:
the write's transaction asks first whether the token is still live, and a revoked token gets its 401 there,
nothing written. Any other answer to such a request (429, 413, 415, 400) is given only once the store said the
token is live, so a revoked token is told 401 first, as it always is.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from slack_sdk import WebClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from bot.api import openapi
from bot.api.intake import (
    MAX_BATCH,
    FieldError,
    Invalid,
    Saved,
    aware_instant,
    emails_named,
    save_batch,
)
from bot.api.lookups import MAX_ID
from bot.api.people import SlackUnavailable, slack_ids_by_email
from bot.api.reads import BadCursor, customer_touchpoints, customers_matching
from bot.api.together import Arrival, Posted, Revoked, SaveTogether
from bot.api.tokens import Caller, KnownCallers, caller_of, still_authorised
from bot.edge import Refused, log_refusal, read_body
from bot.installations.tokens import tenant_clients
from bot.runtime import Runtime

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
TOUCHPOINTS_PATH = f"{API_PREFIX}/touchpoints"
CUSTOMERS_PATH = f"{API_PREFIX}/customers"
OPENAPI_PATH = f"{API_PREFIX}/openapi.json"
_CUSTOMER_TOUCHPOINTS = re.compile(rf"{CUSTOMERS_PATH}/([0-9]{{1,18}})/touchpoints")
# The routes the API answers, by the path template the OpenAPI document uses: tests check both agree.
ROUTES: dict[str, tuple[str, ...]] = {
    TOUCHPOINTS_PATH: ("POST",),
    CUSTOMERS_PATH: ("GET",),
    f"{CUSTOMERS_PATH}/{{id}}/touchpoints": ("GET",),
    OPENAPI_PATH: ("GET",),
}
MAX_QUERY_CHARS = 200

Respond = Callable[..., Any]


class Answer(Exception):
    """Stops a request with this status and JSON body."""

    def __init__(self, status: int, body: dict[str, Any], headers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers


class RateLimit:
    """At most `per_minute` requests per token in any sliding minute, in this process.

    Kept in memory: each server process counts its own requests, so with N worker processes a token gets up
    to N times the rate at worst; enough to stop a runaway client without a write to the store per request.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute, self._clock = per_minute, clock
        self._seen: dict[int, deque[float]] = {}
        self._lock = threading.Lock()

    def wait_for(self, token_id: int) -> float:
        """0 when the request may go ahead (and it is counted), else the seconds until it may."""
        now = self._clock()
        with self._lock:
            seen = self._seen.setdefault(token_id, deque())
            while seen and seen[0] <= now - 60:
                seen.popleft()
            if len(seen) >= self.per_minute:
                return seen[0] + 60 - now
            seen.append(now)
            return 0.0


def api_application(
    rt: Runtime, client: WebClient | None = None
) -> Callable[[dict[str, Any], Respond], Iterable[bytes]]:
    """The API; `client` (the Bolt app's) finds the people records name by e-mail, with the bot token of the
    caller's installation."""
    limit = RateLimit(rt.settings.api_rate_per_minute)
    clients = tenant_clients(rt, client)
    callers = KnownCallers()
    together = SaveTogether(rt.sessions, rt.indexes, rt.now)

    def application(environ: dict[str, Any], start_response: Respond) -> Iterable[bytes]:
        try:
            with together.arriving() as arrival:  # counted from here: a save about to start waits a moment for it
                status, body = _route(rt, clients, limit, callers, together, arrival, environ)
            headers: tuple[tuple[str, str], ...] = ()
        except Answer as answer:
            status, body, headers = answer.status, answer.body, answer.headers
        except Refused as refused:
            log_refusal(refused)
            status, body, headers = refused.status, _error(refused.status, _REFUSALS.get(refused.status, "")), ()
        except (OperationalError, PoolTimeout):
            logger.warning("the store did not answer an API request", exc_info=True)
            status, body, headers = (
                503,
                _error(503, "the store is not answering; try again shortly"),
                (("Retry-After", "5"),),
            )
        except Exception:  # a bug of ours, never the sender's input: told as JSON, logged with its traceback
            logger.exception("an API request failed")
            status, body, headers = 500, _error(500, "something went wrong on our side; nothing was stored"), ()
        return _json(start_response, status, body, headers)

    return application


_REFUSALS = {413: "the body is over 1 MB; send fewer touchpoints at once", 400: "the body is malformed"}


def _route(
    rt: Runtime,
    clients: Callable[[int], WebClient | None],
    limit: RateLimit,
    callers: KnownCallers,
    together: SaveTogether,
    arrival: Arrival,
    environ: dict[str, Any],
) -> tuple[int, dict[str, Any]]:
    path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
    customer_match = _CUSTOMER_TOUCHPOINTS.fullmatch(path)
    template = f"{CUSTOMERS_PATH}/{{id}}/touchpoints" if customer_match else path
    allowed = ROUTES.get(template)
    if allowed is None:
        raise Answer(404, _error(404, "no such route; see /api/v1/openapi.json"))
    if method not in allowed:
        raise Answer(405, _error(405, f"use {', '.join(allowed)} here"), (("Allow", ", ".join(allowed)),))
    if template == OPENAPI_PATH:
        return 200, openapi.document()
    authorization = environ.get("HTTP_AUTHORIZATION")
    known = callers.get(authorization) if template == TOUCHPOINTS_PATH else None
    caller = known or _caller(rt, callers, authorization)
    try:
        return _answer_caller(
            rt, clients, limit, together, arrival, caller, template, customer_match, environ, confirm=known is not None
        )
    except (Answer, Refused) as answer:
        if known is not None and isinstance(answer, Answer) and answer.status == 401:
            callers.forget(authorization)  # the write's transaction found the token revoked
        elif known is not None:
            _caller(rt, callers, authorization)  # a token revoked meanwhile is told 401, not why else it was refused
        raise


def _answer_caller(
    rt: Runtime,
    clients: Callable[[int], WebClient | None],
    limit: RateLimit,
    together: SaveTogether,
    arrival: Arrival,
    caller: Caller,
    template: str,
    customer_match: re.Match[str] | None,
    environ: dict[str, Any],
    *,
    confirm: bool,
) -> tuple[int, dict[str, Any]]:
    wait = limit.wait_for(caller.token_id)
    if wait > 0:
        retry = str(max(1, math.ceil(wait)))
        raise Answer(
            429,
            _error(429, f"over {limit.per_minute} requests a minute; retry after {retry} s"),
            (("Retry-After", retry),),
        )
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if template == TOUCHPOINTS_PATH:
        return _post_touchpoints(rt, clients, together, arrival, caller, environ, confirm=confirm)
    if template == CUSTOMERS_PATH:
        return _search(rt, caller, query)
    assert customer_match is not None
    customer_id = int(customer_match.group(1))
    if customer_id > MAX_ID:
        raise Answer(404, _error(404, "no customer with this id"))
    return _customer_touchpoints(rt, caller, customer_id, query)


def _caller(rt: Runtime, callers: KnownCallers, authorization: str | None) -> Caller:
    """The caller as the store has it now (then remembered), else 401."""
    with rt.sessions.begin() as session:
        caller = caller_of(session, authorization, now=rt.now())
    if caller is None:
        callers.forget(authorization)
        raise _unauthorised()
    callers.remember(authorization, caller)
    return caller


def _unauthorised() -> Answer:
    return Answer(
        401,
        _error(401, "send Authorization: Bearer tp_… with a token of `touchpoint api-token create`"),
        (("WWW-Authenticate", 'Bearer realm="touchpoint"'),),
    )


def _post_touchpoints(
    rt: Runtime,
    clients: Callable[[int], WebClient | None],
    together: SaveTogether,
    arrival: Arrival,
    caller: Caller,
    environ: dict[str, Any],
    *,
    confirm: bool,
) -> tuple[int, dict[str, Any]]:
    """The posted touchpoints saved; with `confirm`, only once the write's transaction found the token live."""
    body = read_body(environ)
    content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise Answer(415, _error(415, "send the touchpoints as Content-Type: application/json"))
    try:
        posted = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Answer(400, _error(400, "the body is not JSON", [FieldError("body", "is not valid JSON")])) from None
    batch = isinstance(posted, dict) and "touchpoints" in posted
    if batch:
        items = posted["touchpoints"]
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH or set(posted) != {"touchpoints"}:
            problem = FieldError("touchpoints", f"must be a list of 1 to {MAX_BATCH} touchpoints and nothing beside it")
            raise Answer(400, _error(400, "the batch is malformed", [problem]))
    emails = emails_named(items if batch else [posted])
    try:  # before the transaction opens: nothing calls Slack while the store is being written
        people = slack_ids_by_email(clients(caller.workspace_id), emails, caller.team_id) if emails else {}
    except SlackUnavailable:
        raise Answer(
            503,
            _error(503, "Slack did not answer who an e-mail address is; try again shortly"),
            (("Retry-After", "5"),),
        ) from None
    if batch:
        now = rt.now()
        records = [(f"touchpoints[{index}].", item) for index, item in enumerate(items)]
        with rt.sessions.begin() as session:
            _confirm(session, caller, confirm, now)
            outcomes = save_batch(session, rt.indexes, caller, records, now=now, people=people)
        return 200, {"results": [_batch_result(index, outcome) for index, outcome in enumerate(outcomes)]}
    try:
        saved = together.save(Posted(caller, posted, people, confirm), arrival)
    except Revoked:
        raise _unauthorised() from None
    if isinstance(saved, Invalid):
        raise Answer(400, _error(400, "the touchpoint has problems", saved.errors))
    status = "created" if saved.created else "existing"
    return (201 if saved.created else 200), {"id": saved.touchpoint_id, "status": status}


def _confirm(session: Session, caller: Caller, confirm: bool, now: datetime) -> None:
    """401, undoing the transaction, when a remembered caller's token was revoked meanwhile."""
    if confirm and not still_authorised(session, caller, now=now):
        raise _unauthorised()


def _batch_result(index: int, outcome: Saved | Invalid) -> dict[str, Any]:
    if isinstance(outcome, Invalid):
        return {"index": index, "status": "error", "errors": [e.as_json() for e in outcome.errors]}
    return {"index": index, "status": "created" if outcome.created else "existing", "id": outcome.touchpoint_id}


def _search(rt: Runtime, caller: Caller, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
    typed = (query.get("q") or [""])[0].strip()
    if not typed or len(typed) > MAX_QUERY_CHARS:
        problem = FieldError("q", f"give what to search for, at most {MAX_QUERY_CHARS} characters")
        raise Answer(400, _error(400, "the search needs q", [problem]))
    with rt.readers() as session:
        return 200, customers_matching(session, rt.indexes, caller.workspace_id, typed)


def _customer_touchpoints(
    rt: Runtime, caller: Caller, customer_id: int, query: dict[str, list[str]]
) -> tuple[int, dict[str, Any]]:
    since = None
    if "since" in query:
        since = aware_instant(query["since"][0])
        if since is None:
            problem = FieldError("since", "must be an ISO 8601 time with its offset, such as 2026-11-01T00:00:00Z")
            raise Answer(400, _error(400, "since is not a time", [problem]))
    cursor = query.get("cursor", [None])[0]
    try:
        with rt.readers() as session:
            page = customer_touchpoints(session, caller.workspace_id, customer_id, since=since, cursor=cursor)
    except BadCursor:
        raise Answer(
            400, _error(400, "cursor is not one this API gave", [FieldError("cursor", "is not valid")])
        ) from None
    if page is None:
        raise Answer(404, _error(404, "no customer with this id"))
    return 200, {"touchpoints": page.items, "next_cursor": page.next_cursor}


def _error(status: int, message: str, errors: list[FieldError] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": HTTPStatus(status).phrase, "message": message}
    if errors:
        body["errors"] = [e.as_json() for e in errors]
    return body


def _json(
    start_response: Respond, status: int, body: dict[str, Any], headers: tuple[tuple[str, str], ...]
) -> list[bytes]:
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    phrase = HTTPStatus(status)
    start_response(
        f"{phrase.value} {phrase.phrase}",
        [("Content-Type", "application/json"), *headers, ("Content-Length", str(len(payload)))],
    )
    return [payload]
