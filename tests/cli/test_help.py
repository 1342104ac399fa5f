"""`--help` of every command: a one-line description, and a help text for every option and argument."""

from __future__ import annotations

import argparse

import pytest

from bot.cli import build_parser, main
from tests.cli.command_tree import subcommand_parsers

COMMANDS = list(subcommand_parsers(build_parser()))


def _arguments(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction))]


@pytest.mark.parametrize(("path", "parser"), COMMANDS, ids=[" ".join(path) for path, _ in COMMANDS])
def test_every_command_says_what_it_does_in_one_line(path, parser):
    assert parser.description, f"touchpoint {' '.join(path)} has no description"
    assert "\n" not in parser.description.strip()


@pytest.mark.parametrize(("path", "parser"), COMMANDS, ids=[" ".join(path) for path, _ in COMMANDS])
def test_every_option_and_argument_says_what_it_is_for(path, parser):
    unexplained = [a.option_strings[0] if a.option_strings else a.dest for a in _arguments(parser) if not a.help]

    assert unexplained == []


def test_the_top_level_help_lists_every_command_with_its_line(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--help"])

    out = capsys.readouterr().out
    assert exited.value.code == 0
    for path, parser in COMMANDS:
        if len(path) == 1:
            assert path[0] in out and parser.description.split(",")[0] in " ".join(out.split())
