"""Block Kit laid out as Slack's clients lay it out, written as an SVG picture or an HTML page holding one.

A `Picture` is one thing someone sees: a message from the bot (ephemeral or not), a modal or the Home tab.
Layout walks its blocks top to bottom with a cursor: sections wrap their text beside an accessory and put
fields in two columns, context is small and grey, dividers are hairlines, actions lay elements in rows that
wrap, inputs are a label over a box. Buttons keep their style (primary green, danger red), selects show their
placeholder or choice with a caret. All text is XML-escaped where it is written, whatever it holds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr
from zoneinfo import ZoneInfo

from bot.blocks.emoji import emojize
from bot.preview.text import Run, mrkdwn_lines, plain_lines, run_width, width, wrap

FONT = "Lato, 'Helvetica Neue', Helvetica, Arial, 'Segoe UI Emoji', 'Apple Color Emoji', sans-serif"
MONO = "Monaco, Menlo, Consolas, 'Courier New', monospace"
INK, GREY, LINK, BORDER = "#1d1c1d", "#616061", "#1264a3", "#dddddd"
PRIMARY, DANGER = "#007a5a", "#e01e5a"
BODY, SMALL, HEADER = 15.0, 12.0, 18.0
BUILDER = "https://app.slack.com/block-kit-builder/#"

Block = dict[str, Any]


@dataclass(frozen=True)
class Viewer:
    """Who looks: people's names for mentions, and the zone date pickers show their instant in."""

    names: Mapping[str, str]
    tz: ZoneInfo


@dataclass(frozen=True)
class Picture:
    """One surface as a person sees it: `kind` is message, modal or home."""

    kind: str
    blocks: list[Block]
    title: str = ""
    submit: str | None = None
    close: str | None = None
    ephemeral: bool = False
    bot_name: str = "Touchpoint"
    time_text: str = ""
    names: Mapping[str, str] = field(default_factory=dict)
    tz: ZoneInfo = ZoneInfo("UTC")  # the viewer's: date and time pickers show their instant in it


def message_picture(message: Mapping[str, Any], **details: Any) -> Picture:
    blocks = list(message.get("blocks") or [])
    if not blocks and message.get("text"):
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": str(message["text"])}}]
    return Picture("message", blocks, **details)


def view_picture(view: Mapping[str, Any], **details: Any) -> Picture:
    kind = "home" if view.get("type") == "home" else "modal"
    return Picture(
        kind,
        list(view.get("blocks") or []),
        title=_plain(view.get("title")),
        submit=_plain(view.get("submit")) or None,
        close=_plain(view.get("close")) or ("Cancel" if view.get("submit") else "Close"),
        **details,
    )


def builder_link(picture: Picture) -> str:
    """The same blocks in Slack's Block Kit Builder, to check a picture against Slack's own rendering."""
    if picture.kind == "message":
        payload: dict[str, Any] = {"blocks": picture.blocks}
    elif picture.kind == "home":
        payload = {"type": "home", "blocks": picture.blocks}
    else:
        payload = {"type": "modal", "title": _text_object(picture.title or "Form"), "blocks": picture.blocks}
        if picture.submit:
            payload["submit"] = _text_object(picture.submit)
        if picture.close:
            payload["close"] = _text_object(picture.close)
    return BUILDER + quote(json.dumps(payload, ensure_ascii=False, separators=(",", ":")), safe="")


# --------------------------------------------------------------------------------------------------------
# The canvas
# --------------------------------------------------------------------------------------------------------


class Canvas:
    def __init__(self, width: float) -> None:
        self.width = width
        self.parts: list[str] = []

    def rect(self, x: float, y: float, w: float, h: float, *, fill: str, stroke: str = "", rx: float = 4) -> None:
        outline = f' stroke="{stroke}"' if stroke else ""
        self.parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="{rx:g}" fill="{fill}"{outline}/>'
        )

    def line(self, x1: float, y1: float, x2: float, y2: float, color: str = BORDER) -> None:
        self.parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{color}"/>')

    def text(
        self, x: float, baseline: float, runs: list[Run], *, size: float = BODY, color: str = INK, bold: bool = False
    ) -> float:
        """One line of runs from `x`, flowing as the viewer's font sets them; returns where it is estimated to end.

        Runs are not placed one by one: with a font wider than estimated, they would overlap.
        """
        spans = []
        for run in runs:
            if bold and not run.bold:
                run = replace(run, bold=True)
            attributes = []
            fill = DANGER if run.code else LINK if run.link or run.mention else color
            if fill != color:
                attributes.append(f'fill="{fill}"')
            if run.bold:
                attributes.append('font-weight="700"')
            if run.italic:
                attributes.append('font-style="italic"')
            if run.strike:
                attributes.append('text-decoration="line-through"')
            if run.code:
                attributes.append(f"font-family={quoteattr(MONO)}")
                attributes.append(f'font-size="{size * 0.87:g}"')
            spans.append(f"<tspan{''.join(' ' + a for a in attributes)}>{xml_escape(run.text)}</tspan>")
            x_end = run_width(run, size)
            x += x_end
        if spans:
            start = x - sum(run_width(replace(r, bold=r.bold or bold), size) for r in runs)
            self.parts.append(
                f'<text x="{start:.1f}" y="{baseline:.1f}" font-size="{size:g}" fill="{color}" '
                f'xml:space="preserve">{"".join(spans)}</text>'
            )
        return x

    def svg(self, height: float) -> str:
        body = "\n".join(self.parts)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width:g}" height="{height:.0f}" '
            f'viewBox="0 0 {self.width:g} {height:.0f}" font-family={quoteattr(FONT)}>\n{body}\n</svg>\n'
        )


# --------------------------------------------------------------------------------------------------------
# Surfaces
# --------------------------------------------------------------------------------------------------------

MESSAGE_WIDTH, MODAL_WIDTH, HOME_WIDTH = 680.0, 560.0, 760.0


def render_svg(picture: Picture) -> str:
    if picture.kind == "modal":
        return _modal(picture)
    if picture.kind == "home":
        return _home(picture)
    return _message(picture)


def _message(picture: Picture) -> str:
    canvas = Canvas(MESSAGE_WIDTH)
    canvas.parts.append(f'<rect width="{MESSAGE_WIDTH:g}" height="100%" fill="#ffffff"/>')
    y = 16.0
    if picture.ephemeral:
        canvas.text(68, y + 12, [Run("👁  Only visible to you")], size=SMALL + 1, color=GREY)
        y += 22
    canvas.rect(16, y, 36, 36, fill="#2eb67d", rx=6)
    canvas.text(26.5, y + 25, [Run("T", bold=True)], size=20, color="#ffffff")
    canvas.text(68, y + 14, [Run(picture.bot_name, bold=True)])
    end = 68 + width(picture.bot_name, BODY, bold=True) * 1.1
    canvas.rect(end + 6, y + 2, 28, 15, fill="#e8e8e8", rx=3)
    canvas.text(end + 10, y + 13, [Run("APP", bold=True)], size=9.5, color=GREY)
    if picture.time_text:
        canvas.text(end + 42, y + 14, [Run(picture.time_text)], size=SMALL, color=GREY)
    y = draw_blocks(canvas, picture.blocks, 68, y + 24, MESSAGE_WIDTH - 68 - 24, Viewer(picture.names, picture.tz))
    return _framed(canvas, y + 16)


def _modal(picture: Picture) -> str:
    canvas = Canvas(MODAL_WIDTH)
    canvas.parts.append(f'<rect width="{MODAL_WIDTH:g}" height="100%" fill="#ffffff"/>')
    canvas.text(24, 38, plain_lines(picture.title or "Form")[0], size=HEADER + 2, bold=True)
    canvas.text(MODAL_WIDTH - 40, 38, [Run("✕")], size=HEADER, color=GREY)
    canvas.line(0, 60, MODAL_WIDTH, 60)
    y = draw_blocks(canvas, picture.blocks, 24, 76, MODAL_WIDTH - 48, Viewer(picture.names, picture.tz))
    y += 12
    canvas.line(0, y, MODAL_WIDTH, y)
    x = MODAL_WIDTH - 24
    for label, style in ((picture.submit, "primary"), (picture.close, None)):
        if label:
            w, _ = _button_size(label)
            x -= w
            _button(canvas, x, y + 16, label, style)
            x -= 12
    return _framed(canvas, y + 64)


def _home(picture: Picture) -> str:
    canvas = Canvas(HOME_WIDTH)
    canvas.parts.append(f'<rect width="{HOME_WIDTH:g}" height="100%" fill="#ffffff"/>')
    canvas.rect(24, 16, 28, 28, fill="#2eb67d", rx=5)
    canvas.text(32, 36, [Run("T", bold=True)], size=16, color="#ffffff")
    canvas.text(62, 36, [Run(picture.bot_name, bold=True)], size=HEADER)
    x = 24.0
    for index, tab in enumerate(("Home", "Messages", "About")):
        end = canvas.text(x, 76, [Run(tab, bold=index == 0)], size=14, color=INK if index == 0 else GREY)
        if index == 0:
            canvas.rect(x, 84, end - x, 3, fill=LINK, rx=1)
        x = end + 24
    canvas.line(0, 87, HOME_WIDTH, 87)
    y = draw_blocks(canvas, picture.blocks, 32, 104, HOME_WIDTH - 64, Viewer(picture.names, picture.tz))
    return _framed(canvas, y + 20)


def _framed(canvas: Canvas, height: float) -> str:
    canvas.parts[0] = f'<rect width="{canvas.width:g}" height="{height:.0f}" fill="#ffffff"/>'
    canvas.parts.append(
        f'<rect x="0.5" y="0.5" width="{canvas.width - 1:g}" height="{height - 1:.0f}" rx="8" '
        f'fill="none" stroke="#e2e2e2"/>'
    )
    return canvas.svg(height)


def render_html(picture: Picture, title: str = "") -> str:
    """A page holding the picture, with a link to the same blocks in Block Kit Builder."""
    heading = xml_escape(title or picture.title or f"Touchpoint: {picture.kind}")
    link = quoteattr(builder_link(picture))
    blocks = xml_escape(json.dumps(picture.blocks, ensure_ascii=False, indent=2))
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{heading}</title>\n"
        "<style>body{font-family:Lato,'Helvetica Neue',Arial,sans-serif;margin:2rem;color:#1d1c1d}"
        "pre{background:#f6f6f6;padding:1rem;overflow:auto}</style>\n</head>\n<body>\n"
        f"<h1>{heading}</h1>\n{render_svg(picture)}"
        f"<p><a href={link}>Open in Block Kit Builder</a></p>\n"
        f"<details><summary>Block Kit JSON</summary><pre>{blocks}</pre></details>\n</body>\n</html>\n"
    )


# --------------------------------------------------------------------------------------------------------
# Blocks
# --------------------------------------------------------------------------------------------------------


def draw_blocks(canvas: Canvas, blocks: list[Block], x: float, y: float, room: float, viewer: Viewer) -> float:
    """Every block from `y` down within `room` pixels from `x`; returns the y below the last."""
    for block in blocks:
        kind = block.get("type")
        if kind == "section":
            y = _section(canvas, block, x, y, room, viewer)
        elif kind == "context":
            y = _context(canvas, block, x, y, room, viewer)
        elif kind == "actions":
            y = _elements_in_rows(canvas, block.get("elements") or [], x, y + 4, room, viewer) + 4
        elif kind == "divider":
            canvas.line(x, y + 10, x + room, y + 10)
            y += 21
        elif kind == "header":
            y = _lines(canvas, plain_lines(_plain(block.get("text"))), x, y + 4, room, size=HEADER, bold=True) + 4
        elif kind == "input":
            y = _input(canvas, block, x, y, room, viewer)
        elif kind == "image":
            canvas.rect(x, y + 4, min(room, 360), 120, fill="#f0f0f0", stroke=BORDER)
            canvas.text(x + 12, y + 68, [Run(str(block.get("alt_text", "image")))], size=SMALL, color=GREY)
            y += 132
        elif kind == "rich_text":
            y = _lines(canvas, plain_lines(_rich_text(block)), x, y, room)
        else:
            y = _lines(canvas, [[Run(f"[{kind}]")]], x, y, room, color=GREY)
    return y


def _lines(
    canvas: Canvas,
    lines: list[list[Run]],
    x: float,
    y: float,
    room: float,
    *,
    size: float = BODY,
    color: str = INK,
    bold: bool = False,
) -> float:
    height = size * 1.47
    for line in wrap(lines, room, size):
        canvas.text(x, y + size * 1.05, line, size=size, color=color, bold=bold)
        y += height
    return y + 4


def _section(canvas: Canvas, block: Block, x: float, y: float, room: float, viewer: Viewer) -> float:
    top = y
    accessory = block.get("accessory") if isinstance(block.get("accessory"), dict) else None
    text_room = room
    if accessory is not None and accessory.get("type") != "image":
        accessory_width, accessory_height = _element_size(accessory, viewer)
        text_room = room - accessory_width - 28
        _element(canvas, accessory, x + room - accessory_width, top + 2, viewer)
    else:
        accessory_height = 0.0
    text = block.get("text")
    if text:
        y = _lines(canvas, _text_lines(text, viewer), x, y, text_room)
    fields = block.get("fields") or []
    column = (text_room - 16) / 2
    for index in range(0, len(fields), 2):
        row_bottom = y
        for offset, item in enumerate(fields[index : index + 2]):
            bottom = _lines(canvas, _text_lines(item, viewer), x + offset * (column + 16), y, column)
            row_bottom = max(row_bottom, bottom)
        y = row_bottom
    return max(y, top + accessory_height + 6) + 4


def _context(canvas: Canvas, block: Block, x: float, y: float, room: float, viewer: Viewer) -> float:
    line: list[Run] = []
    for item in block.get("elements") or []:
        if line:
            line.append(Run("   "))
        if item.get("type") == "image":
            line.append(Run("▪"))
        else:
            for runs in _text_lines(item, viewer):
                line.extend(runs + [Run(" ")])
    return _lines(canvas, [line], x, y, room, size=SMALL + 1, color=GREY)


def _input(canvas: Canvas, block: Block, x: float, y: float, room: float, viewer: Viewer) -> float:
    label = plain_lines(_plain(block.get("label")), Run("", bold=True))[0]
    if block.get("optional"):
        label = [*label, Run(" (optional)")]
    canvas.text(x, y + 16, label, size=BODY, bold=False)
    y += 26
    element = block.get("element") or {}
    if element.get("type") == "plain_text_input" and element.get("multiline"):
        height = 72.0
        canvas.rect(x, y, room, height, fill="#ffffff", stroke="#bbbbbb", rx=6)
        shown, color = _shown_value(element, viewer)
        _lines(canvas, [[Run(shown)]], x + 12, y + 4, room - 24, color=color)
        y += height
    else:
        _element(canvas, element, x, y, viewer, room=room)
        y += 36
    hint = _plain(block.get("hint"))
    if hint:
        y = _lines(canvas, plain_lines(hint), x, y + 2, room, size=SMALL + 1, color=GREY) - 4
    return y + 14


def _elements_in_rows(canvas: Canvas, elements: list[Block], x: float, y: float, room: float, viewer: Viewer) -> float:
    at, row_height = x, 0.0
    for element in elements:
        w, h = _element_size(element, viewer)
        if at > x and at + w > x + room:
            at, y, row_height = x, y + row_height + 8, 0.0
        _element(canvas, element, at, y, viewer)
        at += w + 8
        row_height = max(row_height, h)
    return y + row_height + 8


# --------------------------------------------------------------------------------------------------------
# Elements
# --------------------------------------------------------------------------------------------------------

BUTTON_HEIGHT = 32.0
SELECTS = {
    "static_select",
    "external_select",
    "users_select",
    "conversations_select",
    "channels_select",
    "multi_static_select",
    "multi_external_select",
    "multi_users_select",
    "datepicker",
    "timepicker",
    "datetimepicker",
    "plain_text_input",
    "email_text_input",
    "url_text_input",
    "number_input",
}


def _button_size(label: str) -> tuple[float, float]:
    return width(emojize(label), 15, bold=True) + 26, BUTTON_HEIGHT


def _button(canvas: Canvas, x: float, y: float, label: str, style: str | None) -> None:
    w, h = _button_size(label)
    if style == "primary":
        canvas.rect(x, y, w, h, fill=PRIMARY, rx=5)
        color = "#ffffff"
    elif style == "danger":
        canvas.rect(x, y, w, h, fill=DANGER, rx=5)
        color = "#ffffff"
    else:
        canvas.rect(x + 0.5, y + 0.5, w - 1, h - 1, fill="#ffffff", stroke="#bbbbbb", rx=5)
        color = INK
    canvas.text(x + 13, y + 21, plain_lines(label)[0], size=14, color=color, bold=True)


def _element_size(element: Block, viewer: Viewer) -> tuple[float, float]:
    kind = element.get("type")
    if kind in ("button", "workflow_button"):
        return _button_size(_plain(element.get("text")))
    if kind == "overflow":
        return BUTTON_HEIGHT, BUTTON_HEIGHT
    if kind in ("checkboxes", "radio_buttons"):
        options = element.get("options") or []
        longest = max((width(_plain(o.get("text")), BODY) for o in options), default=60)
        return longest + 28, 24.0 * max(1, len(options))
    shown, _ = _shown_value(element, viewer)
    return min(max(width(shown, 14) + 44, 140), 300), BUTTON_HEIGHT


def _element(canvas: Canvas, element: Block, x: float, y: float, viewer: Viewer, room: float = 0) -> None:
    kind = element.get("type")
    if kind in ("button", "workflow_button"):
        _button(canvas, x, y, _plain(element.get("text")), element.get("style"))
        return
    if kind == "overflow":
        canvas.rect(x + 0.5, y + 0.5, BUTTON_HEIGHT - 1, BUTTON_HEIGHT - 1, fill="#ffffff", stroke="#bbbbbb", rx=5)
        canvas.text(x + 8, y + 21, [Run("⋯", bold=True)], size=16)
        return
    if kind in ("checkboxes", "radio_buttons"):
        mark = "☐" if kind == "checkboxes" else "○"
        for index, option in enumerate(element.get("options") or []):
            canvas.text(x, y + 17 + 24 * index, [Run(f"{mark}  "), *plain_lines(_plain(option.get("text")))[0]])
        return
    w = room or _element_size(element, viewer)[0]
    canvas.rect(x + 0.5, y + 0.5, w - 1, BUTTON_HEIGHT - 1, fill="#ffffff", stroke="#bbbbbb", rx=5)
    shown, color = _shown_value(element, viewer)
    icon = {"datepicker": "📅 ", "timepicker": "🕘 ", "datetimepicker": "📅 "}.get(str(kind), "")
    runs = [Run(icon + shown)] if icon else plain_lines(shown)[0]
    fitted = wrap([runs], w - 40, 14)[0]
    canvas.text(x + 12, y + 21, fitted, size=14, color=color)
    if kind in SELECTS and "input" not in str(kind):
        canvas.text(x + w - 22, y + 21, [Run("▾")], size=14, color=GREY)


def _shown_value(element: Block, viewer: Viewer) -> tuple[str, str]:
    """What a select or input shows before anyone touches it: its initial value, else its placeholder."""
    initial = element.get("initial_option")
    if isinstance(initial, dict):
        return _plain(initial.get("text")), INK
    for key in ("initial_value", "initial_date", "initial_time"):
        if element.get(key):
            return str(element[key]), INK
    if element.get("initial_date_time"):
        moment = datetime.fromtimestamp(int(element["initial_date_time"]), UTC).astimezone(viewer.tz)
        return f"{moment.day} {moment:%b %Y}   🕘 {moment:%H:%M}", INK
    if element.get("initial_user"):
        user = str(element["initial_user"])
        return "@" + viewer.names.get(user, user), INK
    placeholder = _plain(element.get("placeholder"))
    defaults = {"datepicker": "Select a date", "timepicker": "Select time", "users_select": "Select a person"}
    kind = str(element.get("type"))
    empty = "" if kind.endswith("_input") else "Select an item"
    return placeholder or defaults.get(kind, empty), GREY


# --------------------------------------------------------------------------------------------------------
# Text objects
# --------------------------------------------------------------------------------------------------------


def _text_lines(obj: Any, viewer: Viewer) -> list[list[Run]]:
    if isinstance(obj, dict) and obj.get("type") == "plain_text":
        return plain_lines(str(obj.get("text", "")))
    if isinstance(obj, dict):
        return mrkdwn_lines(str(obj.get("text", "")), viewer.names)
    return mrkdwn_lines(str(obj or ""), viewer.names)


def _plain(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj.get("text", ""))
    return str(obj or "")


def _text_object(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def _rich_text(block: Block) -> str:
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            if node.get("type") == "text":
                parts.append(str(node.get("text", "")))
            elif node.get("type") == "link":
                parts.append(str(node.get("text") or node.get("url", "")))
            walk(node.get("elements"))

    walk(block.get("elements"))
    return "".join(parts)
