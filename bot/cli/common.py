"""What every data command shares: one-line errors with exit status 2, and which workspace it works in."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.store import open_store
from storage import workspaces as workspace_store
from storage.db import COMMAND_TIMEOUTS
from storage.models import Workspace

EXIT_USAGE = 2


class CommandError(Exception):
    """Stops the command with this one line on standard error and exit status 2."""


def one_line_errors(command: Callable[[argparse.Namespace, Settings], int]) -> Callable[..., int]:
    @functools.wraps(command)
    def run(args: argparse.Namespace, settings: Settings) -> int:
        try:
            return command(args, settings)
        except CommandError as error:
            print(f"touchpoint: {error}", file=sys.stderr)
            return EXIT_USAGE
        except BrokenPipeError:
            # The reader went away (`… | head`): stop quietly, and keep Python from complaining at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1

    return run


# ---------------------------------------------------------------------------------------------------------
# Which workspace a command works in
# ---------------------------------------------------------------------------------------------------------


def resolve_workspace(session: Session, team: str | None, *, create: bool = False) -> Workspace | None:
    """The workspace named by --team, or the only one in the store when --team is left out.

    With `create`, a named team is created on first use, as Slack's first contact would. None means the
    store has no workspace at all; an unknown team among others, or a choice left open, is a CommandError.
    """
    if team and create:
        return workspace_store.workspace_for_team(session, team)
    found = workspace_store.find_workspace(session, team)
    if found is not None:
        return found
    known = workspace_store.team_ids(session)
    if not known:
        return None
    listed = ", ".join(known)
    if team:
        raise CommandError(f"no workspace with team id {team} in the store (it has: {listed})")
    raise CommandError(f"the store has several workspaces ({listed}): pick one with --team")


def required_workspace(session: Session, team: str | None, *, create: bool = False) -> Workspace:
    workspace = resolve_workspace(session, team, create=create)
    if workspace is not None:
        return workspace
    if create:
        raise CommandError("the store has no workspace yet: pass --team with your Slack team id (T…) to create it")
    if team:
        raise CommandError(f"no workspace with team id {team} in the store (it has none yet)")
    raise CommandError("the store has no workspace yet")


def with_store(settings: Settings, work: Callable[[Engine], int]) -> int:
    engine = open_store(settings, COMMAND_TIMEOUTS)
    try:
        return work(engine)
    finally:
        engine.dispose()
