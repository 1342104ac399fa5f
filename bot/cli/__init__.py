"""The `touchpoint` command: one entry point for serving, the shell, the store and data in and out."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence

from dotenv import load_dotenv

from bot.config import ConfigError, Settings, load_settings
from bot.store import StoreNotReady

EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    load_dotenv(os.path.join(os.getcwd(), ".env"), override=False)
    parser = build_parser()
    args = parser.parse_args(argv)
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if level != "DEBUG":  # Alembic narrates every migration check; only errors matter to a person at a prompt
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        settings = load_settings()
        return int(args.run(args, settings) or 0)
    except (ConfigError, StoreNotReady) as error:
        print(f"touchpoint: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="touchpoint", description="Log customer touchpoints from Slack into one shared customer store."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve Slack's HTTP requests on POST /slack/events (gunicorn)")
    serve.add_argument("--port", type=int, help="port to listen on (default: $PORT or 3000)")
    serve.add_argument("--host", default="0.0.0.0", help="address to bind (default: 0.0.0.0)")
    serve.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    serve.add_argument("--threads", type=int, default=8, help="threads per worker (default: 8)")
    serve.add_argument(
        "--with-scheduler",
        action="store_true",
        help="also send due nudges and digests from this server (one scheduler, in one worker)",
    )
    serve.set_defaults(run=_lazy("bot.cli.serving", "serve"))

    socket = commands.add_parser("socket", help="connect to Slack over Socket Mode (no public URL needed)")
    socket.set_defaults(run=_lazy("bot.cli.serving", "socket"))

    scheduler = commands.add_parser("scheduler", help="send due nudges and daily digests, until stopped")
    scheduler.add_argument("--every", type=float, default=2.0, help="seconds between looks for due nudges (default: 2)")
    scheduler.add_argument(
        "--digest-every", type=float, default=60.0, help="seconds between looks for digests (default: 60)"
    )
    _dispatch_arguments(scheduler)
    scheduler.set_defaults(run=_lazy("bot.cli.scheduling", "scheduler"))

    nudge = commands.add_parser("nudge", help="send what is due (nudges and digests) once, print what was sent")
    nudge.add_argument("--once", action="store_true", help="one pass, then exit (required)")
    nudge.add_argument("--at", help="ISO 8601 instant to send what is due by (default: now); no offset: DEFAULT_TZ")
    _dispatch_arguments(nudge)
    nudge.set_defaults(run=_lazy("bot.cli.scheduling", "nudge"))

    shell = commands.add_parser("shell", help="try the bot in this terminal, no Slack account needed")
    shell.add_argument("--user", default="U0ALICE", help="Slack user id to act as (default: U0ALICE)")
    shell.add_argument("--team", default="T0LOCAL", help="workspace (team id) to act in (default: T0LOCAL)")
    shell.set_defaults(run=_lazy("bot.local.shell", "run_shell"))

    db = commands.add_parser("db", help="manage the store's schema")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply every migration (SQLite and PostgreSQL)").set_defaults(
        run=_lazy("bot.cli.database", "upgrade")
    )
    db_commands.add_parser("current", help="print the store's schema revision").set_defaults(
        run=_lazy("bot.cli.database", "current")
    )

    imports = commands.add_parser("import", help="import data into the store")
    import_what = imports.add_subparsers(dest="what", required=True, metavar="WHAT")
    customers = import_what.add_parser("customers", help="customers from a CSV file with a header row")
    customers.add_argument("file", help="CSV file: name (required), domain, aliases (;-separated), stage, owner")
    customers.add_argument("--team", help="workspace team id (default: the only workspace in the store)")
    customers.set_defaults(run=_lazy("bot.cli.data", "import_customers"))

    exports = commands.add_parser("export", help="export data from the store")
    export_what = exports.add_subparsers(dest="what", required=True, metavar="WHAT")
    touchpoints = export_what.add_parser("touchpoints", help="one row per touchpoint")
    touchpoints.add_argument("--team", help="workspace team id (default: the only workspace in the store)")
    touchpoints.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    touchpoints.add_argument("--output", "-o", help="file to write (default: standard output)")
    touchpoints.set_defaults(run=_lazy("bot.cli.data", "export_touchpoints"))
    customers_out = export_what.add_parser(
        "customers", help="one row per customer: names, domains, stage, owner, contacts, counts (re-importable)"
    )
    customers_out.add_argument("--team", help="workspace team id (default: the only workspace in the store)")
    customers_out.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    customers_out.add_argument("--output", "-o", help="file to write (default: standard output)")
    customers_out.set_defaults(run=_lazy("bot.cli.data", "export_customers"))

    stages = commands.add_parser("stages", help="show or set a workspace's customer journey stages")
    stages.add_argument("--team", help="workspace team id (default: the only workspace in the store)")
    stages.add_argument("--set", metavar="STAGES", help='the stages in order, e.g. "lead, trial, customer, churned"')
    stages.set_defaults(run=_lazy("bot.cli.stages", "stages"))

    parse = commands.add_parser("parse", help="show how a /log line is understood, as JSON")
    parse.add_argument("text", help="the line, or - to read JSON lines {text, now, tz, user} from standard input")
    parse.add_argument("--now", help="ISO 8601 instant to read times against (default: now)")
    parse.add_argument("--tz", help="IANA time zone of the author (default: DEFAULT_TZ)")
    parse.add_argument("--user", default="U0PARSE", help="author's Slack user id")
    parse.add_argument("--team", help="workspace team id (default: the only workspace in the store)")
    parse.set_defaults(run=_lazy("bot.cli.data", "parse_lines"))
    return parser


def _dispatch_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lease", type=float, default=60.0, help="seconds a claim holds unrenewed (default: 60)")
    parser.add_argument("--senders", type=int, default=8, help="threads posting in parallel (default: 8)")
    parser.add_argument("--rate", type=float, help="messages a second (default: $SLACK_MESSAGES_PER_SECOND or 50)")
    parser.add_argument("--backoff", type=float, default=15.0, help="seconds before a first retry (default: 15)")


def _lazy(module: str, function: str) -> Callable[[argparse.Namespace, Settings], int | None]:
    """Import a command's module only when it runs, so `touchpoint --help` stays instant."""

    def run(args: argparse.Namespace, settings: Settings) -> int | None:
        return getattr(importlib.import_module(module), function)(args, settings)

    return run
