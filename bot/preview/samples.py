"""The README's pictures: the real app, run on the demo's sample at a fixed instant, and what it sent.

Nothing here builds Block Kit: the shell drives the app exactly as `touchpoint shell --demo` does (signed
requests, the Web API stand-in), and each picture takes the blocks of one message or view it showed. So
when a reply builder changes, the pictures change with it, and `tests/preview` says so until
`touchpoint preview --write-docs` redraws them.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from bot.config import load_settings
from bot.local.shell import Shell, Surface
from bot.local.terminal import PLAIN, STATE_KEYS
from bot.preview.svg import Picture, message_picture, view_picture

# Wednesday 25 November 2026, 10:30 in Berlin, where Alice works.
SAMPLE_NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
ALICE, BERLIN = "U0ALICE", ZoneInfo("Europe/Berlin")
T = TypeVar("T")
DOCS = Path(__file__).resolve().parents[2] / "docs" / "pictures"

# name -> what it shows, in the order the README shows them.
SAMPLES = {
    "log-reply": "The reply to /log: what was understood, Undo and Edit, and an open follow-up to close",
    "log-form": "/log alone opens the form",
    "nudge": "A follow-up's nudge, at the due time, in a direct message",
    "digest": "The 09:00 digest: what is overdue and due today",
    "customer-card": "/customer acme: the customer card",
    "home-tab": "The Home tab",
}


def sample_pictures() -> dict[str, Picture]:
    """Every sample, drawn from what the app sent in one shell session on a throwaway store."""
    return _in_a_session(_session)


def picture_after(lines: list[str]) -> Picture:
    """What the app showed last after these shell lines, typed by Alice on the demo's sample.

    An open form is what she sees then; otherwise the latest message or Home tab.
    """

    def run(shell: Shell) -> Picture:
        shell.fill_demo()
        for line in lines:
            shell.handle(line)
        if shell.modal is not None:
            return view_picture(_as_typed(shell.modal.view, shell.modal.values), names=shell.names, tz=BERLIN)
        shown = [surface for surface in shell.shown if not surface.deleted]
        if not shown:
            raise LookupError("the app showed nothing for " + " / ".join(lines))
        latest = shown[-1]
        if latest.kind == "home" and latest.view is not None:
            return view_picture(latest.view, names=shell.names, tz=BERLIN)
        return message_picture(
            {"text": latest.text, "blocks": latest.blocks},
            ephemeral=latest.ephemeral,
            time_text=f"{shell.clock().astimezone(BERLIN):%H:%M}",
            names=shell.names,
            tz=BERLIN,
        )

    return _in_a_session(run)


def _as_typed(view: dict[str, Any], values: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """The form showing what was typed into it: each field's state as the element's initial value."""
    blocks = []
    for block in view.get("blocks") or []:
        element = block.get("element")
        if block.get("type") == "input" and isinstance(element, dict):
            entry = values.get(block.get("block_id", ""), {}).get(str(element.get("action_id", "")))
            state, initial, _ = STATE_KEYS.get(str(element.get("type")), ("value", "initial_value", None))
            if entry and entry.get(state) not in (None, "", []):
                block = {**block, "element": {**element, initial: entry[state]}}
        blocks.append(block)
    return {**view, "blocks": blocks}


def _in_a_session(run: Callable[[Shell], T]) -> T:
    with tempfile.TemporaryDirectory() as directory:
        settings = load_settings({"DATABASE_URL": f"sqlite:///{directory}/preview.db", "DEFAULT_TZ": "UTC"})
        shell = Shell(settings, user=ALICE, team="T0PREVIEW", out=io.StringIO(), style=PLAIN, wall=lambda: SAMPLE_NOW)
        shell.start()
        try:
            return run(shell)
        finally:
            shell.close()


def _session(shell: Shell) -> dict[str, Picture]:
    pictures: dict[str, Picture] = {}
    shell.fill_demo()

    def take(name: str, line: str, pick: Callable[[Surface], bool], sent_at: str = "") -> None:
        before = len(shell.shown)
        shell.handle(line)
        surface = next(s for s in reversed(shell.shown[before:]) if pick(s))
        pictures[name] = message_picture(
            {"text": surface.text, "blocks": surface.blocks},
            ephemeral=surface.ephemeral,
            time_text=sent_at or f"{shell.clock().astimezone(BERLIN):%H:%M}",
            names=shell.names,
            tz=BERLIN,
        )

    def in_dm(words: str) -> Callable[[Surface], bool]:
        return lambda s: s.channel == "D" + ALICE and words in s.text

    take("log-reply", "/log Globx: emailed the quote for 40 seats #pricing, follow up friday", _ephemeral)
    shell.handle("/log")
    assert shell.modal is not None, "the log form did not open"
    pictures["log-form"] = view_picture(shell.modal.view, names=shell.names, tz=BERLIN)
    shell.handle(":cancel")
    shell.handle("/log Initech: call with Bill about the overdue invoice, follow up in 2 hours")
    take("nudge", ":advance 2h", in_dm("Follow up with Initech"))
    take("digest", ":advance 1d", in_dm("overdue and"), sent_at="09:00")  # sent on the way, at 09:00
    take("customer-card", "/customer acme", _ephemeral)
    shell.handle(":home")
    home = shell.homes[ALICE]
    assert home.view is not None, "the Home tab was not published"
    pictures["home-tab"] = view_picture(home.view, names=shell.names, tz=BERLIN)
    return {name: pictures[name] for name in SAMPLES}


def _ephemeral(surface: Surface) -> bool:
    return surface.ephemeral and surface.kind == "message"
