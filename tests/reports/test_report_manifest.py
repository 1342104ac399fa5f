"""manifest.yml declares `/report` (with its description and usage hint) and the scopes its uploads need."""

from __future__ import annotations

import re
from pathlib import Path

MANIFEST = (Path(__file__).resolve().parents[2] / "manifest.yml").read_text(encoding="utf-8")


def command_entry(name: str) -> dict[str, str]:
    """The fields of one slash command in the manifest (read line by line: the file is flat YAML)."""
    found = re.search(rf"^    - command: {re.escape(name)}\n((?:      \w+: .*\n)+)", MANIFEST, re.MULTILINE)
    assert found, f"{name} is not in manifest.yml"
    return dict(line.strip().split(": ", 1) for line in found.group(1).splitlines())


def bot_scopes() -> set[str]:
    scopes = MANIFEST.split("    bot:\n", 1)[1]
    return {line.strip()[2:] for line in scopes.splitlines() if line.startswith("      - ")}


def test_report_is_a_slash_command_with_a_description_and_a_usage_hint() -> None:
    entry = command_entry("/report")

    assert entry["url"] == "https://touchpoint.example.com/slack/events"
    assert "chart" in entry["description"] and len(entry["description"]) <= 100
    assert "last week" in entry["usage_hint"] and len(entry["usage_hint"].strip('"')) <= 100
    assert entry["should_escape"] == "true"  # mentions and channels arrive as <@U…> and <#C…|name>


def test_the_uploads_scopes_are_granted() -> None:
    # files_upload_v2 needs files:write; a chart for a person opens their DM with conversations.open (im:write).
    assert {"files:write", "im:write", "chat:write", "commands"} <= bot_scopes()
