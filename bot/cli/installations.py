"""`touchpoint installations`: every installation the store holds, a workspace or an org-wide install, whether it
is still installed, and how much it holds."""

from __future__ import annotations

import argparse
import json

from sqlalchemy import Engine

from bot.cli.common import one_line_errors, with_store
from bot.config import Settings
from storage.db import make_reader_factory
from storage.workspaces import InstallationSummary, installations_with_counts

HEADER = ("TEAM OR ENTERPRISE", "KIND", "NAME", "INSTALLED", "ACTIVE", "CUSTOMERS", "OPEN FOLLOW-UPS")


@one_line_errors
def installations(args: argparse.Namespace, settings: Settings) -> int:
    def work(engine: Engine) -> int:
        with make_reader_factory(engine)() as session:
            found = installations_with_counts(session)
        if args.format == "json":
            print(json.dumps([_as_json(item) for item in found], indent=2, ensure_ascii=False))
        elif not found:
            print("no installations yet: install the app (/slack/install), or use it once with SLACK_BOT_TOKEN")
        else:
            _print_table([HEADER, *(_as_row(item) for item in found)])
        return 0

    return with_store(settings, work, read_only=True)


def _as_json(item: InstallationSummary) -> dict[str, object]:
    return {
        "team_id": None if item.is_enterprise_install else item.key,
        "enterprise_id": item.key if item.is_enterprise_install else None,
        "kind": _kind(item),
        "name": item.name,
        "installed_at": item.installed_at.isoformat(),
        "active": item.active,
        "customers": item.customers,
        "open_follow_ups": item.open_follow_ups,
    }


def _as_row(item: InstallationSummary) -> tuple[str, ...]:
    return (
        item.key,
        _kind(item),
        # One line a row: a name is Slack's, and may hold anything.
        " ".join((item.name or "-").split())[:40],
        f"{item.installed_at:%Y-%m-%d %H:%M} UTC",
        "yes" if item.active else "no (uninstalled)",
        str(item.customers),
        str(item.open_follow_ups),
    )


def _kind(item: InstallationSummary) -> str:
    return "org-wide" if item.is_enterprise_install else "workspace"


def _print_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
