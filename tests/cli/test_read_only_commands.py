"""Commands that only read never create a store: in an empty directory they say there is none yet.

Commands that write to what must already be there (stages --set, nudge) say the same; `db upgrade`, `import`
and the long-running ones (serve, socket, scheduler, shell) make the embedded store as before.
"""

from __future__ import annotations

import sqlite3

import pytest

from bot.cli import main
from storage.db import create_store_engine
from storage.migrate import head_revision, upgrade

NEEDS_A_STORE = [
    ("db", "current"),
    ("parse", "Acme: call with Dana"),
    ("export", "touchpoints"),
    ("report",),
    ("stages",),
    ("stages", "--set", "lead, customer"),
    ("installations",),
    ("nudge",),
]


@pytest.fixture
def empty_directory(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "LOG_LEVEL", "SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("DEFAULT_TZ", "UTC")
    return tmp_path


@pytest.mark.parametrize("command", NEEDS_A_STORE, ids=" ".join)
def test_a_command_that_needs_a_store_makes_none(empty_directory, capsys, command):
    status = main(list(command))

    err = capsys.readouterr().err
    assert status == 2
    assert err == (
        "touchpoint: no store yet at sqlite:///touchpoint.db (touchpoint.db does not exist); "
        "run `touchpoint db upgrade` to make one, or check DATABASE_URL\n"
    )
    assert list(empty_directory.iterdir()) == []


def test_db_upgrade_makes_the_store_and_db_current_reads_it(empty_directory, capsys):
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()

    assert main(["db", "current"]) == 0
    assert capsys.readouterr().out == f"{head_revision()}\n"


def test_db_current_writes_nothing_to_a_store_behind_the_head(empty_directory, capsys):
    engine = create_store_engine("sqlite:///touchpoint.db")
    upgrade(engine, "0001")
    engine.dispose()
    before = (empty_directory / "touchpoint.db").read_bytes()

    assert main(["db", "current"]) == 0

    assert capsys.readouterr().out == "0001\n"
    with sqlite3.connect(empty_directory / "touchpoint.db") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert (empty_directory / "touchpoint.db").read_bytes() == before


def test_a_reading_command_asks_for_the_upgrade_it_would_need(empty_directory, capsys):
    engine = create_store_engine("sqlite:///touchpoint.db")
    upgrade(engine, "0001")
    engine.dispose()

    status = main(["export", "touchpoints"])

    assert status == 2
    assert capsys.readouterr().err == (
        "touchpoint: the store's schema is not up to date: run `touchpoint db upgrade` first\n"
    )
    assert main(["db", "current"]) == 0
    assert capsys.readouterr().out == "0001\n"
