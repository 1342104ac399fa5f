"""`--help` of every command: a one-line description, and a help text for every option and argument."""

from __future__ import annotations

import argparse

import pytest

from bot.cli import build_parser, main
from tests.cli.command_tree import leaf_commands, subcommand_parsers

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


@pytest.mark.parametrize("command", leaf_commands(), ids=" ".join)
def test_a_wrong_option_is_one_line_pointing_at_help(capsys, command):
    with pytest.raises(SystemExit) as exited:
        main([*command, "--no-such-option"])

    err = capsys.readouterr().err
    words = " ".join(word for word in command if not word[0].isupper() and "." not in word)
    assert exited.value.code == 2
    assert err.count("\n") == 1
    assert err == f"touchpoint {words}: unrecognized arguments: --no-such-option (see `touchpoint {words} --help`)\n"


def test_a_bad_option_value_names_the_option(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["scheduler", "--every", "0"])

    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        "touchpoint scheduler: argument --every: 0 is not a number above 0 (see `touchpoint scheduler --help`)\n"
    )
