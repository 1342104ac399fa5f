"""`touchpoint stages`: show or set the customer journey stages of a workspace."""

from __future__ import annotations

import argparse
import sys

from bot.cli.common import CommandError, required_workspace
from bot.config import Settings
from bot.customers.curation import parse_stages, set_stages, stages_for
from bot.runtime import system_clock
from bot.store import open_store
from storage.db import COMMAND_TIMEOUTS, make_session_factory

EXIT_USAGE = 2


def stages(args: argparse.Namespace, settings: Settings) -> int:
    # Showing reads only; setting needs a workspace, so neither makes a store that is not there yet.
    engine = open_store(settings, COMMAND_TIMEOUTS, create=False, read_only=args.set is None)
    try:
        with make_session_factory(engine).begin() as session:
            workspace = required_workspace(session, args.team)
            if args.set is not None:
                try:
                    wanted = parse_stages(args.set)
                except ValueError as problem:
                    raise CommandError(str(problem)) from None
                set_stages(session, workspace.id, None, wanted, now=system_clock())
            print(", ".join(stages_for(session, workspace.id)))
    except CommandError as error:
        print(f"touchpoint: {error}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        engine.dispose()
    return 0
