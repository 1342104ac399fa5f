"""Bearer tokens for the HTTP API: made once, shown once, kept only as a SHA-256, revoked by date.

A token is `tp_` and 32 random bytes (URL-safe base64). It names one workspace: every request it authorises
reads and writes only there.

A token's workspace and name never change, so a server process remembers the callers it found by hash
(`KnownCallers`) instead of opening a transaction to look each request's token up; whether the token was revoked
meanwhile is still asked on every request, in the transaction that answers it (`still_authorised`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage import api as api_store
from storage.models import ApiToken

TOKEN_PREFIX = "tp_"
# What a person types as a token's name: short, no spaces, so the list and `revoke NAME` read plainly.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
# tp_ + 43 characters of base64 for 32 bytes; anything else is not one of ours and is not looked up.
_TOKEN = re.compile(r"tp_[A-Za-z0-9_-]{43}")
# `last_used_at` is for people reading `api-token list`: to the minute is enough, and spares a write per request.
LAST_USED_GRANULARITY = timedelta(minutes=1)


class TokenError(ValueError):
    """A token name that cannot be used, told in one sentence."""


@dataclass(frozen=True)
class Caller:
    """Who a request's token says is calling: its workspace (and that workspace's Slack team) and the token."""

    workspace_id: int
    token_id: int
    token_name: str
    team_id: str = ""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def create_token(session: Session, workspace_id: int, name: str, *, now: datetime) -> str:
    """A new token named `name` in the workspace; the token itself is returned once and never stored."""
    if not _NAME.fullmatch(name):
        raise TokenError(
            f"{name!r} cannot name a token: use up to 32 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    if api_store.token_named(session, workspace_id, name) is not None:
        raise TokenError(f"a token named {name} exists already in this workspace; pick another name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    try:
        with session.begin_nested():
            session.add(ApiToken(workspace_id=workspace_id, name=name, token_sha256=token_hash(token), created_at=now))
    except IntegrityError:  # someone made the same name at this very moment
        raise TokenError(f"a token named {name} exists already in this workspace; pick another name") from None
    return token


def revoke_token(session: Session, workspace_id: int, name: str, *, now: datetime) -> ApiToken:
    """Stop a token from working; its row stays, dated, so the list still shows it."""
    row = api_store.token_named(session, workspace_id, name)
    if row is None:
        known = ", ".join(t.name for t in api_store.tokens_of_workspace(session, workspace_id)) or "none"
        raise TokenError(f"no token named {name} in this workspace (it has: {known})")
    if row.revoked_at is None:
        row.revoked_at = now
    return row


def bearer_hash(authorization: str | None) -> str | None:
    """The hash of the token an `Authorization: Bearer …` header gives, or None when it gives none of ours."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not _TOKEN.fullmatch(token):
        return None
    return token_hash(token)


def caller_of(session: Session, authorization: str | None, *, now: datetime) -> Caller | None:
    """The caller an `Authorization: Bearer …` header names, or None for one missing, malformed, unknown or revoked."""
    wanted = bearer_hash(authorization)
    if wanted is None:
        return None
    found = api_store.token_and_team_with_hash(session, wanted)
    if found is None:
        return None
    row, team_id = found
    # The look-up is by hash, so timing tells nothing of the token; the comparison is constant-time all the same.
    if not hmac.compare_digest(row.token_sha256, wanted) or row.revoked_at is not None:
        return None
    _note_use(session, row.id, row.last_used_at, now)
    return Caller(row.workspace_id, row.id, row.name, team_id)


def still_authorised(session: Session, caller: Caller, *, now: datetime) -> bool:
    """Whether the caller's token is still there and not revoked, its use noted as `caller_of` notes it: one
    query by primary key, asked in the transaction that answers a request whose caller `KnownCallers` gave."""
    found = api_store.token_revoked_and_used(session, caller.token_id)
    if found is None or found[0] is not None:
        return False
    _note_use(session, caller.token_id, found[1], now)
    return True


def _note_use(session: Session, token_id: int, last_used_at: datetime | None, now: datetime) -> None:
    if last_used_at is None or now - last_used_at >= LAST_USED_GRANULARITY:
        api_store.mark_token_used(session, token_id, now)


class KnownCallers:
    """The callers this process found, by token hash: at most `most`, the oldest forgotten first.

    Only tokens found live are kept, so the number is bounded by the tokens people made; a token found revoked
    is forgotten (`forget`), and a request its caller is taken from here is answered only once
    `still_authorised` said yes in the same transaction, or refused only once the store said the token is live.
    """

    def __init__(self, most: int = 1000) -> None:
        self.most = most
        self._callers: dict[str, Caller] = {}
        self._lock = threading.Lock()

    def get(self, authorization: str | None) -> Caller | None:
        wanted = bearer_hash(authorization)
        return self._callers.get(wanted) if wanted is not None else None

    def remember(self, authorization: str | None, caller: Caller) -> None:
        wanted = bearer_hash(authorization)
        if wanted is None:
            return
        with self._lock:
            while len(self._callers) >= self.most:
                del self._callers[next(iter(self._callers))]
            self._callers[wanted] = caller

    def forget(self, authorization: str | None) -> None:
        wanted = bearer_hash(authorization)
        with self._lock:
            self._callers.pop(wanted or "", None)
