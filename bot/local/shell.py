"""`touchpoint shell`: the real bot in a terminal, no Slack account needed.

The shell starts the Web API stand-in on loopback, builds the real Bolt app against it, and turns
each line typed into the signed request Slack would send for it: a slash command, a button press, a
modal submission, a shortcut, an App Home visit. Whatever the app sends back (its acknowledgement,
Web API calls, POSTs to response_url) is rendered as text by `bot.local.terminal`; a file it uploads is
written beside the store and the shell says where. What works here works
in Slack, because it is the same app receiving the same requests.

The loop is thin on purpose: rendering lives in `bot.local.terminal` as pure functions. The module is long on
purpose: one `Shell` holds one conversation's state (what was shown, the open modal, the clock, who is
acting), and every shell command reads and changes that same state.
"""

from __future__ import annotations

import argparse
import difflib
import itertools
import json
import logging
import os
import re
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from slack_bolt import App
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot import blocks as bot_blocks
from bot.app import build_app
from bot.capture import due_times, steps
from bot.config import Settings
from bot.followups.dispatch import Dispatcher, DispatchOptions, dispatch_client
from bot.local import demo
from bot.local.simulator import Reply, SlackSimulator, dispatch_transport
from bot.local.slack_standin import RecordedCall, SlackStandIn
from bot.local.terminal import (
    OPTION_ELEMENTS,
    PLAIN,
    Element,
    Field,
    Rendered,
    Style,
    ValueProblem,
    choices_hint,
    describe_entry,
    flat_options,
    fold_words,
    format_moment,
    initial_state,
    is_empty,
    option_label,
    parse_value,
    render_blocks,
    render_mrkdwn,
    render_text,
    render_view,
    strip_controls,
    with_block_ids,
)
from bot.runtime import Runtime
from bot.store import open_store
from bot.text import escape, plural
from storage.workspaces import latest_instant_recorded, workspace_for_team, workspace_has_data

logger = logging.getLogger(__name__)

BOT_TOKEN = "xoxb-shell"
CHANNEL = "C0GENERAL"
CHANNEL_NAME = "general"
APP_ID = "A0TOUCH"
# How long to wait for the app's listeners to finish one request before reading the next line.
LISTENER_WAIT_S = 30.0
# How many of the latest messages with buttons `:messages` lists.
MESSAGES_LISTED = 10


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    real_name: str
    tz: str


# The people of the demo's sample are the shell's people, so its touchpoints are theirs.
PEOPLE = tuple(Person(p.user_id, p.name, p.real_name, p.tz) for p in demo.PEOPLE)

WELCOME = """\
*Touchpoint shell*: the real bot, right here in your terminal. No Slack account needed.
You are {you} in #general. Everything you log is saved in {store}.

Try:
  `/log Acme: call with Dana about the renewal, follow up friday`
  `/log`            opens the log form
  `/log help`       how a line is read
  `/customer acme`  a customer's whole story
  `/report`         the last 30 days in figures, and a chart
Type a button's number to press it. `:help` lists everything, `:quit` leaves."""

HELP = """\
*Slack commands*, typed as in Slack:
  `/log <customer>: <what happened> [follow up <when>]`   log a touchpoint
  `/log`   opens the form     `/log help`   how a line is read
  `/followups`   your open follow-ups (`/followups @bob`, `/followups Acme`, `/followups help`)
  `/customer acme`   a customer's card: stage, owner, latest touchpoints, follow-ups (`/customer` alone: recent ones)
  `/report`   the measures of the last 30 days and a chart (`/report last week`, `/report this quarter sales`)
  `/report weekly #general`   last week's report in #general every Monday at 09:00 (`:advance` to Monday to see it)
*Buttons and menus* (the numbers on the latest message):
  `1`  or  `:press 1`                   press button [1]
  `3 sales`  or  `:press 3 sales`       pick “sales” in menu [3]
  `:messages`   older messages with buttons, numbered   `2.1`  or  `:press 2.1`   button [1] of message #2
*Forms* (when the app opens one):
  `:set <field> <value>`   fill a field by name or number, e.g. `:set customer Acme` or `4 call with Dana`
  `:submit`   `:cancel`   `:form` shows the form again   `:clear <field>` empties a field
*The shell itself*:
  `:user bob`   act as someone else        `:users`   who is here
  `:advance 3d`   move the clock on (also 2h, 30m, 1w): due nudges and digests arrive   `:now`   the time
  `:home`   open the app's Home tab        `:shortcut <text>`   *Log as touchpoint* on a message
  `:step customer: Acme; summary: call with Dana; follow up: friday; for: @bob`   run the Workflow Builder step
  `:demo`   fill the store with sample customers, touchpoints and follow-ups
  `:help`   this list                      `:quit`   leave (Ctrl-D works too)"""


def wall_clock() -> datetime:
    return datetime.now(UTC)


class ShellClock:
    """The Runtime's clock: real time, moved forward by `:advance`."""

    def __init__(self, wall: Callable[[], datetime] | None = None) -> None:
        self._wall = wall or wall_clock
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return self._wall() + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta

    def resume_from(self, latest: datetime | None) -> bool:
        """Never behind what the store recorded: an earlier session may have moved its clock ahead.

        Starting before that would put logged touchpoints in the future ("last touch: in 2 days").
        """
        if latest is None or latest <= self():
            return False
        self.offset += latest - self()
        return True


_UNITS = {
    "w": "weeks",
    "wk": "weeks",
    "week": "weeks",
    "d": "days",
    "day": "days",
    "h": "hours",
    "hr": "hours",
    "hour": "hours",
    "m": "minutes",
    "min": "minutes",
    "minute": "minutes",
    "s": "seconds",
    "sec": "seconds",
    "second": "seconds",
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")
MAX_ADVANCE = timedelta(days=3660)


def parse_duration(text: str) -> timedelta:
    """`3d`, `2h`, `30m`, `1w`, `1d12h` or `2 hours` as a positive timedelta."""
    compact = text.strip().casefold().replace(",", " ")
    if compact.startswith("-"):
        raise ValueProblem("The clock only moves forward: try :advance 1d.")
    parts = list(_DURATION_PART.finditer(compact))
    if not parts or "".join(p.group(0) for p in parts).replace(" ", "") != compact.replace(" ", ""):
        raise ValueProblem(f"“{text}” is not a duration; try 3d, 2h, 30m or 1w.")
    total = timedelta(0)
    for part in parts:
        unit = _UNITS.get(part.group(2)) or _UNITS.get(part.group(2).rstrip("s"))
        if unit is None:
            raise ValueProblem(f"“{part.group(2)}” is not a unit; use w, d, h, m or s (e.g. 3d, 2h, 30m).")
        total += timedelta(**{unit: float(part.group(1))})
    if total <= timedelta(0):
        raise ValueProblem("The clock only moves forward: try :advance 1d.")
    if total > MAX_ADVANCE:
        raise ValueProblem("That is more than ten years; try a shorter step.")
    return total


def human_duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    parts = []
    for size, name in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(plural(count, name))
    return " ".join(parts) or "0 minutes"


_MENTION = re.compile(r"(?<![\w@<&])@([A-Za-z0-9][\w.-]*)")
_CHANNEL_NAME = re.compile(rf"(?<![\w#&<|])#{CHANNEL_NAME}\b(?![-])")
_URL = re.compile(r"(?<![<|\w])(https?://[^\s<>]*[^\s<>.,;:!?)\]'\"])")


def to_wire(text: str, people: dict[str, str]) -> str:
    """What Slack sends for typed text with `should_escape` on: `&<>` escaped, @mentions, #general and links wrapped.

    `people` maps a folded name to a user id.
    """

    def mention(match: re.Match[str]) -> str:
        name = match.group(1).rstrip(".-")
        tail = match.group(1)[len(name) :]
        if name.casefold() in ("here", "channel", "everyone"):
            return f"<!{name.casefold()}>{tail}"
        user_id = people.get(name.casefold())
        return f"<@{user_id}|{name}>{tail}" if user_id else match.group(0)

    wired = _URL.sub(lambda m: f"<{m.group(1)}>", escape(text))
    # The shell's one channel is picked as Slack offers it while typing `#`: sent as its token.
    wired = _CHANNEL_NAME.sub(f"<#{CHANNEL}|{CHANNEL_NAME}>", wired)
    return _MENTION.sub(mention, wired)


FILES_DIRECTORY = ".touchpoint-files"


def files_directory(database_url: str) -> Path:
    """Where files the app uploads are written: beside a SQLite store's file, else in the current directory."""
    url = make_url(database_url)
    database = url.database if url.get_backend_name() == "sqlite" else None
    # SQLite's in-memory store is named with a leading colon, and a "file:" URI is no plain path.
    if database and not database.startswith((":", "file:")):
        return Path(database).resolve().parent / FILES_DIRECTORY
    return Path.cwd() / FILES_DIRECTORY


def _file_name(name: str) -> str:
    """A name the app chose, as a plain file name in the files directory (never a path out of it)."""
    plain = strip_controls(Path(name.replace("\\", "/")).name).strip().lstrip(".")
    return plain or "file"


def store_label(database_url: str) -> str:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return url.database or "an in-memory SQLite store"
    return url.render_as_string(hide_password=True)


# --------------------------------------------------------------------------------------------------------
# What is on screen
# --------------------------------------------------------------------------------------------------------


@dataclass
class Surface:
    """A message (or the Home tab) the app showed; buttons on it point back here."""

    key: int
    kind: str = "message"  # message | home
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    channel: str = CHANNEL
    ts: str = ""
    ephemeral: bool = True
    recipient: str | None = None  # who sees it: the user of an ephemeral message or a DM
    view: dict[str, Any] | None = None
    version: int = 0
    deleted: bool = False
    number: int = 0  # in the order messages were first shown: `:messages` lists them, `:press 3.2` reaches one

    def set_content(self, text: str, blocks: list[dict[str, Any]] | None) -> None:
        self.text = text or ""
        self.blocks = with_block_ids(blocks or [])
        self.version += 1


@dataclass(frozen=True)
class Pressable:
    surface: Surface
    version: int
    element: Element


@dataclass
class OpenView:
    """A modal on screen with what has been typed into it so far."""

    view: dict[str, Any]
    owner: str
    values: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.reset(self.view)

    def reset(self, view: dict[str, Any]) -> None:
        """Take a new version of the view; input typed into blocks that are still there is kept, as in Slack."""
        kept = self.values
        # Slack gives blocks without a block_id one of its own, and sends the view back with them.
        self.view = view = {**view, "blocks": with_block_ids(view.get("blocks") or [])}
        self.values = {}
        for block in view["blocks"]:
            if block.get("type") != "input":
                continue
            element = block.get("element") or {}
            action_id = str(element.get("action_id", ""))
            previous = kept.get(block["block_id"], {}).get(action_id)
            same_type = previous is not None and previous.get("type") == element.get("type")
            self.values[block["block_id"]] = {action_id: previous if same_type else initial_state(element)}

    def entry(self, item: Field) -> dict[str, Any]:
        return self.values.get(item.block_id, {}).get(item.action_id) or initial_state(item.element)

    @property
    def title(self) -> str:
        return str((self.view.get("title") or {}).get("text") or "Form")


class _ListenerTracker(Executor):
    """Bolt's listener executor, counted: the shell waits until every listener a request started is done.

    Bolt acknowledges first and runs the rest of a listener in this executor, as it does in production;
    waiting here keeps the shell's output in order and deterministic without changing how the app runs.
    """

    def __init__(self, inner: Executor) -> None:
        self._inner = inner
        self._pending = 0
        self._idle = threading.Condition()

    @classmethod
    def install(cls, app: App) -> _ListenerTracker:
        runner = app.listener_runner
        tracker = cls(runner.listener_executor)
        runner.listener_executor = tracker
        runner.lazy_listener_runner.executor = tracker
        return tracker

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._idle:
            self._pending += 1
        try:
            future = self._inner.submit(fn, *args, **kwargs)
        except BaseException:
            self._done(None)
            raise
        future.add_done_callback(self._done)
        return future

    def _done(self, _: object) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._inner.shutdown(wait=wait, cancel_futures=cancel_futures)


class _LogCollector(logging.Handler):
    """App log records as one line each, printed with the replies instead of tracebacks on stderr."""

    def __init__(self, level: int) -> None:
        super().__init__(level)
        self._lines: list[str] = []
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage().strip().split("\n")[0]
        except Exception:
            message = str(record.msg)
        if message.startswith("Unhandled request"):
            return  # the shell says it in its own words
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            message += f" ({type(error).__name__}: {error})"
        with self._lock:
            self._lines.append(f"{record.levelname.lower()}: {message}")

    def drain(self) -> list[str]:
        with self._lock:
            lines, self._lines = self._lines, []
        return lines


@contextmanager
def _app_logs_collected() -> Iterator[_LogCollector | None]:
    """Unless LOG_LEVEL=DEBUG, app logs go through the shell (one line, no traceback) instead of stderr."""
    root = logging.getLogger()
    if root.getEffectiveLevel() <= logging.DEBUG:
        yield None
        return
    explicit_info = os.environ.get("LOG_LEVEL", "").strip().upper() == "INFO"
    collector = _LogCollector(logging.INFO if explicit_info else logging.WARNING)
    saved = root.handlers[:]
    root.handlers = [collector]
    try:
        yield collector
    finally:
        root.handlers = saved


# --------------------------------------------------------------------------------------------------------
# The shell
# --------------------------------------------------------------------------------------------------------


class Shell:
    def __init__(
        self,
        settings: Settings,
        *,
        user: str,
        team: str,
        out: TextIO,
        style: Style,
        echo: bool = False,
        wall: Callable[[], datetime] | None = None,
        logs: _LogCollector | None = None,
    ) -> None:
        self.settings = settings
        self.team = team
        self.out = out
        self.style = style
        self.echo = echo
        self.logs = logs
        self.clock = ShellClock(wall)
        # Run after every `:advance`, with the new time: the hook for reminders that come due.
        self.clock_hooks: list[Callable[[datetime], None]] = []
        self.people: dict[str, Person] = {p.id: p for p in PEOPLE}
        self._initial_user = user
        self.user = ""
        self.pressables: list[Pressable] = []
        self.modals: list[OpenView] = []
        self.homes: dict[str, Surface] = {}
        self._surfaces: list[Surface] = []
        self._keys = itertools.count(1)
        self._message_numbers = itertools.count(1)
        self._triggers = itertools.count(1)
        self._url_targets: dict[str, Surface | None] = {}
        self._target: Surface | None = None
        self._calls: list[RecordedCall] = []
        self._calls_lock = threading.Lock()
        self._batch: list[tuple[Surface, str] | list[str]] = []
        self._ts_origin = int(time.time())
        self.standin: SlackStandIn | None = None
        self.engine: Any = None
        self.listeners: _ListenerTracker | None = None
        self._start_problem = ""
        self._resumed = False
        self._demo_asked = False
        # Names written to the files directory this session: a second upload of report.png keeps the first.
        self._files_written: set[str] = set()

    # --- lifecycle ---

    def start(self) -> None:
        self.engine = engine = open_store(self.settings)
        try:
            with Session(engine) as session:
                self._resumed = self.clock.resume_from(latest_instant_recorded(session))
            self.standin = SlackStandIn(team_id=self.team).start()
            for person in self.people.values():
                self.standin.add_user(person.id, name=person.name, real_name=person.real_name, tz=person.tz)
            secret = secrets.token_hex(16)
            settings = replace(
                self.settings,
                slack_bot_token=BOT_TOKEN,
                slack_signing_secret=secret,
                slack_api_url=self.standin.api_url,
                slack_hooks_url=self.standin.hooks_url,
            )
            self.runtime = Runtime(settings=settings, engine=engine, clock=self.clock)
            self.app = build_app(self.runtime)
            self.client = self.app.client
            self.listeners = _ListenerTracker.install(self.app)
            self.slack = SlackSimulator(
                dispatch_transport(self.app, settings), secret, team_id=self.team, response_url=self._response_url
            )
            self.standin.subscribe(self._record)
            due_times.warm_up()
            # Moving the clock is how nudges and digests come due here: one dispatch pass at the new time.
            dispatcher = Dispatcher(
                self.runtime,
                dispatch_client(BOT_TOKEN, self.standin.api_url, timeout=5),
                options=DispatchOptions(conversation_interval=0.0, admin_channel=settings.admin_channel),
            )
            self.clock_hooks.append(self._dispatcher_follows(dispatcher))
        except BaseException:
            self.close()
            raise
        person = self._find_person(self._initial_user) or self._add_person(self._initial_user)
        self.user = person.id if person else PEOPLE[0].id
        if person is None:
            self._start_problem = f"--user {self._initial_user}: no such person or user id, so you are @alice."

    def _dispatcher_follows(self, dispatcher: Dispatcher) -> Callable[[datetime], None]:
        """The clock hook of the dispatcher: each move is one pass that stops wherever something was scheduled."""
        passed = [self.clock()]

        def follow(now: datetime) -> None:
            dispatcher.run_pass(now, since=passed[0])
            passed[0] = now

        return follow

    def close(self) -> None:
        if self.standin is not None:
            self.standin.stop()
            self.standin = None
        if self.listeners is not None:
            self.listeners.shutdown(wait=True)
            self.listeners = None
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None

    # --- output ---

    def say(self, text: str = "") -> None:
        try:
            self.out.write(text + "\n")
        except UnicodeEncodeError:
            encoding = getattr(self.out, "encoding", None) or "ascii"
            self.out.write(text.encode(encoding, "replace").decode(encoding) + "\n")
        self.out.flush()

    def note(self, mrkdwn: str) -> None:
        self.say(render_mrkdwn(mrkdwn, self.style, self.names))

    def problem(self, text: str) -> None:
        self.say(self.style.yellow("⚠ " + strip_controls(text)))

    @property
    def shown(self) -> list[Surface]:
        """Every message and Home tab the app showed, in the order they appeared (for `touchpoint preview`)."""
        return list(self._surfaces)

    @property
    def names(self) -> dict[str, str]:
        """User ids, and the shell's channel id, to the names shown for their mentions."""
        return {CHANNEL: CHANNEL_NAME, **{p.id: p.name for p in self.people.values()}}

    @property
    def person(self) -> Person:
        return self.people[self.user]

    @property
    def modal(self) -> OpenView | None:
        return self.modals[-1] if self.modals else None

    def tz_of(self, user_id: str) -> ZoneInfo:
        person = self.people.get(user_id)
        return ZoneInfo(person.tz) if person else self.settings.default_tz

    def welcome(self, *, offer_demo: bool = True) -> None:
        you = f"@{self.person.name} ({self.person.real_name}, {self.person.tz})"
        self.note(WELCOME.format(you=you, store=store_label(self.settings.database_url)))
        if self._start_problem:
            self.problem(self._start_problem)
        if offer_demo and self._store_is_empty():
            self.note("The store is empty: `:demo` fills it with sample customers, touchpoints and follow-ups.")
        if self._resumed:
            tz = self.tz_of(self.user)
            self.say(
                f"The clock resumes where this store left off: {format_moment(self.clock(), tz)} ({tz.key}), "
                f"{human_duration(self.clock.offset)} ahead of real time."
            )
        self.say()

    def prompt(self) -> str:
        where = f" [{self.modal.title}]" if self.modal else ""
        return f"{self.person.name}{where}> "

    # --- the loop's one entry point ---

    def handle(self, line: str) -> bool:
        """Act on one typed line; False when the shell should end."""
        line = line.strip()
        if not line:
            return True
        if self.echo:
            self.say(self.style.dim("> " + line))
        try:
            return self._dispatch_line(line)
        except ValueProblem as problem:
            self.problem(str(problem))
        except Exception as error:  # the shell must survive anything a request or the renderer does
            logger.debug("shell line failed: %s", line, exc_info=True)
            self.problem(f"That failed inside the shell: {type(error).__name__}: {error}")
        finally:
            self._print_logs()
        return True

    def _dispatch_line(self, line: str) -> bool:
        if line.startswith("/"):
            self.slash_command(line)
            return True
        if line.startswith(":"):
            name, _, rest = line[1:].partition(" ")
            return self.shell_command(name.strip().casefold(), rest.strip())
        in_message = re.match(r"^#?(\d+)\.(\d+)\b\s*(.*)$", line)
        if in_message and not self.modal:
            self.press_in_message(int(in_message.group(1)), int(in_message.group(2)), in_message.group(3))
            return True
        number = re.match(r"^(\d+)\b\s*(.*)$", line)
        if number:
            self.press(int(number.group(1)), number.group(2))
            return True
        bare = line.casefold().rstrip("!?.")
        if bare in ("help", "?", "h"):
            return self.shell_command("help", "")
        if bare in ("quit", "exit", "q", "bye"):
            return self.shell_command("quit", "")
        self.note(
            "Lines start with `/` for a Slack command or `:` for a shell command (`:help` lists them). "
            f"To log this line, type: `/log {escape(line)}`"
        )
        return True

    def shell_command(self, name: str, rest: str) -> bool:
        commands: dict[str, Callable[[str], Any]] = {
            "help": lambda _: self.note(HELP),
            "press": self.press_command,
            "set": self.set_command,
            "clear": lambda r: self.set_command(r, clear=True),
            "submit": lambda _: self.submit(),
            "cancel": lambda _: self.cancel(),
            "form": lambda _: self.show_form(),
            "user": self.switch_user,
            "users": lambda _: self.list_users(),
            "advance": self.advance,
            "now": lambda _: self.show_now(),
            "home": lambda _: self.open_home(),
            "shortcut": self.shortcut,
            "step": self.workflow_step,
            "messages": lambda _: self.list_messages(),
            "demo": lambda _: self.fill_demo(),
        }
        aliases = {
            "h": "help",
            "?": "help",
            "p": "press",
            "s": "set",
            "close": "cancel",
            "modal": "form",
            "msgs": "messages",
        }
        aliases |= {"as": "user", "who": "users", "adv": "advance", "time": "now", "sc": "shortcut"}
        if name in ("quit", "q", "exit"):
            return False
        name = aliases.get(name, name)
        if name not in commands:
            close = difflib.get_close_matches(name, [*commands, "quit"], n=1)
            hint = f" Did you mean `:{close[0]}`?" if close else ""
            self.note(f"There is no `:{escape(name)}` command.{hint} `:help` lists them all.")
            return True
        commands[name](rest)
        return True

    # --- Slack actions ---

    def slash_command(self, line: str) -> None:
        if self._modal_blocks("typing a command"):
            return
        command, _, text = line.partition(" ")
        if not re.fullmatch(r"/[\w-]+", command):
            self.note("Type a slash command like `/log Acme: call with Dana`.")
            return
        surface = self._new_surface(recipient=self.user)
        self._target = surface
        user = self.person
        reply = self._request(
            lambda: self.slack.command(
                user.id, to_wire(text, self._name_index()), command=command, channel=CHANNEL, user_name=user.name
            )
        )
        if reply is not None:
            if reply.status == 404:
                self.note(f"`{command}` is not a command of this app. Try `/log help`.")
            elif self._reply_ok(reply):
                body = _json_or_text(reply.body)
                if body.get("text") or body.get("blocks"):
                    surface.ephemeral = body.get("response_type") != "in_channel"
                    surface.set_content(body.get("text", ""), body.get("blocks"))
                    self._show(surface)
        self._flush()

    def press_command(self, rest: str) -> None:
        in_message = re.match(r"^#?(\d+)\.(\d+)\b\s*(.*)$", rest)
        if in_message:
            self.press_in_message(int(in_message.group(1)), int(in_message.group(2)), in_message.group(3))
            return
        match = re.match(r"^\[?(\d+)\]?\s*(.*)$", rest)
        if not match:
            self.note("Say which number to press, e.g. `:press 1` or `:press 3 sales`.")
            return
        self.press(int(match.group(1)), match.group(2))

    def press(self, number: int, value: str) -> None:
        if self.modal:
            self._modal_number(number, value)
            return
        pressable = next((p for p in self.pressables if p.element.number == number), None)
        if pressable is None:
            self.note(self._no_such_number(number))
            return
        if pressable.surface.deleted or pressable.surface.version != pressable.version:
            self.note("That message has changed since: use the numbers shown on its latest version.")
            return
        if self._refused_to(pressable.surface):
            return
        self._act(pressable.element, value, surface=pressable.surface)

    def press_in_message(self, message: int, number: int, value: str) -> None:
        """`3.2`: element [2] of message #3 (as `:messages` lists it), however many messages came since."""
        if self._modal_blocks("pressing a message's buttons"):
            return
        surface = next((s for s in self._surfaces if s.number == message), None)
        if surface is None or surface.deleted:
            gone = "was deleted" if surface is not None else "does not exist"
            self.note(f"Message #{message} {gone}. `:messages` lists the ones with buttons.")
            return
        if self._refused_to(surface):
            return
        elements = self._render_surface(surface, "", start=1).elements
        element = next((e for e in elements if e.number == number), None)
        if element is None:
            has = f"[1]–[{len(elements)}]" if elements else "no buttons"
            self.note(f"Message #{message} has {has}. `:messages` lists them.")
            return
        self._act(element, value, surface=surface)

    def _refused_to(self, surface: Surface) -> bool:
        """Slack shows a direct message, an ephemeral reply or a Home tab to one person: nobody else can press it."""
        owner = surface.recipient
        private = surface.ephemeral or surface.kind == "home" or _is_dm(surface)
        if owner is None or owner == self.user or not private:
            return False
        name = self.names.get(owner, owner)
        what = "Home tab" if surface.kind == "home" else "direct message" if _is_dm(surface) else "reply"
        self.note(
            f"That is @{name}'s {what}: in Slack only @{name} sees it, so nobody else can press its buttons. "
            f"`:user {name}` to act as them."
        )
        return True

    def list_messages(self) -> None:
        """The latest messages with something to press, each under its number: `:press 3.2` presses one."""
        shown = [s for s in self._surfaces if s.number and not s.deleted]
        listed = 0
        for surface in reversed(shown):
            rendered = self._render_surface(surface, "", start=1)
            if not rendered.elements:
                continue
            header, *body = rendered.lines
            first = next((line.strip() for line in body if line.strip()), "")
            self.say(f"#{surface.number} {header} — {first}")
            for line in body:
                if re.search(r"\[\d+\]", line):
                    self.say(line)
            listed += 1
            if listed == MESSAGES_LISTED:
                break
        if not listed:
            self.note("No message has buttons yet.")
            return
        self.note("Press one with `:press <message>.<button>`, e.g. `:press 3.2`, or just `3.2`.")

    def _no_such_number(self, number: int) -> str:
        if not self.pressables:
            return f"There is nothing to press yet: [{number}] would be a button on a message from the app."
        first, last = self.pressables[0].element.number, self.pressables[-1].element.number
        return f"There is no [{number}]: the latest message has [{first}]–[{last}]. `:messages` lists older ones."

    def _act(
        self, element: Element, value: str, *, surface: Surface | None = None, view: OpenView | None = None
    ) -> None:
        """Press a button or pick a value of a select, on a message, the Home tab or a modal."""
        label = f"[{element.number}]"
        if not element.needs_value and value:
            self.note(f"{label} is a button: type just `{element.number}` to press it.")
            return
        if element.needs_value and not value:
            example = _example_choice(element.element)
            self.note(
                f"{label} needs a choice: {choices_hint(element.element, self.names)}. "
                f"Type it after the number, e.g. `{element.number} {example}`."
            )
            return
        action: dict[str, Any] = {
            "type": element.type,
            "action_id": element.element.get("action_id", ""),
            "block_id": element.block_id,
            "action_ts": f"{time.time():.6f}",
        }
        state_entry: dict[str, Any] | None = None
        if element.type in ("button", "workflow_button"):
            action["text"] = element.element.get("text")
            for key in ("value", "style", "url"):
                if key in element.element:
                    action[key] = element.element[key]
            if element.element.get("url"):
                self.note(f"(In Slack this opens {element.element['url']}.)")
        else:
            if element.type in ("external_select", "multi_external_select"):
                state_entry, hint = self._search_options(element.block_id, element.element, value, str(element.number))
                if hint:
                    self.note(hint)
            else:
                state_entry = parse_value(
                    element.element, value, now=self.clock(), tz=self.tz_of(self.user), find_user=self._user_id_for
                )
            action.update({k: v for k, v in state_entry.items() if k != "type"})
            if element.element.get("initial_option"):
                action["initial_option"] = element.element["initial_option"]
        if element.element.get("confirm"):
            title = (element.element["confirm"].get("title") or {}).get("text", "Are you sure?")
            self.note(f"(Slack asks “{title}” first; the shell answers yes.)")
        payload = self._block_actions(action, state_entry, surface=surface, view=view)
        reply = self._request(lambda: self.slack.interaction(payload))
        if reply is not None and reply.status == 404:
            self.note("Nothing in the app handles that element (HTTP 404).")
        elif reply is not None:
            self._reply_ok(reply)
        self._flush()

    def _block_actions(
        self,
        action: dict[str, Any],
        state_entry: dict[str, Any] | None,
        *,
        surface: Surface | None,
        view: OpenView | None,
    ) -> dict[str, Any]:
        values = {action["block_id"]: {action["action_id"]: state_entry}} if state_entry else {}
        payload = {**self._payload_base("block_actions"), "actions": [action]}
        if view is not None:
            values = {**view.values, **values}
            payload["container"] = {"type": "view", "view_id": view.view.get("id")}
            payload["view"] = {**view.view, "state": {"values": values}}
        elif surface is not None and surface.kind == "home" and surface.view is not None:
            payload["container"] = {"type": "view", "view_id": surface.view.get("id")}
            payload["view"] = {**surface.view, "state": {"values": values}}
        elif surface is not None:
            payload["container"] = {
                "type": "message",
                "message_ts": surface.ts,
                "channel_id": surface.channel,
                "is_ephemeral": surface.ephemeral,
            }
            payload["channel"] = {"id": surface.channel, "name": _channel_name(surface.channel)}
            payload["state"] = {"values": values}
            payload["response_url"] = self._response_url_to(surface)
            if not surface.ephemeral:
                payload["message"] = {
                    "type": "message",
                    "text": surface.text,
                    "blocks": surface.blocks,
                    "ts": surface.ts,
                    "user": self.standin.bot_user_id if self.standin else "UBOT",
                    "team": self.team,
                }
        return payload

    def _payload_base(self, kind: str) -> dict[str, Any]:
        person = self.person
        return {
            "type": kind,
            "team": {"id": self.team, "domain": "example"},
            "user": {"id": person.id, "username": person.name, "name": person.name, "team_id": self.team},
            "api_app_id": APP_ID,
            "token": "legacy-verification-token",
            "trigger_id": f"{next(self._triggers)}.shell.trigger",
            "is_enterprise_install": False,
            "enterprise": None,
        }

    def _search_options(
        self, block_id: str, element: dict[str, Any], typed: str, retry: str
    ) -> tuple[dict[str, Any], str | None]:
        """Ask the app's options listener what matches, as Slack's typeahead does, and take the best match.

        An exact label wins, else the first suggestion; `Acme Labs #2` takes the second suggestion.
        Returns the state entry and a line naming the other suggestions (`retry` is how to type again).
        """
        pick = re.match(r"^(.*?)\s+#(\d{1,2})$", typed.strip())
        query, index = (pick.group(1), int(pick.group(2))) if pick else (typed.strip(), None)
        owner = self.modal.owner if self.modal else self.user
        action_id = str(element.get("action_id", ""))
        reply = self._request(lambda: self.slack.options(owner, action_id, query, block_id=block_id))
        if reply is None or reply.status != 200:
            status = reply.status if reply else "no answer"
            raise ValueProblem(f"The app did not suggest anything for “{query}” ({status}).")
        options = flat_options(_json_or_text(reply.body))
        if not options:
            raise ValueProblem(f"The app has no suggestion for “{query}”.")
        if index is not None:
            if not 1 <= index <= len(options):
                raise ValueProblem(f"There are {len(options)} suggestions for “{query}”; pick #1–#{len(options)}.")
            chosen = options[index - 1]
        else:
            exact = [o for o in options if fold_words(option_label(o)) == fold_words(query)]
            chosen = exact[0] if exact else options[0]
        others = [(i, option_label(o)) for i, o in enumerate(options, 1) if o is not chosen]
        hint = None
        if others:
            shown = " · ".join(f"#{i} {label}" for i, label in others[:5]) + (" · …" if len(others) > 5 else "")
            hint = f"      other suggestions: {shown} (e.g. `{retry} {query} #{others[0][0]}`)"
        if element.get("type") == "multi_external_select":
            return {"type": "multi_external_select", "selected_options": [chosen]}, hint
        return {"type": element.get("type"), "selected_option": chosen}, hint

    def shortcut(self, text: str) -> None:
        if self._modal_blocks("using a shortcut"):
            return
        if not text:
            self.note("Give the message's text: `:shortcut Dana from Acme called about the renewal`.")
            return
        message = {
            "type": "message",
            "user": self.user,
            "text": to_wire(text, self._name_index()),
            "ts": self._next_ts(),
            "team": self.team,
        }
        self._target = self._new_surface(recipient=self.user)
        reply = self._request(
            lambda: self.slack.shortcut(self.user, message, callback_id=bot_blocks.LOG_SHORTCUT, channel=CHANNEL)
        )
        if reply is not None:
            self._reply_ok(reply)
        self._flush()

    def workflow_step(self, rest: str) -> None:
        """Run Workflow Builder's *Log a touchpoint* as a workflow would, with inputs as `name: value; …`."""
        if self._modal_blocks("running a workflow step"):
            return
        inputs: dict[str, str] = {}
        for part in filter(None, (piece.strip() for piece in rest.split(";"))):
            name, _, value = part.partition(":")
            key = _STEP_INPUTS.get(name.strip().casefold())
            if key is None:
                self.note(f"Give the step's inputs as `name: value; …` with names among {_STEP_INPUT_NAMES}.")
                return
            person = self._user_id_for(value) if key in (steps.ASSIGNEE, steps.LOGGED_BY) else None
            # An empty value goes as it is: the step's own answer says what is missing.
            inputs[key] = person or to_wire(value.strip(), self._name_index())
        if not inputs:
            self.note("Give the step's inputs: `:step customer: Acme; summary: call with Dana; follow up: friday`.")
            return
        assert self.standin is not None
        inputs.setdefault(steps.LOGGED_BY, self.user)  # as "Person who used this workflow" would be
        execution = self.standin.begin_function_execution(steps.STEP_ID)
        reply = self._request(
            lambda: self.slack.function_executed(execution.id, execution.bot_access_token, steps.STEP_ID, inputs)
        )
        if reply is not None:
            self._reply_ok(reply)
        self._flush()
        done = self.standin.function_execution(execution.id)
        if done.state == "completed":
            outputs = ", ".join(f"{name} = {value}" for name, value in (done.outputs or {}).items())
            self.note(f"The workflow step completed; its outputs: {outputs}")  # escaped already, as mrkdwn
        elif done.state == "failed":
            self.problem(f"The workflow step failed: {done.error}")
        else:
            self.problem("The workflow step has not completed yet.")

    def open_home(self) -> None:
        if self._modal_blocks("opening the Home tab"):
            return
        event = {"type": "app_home_opened", "user": self.user, "channel": "D" + self.user, "tab": "home"}
        event["event_ts"] = f"{time.time():.6f}"
        reply = self._request(lambda: self.slack.event(event))
        if reply is not None:
            self._reply_ok(reply)
        published = self.user in self.homes
        self._flush()
        if not published and self.user not in self.homes:
            self.note("The app shows nothing on its Home tab.")

    # --- modals ---

    def _fields(self, modal: OpenView) -> Rendered:
        return render_view(modal.view, self.style, self.names, state=modal.values, tz=self.tz_of(modal.owner))

    def show_form(self) -> None:
        if self.modal is None:
            self.note("No form is open. `/log` alone opens one.")
            return
        for line in self._form_lines(hint=False):
            self.say(line)

    def _modal_number(self, number: int, value: str) -> None:
        modal = self.modal
        assert modal is not None
        rendered = self._fields(modal)
        item = next((f for f in rendered.fields if f.number == number), None)
        if item is not None and not value:
            example = f"{number} {_example_value(item)}"
            self.note(
                f"[{number}] is the field “{item.label}”: type its value after the number, e.g. `{example}`. "
                f"`:clear {field_name(rendered.fields, item)}` empties it."
            )
            return
        if item is not None:
            self._set_field(modal, item, value)
            return
        element = next((e for e in rendered.elements if e.number == number), None)
        if element is not None:
            self._act(element, value, view=modal)
            return
        self.note(f"The form has no [{number}]. `:form` shows it again.")

    def set_command(self, rest: str, clear: bool = False) -> None:
        modal = self.modal
        if modal is None:
            self.note("No form is open. `/log` alone opens one.")
            return
        fields = self._fields(modal).fields
        item, value = _split_field(fields, rest)
        if item is None:
            _, candidates = find_field(fields, rest.partition("=")[0])
            listing = ", ".join(f"[{f.number}] `{field_name(fields, f)}`" for f in candidates or fields)
            self.note(f"Which field? {'It could be' if candidates else 'This form has'}: {listing}.")
            return
        if not value and not clear:
            name = field_name(fields, item)
            self.note(f"Give a value too, e.g. `:set {name} {_example_value(item)}`; `:clear {name}` empties it.")
            return
        self._set_field(modal, item, "" if clear else value)

    def _set_field(self, modal: OpenView, item: Field, typed: str) -> None:
        hint = None
        if item.type in ("external_select", "multi_external_select") and typed.strip():
            retry = f":set {field_name(self._fields(modal).fields, item)}"
            entry, hint = self._search_options(item.block_id, item.element, typed, retry)
        else:
            entry = parse_value(
                item.element, typed, now=self.clock(), tz=self.tz_of(modal.owner), find_user=self._user_id_for
            )
        modal.values.setdefault(item.block_id, {})[item.action_id] = entry
        modal.errors.pop(item.block_id, None)
        shown = describe_entry(entry, self.names, self.tz_of(modal.owner))
        self.say(f"  [{item.number}] {item.label}: {shown or '— (empty)'}")
        if hint:
            self.say(self.style.dim(render_mrkdwn(hint, self.style, self.names)))

    def submit(self) -> None:
        modal = self.modal
        if modal is None:
            self.note("No form is open to submit.")
            return
        if not modal.view.get("submit"):
            close = render_text(modal.view.get("close"), PLAIN) or "Close"
            self.note(f"“{modal.title}” has nothing to submit, in Slack either: `:cancel` closes it ({close}).")
            return
        rendered = self._fields(modal)
        values = {f.block_id: {f.action_id: modal.entry(f)} for f in rendered.fields}
        missing = [f for f in rendered.fields if not f.optional and is_empty(values[f.block_id][f.action_id])]
        if missing:
            modal.errors.update({f.block_id: "Please fill out this field." for f in missing})
            self.show_form()
            return
        title = modal.title
        reply = self._request(lambda: self.slack.submit(modal.owner, modal.view, values))
        if reply is None or not self._reply_ok(reply):
            self.note("The form stays open: `:submit` to try again.")
            self._flush()
            return
        body = _json_or_text(reply.body)
        action = body.get("response_action")
        if action == "errors":
            modal.errors = {str(k): str(v) for k, v in (body.get("errors") or {}).items()}
            self.problem(f"“{title}” was not saved: fix the fields marked ⚠.")
            self.show_form()
        elif action == "update" and isinstance(body.get("view"), dict):
            modal.reset({**body["view"], "id": modal.view.get("id")})
            modal.errors = {}
            self._batch.append(self._form_lines(hint=False))
        elif action == "push" and isinstance(body.get("view"), dict):
            self.modals.append(OpenView({**body["view"], "id": f"VPUSH{next(self._keys)}"}, modal.owner))
            self._batch.append(self._form_lines(hint=True))
        elif action == "clear":
            self.modals.clear()
            self.say(self.style.dim(f"“{title}” sent; every form closed."))
        else:
            self.modals.pop()
            self.say(self.style.dim(f"“{title}” sent."))
        self._flush()

    def cancel(self) -> None:
        modal = self.modal
        if modal is None:
            self.note("No form is open.")
            return
        self.modals.pop()
        self.say(self.style.dim(f"“{modal.title}” closed without saving."))
        if modal.view.get("notify_on_close"):
            payload = {**self._payload_base("view_closed"), "view": {**modal.view, "state": {"values": modal.values}}}
            payload["is_cleared"] = False
            reply = self._request(lambda: self.slack.interaction(payload))
            if reply is not None:
                self._reply_ok(reply)
            self._flush()

    def _form_lines(self, hint: bool) -> list[str]:
        modal = self.modal
        assert modal is not None
        rendered = render_view(
            modal.view, self.style, self.names, state=modal.values, errors=modal.errors, tz=self.tz_of(modal.owner)
        )
        lines = rendered.lines
        if hint:
            lines.append(render_mrkdwn(_form_hint(modal.view, rendered), self.style, self.names))
        return lines

    def _modal_blocks(self, doing: str) -> bool:
        if self.modal is None:
            return False
        self.note(f"The form “{self.modal.title}” is open: `:submit` or `:cancel` it before {doing}.")
        return True

    # --- people and time ---

    def _name_index(self) -> dict[str, str]:
        return {p.name.casefold(): p.id for p in self.people.values()}

    def _find_person(self, text: str) -> Person | None:
        wanted = text.strip().strip("<>").lstrip("@").split("|")[0].strip().casefold()
        if not wanted:
            return None
        for person in self.people.values():
            first = person.real_name.split()[0].casefold() if person.real_name else ""
            if wanted in (person.id.casefold(), person.name.casefold(), person.real_name.casefold(), first):
                return person
        return None

    def _add_person(self, text: str) -> Person | None:
        """A user id nobody registered (`--user U0DAVE`) becomes a new person in the workspace."""
        user_id = text.strip().lstrip("@").upper()
        if not re.fullmatch(r"[UW][A-Z0-9]{2,20}", user_id):
            return None
        person = Person(user_id, user_id.lower(), user_id, self.settings.default_tz.key)
        self.people[user_id] = person
        if self.standin is not None:
            self.standin.add_user(person.id, name=person.name, real_name=person.real_name, tz=person.tz)
        return person

    def _user_id_for(self, text: str) -> str | None:
        person = self._find_person(text)
        return person.id if person else None

    def switch_user(self, rest: str) -> None:
        if not rest:
            other = next(p.name for p in [*self.people.values(), PEOPLE[1]] if p.id != self.user)
            self.note(f"You are @{self.person.name}. `:user {other}` switches; `:users` lists everyone.")
            return
        if self._modal_blocks("switching people"):
            return
        person = self._find_person(rest) or self._add_person(rest)
        if person is None:
            known = ", ".join("@" + p.name for p in self.people.values())
            self.note(f"I don't know “{escape(rest)}”. People here: {known} (or give a user id like U0DAVE).")
            return
        self.user = person.id
        self.note(f"You are now *@{person.name}* ({person.real_name}, {person.tz}).")

    def _store_is_empty(self) -> bool:
        with self.runtime.sessions.begin() as session:
            return not workspace_has_data(session, workspace_for_team(session, self.team).id)

    def fill_demo(self) -> None:
        """`:demo`: the sample customers, touchpoints and follow-ups; into a store with data only when asked twice."""
        if self._modal_blocks("filling the store"):
            return
        with self.runtime.sessions.begin() as session:
            workspace_id = workspace_for_team(session, self.team).id
            if workspace_has_data(session, workspace_id) and not self._demo_asked:
                self._demo_asked = True
                self.note(
                    "This store already has customers or touchpoints; the sample would mix with them. "
                    "Type `:demo` again to add it anyway."
                )
                return
            report = demo.fill_demo(session, workspace_id, now=self.clock())
        self._demo_asked = False
        self.note(
            f"Added the demo: {report.summary()}. Try `/customer mueller`, `/customer acme.com`, "
            "`/log Globx: demo went well, follow up friday`, `:home` or `:advance 1d`."
        )

    def list_users(self) -> None:
        for person in self.people.values():
            marker = "*" if person.id == self.user else " "
            line = f"{marker} @{person.name:<8} {person.id:<10} {person.real_name:<16} {person.tz}"
            self.say(self.style.bold(line) if person.id == self.user else line)
        self.note("`:user <name>` switches who you are.")

    def show_now(self) -> None:
        tz = self.tz_of(self.user)
        text = f"It is {format_moment(self.clock(), tz)} for @{self.person.name} ({tz.key})."
        if self.clock.offset:
            text += f" The shell's clock is {human_duration(self.clock.offset)} ahead of real time."
        self.say(text)

    def advance(self, rest: str) -> None:
        if not rest:
            self.note("Say how far: `:advance 3d`, `:advance 2h` or `:advance 30m`.")
            return
        delta = parse_duration(rest)
        self.clock.advance(delta)
        tz = self.tz_of(self.user)
        self.say(f"Clock moved {human_duration(delta)} ahead: it is {format_moment(self.clock(), tz)} ({tz.key}).")
        now = self.clock()
        for hook in list(self.clock_hooks):
            try:
                hook(now)
            except Exception as error:
                logger.debug("clock hook failed", exc_info=True)
                self.problem(f"Something scheduled for this time failed: {type(error).__name__}: {error}")
        self._wait_idle()
        self._flush()

    # --- requests and what comes back ---

    def _request(self, send: Callable[[], Reply]) -> Reply | None:
        """Send one signed request to the app and wait until every listener it started has finished."""
        try:
            reply = send()
        except Exception as error:
            logger.debug("request failed", exc_info=True)
            self.problem(f"The request did not reach the app: {type(error).__name__}: {error}")
            return None
        finally:
            if not self._wait_idle():
                self.problem("The app is still busy; its replies will show up after your next line.")
        return reply

    def _wait_idle(self) -> bool:
        return self.listeners is None or self.listeners.wait_idle(LISTENER_WAIT_S)

    def _reply_ok(self, reply: Reply) -> bool:
        if reply.status == 200:
            return True
        detail = reply.body.strip()[:200]
        if reply.status == 401:
            self.problem("The app rejected the request's signature (HTTP 401).")
        elif reply.status == 404:
            self.problem("Nothing in the app handles that (HTTP 404).")
        else:
            self.problem(f"The app answered HTTP {reply.status}" + (f": {detail}" if detail else "."))
        return False

    def _record(self, call: RecordedCall) -> None:
        # Called on the stand-in's server threads; rendering waits for the main thread.
        with self._calls_lock:
            self._calls.append(call)

    def _response_url(self, key: str) -> str:
        """The simulator's response_url factory: remember which message a reply to this URL belongs to."""
        assert self.standin is not None
        url = self.standin.response_url(key)
        self._url_targets[url] = self._target
        return url

    def _response_url_to(self, surface: Surface) -> str:
        self._target = surface
        return self._response_url(f"act-{next(self._keys)}")

    def _new_surface(self, **fields: Any) -> Surface:
        surface = Surface(key=next(self._keys), ts=self._next_ts(), **fields)
        self._surfaces.append(surface)
        return surface

    def _next_ts(self) -> str:
        return f"{self._ts_origin}.{next(self._keys):06d}"

    def _show(self, surface: Surface, note: str = "") -> None:
        self._batch.append((surface, note))

    def _flush(self) -> None:
        """Apply every Web API call the app made, then print what changed, numbering the new elements."""
        with self._calls_lock:
            calls, self._calls = self._calls, []
        for call in calls:
            try:
                self._apply(call)
            except Exception as error:
                logger.debug("could not show %s", call.method, exc_info=True)
                self.problem(f"Could not show the app's {call.method} call: {type(error).__name__}: {error}")
        batch, self._batch = self._batch, []
        pressables: list[Pressable] = []
        for entry in batch:
            if isinstance(entry, list):
                for line in entry:
                    self.say(line)
                continue
            surface, note = entry
            rendered = self._render_surface(surface, note, start=len(pressables) + 1)
            for line in rendered.lines:
                self.say(line)
            pressables.extend(Pressable(surface, surface.version, e) for e in rendered.elements)
        for entry in batch:
            if not isinstance(entry, list) and not entry[0].number:
                entry[0].number = next(self._message_numbers)
        if pressables:
            self.pressables = pressables
        self._print_logs()
        if batch:
            self.say()

    def _print_logs(self) -> None:
        if self.logs is None:
            return
        for line in self.logs.drain():
            self.say(self.style.dim("  log " + line))

    def _render_surface(self, surface: Surface, note: str, start: int) -> Rendered:
        style = self.style
        if surface.kind == "home":
            owner = surface.recipient or self.user
            where = "Home tab" + ("" if owner == self.user else f" of @{self.names.get(owner, owner)}")
        elif surface.ephemeral:
            where = "only visible to " + self._who(surface.recipient)
        else:
            where = self._where_posted(surface.channel, surface.recipient)
        header = style.bold("Touchpoint") + style.dim(" · " + where + (f" · {note}" if note else ""))
        if surface.deleted:
            return Rendered(lines=[header])
        if surface.blocks:
            body = render_blocks(surface.blocks, style, self.names, start=start, tz=self.tz_of(self.user))
        else:
            body = Rendered(lines=render_mrkdwn(surface.text, style, self.names).split("\n"))
        body.lines = [header] + ["  " + line for line in body.lines]
        return body

    def _where_posted(self, channel: str, recipient: str | None = None) -> str:
        if channel.startswith("D"):
            who = recipient or channel[1:]
            return "direct message" + ("" if who == self.user else f" to @{self.names.get(who, who)}")
        return f"in #{_channel_name(channel)}"

    def _show_files(self, response: dict[str, Any]) -> None:
        """Files the app shared: written to the files directory, and said where, since a terminal shows no picture."""
        assert self.standin is not None
        for described in response.get("files") or []:
            shared = self.standin.file(str(described.get("id", "")))
            if shared is None:
                continue
            lines = [self._saved_file_line(shared.channel, shared.name, shared.content)]
            if shared.initial_comment:
                comment = render_mrkdwn(shared.initial_comment, self.style, self.names)
                lines += ["  " + line for line in comment.split("\n")]
            self._batch.append(lines)

    def _saved_file_line(self, channel: str, name: str, content: bytes) -> str:
        style = self.style
        where = self._where_posted(channel)
        directory = files_directory(self.settings.database_url)
        path = directory / self._unwritten_name(_file_name(name))
        try:
            directory.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        except OSError as error:
            return style.yellow(f"⚠ The app shared the file {strip_controls(name)}; it could not be saved: {error}")
        self._files_written.add(path.name)
        kind = "chart" if path.suffix.lower() in (".png", ".svg", ".jpg", ".jpeg", ".gif") else "file"
        hint = f"open it to see the {kind}"
        return (
            style.bold("Touchpoint")
            + style.dim(f" · {where} · file: ")
            + f"{path.name} → {path}"
            + style.dim(f" ({hint})")
        )

    def _unwritten_name(self, name: str) -> str:
        stem, suffix = os.path.splitext(name)
        candidate, number = name, 1
        while candidate in self._files_written:
            number += 1
            candidate = f"{stem}-{number}{suffix}"
        return candidate

    def _who(self, user_id: str | None) -> str:
        if not user_id or user_id == self.user:
            return "you"
        return "@" + self.names.get(user_id, user_id)

    def _apply(self, call: RecordedCall) -> None:
        method, params = call.method, call.params
        if method == "chat.postMessage":
            channel = _dm(str(params.get("channel", "")))
            recipient = channel[1:] if channel.startswith("D") else None
            surface = self._new_surface(channel=channel, ephemeral=False, recipient=recipient)
            # Buttons later update the message by the ts Slack answered, so the shell must know it by that ts.
            surface.ts = str((call.response or {}).get("ts") or surface.ts)
            surface.set_content(params.get("text", ""), params.get("blocks"))
            self._show(surface)
        elif method == "chat.postEphemeral":
            surface = self._new_surface(channel=_dm(str(params.get("channel", ""))), recipient=params.get("user"))
            surface.set_content(params.get("text", ""), params.get("blocks"))
            self._show(surface)
        elif method in ("chat.update", "chat.delete"):
            channel, ts = _dm(str(params.get("channel", ""))), str(params.get("ts", ""))
            surface = next((s for s in self._surfaces if s.channel == channel and s.ts == ts), None)
            if surface is None:
                surface = self._new_surface(channel=channel, ts=ts, ephemeral=False)
            if method == "chat.delete":
                surface.deleted = True
                surface.version += 1
                self._show(surface, "deleted")
            else:
                surface.set_content(params.get("text", ""), params.get("blocks"))
                self._show(surface, "updated")
        elif method == "response_url":
            self._apply_response(params)
        elif method in ("views.open", "views.push"):
            stored = self._stored_view(params.get("view") or {})
            owner = self.modal.owner if self.modal and method == "views.push" else self.user
            if method == "views.open":
                self.modals.clear()
            self.modals.append(OpenView(stored, owner))
            self._batch.append(self._form_lines(hint=True))
        elif method == "views.update":
            self._apply_view_update(params)
        elif method == "files.completeUploadExternal":
            self._show_files(call.response or {})
        elif method == "views.publish":
            user_id = str(params.get("user_id", ""))
            home = self.homes.get(user_id) or self._new_surface(kind="home", recipient=user_id)
            self.homes[user_id] = home
            home.view = self._stored_view(params.get("view") or {})
            home.set_content("", home.view.get("blocks"))
            self._show(home, "" if user_id == self.user else "updated")
        elif method == "chat.scheduleMessage":
            channel = _dm(str(params.get("channel", "")))
            surface = self._new_surface(channel=channel, ephemeral=False, recipient=channel[1:] or None)
            surface.set_content(params.get("text", ""), params.get("blocks"))
            post_at = params.get("post_at")
            when = format_moment(datetime.fromtimestamp(int(post_at), UTC), self.tz_of(self.user)) if post_at else "?"
            self._show(surface, f"scheduled for {when}")

    def _apply_response(self, params: dict[str, Any]) -> None:
        assert self.standin is not None
        target = self._url_targets.get(self.standin.response_url(str(params.get("key", ""))))
        if _truthy(params.get("delete_original")) and target is not None:
            target.deleted = True
            target.version += 1
            self._show(target, "deleted")
        elif _truthy(params.get("replace_original")) and target is not None:
            target.set_content(params.get("text", ""), params.get("blocks"))
            target.deleted = False
            self._show(target, "updated")
        else:
            in_channel = params.get("response_type") == "in_channel"
            surface = self._new_surface(
                channel=target.channel if target else CHANNEL,
                ephemeral=not in_channel,
                recipient=None if in_channel else (target.recipient if target else None) or self.user,
            )
            surface.set_content(params.get("text", ""), params.get("blocks"))
            self._show(surface)

    def _apply_view_update(self, params: dict[str, Any]) -> None:
        sent = params.get("view") or {}
        view_id = params.get("view_id")
        external_id = params.get("external_id")
        for modal in self.modals:
            if (view_id and modal.view.get("id") == view_id) or (
                external_id and modal.view.get("external_id") == external_id
            ):
                modal.reset({**self._stored_view(sent), "id": modal.view.get("id")})
                if modal is self.modal:
                    self._batch.append(self._form_lines(hint=False))
                return
        for home in self.homes.values():
            if home.view is not None and home.view.get("id") == view_id:
                home.view = {**sent, "id": view_id}
                home.set_content("", sent.get("blocks"))
                self._show(home, "updated")
                return

    def _stored_view(self, sent: dict[str, Any]) -> dict[str, Any]:
        """The view as the stand-in stored it (with its id and hash), as Slack sends it back on submit."""
        assert self.standin is not None
        same = [
            view
            for _, view in sorted(self.standin.views.items())
            if view.get("blocks") == sent.get("blocks")
            and view.get("callback_id", "") == sent.get("callback_id", "")
            and view.get("private_metadata", "") == sent.get("private_metadata", "")
        ]
        if same:
            return dict(same[-1])
        return {"private_metadata": "", "callback_id": "", **sent, "id": f"VSHELL{next(self._keys)}"}


# What `:step` takes, by the names Workflow Builder shows and shorter ones.
_STEP_INPUTS = {
    "customer": steps.CUSTOMER,
    "kind": steps.KIND,
    "summary": steps.SUMMARY,
    "what happened": steps.SUMMARY,
    "follow up": steps.FOLLOW_UP,
    "follow_up": steps.FOLLOW_UP,
    "for": steps.ASSIGNEE,
    "follow-up for": steps.ASSIGNEE,
    "by": steps.LOGGED_BY,
    "logged by": steps.LOGGED_BY,
}
_STEP_INPUT_NAMES = "customer, kind, summary, follow up, for, by"


def _json_or_text(body: str) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        parsed = json.loads(body)
    except json.JSONDecodeError:
        return {"text": body}
    return parsed if isinstance(parsed, dict) else {"text": str(parsed)}


def _is_dm(surface: Surface) -> bool:
    return surface.channel.startswith("D")


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() == "true"


def _dm(channel: str) -> str:
    """Posting to a user id lands in the DM with them."""
    return "D" + channel if channel[:1] in ("U", "W") else (channel or CHANNEL)


def _channel_name(channel: str) -> str:
    return CHANNEL_NAME if channel == CHANNEL else channel


def _form_hint(view: dict[str, Any], rendered: Rendered) -> str:
    """How to use the form just opened, offering only what it has: a read-only view has no `:submit`."""
    if not view.get("submit"):
        close = render_text(view.get("close"), PLAIN) or "Close"
        buttons = "press its buttons by number; " if rendered.elements else ""
        return f"  Nothing to submit here: {buttons}`:cancel` closes it ({close})."
    example = _example_field(rendered.fields)
    fill = ""
    if rendered.fields:
        fill = "Fill a field with `:set <field> <value>` or `<number> <value>`"
        fill += (f", e.g. `{example}`" if example else "") + ". "
    return f"  {fill}{'Then `:submit`' if fill else '`:submit`'}, or `:cancel`."


def _example_choice(element: dict[str, Any]) -> str:
    options = flat_options(element)
    if options:
        return fold_words(option_label(options[0])) or str(options[0].get("value", ""))
    examples = {"users_select": "@bob", "datepicker": "tomorrow", "timepicker": "15:00", "datetimepicker": "now"}
    return examples.get(str(element.get("type")), "…")


_EXAMPLE_VALUES = {"external_select": "Acme", "datepicker": "tomorrow", "timepicker": "15:00", "users_select": "@bob"}


def _example_value(item: Field) -> str:
    if item.type in OPTION_ELEMENTS:
        return _example_choice(item.element)
    return _EXAMPLE_VALUES.get(item.type, "…")


def _example_field(fields: list[Field]) -> str:
    for item in fields:
        if item.type in _EXAMPLE_VALUES:
            return f":set {field_name(fields, item)} {_EXAMPLE_VALUES[item.type]}"
    return f":set {field_name(fields, fields[0])} …" if fields else ""


def field_name(fields: list[Field], item: Field) -> str:
    """What a person types to name a field: its label when that finds it alone, else its number.

    Block ids such as `contact:new:name` are the app's own names; nobody should have to type them.
    """
    label = " ".join(item.label.casefold().split())
    if fold_words(label) and not label[:1].isdigit() and find_field(fields, label)[0] == item:
        return label
    return str(item.number)


def _field_keys(item: Field) -> list[str]:
    keys = [fold_words(item.block_id), fold_words(item.label)]
    if item.action_id and item.action_id != "value":
        keys.append(fold_words(item.action_id))
    return [k for k in keys if k]


def find_field(fields: list[Field], name: str) -> tuple[Field | None, list[Field]]:
    """The field a name means (number, block_id or label; tolerant); else the candidates it could be."""
    if name.strip().isdigit():
        number = int(name)
        return next((f for f in fields if f.number == number), None), []
    wanted = fold_words(name)
    if not wanted:
        return None, []
    compact = wanted.replace(" ", "")
    tests: list[Callable[[str], bool]] = [
        lambda key: key == wanted or key.replace(" ", "") == compact,
        lambda key: key.startswith(wanted) or key.replace(" ", "").startswith(compact),
        lambda key: all(word in key.split() for word in wanted.split()),
    ]
    for test in tests:
        found = [f for f in fields if any(test(key) for key in _field_keys(f))]
        if len(found) == 1:
            return found[0], []
        if found:
            return None, found
    return None, []


def _split_field(fields: list[Field], rest: str) -> tuple[Field | None, str]:
    """`customer Acme`, `follow up date 2026-12-01`, `summary = call with Dana`: the field and the value."""
    if "=" in rest:
        name, _, value = rest.partition("=")
        item, _ = find_field(fields, name)
        if item is not None:
            return item, value.strip()
    words = list(re.finditer(r"\S+", rest))
    for count in range(len(words), 0, -1):
        item, _ = find_field(fields, rest[: words[count - 1].end()])
        if item is not None:
            return item, rest[words[count - 1].end() :].strip()
    return None, ""


# --------------------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------------------


def _color_wanted(out: TextIO) -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


def _lines(stdin: TextIO, shell: Shell, interactive: bool) -> Iterator[str]:
    if interactive:
        with suppress(ImportError):
            import readline  # noqa: F401  (line editing and history for input())
        while True:
            try:
                yield input(shell.prompt())
            except EOFError:
                shell.say()
                return
    else:
        for line in stdin:
            yield line.rstrip("\n")


def run_shell(args: argparse.Namespace, settings: Settings) -> int:
    stdin, out = sys.stdin, sys.stdout
    interactive = bool(getattr(stdin, "isatty", lambda: False)())
    style = Style(ansi=_color_wanted(out))
    with _app_logs_collected() as logs:
        shell = Shell(
            settings,
            user=getattr(args, "user", None) or PEOPLE[0].id,
            team=getattr(args, "team", None) or "T0LOCAL",
            out=out,
            style=style,
            echo=not interactive,
            logs=logs,
        )
        shell.start()
        try:
            shell.welcome(offer_demo=not getattr(args, "demo", False))
            if getattr(args, "demo", False):
                shell.fill_demo()
                shell.say()
            for line in _lines(stdin, shell, interactive):
                if not shell.handle(line):
                    break
        except KeyboardInterrupt:
            shell.say()
        finally:
            shell.close()
        shell.say("Bye.")
    return 0
