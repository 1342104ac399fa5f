"""What every command shares: one-line errors with exit status 2, and which workspace it works in.

`store_fault_line` is the one place a store that cannot be reached becomes the line a person reads: every
command's errors pass through it in `bot.cli.main`, so a new command needs nothing of its own for it.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
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
# A store that cannot be reached
# ---------------------------------------------------------------------------------------------------------


def is_store_fault(error: SQLAlchemyError) -> bool:
    """What the drivers raise when the store is not there, refuses us, is locked, or is not a store at all.

    Never a bug of ours: an IntegrityError or ProgrammingError (subclasses of DatabaseError) still ends in a
    traceback. A bare DatabaseError is SQLite's "file is not a database".
    """
    return isinstance(error, (OperationalError, InterfaceError, PoolTimeout)) or type(error) is DatabaseError


# libpq's prefix before the reason: 'connection failed: connection to server at "h" (1.2.3.4), port 5 failed: '
_LIBPQ_PREFIX = re.compile(r"^(?:connection failed: )?(?:connection to server at [^,]*, port \d+ failed: )?")


def store_fault_line(error: Exception, database_url: str) -> str:
    """One line for a store that does not answer: its URL without the password, why, and what to check."""
    url = make_url(database_url)
    shown = url.render_as_string(hide_password=True)
    reason = _driver_reason(error)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        if "unable to open" in reason and not path.parent.is_dir():
            directory = path.parent.resolve()
            problem = f"the directory {directory} does not exist"
            return f"cannot open the store at {shown}: {problem}; create it or check DATABASE_URL"
        if "locked" in reason:
            return f"the store at {shown} is locked by another process ({reason}); try again, or check what holds it"
        return f"cannot open the store at {shown} ({reason}); check that {path} is a SQLite file you may read and write"
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    if "password" in reason or "authentication" in reason or reason.startswith("role "):
        hint = "check the user name and password in DATABASE_URL"
    elif "does not exist" in reason:
        hint = "create that database (createdb) or check its name in DATABASE_URL"
    else:
        hint = f"check that PostgreSQL runs at {where} and accepts connections, and that DATABASE_URL names it"
    return f"the store at {shown} does not answer ({reason}); {hint}"


def _driver_reason(error: Exception) -> str:
    """The driver's own words, first line only, without libpq's preamble or SQLAlchemy's background link."""
    cause = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    first = _LIBPQ_PREFIX.sub("", lines[0] if lines else type(cause).__name__)
    return re.sub(r"^FATAL:\s+", "", first).rstrip(".") or type(cause).__name__


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


def with_store(settings: Settings, work: Callable[[Engine], int], *, read_only: bool = False) -> int:
    """Run `work` on the store; a `read_only` command finds the store there already and changes nothing."""
    engine = open_store(settings, COMMAND_TIMEOUTS, read_only=read_only)
    try:
        return work(engine)
    finally:
        engine.dispose()
