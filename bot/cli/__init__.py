"""The `touchpoint` command: one entry point for serving, the shell, the store and data in and out."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from dotenv import load_dotenv
from sqlalchemy.exc import SQLAlchemyError

from bot.cli.common import CommandError, is_store_fault, store_fault_line
from bot.config import ConfigError, Settings, load_settings
from bot.logs import one_line_handler
from bot.store import StoreNotReady

EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    load_dotenv(os.path.join(os.getcwd(), ".env"), override=False)
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # told by the command they were given to, whose --help lists what it takes
        getattr(args, "command_parser", parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"touchpoint: {error}", file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(level=settings.log_level, handlers=[one_line_handler(sys.stderr)])
    if settings.log_level > logging.DEBUG:  # Alembic narrates every migration check; only errors matter here
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        return int(args.run(args, settings) or 0)
    except (ConfigError, StoreNotReady, CommandError) as error:
        print(f"touchpoint: {error}", file=sys.stderr)
        return EXIT_USAGE
    except SQLAlchemyError as error:
        if not is_store_fault(error):
            raise
        print(f"touchpoint: {store_fault_line(error, settings.database_url)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


class OneLineErrors(argparse.ArgumentParser):
    """A wrong argument is one line naming the command and pointing at its --help, then exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrors(
        prog="touchpoint", description="Log customer touchpoints from Slack into one shared customer store."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = _command(
        commands, "serve", "serve Slack's HTTP requests on POST /slack/events and the HTTP API on /api/v1 (gunicorn)"
    )
    serve.add_argument("--port", type=_port, help="port to listen on (default: $PORT or 3000)")
    serve.add_argument("--host", default="0.0.0.0", help="address to bind (default: 0.0.0.0)")
    serve.add_argument("--workers", type=_at_least_one, help="worker processes (default: $WEB_CONCURRENCY or 2)")
    serve.add_argument("--threads", type=_at_least_one, default=8, help="threads per worker (default: 8)")
    serve.add_argument(
        "--with-scheduler",
        action="store_true",
        help="also send due nudges and digests from this server (one scheduler, in one worker)",
    )
    serve.set_defaults(run=_lazy("bot.cli.serving", "serve"))

    socket = _command(commands, "socket", "connect to Slack over Socket Mode (no public URL needed)")
    socket.add_argument(
        "--with-scheduler", action="store_true", help="also send due nudges and digests from this process"
    )
    socket.set_defaults(run=_lazy("bot.cli.serving", "socket"))

    scheduler = _command(commands, "scheduler", "send due nudges and daily digests, until stopped")
    scheduler.add_argument(
        "--every", type=_above_zero, default=2.0, help="seconds between looks for due nudges (default: 2)"
    )
    scheduler.add_argument(
        "--digest-every", type=_above_zero, default=60.0, help="seconds between looks for digests (default: 60)"
    )
    _dispatch_arguments(scheduler)
    scheduler.set_defaults(run=_lazy("bot.cli.scheduling", "scheduler"))

    nudge = _command(commands, "nudge", "send what is due (nudges and digests) once, print what was sent")
    # nudge always makes one pass (`scheduler` is the one that runs on); --once stays for the scripts that pass it.
    nudge.add_argument(
        "--once", action="store_true", help="one pass, then exit: what nudge always does (kept for scripts)"
    )
    nudge.add_argument("--at", help="ISO 8601 instant to send what is due by (default: now); no offset: DEFAULT_TZ")
    nudge.add_argument(
        "--max-seconds",
        type=_above_zero,
        default=60.0,
        help="retry what failed (5xx, network, 429) until this many seconds have passed (default: 60); "
        "exit 1 if anything due is still undelivered",
    )
    _dispatch_arguments(nudge)
    nudge.set_defaults(run=_lazy("bot.cli.scheduling", "nudge"))

    shell = _command(commands, "shell", "try the bot in this terminal, no Slack account needed")
    shell.add_argument("--user", default="U0ALICE", help="Slack user id to act as (default: U0ALICE)")
    shell.add_argument("--team", default="T0LOCAL", help="workspace (team id) to act in (default: T0LOCAL)")
    shell.add_argument(
        "--demo", action="store_true", help="fill the store with sample customers first (only an empty one)"
    )
    shell.set_defaults(run=_lazy("bot.local.shell", "run_shell"))

    db = _command(commands, "db", "manage the store's schema")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    _command(
        db_commands, "upgrade", "create the store or bring its schema up to date (SQLite and PostgreSQL)"
    ).set_defaults(run=_lazy("bot.cli.database", "upgrade"))
    _command(db_commands, "current", "print the store's schema revision, changing nothing").set_defaults(
        run=_lazy("bot.cli.database", "current")
    )

    imports = _command(commands, "import", "import data into the store")
    import_what = imports.add_subparsers(dest="what", required=True, metavar="WHAT")
    customers = _command(import_what, "customers", "add or complete customers from a CSV file with a header row")
    customers.add_argument("file", help="CSV file: name (required), domain, aliases (;-separated), stage, owner")
    customers.add_argument("--team", help="workspace team id (default: the only workspace in the store)")
    customers.set_defaults(run=_lazy("bot.cli.data", "import_customers"))
    history = _command(
        import_what, "touchpoints", "add touchpoints from another system's history: CSV or JSON lines, API fields"
    )
    history.add_argument(
        "file",
        help="FILE.csv (the API's fields, flattened: customer_name, follow_up_due_at, tags comma-separated, …) "
        "or FILE.jsonl (one API touchpoint a line)",
    )
    history.add_argument("--team", help="workspace team id (default: the only workspace in the store)")
    history.add_argument(
        "--source",
        default="import",
        help="source_system of rows that name none, and their author when they name none (default: import)",
    )
    history.add_argument(
        "--create-customers",
        action="store_true",
        help="create a customer a row names by name when there is none (as customer_create_if_missing)",
    )
    history.set_defaults(run=_lazy("bot.cli.data", "import_touchpoints"))

    exports = _command(commands, "export", "export data from the store")
    export_what = exports.add_subparsers(dest="what", required=True, metavar="WHAT")
    touchpoints = _command(
        export_what, "touchpoints", "write a workspace's touchpoints, one row each, as CSV or JSON lines"
    )
    touchpoints.add_argument("--team", help="workspace team id (default: the only workspace in the store)")
    touchpoints.add_argument(
        "--format", choices=("csv", "jsonl"), default="csv", help="csv (one header row) or jsonl (default: csv)"
    )
    touchpoints.add_argument("--output", "-o", help="file to write (default: standard output)")
    touchpoints.set_defaults(run=_lazy("bot.cli.data", "export_touchpoints"))
    customers_out = _command(
        export_what, "customers", "write a workspace's customers with names, domains, stage, owner, contacts, counts"
    )
    customers_out.add_argument("--team", help="workspace team id (default: the only workspace in the store)")
    customers_out.add_argument(
        "--format", choices=("csv", "jsonl"), default="csv", help="csv (re-importable) or jsonl (default: csv)"
    )
    customers_out.add_argument("--output", "-o", help="file to write (default: standard output)")
    customers_out.set_defaults(run=_lazy("bot.cli.data", "export_customers"))

    report = _command(
        commands,
        "report",
        "print a period's measures: touchpoints, coverage, follow-ups kept, quiet customers, stages, sources",
    )
    report.add_argument("--team", help="workspace team id (default: the only workspace in the store)")
    report.add_argument("--since", metavar="DAY", help="first day of the period, YYYY-MM-DD (default: 30 days back)")
    report.add_argument("--until", metavar="DAY", help="last day of the period, YYYY-MM-DD (default: today)")
    report.add_argument("--now", help="ISO 8601 instant the report is made at (default: now); no offset: DEFAULT_TZ")
    report.add_argument("--department", help="only touchpoints logged by this department, and their follow-ups")
    report.add_argument("--user", help="only this person's touchpoints and follow-ups: a user id (U…) or a name")
    report.add_argument("--customer", help="only this customer, found as /customer finds it")
    report.add_argument("--tag", help="only touchpoints carrying this tag (with or without #)")
    report.add_argument(
        "--format", choices=("text", "json", "csv"), default="text", help="text (a table), json or csv (default: text)"
    )
    report.add_argument("--chart", metavar="FILE.png", help="also draw the chart into this PNG file")
    report.set_defaults(run=_lazy("bot.cli.reports", "report"))

    api_token = _command(commands, "api-token", "make, list and revoke the tokens other systems use on the HTTP API")
    token_actions = api_token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    token_create = _command(token_actions, "create", "make a token for a workspace and print it, once")
    token_create.add_argument("--team", help="workspace team id (default: the only workspace in the store)")
    # Checked by the command, not argparse: an unknown option is then told first, as for every other command.
    token_create.add_argument("--name", help="what the token is for, e.g. shop (required; unique in a workspace)")
    token_create.set_defaults(run=_lazy("bot.cli.api_tokens", "create"))
    token_list = _command(token_actions, "list", "list a workspace's tokens: name, created, last used, revoked")
    token_list.add_argument("--team", help="workspace team id (default: the only workspace in the store)")
    token_list.set_defaults(run=_lazy("bot.cli.api_tokens", "list_tokens"))
    token_revoke = _command(token_actions, "revoke", "stop a token from working (it stays listed, as revoked)")
    token_revoke.add_argument("name", help="the token's name, as `api-token list` shows it")
    token_revoke.add_argument("--team", help="workspace team id (default: the only workspace in the store)")
    token_revoke.set_defaults(run=_lazy("bot.cli.api_tokens", "revoke"))

    installations = _command(
        commands, "installations", "list installations: team or org, name, installed, active, customers, follow-ups"
    )
    installations.add_argument(
        "--format", choices=("text", "json"), default="text", help="text (a table) or json (default: text)"
    )
    installations.set_defaults(run=_lazy("bot.cli.installations", "installations"))

    stages = _command(commands, "stages", "show or set a workspace's customer journey stages")
    stages.add_argument("--team", help="workspace team id (default: the only workspace in the store)")
    stages.add_argument("--set", metavar="STAGES", help='the stages in order, e.g. "lead, trial, customer, churned"')
    stages.set_defaults(run=_lazy("bot.cli.stages", "stages"))

    parse = _command(commands, "parse", "show how a /log line is understood, as JSON")
    parse.add_argument("text", help="the line, or - to read JSON lines {text, now, tz, user} from standard input")
    parse.add_argument("--now", help="ISO 8601 instant to read times against (default: now)")
    parse.add_argument("--tz", help="IANA time zone of the author (default: DEFAULT_TZ)")
    parse.add_argument("--user", default="U0PARSE", help="author's Slack user id")
    parse.add_argument("--team", help="workspace team id (default: the only workspace in the store)")
    parse.set_defaults(run=_lazy("bot.cli.data", "parse_lines"))

    preview = _command(commands, "preview", "draw a reply's Block Kit as SVG or HTML; print its Builder link")
    preview.add_argument(
        "what",
        nargs="?",
        help="a sample (log-reply, nudge, digest, customer-card, home-tab, log-form), a JSON file or -",
    )
    preview.add_argument(
        "--line",
        action="append",
        metavar="LINE",
        help="draw the app's answer to this shell line on the demo's sample, e.g. \"/customer acme\" (repeatable)",
    )
    preview.add_argument("--svg", metavar="FILE", help="write the picture as SVG")
    preview.add_argument("--html", metavar="FILE", help="write a page holding the picture and its Builder link")
    preview.add_argument("--tz", help="time zone date pickers are shown in (default: UTC)")
    preview.add_argument("--write-docs", action="store_true", help="redraw the README's pictures in docs/pictures")
    preview.add_argument("--dir", help="with --write-docs: where to write them (default: docs/pictures)")
    preview.set_defaults(run=_lazy("bot.cli.preview", "preview"))
    return parser


def _command(commands: Any, name: str, summary: str) -> argparse.ArgumentParser:
    """A subcommand whose one line is both its entry in the parent's list and the top of its own --help."""
    parser: argparse.ArgumentParser = commands.add_parser(name, help=summary, description=summary)
    parser.set_defaults(command_parser=parser)  # the innermost command's wins
    return parser


def _dispatch_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lease", type=_above_zero, default=60.0, help="seconds a claim holds unrenewed (default: 60)")
    parser.add_argument("--senders", type=_at_least_one, default=8, help="threads posting in parallel (default: 8)")
    parser.add_argument(
        "--rate", type=_above_zero, help="messages a second (default: $SLACK_MESSAGES_PER_SECOND or 50)"
    )
    parser.add_argument("--backoff", type=_above_zero, default=15.0, help="seconds before a first retry (default: 15)")


# Option types: a bad value is argparse's usual error, naming the option, instead of a worker pool of zero.


def _at_least_one(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a whole number from 1 up")
    return int(text)


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a TCP port number from 1 to 65535")
    return int(text)


def _above_zero(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        number = 0.0
    if not 0 < number < float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a number above 0")
    return number


def _lazy(module: str, function: str) -> Callable[[argparse.Namespace, Settings], int | None]:
    """Import a command's module only when it runs, so `touchpoint --help` stays instant."""

    def run(args: argparse.Namespace, settings: Settings) -> int | None:
        return getattr(importlib.import_module(module), function)(args, settings)

    return run
