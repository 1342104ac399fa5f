"""A store that cannot be reached ends every command with one line naming it (no password) and what to check.

The commands are found by walking the parser, so a command added later is tested here without being listed.
"""

from __future__ import annotations

import io
import os
import sys
import uuid

import pytest
from sqlalchemy.engine import make_url

from bot.cli import main
from tests.cli.command_tree import leaf_commands

PASSWORD = "s3cret"


def closed_port(tmp_path):
    return f"postgresql://app:{PASSWORD}@127.0.0.1:1/crm", "127.0.0.1:1"


def sqlite_in_a_missing_directory(tmp_path):
    path = tmp_path / "no" / "such" / "dir" / "touchpoint.db"
    return f"sqlite:///{path}", str(tmp_path / "no" / "such" / "dir")


def a_file_that_is_not_a_store(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("shopping list: milk, eggs\n" * 100, encoding="utf-8")
    return f"sqlite:///{path}", "file is not a database"


def missing_postgresql_database(tmp_path):
    url = make_url(os.environ["TEST_DATABASE_URL"])
    missing = url.set(database=f"touchpoint_missing_{uuid.uuid4().hex[:8]}", password=PASSWORD)
    return missing.render_as_string(hide_password=False), f'"{missing.database}" does not exist'


FAULTS = [closed_port, sqlite_in_a_missing_directory, a_file_that_is_not_a_store]
if os.environ.get("TEST_DATABASE_URL"):  # a database that does not exist needs a server that does
    FAULTS.append(missing_postgresql_database)


@pytest.fixture
def environment(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    # A file both imports take: customers need a name column, touchpoints a kind column.
    (tmp_path / "customers.csv").write_text("name,kind\nAcme Corp,call\n", encoding="utf-8")
    for name in ("LOG_LEVEL", "SLACK_API_URL", "ADMIN_CHANNEL", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-test")
    monkeypatch.setenv("DEFAULT_TZ", "UTC")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    return tmp_path


# Commands that never open DATABASE_URL: `preview` draws from a sample store of its own, in memory.
STORELESS = {"preview"}


@pytest.mark.parametrize("fault", FAULTS, ids=lambda fault: fault.__name__)
@pytest.mark.parametrize("command", [c for c in leaf_commands() if c[0] not in STORELESS], ids=" ".join)
def test_every_command_names_the_store_it_cannot_reach(environment, monkeypatch, capsys, command, fault):
    url, named = fault(environment)
    monkeypatch.setenv("DATABASE_URL", url)

    status = main(list(command))

    out, err = capsys.readouterr()
    assert status == 2
    assert err.count("\n") == 1, err
    assert err.startswith("touchpoint: ")
    assert PASSWORD not in err
    assert make_url(url).render_as_string(hide_password=True).split("://")[1] in err
    assert named in err
    assert "check" in err or "create" in err
    assert "Traceback" not in out + err


@pytest.mark.parametrize("fault", FAULTS, ids=lambda fault: fault.__name__)
def test_a_storeless_command_works_whatever_the_store(environment, monkeypatch, capsys, fault):
    url, _ = fault(environment)
    monkeypatch.setenv("DATABASE_URL", url)

    assert main(["preview", "log-reply", "--svg", str(environment / "reply.svg")]) == 0

    assert (environment / "reply.svg").read_text(encoding="utf-8").startswith("<svg")
    assert capsys.readouterr().err == ""


def test_a_command_missing_from_the_walk_would_be_noticed():
    commands = {command[: 2 if command[0] in ("db", "import", "export") else 1] for command in leaf_commands()}

    assert {("serve",), ("scheduler",), ("nudge",), ("shell",), ("db", "current"), ("db", "upgrade")} <= commands
    assert {("export", "touchpoints"), ("import", "customers"), ("parse",), ("stages",), ("socket",)} <= commands
