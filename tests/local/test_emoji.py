"""Every emoji code the app writes is in the one table its renderers use, so none is printed raw."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bot.blocks.emoji import EMOJI, emojize
from bot.local.terminal import render_mrkdwn, render_text

ROOT = Path(__file__).resolve().parents[2]
# A code stands on its own: `home:fu:3:c` (a block id) and `09:00:` (a time) are not codes.
_CODE_IN_TEXT = re.compile(r"(?<![\w:{}]):([a-z][a-z0-9_+-]*):(?![\w{])")


def _codes_in_source() -> dict[str, str]:
    found: dict[str, str] = {}
    for package in ("bot", "handlers"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    for code in _CODE_IN_TEXT.findall(node.value):
                        found.setdefault(code, str(path.relative_to(ROOT)))
    return found


def test_every_code_the_app_writes_has_its_emoji() -> None:
    codes = _codes_in_source()

    assert "thinking_face" in codes and "twisted_rightwards_arrows" in codes  # the scan sees what the app sends
    missing = {code: where for code, where in codes.items() if code not in EMOJI}
    assert missing == {}


def test_the_terminal_renders_codes_through_the_table() -> None:
    line = ":thinking_face: *Acme Inc* looks like Acme Corp :twisted_rightwards_arrows:"

    assert render_mrkdwn(line) == "🤔 Acme Inc looks like Acme Corp 🔀"
    assert render_text({"type": "plain_text", "text": ":pushpin: Due"}) == "📌 Due"
    assert emojize(":not_a_code_we_know:") == ":not_a_code_we_know:"
