"""Every command `touchpoint` has, found by walking its argparse tree, so a new command is covered by itself."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from bot.cli import build_parser

# A value for each positional argument a command takes; a new one must be added here to be tested.
SAMPLE_POSITIONALS = {"name": "Shop", "file": "customers.csv", "text": "Acme: call with Dana", "what": "reply.json"}


def subcommand_parsers(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every parser below `parser`, with the words that reach it (`("db", "current")`), groups included."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield (*path, name), child
                yield from subcommand_parsers(child, (*path, name))


def leaf_commands() -> list[tuple[str, ...]]:
    """The commands that run something: `("serve",)`, `("db", "upgrade")`, …, positionals filled in."""
    commands = []
    for path, parser in subcommand_parsers(build_parser()):
        if any(isinstance(action, argparse._SubParsersAction) for action in parser._actions):
            continue
        positionals = [a.dest for a in parser._actions if not a.option_strings and a.dest != "help"]
        commands.append((*path, *(SAMPLE_POSITIONALS[dest] for dest in positionals)))
    return commands
