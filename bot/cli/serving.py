"""`touchpoint serve` and `touchpoint socket`."""

from __future__ import annotations

import argparse
import contextlib
import errno
import gc
import logging
import os
import signal
import socket as sockets  # `socket` is the command below
import sys
import threading
from collections.abc import Iterator
from types import FrameType

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.api.routes import api_application
from bot.app import build_app
from bot.capture import due_times
from bot.cli import scheduling
from bot.cli.common import CommandError, one_line_errors
from bot.config import ConfigError, Settings
from bot.runtime import Runtime
from bot.server import GunicornServer, wsgi_app
from bot.store import open_store
from storage.workspaces import all_workspace_ids

logger = logging.getLogger(__name__)

EXIT_USAGE = 2
# Slack could not be reached at all: nothing wrong with the settings, try again later.
EXIT_UNREACHABLE = 1


def warmed_app(settings: Settings) -> tuple[Runtime, App]:
    """The app with everything slow loaded up front, so the first /log after start is as fast as any."""
    engine = open_store(settings)
    rt = Runtime(settings=settings, engine=engine)
    due_times.warm_up()
    with rt.readers.begin() as session:
        for workspace_id in all_workspace_ids(session):
            rt.indexes.current(session, workspace_id)
    app = build_app(rt)
    # What is loaded now lives as long as the process. Left to the collector, every full collection walks it
    # again (about 90 ms with 100,000 customers, the GIL held throughout): the slowest /log of every few hundred.
    gc.collect()
    gc.freeze()
    return rt, app


@one_line_errors
def serve(args: argparse.Namespace, settings: Settings) -> int:
    settings.require_bot_token().require("SLACK_SIGNING_SECRET")
    open_store(settings).dispose()  # fail here, with one clear line, rather than in every worker
    address = (args.host, args.port or settings.port)
    _refuse_taken(*address)
    with_scheduler = getattr(args, "with_scheduler", False)
    # Workers are forked from this process, so the scheduler runs in one of them (elected by a lock), never here.
    lock_path = scheduling.election_lock_path(os.getpid())

    def load():
        rt, app = warmed_app(settings)
        if with_scheduler:
            scheduling.start_if_elected(rt, lock_path)
        return wsgi_app(app, rt.engine, settings, api=api_application(rt, app.client))

    options = {
        "bind": f"{address[0]}:{address[1]}",
        "workers": args.workers or settings.web_concurrency,
        "threads": args.threads,
        "worker_class": "gthread",
        # Each worker listens on a socket of its own and the kernel spreads new connections over them. On one
        # shared socket, whichever worker woke first took them: 17 of 20 keep-alive clients could end up on one
        # worker (one core, its GIL) while the other idled, for as long as the connections lasted.
        "reuse_port": True,
        "timeout": 30,
        "accesslog": "-",
    }
    if with_scheduler:
        options["worker_exit"] = lambda server, worker: scheduling.stop_in_process()
        options["on_exit"] = lambda server: scheduling.remove_election_lock(lock_path)
    GunicornServer(load, options).run()
    return 0


def _refuse_taken(host: str, port: int) -> None:
    """Stop with one line when something already listens on the address. The workers' sockets share the port
    with each other (SO_REUSEPORT), and would share it just as quietly with a second `touchpoint serve` started
    by mistake: a probe bound without that flag is refused by any listener, theirs included."""
    probe = sockets.socket(sockets.AF_INET6 if ":" in host else sockets.AF_INET, sockets.SOCK_STREAM)
    try:
        probe.setsockopt(sockets.SOL_SOCKET, sockets.SO_REUSEADDR, 1)  # what a closed connection left is no listener
        probe.bind((host, port))
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise CommandError(f"port {port} is already in use on {host} (another touchpoint serve?)") from None
        raise CommandError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    finally:
        probe.close()


@contextlib.contextmanager
def _quiet(log: logging.Logger) -> Iterator[None]:
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)


def socket(args: argparse.Namespace, settings: Settings) -> int:
    """The app over Socket Mode until SIGTERM or Ctrl-C, with a scheduler in this process if asked.

    The client is slack_sdk's websocket-client one, not its built-in default: the built-in one notices a link
    that dropped without a close frame only after five failed pings (about a minute with Bolt's 10 s interval),
    spinning a core meanwhile; websocket-client sees the end of the stream and reconnects within a second
    (tests/socket_mode/test_reconnects.py).
    """
    if settings.oauth_enabled:
        # The install pages need HTTP, and Socket Mode here serves one workspace with its one token.
        raise ConfigError(
            "SLACK_CLIENT_ID", "unset for Socket Mode, which runs one workspace with SLACK_BOT_TOKEN", "set"
        )
    settings.require("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")
    from slack_bolt.adapter.socket_mode.websocket_client import SocketModeHandler

    rt, app = warmed_app(settings)
    handler = SocketModeHandler(app, settings.slack_app_token)
    try:
        with _quiet(app.logger):  # what went wrong is said once, below, not in each retry's log lines too
            handler.connect()  # asks apps.connections.open for a link: a bad or revoked app token fails here
    except SlackApiError as error:
        handler.close()
        # Slack read the token and refused it: a setting to fix, like a malformed one.
        reason = error.response.get("error") or "refused"
        print(
            f"touchpoint: Slack refused to open a Socket Mode link ({reason}); check SLACK_APP_TOKEN "
            "(an app-level token with connections:write) and that Socket Mode is on in the app's settings",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except OSError as error:
        handler.close()
        print(
            f"touchpoint: could not reach Slack at {settings.slack_api_url} to open a Socket Mode link ({error})",
            file=sys.stderr,
        )
        return EXIT_UNREACHABLE
    if getattr(args, "with_scheduler", False):
        scheduling.start_in_process(rt)
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("touchpoint: listening to Slack over Socket Mode; stop with Ctrl-C", file=sys.stderr, flush=True)
    stopping.wait()
    logger.info("stopping: closing the Socket Mode link")
    scheduling.stop_in_process()  # a pass under way sends what it started and gives the rest back
    handler.close()
    return 0
