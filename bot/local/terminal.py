"""Slack's mrkdwn and Block Kit as terminal text: what `touchpoint shell` prints.

Everything here is a pure function of its arguments (no I/O, no clock), so the shell's output can be
unit-tested line by line. Interactive elements come out numbered, `[1] Undo  [2] Edit`, and the shell
presses them by number. Modal input fields are numbered the same way and filled through `parse_value`.
Long on purpose: one small renderer per Block Kit element, all of one shape and sharing the numbering.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.blocks.emoji import EMOJI, emojize

# --------------------------------------------------------------------------------------------------------
# Styles
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    """ANSI styling when printing to a terminal; plain text (markers dropped) otherwise."""

    ansi: bool = False

    def _wrap(self, code: str, text: str) -> str:
        if not self.ansi or not text:
            return text
        # A style nested inside this one ends with a full reset; switch this one back on after it.
        inner = text.replace("\x1b[0m", f"\x1b[0m\x1b[{code}m")
        return f"\x1b[{code}m{inner}\x1b[0m"

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def italic(self, text: str) -> str:
        return self._wrap("3", text)

    def strike(self, text: str) -> str:
        return self._wrap("9", text) if self.ansi else f"~{text}~"

    def code(self, text: str) -> str:
        return self._wrap("36", text) if self.ansi else f"`{text}`"

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def green(self, text: str) -> str:
        return self._wrap("32", text)

    def red(self, text: str) -> str:
        return self._wrap("31", text)

    def yellow(self, text: str) -> str:
        return self._wrap("33", text)


PLAIN = Style(ansi=False)
UTC_ZONE = ZoneInfo("UTC")

# --------------------------------------------------------------------------------------------------------
# mrkdwn
# --------------------------------------------------------------------------------------------------------


# ESC and the other C0/C1 controls would let text typed by anyone repaint the terminal; tab and newline stay.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_HOLE = "\x00{}\x00"
_HOLE_RE = re.compile(r"\x00(\d+)\x00")
_CODE_BLOCK = re.compile(r"```\n?(.*?)\n?```", re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")
_TOKEN = re.compile(r"<([^<>\n]+)>")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")


def strip_controls(text: str) -> str:
    return _CONTROL.sub("", text)


def unescape(text: str) -> str:
    """Slack escapes exactly these three in mrkdwn; `&amp;` goes last so `&amp;lt;` stays `&lt;`."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def render_token(inner: str, names: Mapping[str, str]) -> str:
    """One `<...>` of Slack's wire format: a mention, a channel, a special mention, a date or a link."""
    target, _, label = inner.partition("|")
    label = unescape(label)
    if target.startswith("@"):
        user_id = target[1:]
        return "@" + (names.get(user_id) or label.lstrip("@") or user_id)
    if target.startswith("#"):
        return "#" + (label.lstrip("#") or names.get(target[1:]) or target[1:])
    if target.startswith("!subteam^"):
        return "@" + (label.lstrip("@") or "group")
    if target.startswith("!date^"):
        return label or target.split("^")[1]
    if target.startswith("!"):
        return "@" + target[1:].split("^")[0]
    target = unescape(target)
    if target.startswith("mailto:"):
        return label or target.removeprefix("mailto:")
    if label and label != target:
        return f"{label} ({target})"
    return target


def render_mrkdwn(text: str, style: Style = PLAIN, names: Mapping[str, str] | None = None) -> str:
    """Slack mrkdwn as terminal text: styles, mentions by name, links, emoji, entities unescaped."""
    names = names or {}
    holes: list[str] = []

    def hole(rendered: str) -> str:
        holes.append(rendered)
        return _HOLE.format(len(holes) - 1)

    text = strip_controls(text)
    text = _CODE_BLOCK.sub(lambda m: hole(_code_block(unescape(m.group(1)), style)), text)
    text = _CODE.sub(lambda m: hole(style.code(unescape(m.group(1)))), text)
    text = _TOKEN.sub(lambda m: hole(render_token(m.group(1), names)), text)
    text = _BOLD.sub(lambda m: style.bold(m.group(1)), text)
    text = _ITALIC.sub(lambda m: style.italic(m.group(1)), text)
    text = _STRIKE.sub(lambda m: style.strike(m.group(1)), text)
    text = unescape(emojize(text))
    return _HOLE_RE.sub(lambda m: holes[int(m.group(1))], text)


def _code_block(text: str, style: Style) -> str:
    lines = text.split("\n")
    return "\n".join(style.code(line) if style.ansi else "    " + line for line in lines)


def render_text(obj: Any, style: Style = PLAIN, names: Mapping[str, str] | None = None) -> str:
    """A Block Kit text object (mrkdwn or plain_text) or a bare string (taken as mrkdwn)."""
    if obj is None:
        return ""
    if isinstance(obj, str):
        return render_mrkdwn(obj, style, names)
    if not isinstance(obj, dict):
        return strip_controls(str(obj))
    text = str(obj.get("text", ""))
    if obj.get("type") == "plain_text":
        text = strip_controls(text)
        return emojize(text) if obj.get("emoji", True) else text
    return render_mrkdwn(text, style, names)


def plain_label(obj: Any) -> str:
    """A text object's words without styling, for matching what someone types against it."""
    return render_text(obj, PLAIN).replace("`", "")


# --------------------------------------------------------------------------------------------------------
# Blocks and numbered elements
# --------------------------------------------------------------------------------------------------------

# Elements whose state is an option (or options) picked from a list that ships with the element.
OPTION_ELEMENTS = frozenset({"static_select", "overflow", "radio_buttons", "multi_static_select", "checkboxes"})
SELECT_ELEMENTS = OPTION_ELEMENTS | {
    "external_select",
    "multi_external_select",
    "users_select",
    "multi_users_select",
    "conversations_select",
    "multi_conversations_select",
    "channels_select",
    "multi_channels_select",
}
INTERACTIVE = SELECT_ELEMENTS | {"button", "datepicker", "timepicker", "datetimepicker", "workflow_button"}
MAX_OPTIONS_SHOWN = 12


@dataclass(frozen=True)
class Element:
    """One numbered interactive element: what the shell presses when its number is typed."""

    number: int
    block_id: str
    element: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.element.get("type", "button"))

    @property
    def needs_value(self) -> bool:
        return self.type != "button" and self.type != "workflow_button"


@dataclass(frozen=True)
class Field:
    """One numbered input block of a modal."""

    number: int
    block_id: str
    action_id: str
    label: str
    element: dict[str, Any]
    optional: bool

    @property
    def type(self) -> str:
        return str(self.element.get("type", ""))


@dataclass
class Rendered:
    lines: list[str] = field(default_factory=list)
    elements: list[Element] = field(default_factory=list)
    fields: list[Field] = field(default_factory=list)


def with_block_ids(blocks: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Slack gives every block without a block_id one of its own; clicks carry it back."""
    return [block if block.get("block_id") else {**block, "block_id": f"b{i}"} for i, block in enumerate(blocks)]


def flat_options(element: Mapping[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


def option_label(option: Mapping[str, Any]) -> str:
    return render_text(option.get("text"), PLAIN) or str(option.get("value", ""))


def render_element(item: Element, style: Style = PLAIN, names: Mapping[str, str] | None = None) -> str:
    element = item.element
    number = f"[{item.number}]"
    kind = item.type
    if kind in ("button", "workflow_button"):
        label = render_text(element.get("text"), PLAIN)
        if element.get("style") == "primary":
            label = style.green(style.bold(label))
        elif element.get("style") == "danger":
            label = style.red(label)
        link = f" ↗ {element['url']}" if element.get("url") else ""
        return f"{style.bold(number)} {label}{link}"
    title = render_text(element.get("placeholder"), PLAIN) or _DEFAULT_TITLES.get(kind, kind.replace("_", " "))
    return f"{style.bold(number)} {title}: {choices_hint(element, names)}"


_DEFAULT_TITLES = {
    "overflow": "More",
    "datepicker": "Date",
    "timepicker": "Time",
    "datetimepicker": "Date and time",
    "users_select": "Person",
    "multi_users_select": "People",
    "radio_buttons": "Choose one",
    "checkboxes": "Choose",
}


def choices_hint(element: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """What can be picked: the option labels, or the form a typed value takes."""
    kind = element.get("type", "")
    if kind in OPTION_ELEMENTS:
        labels = [option_label(o) for o in flat_options(element)]
        shown = labels[:MAX_OPTIONS_SHOWN]
        more = f" | … ({len(labels) - len(shown)} more)" if len(labels) > len(shown) else ""
        return " | ".join(shown) + more
    if kind in ("users_select", "multi_users_select"):
        # `names` also names channels (C…, G…): only people are offered.
        people = ", ".join("@" + name for key, name in (names or {}).items() if key[:1] in ("U", "W"))
        return people or "@name"
    if kind in ("external_select", "multi_external_select"):
        return "type to search"
    return _VALUE_FORMS.get(str(kind), "a value")


_VALUE_FORMS = {
    "datepicker": "YYYY-MM-DD, today, tomorrow, friday",
    "timepicker": "HH:MM or 3pm",
    "datetimepicker": "YYYY-MM-DD HH:MM, yesterday 15:00, now",
    "conversations_select": "a channel id",
    "channels_select": "a channel id",
}


def render_blocks(
    blocks: Iterable[dict[str, Any]],
    style: Style = PLAIN,
    names: Mapping[str, str] | None = None,
    *,
    start: int = 1,
    state: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    tz: ZoneInfo = UTC_ZONE,
) -> Rendered:
    """Block Kit blocks as lines; interactive elements and input fields are numbered from `start`."""
    out = Rendered()
    number = start

    def add_element(block_id: str, element: dict[str, Any]) -> Element:
        nonlocal number
        item = Element(number, block_id, element)
        number += 1
        out.elements.append(item)
        return item

    for block in with_block_ids(blocks):
        kind = block.get("type")
        block_id = block["block_id"]
        if kind == "section":
            text = render_text(block.get("text"), style, names)
            if text:
                out.lines.extend(text.split("\n"))
            for item in block.get("fields") or []:
                out.lines.extend(render_text(item, style, names).split("\n"))
            accessory = block.get("accessory")
            if isinstance(accessory, dict) and accessory.get("type") in INTERACTIVE:
                out.lines.append(render_element(add_element(block_id, accessory), style, names))
        elif kind == "context":
            parts = []
            for item in block.get("elements") or []:
                if item.get("type") == "image":
                    parts.append(f"[{strip_controls(str(item.get('alt_text', 'image')))}]")
                else:
                    parts.append(render_text(item, style, names))
            text = " · ".join(p for p in parts if p)
            out.lines.extend(style.dim(line) for line in text.split("\n"))
        elif kind == "actions":
            buttons: list[str] = []
            for element in block.get("elements") or []:
                if element.get("type") not in INTERACTIVE:
                    continue
                rendered = render_element(add_element(block_id, element), style, names)
                if element.get("type") in ("button", "workflow_button"):
                    buttons.append(rendered)
                else:
                    if buttons:
                        out.lines.append("  ".join(buttons))
                        buttons = []
                    out.lines.append(rendered)
            if buttons:
                out.lines.append("  ".join(buttons))
        elif kind == "header":
            out.lines.append(style.bold(render_text(block.get("text"), style, names)))
        elif kind == "divider":
            out.lines.append(style.dim("─" * 24))
        elif kind == "image":
            out.lines.append(f"[image: {strip_controls(str(block.get('alt_text', '')))}]")
        elif kind == "input":
            element = block.get("element") or {}
            item = Field(
                number=number,
                block_id=block_id,
                action_id=str(element.get("action_id", "")),
                label=plain_label(block.get("label")),
                element=element,
                optional=bool(block.get("optional")),
            )
            number += 1
            out.fields.append(item)
            entry = (state or {}).get(block_id, {}).get(item.action_id) or initial_state(element)
            out.lines.extend(render_field(item, entry, style, names, tz, (errors or {}).get(block_id)))
        elif kind == "rich_text":
            out.lines.extend(render_rich_text(block, names).split("\n"))
        else:
            out.lines.append(style.dim(f"[{kind}]"))
    return out


def render_rich_text(block: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    names = names or {}
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for child in node:
                walk(child)
            return
        if not isinstance(node, dict):
            return
        kind = node.get("type")
        if kind == "text":
            parts.append(strip_controls(str(node.get("text", ""))))
        elif kind == "user":
            parts.append("@" + names.get(node.get("user_id", ""), node.get("user_id", "")))
        elif kind == "link":
            parts.append(strip_controls(str(node.get("text") or node.get("url", ""))))
        elif kind == "emoji":
            parts.append(EMOJI.get(node.get("name", ""), f":{node.get('name', '')}:"))
        elif kind == "channel":
            parts.append("#" + str(node.get("channel_id", "")))
        elif kind == "broadcast":
            parts.append("@" + str(node.get("range", "")))
        walk(node.get("elements"))
        if kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote") and parts:
            parts.append("\n")

    walk(block.get("elements"))
    return "".join(parts).rstrip("\n")


# --------------------------------------------------------------------------------------------------------
# Modals: state entries, field values and what someone types into a field
# --------------------------------------------------------------------------------------------------------

# element type -> (key in view.state.values, key of the element's initial value, empty value)
STATE_KEYS: dict[str, tuple[str, str, Any]] = {
    "plain_text_input": ("value", "initial_value", None),
    "email_text_input": ("value", "initial_value", None),
    "url_text_input": ("value", "initial_value", None),
    "number_input": ("value", "initial_value", None),
    "static_select": ("selected_option", "initial_option", None),
    "external_select": ("selected_option", "initial_option", None),
    "radio_buttons": ("selected_option", "initial_option", None),
    "overflow": ("selected_option", "initial_option", None),
    "multi_static_select": ("selected_options", "initial_options", []),
    "multi_external_select": ("selected_options", "initial_options", []),
    "checkboxes": ("selected_options", "initial_options", []),
    "users_select": ("selected_user", "initial_user", None),
    "multi_users_select": ("selected_users", "initial_users", []),
    "conversations_select": ("selected_conversation", "initial_conversation", None),
    "multi_conversations_select": ("selected_conversations", "initial_conversations", []),
    "channels_select": ("selected_channel", "initial_channel", None),
    "multi_channels_select": ("selected_channels", "initial_channels", []),
    "datepicker": ("selected_date", "initial_date", None),
    "timepicker": ("selected_time", "initial_time", None),
    "datetimepicker": ("selected_date_time", "initial_date_time", None),
}


def state_key(element: Mapping[str, Any]) -> str:
    return STATE_KEYS.get(str(element.get("type")), ("value", "initial_value", None))[0]


def initial_state(element: Mapping[str, Any]) -> dict[str, Any]:
    """The element's entry in view.state.values as Slack sends it before anyone touches the field."""
    kind = str(element.get("type", ""))
    key, initial, empty = STATE_KEYS.get(kind, ("value", "initial_value", None))
    value = element.get(initial, empty)
    if key == "value" and value == "":
        value = None
    return {"type": kind, key: value}


def is_empty(entry: Mapping[str, Any]) -> bool:
    values = [v for k, v in entry.items() if k != "type"]
    return not values or all(v in (None, "", []) for v in values)


def describe_entry(entry: Mapping[str, Any], names: Mapping[str, str] | None = None, tz: ZoneInfo = UTC_ZONE) -> str:
    """A field's current value as a person reads it; empty string when nothing is set."""
    names = names or {}
    kind = entry.get("type")
    value = entry.get(STATE_KEYS.get(str(kind), ("value", "", None))[0])
    if value in (None, "", []):
        return ""
    if kind in ("static_select", "external_select", "radio_buttons"):
        return option_label(value)
    if kind in ("multi_static_select", "multi_external_select", "checkboxes"):
        return ", ".join(option_label(o) for o in value)
    if kind == "users_select":
        return "@" + names.get(value, value)
    if kind == "multi_users_select":
        return ", ".join("@" + names.get(v, v) for v in value)
    if kind == "datetimepicker":
        return format_moment(datetime.fromtimestamp(int(value), UTC), tz)
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return strip_controls(str(value))


def format_moment(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M}"


def render_field(
    item: Field,
    entry: Mapping[str, Any],
    style: Style = PLAIN,
    names: Mapping[str, str] | None = None,
    tz: ZoneInfo = UTC_ZONE,
    error: str | None = None,
) -> list[str]:
    label = item.label + (style.dim(" (optional)") if item.optional else "")
    value = describe_entry(entry, names, tz)
    if value:
        first, *rest = value.split("\n")
        lines = [f"{style.bold(f'[{item.number}]')} {label}: {first}"]
        lines.extend("      " + line for line in rest)
    else:
        placeholder = render_text(item.element.get("placeholder"), PLAIN)
        if item.type in OPTION_ELEMENTS:
            hint = "one of: " + choices_hint(item.element, names)
        elif placeholder:
            hint = placeholder
        elif item.type in SELECT_ELEMENTS or item.type in _VALUE_FORMS:
            hint = choices_hint(item.element, names)
        else:
            hint = ""
        lines = [f"{style.bold(f'[{item.number}]')} {label}: —" + (style.dim(f"   ({hint})") if hint else "")]
    if item.type in OPTION_ELEMENTS and value:
        lines.append(style.dim(f"      one of: {choices_hint(item.element, names)}"))
    if error:
        lines.append(style.yellow(f"      ⚠ {strip_controls(error)}"))
    return lines


def render_view(
    view: Mapping[str, Any],
    style: Style = PLAIN,
    names: Mapping[str, str] | None = None,
    *,
    state: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    tz: ZoneInfo = UTC_ZONE,
) -> Rendered:
    """A modal: its title, then its blocks with input fields and elements numbered from 1."""
    title = render_text(view.get("title"), PLAIN) or "Form"
    body = render_blocks(view.get("blocks") or [], style, names, state=state, errors=errors, tz=tz)
    buttons = []
    if view.get("submit"):
        buttons.append(f":submit ({render_text(view['submit'], PLAIN)})")
    buttons.append(f":cancel ({render_text(view.get('close'), PLAIN) or 'Close'})")
    header = f"{style.bold('Form: ' + title)}  " + style.dim(" · ".join(buttons))
    body.lines = [header] + ["  " + line for line in body.lines]
    return body


# --------------------------------------------------------------------------------------------------------
# Reading what someone types for a field or a select
# --------------------------------------------------------------------------------------------------------


class ValueProblem(ValueError):
    """A typed value that does not fit the field; the message says what would."""


def fold_words(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.casefold()).split())


def match_option(options: list[dict[str, Any]], typed: str) -> dict[str, Any]:
    """The option someone means: an exact label or value, else the only one starting with or containing it."""
    wanted = fold_words(typed)
    if not wanted:
        raise ValueProblem("Say which option.")
    keyed = [(o, fold_words(option_label(o)), fold_words(str(o.get("value", "")))) for o in options]
    for test in (
        lambda label, value: wanted in (label, value),
        lambda label, value: label.startswith(wanted) or value.startswith(wanted),
        lambda label, value: wanted in label,
    ):
        found = [o for o, label, value in keyed if test(label, value)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise ValueProblem(f"“{typed}” could be {_listing(found)}.")
    raise ValueProblem(f"“{typed}” is not an option; choose {_listing(o for o, _, _ in keyed)}.")


def _listing(options: Iterable[dict[str, Any]]) -> str:
    labels = [option_label(o) for o in options]
    if len(labels) > MAX_OPTIONS_SHOWN:
        labels = labels[:MAX_OPTIONS_SHOWN] + ["…"]
    return " | ".join(labels)


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$")


def parse_date(text: str, today: date) -> date:
    word = text.strip().casefold()
    relative = {"today": 0, "tomorrow": 1, "yesterday": -1}
    if word in relative:
        return today + timedelta(days=relative[word])
    for index, name in enumerate(_WEEKDAYS):
        if len(word) >= 3 and name.startswith(word):
            return today + timedelta(days=(index - today.weekday() - 1) % 7 + 1)
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise ValueProblem(f"“{text}” is not a date; type it as YYYY-MM-DD, today, tomorrow or friday.") from None


def parse_time(text: str) -> time:
    word = text.strip().casefold().replace(".", ":")
    if word == "noon":
        return time(12)
    if word == "midnight":
        return time(0)
    match = _TIME.match(word)
    if match:
        hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
        if half and not 1 <= hour <= 12:
            hour = 99
        elif half:
            hour = hour % 12 + (12 if half == "pm" else 0)
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise ValueProblem(f"“{text}” is not a time; type it as HH:MM (24-hour) or like 3pm.")


def parse_date_time(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    word = text.strip()
    local_now = now.astimezone(tz)
    if word.casefold() == "now":
        return now
    day_text, _, time_text = word.replace("T", " ", 1).partition(" ")
    if not time_text.strip():
        raise ValueProblem(f"“{text}” needs a time too, e.g. 2026-11-24 14:30, yesterday 15:00 or now.")
    day = parse_date(day_text, local_now.date())
    return datetime.combine(day, parse_time(time_text)).replace(tzinfo=tz)


def parse_value(
    element: Mapping[str, Any],
    typed: str,
    *,
    now: datetime,
    tz: ZoneInfo,
    find_user: Callable[[str], str | None] = lambda _: None,
) -> dict[str, Any]:
    """The state entry for what someone typed into a field (external selects are resolved by the shell)."""
    kind = str(element.get("type", ""))
    key = state_key(element)
    typed = typed.strip()
    if not typed:
        return {"type": kind, key: STATE_KEYS.get(kind, ("", "", None))[2]}
    if kind in ("static_select", "radio_buttons", "overflow"):
        return {"type": kind, key: match_option(flat_options(element), typed)}
    if kind in ("multi_static_select", "checkboxes"):
        picked = [match_option(flat_options(element), part) for part in typed.split(",") if part.strip()]
        return {"type": kind, key: picked}
    if kind in ("users_select", "multi_users_select"):
        users = []
        for part in typed.replace(",", " ").split():
            user_id = find_user(part)
            if user_id is None:
                raise ValueProblem(f"I don't know “{part}”; type @name or a user id (:users lists them).")
            users.append(user_id)
        if kind == "users_select":
            if len(users) != 1:
                raise ValueProblem("Pick one person, e.g. @bob.")
            return {"type": kind, key: users[0]}
        return {"type": kind, key: users}
    if kind == "datepicker":
        return {"type": kind, key: parse_date(typed, now.astimezone(tz).date()).isoformat()}
    if kind == "timepicker":
        return {"type": kind, key: parse_time(typed).strftime("%H:%M")}
    if kind == "datetimepicker":
        return {"type": kind, key: int(parse_date_time(typed, now, tz).timestamp())}
    if kind == "number_input":
        try:
            float(typed)
        except ValueError:
            raise ValueProblem(f"“{typed}” is not a number.") from None
    if kind.startswith("multi_"):
        return {"type": kind, key: [part.strip() for part in typed.split(",") if part.strip()]}
    return {"type": kind, key: typed}
