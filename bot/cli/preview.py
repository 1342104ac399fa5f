"""`touchpoint preview`: Block Kit as a picture (SVG), as a page (HTML), and as a Block Kit Builder link."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.cli.common import CommandError, one_line_errors
from bot.config import Settings
from bot.preview.svg import Picture, builder_link, message_picture, render_html, render_svg, view_picture


@one_line_errors
def preview(args: argparse.Namespace, settings: Settings) -> int:
    if args.write_docs:
        return _write_docs(Path(args.dir) if args.dir else None)
    if args.line and args.what:
        raise CommandError("give either what to draw or --line, not both")
    if not args.what and not args.line:
        return _list_samples()
    picture = _after_lines(args.line) if args.line else _picture(args.what, _zone(args.tz))
    if args.svg:
        _write(Path(args.svg), render_svg(picture))
    if args.html:
        _write(Path(args.html), render_html(picture, title=Path(args.what).stem if args.what else args.line[-1]))
    print(builder_link(picture))
    return 0


def _picture(what: str, tz: ZoneInfo) -> Picture:
    from bot.preview import samples

    if what in samples.SAMPLES:
        return samples.sample_pictures()[what]
    try:
        raw = sys.stdin.read() if what == "-" else Path(what).read_text(encoding="utf-8")
    except OSError as error:
        choices = ", ".join(samples.SAMPLES)
        raise CommandError(f"{what}: {error.strerror or error}; give a JSON file, - or a sample ({choices})") from None
    try:
        data: Any = json.loads(raw)
    except json.JSONDecodeError as error:
        raise CommandError(f"{what}: not JSON ({error.msg} at line {error.lineno})") from None
    if isinstance(data, list):
        data = {"blocks": data}
    if not isinstance(data, dict) or not isinstance(data.get("blocks", []), list):
        raise CommandError(f'{what}: expected a message {{"blocks": [...]}}, a view or a list of blocks')
    if not all(isinstance(block, dict) and "type" in block for block in data.get("blocks") or []):
        raise CommandError(f"{what}: every block needs to be an object with a type")
    if data.get("type") in ("modal", "home"):
        return view_picture(data, tz=tz)
    return message_picture(data, tz=tz)


def _after_lines(lines: list[str]) -> Picture:
    from bot.preview import samples

    try:
        return samples.picture_after(lines)
    except LookupError as error:
        raise CommandError(str(error)) from None


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise CommandError(f"--tz: {name} is not an IANA time zone such as Europe/Berlin") from None


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise CommandError(f"{path}: {error.strerror or error}") from None


def _write_docs(directory: Path | None) -> int:
    from bot.preview import samples

    target = directory or samples.DOCS
    if not target.is_dir():
        raise CommandError(f"{target}: no such directory (give --dir)")
    for name, picture in samples.sample_pictures().items():
        _write(target / f"{name}.svg", render_svg(picture))
        print(f"wrote {target / f'{name}.svg'}")
    return 0


def _list_samples() -> int:
    from bot.preview import samples

    for name, picture in samples.sample_pictures().items():
        print(f"{name}: {samples.SAMPLES[name]}\n  {builder_link(picture)}")
    return 0
