"""mrkdwn as styled runs, and how wide they are: the typesetting half of the Block Kit pictures.

Widths are estimates from per-character classes (narrow, average, wide, emoji) of a Lato-like font: no font
file is read, so a picture is the same on every machine. Close enough that wrapped lines break near where
Slack breaks them; nothing here needs to be exact.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace

from bot.blocks.emoji import emojize


@dataclass(frozen=True)
class Run:
    """A piece of text in one style."""

    text: str
    bold: bool = False
    italic: bool = False
    strike: bool = False
    code: bool = False
    link: bool = False
    mention: bool = False


_SPAN = re.compile(
    r"`(?P<code>[^`\n]+)`"
    r"|<(?P<token>[^<>\n]+)>"
    r"|(?<![\w*])\*(?=\S)(?P<bold>[^*\n]+?)(?<=\S)\*(?![\w*])"
    r"|(?<![\w_])_(?=\S)(?P<italic>[^_\n]+?)(?<=\S)_(?![\w_])"
    r"|(?<![\w~])~(?=\S)(?P<strike>[^~\n]+?)(?<=\S)~(?![\w~])"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mrkdwn_lines(text: str, names: Mapping[str, str] | None = None, base: Run | None = None) -> list[list[Run]]:
    """mrkdwn as lines of runs: bold, italic, strike, code, links and mentions by name, emoji drawn."""
    text = _CONTROL.sub("", text.replace("```", ""))
    return [_runs(line, names or {}, base or Run("")) for line in text.split("\n")]


def plain_lines(text: str, base: Run | None = None) -> list[list[Run]]:
    """plain_text: no styles, but emoji codes are drawn as Slack draws them."""
    base = base or Run("")
    return [[replace(base, text=emojize(_CONTROL.sub("", line)))] for line in text.split("\n")]


def _runs(text: str, names: Mapping[str, str], style: Run) -> list[Run]:
    runs: list[Run] = []
    at = 0
    for match in _SPAN.finditer(text):
        if match.start() > at:
            runs.append(replace(style, text=unescape(emojize(text[at : match.start()]))))
        kind = match.lastgroup
        inner = match.group(kind or "")
        if kind == "code":
            runs.append(replace(style, text=unescape(inner), code=True))
        elif kind == "token":
            runs.append(_token(inner, names, style))
        else:
            runs.extend(_runs(inner, names, replace(style, **{str(kind): True})))
        at = match.end()
    if at < len(text):
        runs.append(replace(style, text=unescape(emojize(text[at:]))))
    return [run for run in runs if run.text]


def _token(inner: str, names: Mapping[str, str], style: Run) -> Run:
    target, _, label = inner.partition("|")
    label = unescape(label)
    if target.startswith("@"):
        return replace(style, text="@" + (names.get(target[1:]) or label.lstrip("@") or target[1:]), mention=True)
    if target.startswith("#"):
        return replace(style, text="#" + (label.lstrip("#") or target[1:]), mention=True)
    if target.startswith("!date^"):
        return replace(style, text=label or target.split("^")[1])
    if target.startswith("!"):
        return replace(style, text="@" + (label or target[1:].split("^")[0]), mention=True)
    return replace(style, text=label or unescape(target).removeprefix("mailto:"), link=True)


# --------------------------------------------------------------------------------------------------------
# Measuring and wrapping
# --------------------------------------------------------------------------------------------------------

_NARROW = set("ijlI.,:;'!|()[]{}`ft ")
_WIDE = set("mwMW@%")


def char_width(char: str, size: float, bold: bool = False, code: bool = False) -> float:
    """A generous estimate, so that text in whatever font the viewer has stays inside what was laid out."""
    if code:
        return size * 0.62
    if unicodedata.combining(char) or char in "\ufe0f\u200d":
        return 0.0
    code_point = ord(char)
    if code_point >= 0x1F000 or 0x2600 <= code_point <= 0x27BF or 0x2B00 <= code_point <= 0x2BFF:
        return size * 1.25  # emoji
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return size
    if char in _NARROW:
        factor = 0.3
    elif char in _WIDE:
        factor = 0.88
    elif char.isupper():
        factor = 0.68
    else:
        factor = 0.56
    return size * (factor + (0.05 if bold else 0.0))


def width(text: str, size: float, bold: bool = False, code: bool = False) -> float:
    return sum(char_width(c, size, bold, code) for c in text) + (size * 0.5 if code and text else 0.0)


def run_width(run: Run, size: float) -> float:
    return width(run.text, size, run.bold, run.code)


def wrap(lines: list[list[Run]], limit: float, size: float) -> list[list[Run]]:
    """Each line of runs broken at spaces into lines no wider than `limit` (a word longer than that is cut)."""
    wrapped: list[list[Run]] = []
    for line in lines:
        current: list[Run] = []
        used = 0.0
        for run in line:
            for word in re.findall(r"\S+\s*|\s+", run.text):
                piece = replace(run, text=word)
                needed = run_width(replace(run, text=word.rstrip()), size)
                if current and used + needed > limit:
                    wrapped.append(_trimmed(current))
                    current, used = [], 0.0
                    piece = replace(run, text=word.lstrip())
                    if not piece.text:
                        continue
                while run_width(piece, size) > limit and len(piece.text) > 1:
                    cut = _fitting(piece, limit, size)
                    wrapped.append([replace(piece, text=piece.text[:cut])])
                    piece = replace(piece, text=piece.text[cut:])
                current.append(piece)
                used += run_width(piece, size)
        wrapped.append(_trimmed(current))
    return wrapped


def _fitting(run: Run, limit: float, size: float) -> int:
    total = 0.0
    for index, char in enumerate(run.text):
        total += char_width(char, size, run.bold, run.code)
        if total > limit:
            return max(1, index)
    return len(run.text)


def _trimmed(line: list[Run]) -> list[Run]:
    """The line without trailing space, its words of one style joined again into one run."""
    if line and line[-1].text != line[-1].text.rstrip():
        line = [*line[:-1], replace(line[-1], text=line[-1].text.rstrip())]
    joined: list[Run] = []
    for run in line:
        if joined and replace(joined[-1], text="") == replace(run, text=""):
            joined[-1] = replace(joined[-1], text=joined[-1].text + run.text)
        elif run.text:
            joined.append(run)
    return joined
