"""`touchpoint api-token create|list|revoke`: the bearer tokens other systems use on the HTTP API.

A new token is printed once, on standard output alone (so `… > token.txt` keeps only it); the store keeps
only its hash. A revoked token stays in the list with the day it was revoked.
"""

from __future__ import annotations

import argparse
from datetime import datetime

from sqlalchemy import Engine

from bot.api.tokens import TokenError, create_token, revoke_token
from bot.cli.common import CommandError, one_line_errors, required_workspace, with_store
from bot.config import Settings
from bot.runtime import system_clock
from storage import api as api_store
from storage.db import make_reader_factory, make_session_factory


@one_line_errors
def create(args: argparse.Namespace, settings: Settings) -> int:
    def work(engine: Engine) -> int:
        if not args.name:
            raise CommandError("api-token create needs --name NAME, saying what the token is for (e.g. --name shop)")
        with make_session_factory(engine).begin() as session:
            workspace = required_workspace(session, args.team, create=True)
            try:
                token = create_token(session, workspace.id, args.name, now=system_clock())
            except TokenError as error:
                raise CommandError(str(error)) from None
        print(token)
        return 0

    return with_store(settings, work)


@one_line_errors
def list_tokens(args: argparse.Namespace, settings: Settings) -> int:
    def work(engine: Engine) -> int:
        with make_reader_factory(engine)() as session:
            workspace = required_workspace(session, args.team)
            tokens = api_store.tokens_of_workspace(session, workspace.id)
        if not tokens:
            print("no API tokens yet: make one with `touchpoint api-token create --name NAME`")
            return 0
        rows = [("NAME", "CREATED", "LAST USED", "REVOKED")]
        rows += [(t.name, _day(t.created_at), _day(t.last_used_at), _day(t.revoked_at)) for t in tokens]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        for row in rows:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        return 0

    return with_store(settings, work, read_only=True)


@one_line_errors
def revoke(args: argparse.Namespace, settings: Settings) -> int:
    def work(engine: Engine) -> int:
        with make_session_factory(engine).begin() as session:
            workspace = required_workspace(session, args.team)
            try:
                row = revoke_token(session, workspace.id, args.name, now=system_clock())
            except TokenError as error:
                raise CommandError(str(error)) from None
            print(f"revoked {row.name} (since {_day(row.revoked_at)}); requests with it now get 401")
        return 0

    return with_store(settings, work)


def _day(moment: datetime | None) -> str:
    return "-" if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"
