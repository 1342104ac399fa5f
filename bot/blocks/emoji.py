"""The emoji shortcodes Touchpoint's messages use, and what each looks like: one table for every renderer.

Slack turns `:thinking_face:` into the emoji itself; the shell's terminal renderer and `touchpoint preview`
have to do the same, so every code the app writes is listed here (`tests/local/test_emoji.py` checks that
none is missing). A few of Slack's usual codes are here too, for text people type.
"""

from __future__ import annotations

import re

EMOJI = {
    "thinking_face": "🤔",
    "twisted_rightwards_arrows": "🔀",
    "warning": "⚠",
    "mag": "🔍",
    "mag_right": "🔎",
    "white_check_mark": "✅",
    "heavy_check_mark": "✔",
    "ballot_box_with_check": "☑",
    "x": "✖",
    "heavy_multiplication_x": "✖",
    "no_entry": "⛔",
    "bell": "🔔",
    "alarm_clock": "⏰",
    "hourglass": "⌛",
    "hourglass_flowing_sand": "⏳",
    "calendar": "📅",
    "date": "📅",
    "spiral_calendar_pad": "🗓",
    "memo": "📝",
    "pencil": "📝",
    "pencil2": "✏",
    "pushpin": "📌",
    "round_pushpin": "📍",
    "link": "🔗",
    "lock": "🔒",
    "scissors": "✂",
    "tada": "🎉",
    "wave": "👋",
    "eyes": "👀",
    "+1": "👍",
    "thumbsup": "👍",
    "-1": "👎",
    "thumbsdown": "👎",
    "zzz": "💤",
    "sleeping": "😴",
    "heavy_plus_sign": "+",
    "heavy_minus_sign": "-",
    "information_source": "ℹ",
    "bulb": "💡",
    "arrows_counterclockwise": "🔄",
    "repeat": "🔁",
    "leftwards_arrow_with_hook": "↩",
    "wastebasket": "🗑",
    "bust_in_silhouette": "👤",
    "busts_in_silhouette": "👥",
    "office": "🏢",
    "telephone_receiver": "📞",
    "phone": "📞",
    "email": "✉",
    "envelope": "✉",
    "handshake": "🤝",
    "package": "📦",
    "truck": "🚚",
    "moneybag": "💰",
    "dollar": "💵",
    "ticket": "🎫",
    "speech_balloon": "💬",
    "star": "⭐",
    "fire": "🔥",
    "rotating_light": "🚨",
    "sparkles": "✨",
    "inbox_tray": "📥",
    "outbox_tray": "📤",
    "clipboard": "📋",
    "bar_chart": "📊",
    "chart_with_upwards_trend": "📈",
    "question": "?",
    "grey_question": "?",
    "exclamation": "!",
}

_SHORTCODE = re.compile(r":([a-z0-9_+'-]*[a-z][a-z0-9_+'-]*):(?::skin-tone-\d:)?")


def emojize(text: str) -> str:
    """Every known shortcode as its emoji; an unknown one stays as typed, as Slack shows it."""
    return _SHORTCODE.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)
