"""`touchpoint parse -` answers every line of a batch: a bad line gets an error object and the run goes on."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import data, main

ROOT = Path(__file__).resolve().parent.parent
BERLIN_NOW = ("--now", "2026-11-25T10:30:00+01:00", "--tz", "Europe/Berlin")
GOOD = json.dumps({"text": "Acme: call, follow up friday"}).encode()
LINES = [
    GOOD,
    b'{"text": "Acme: call \\ud800 with Dana"}',  # a lone surrogate, escaped as JSON allows
    b'{"text": "Acme: caf\xe9 with Dana"}',  # Latin-1, not UTF-8
    b"\xff\xfe not even JSON",
    b'{"text": "Acme: call", "user": "U\\udfff"}',
    b"{not json",
    json.dumps({"text": "Acme: call, follow up in 9999 years"}).encode(),  # once an uncaught ValueError
    json.dumps({"text": "Acme: notes " + "-" * 3000 + "x, follow up friday"}).encode(),  # once 20 s
    GOOD,
]


@pytest.fixture
def store_env(engine, database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEFAULT_TZ": "UTC",
        "PYTHONIOENCODING": "utf-8",  # strict, as a UTF-8 locale has it, whatever this machine's locale is
        "PYTHONPATH": str(ROOT),  # this checkout's bot/, whatever the virtualenv has installed
    }


def test_the_command_answers_every_line_whatever_its_bytes(store_env, tmp_path):
    stdin = b"\n".join(LINES) + b"\n"
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())", "parse", "-", *BERLIN_NOW],
        input=stdin,
        capture_output=True,
        cwd=tmp_path,  # no .env here
        env=store_env,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr.decode(errors="replace")
    results = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert len(results) == len(LINES)
    assert results[0]["follow_up"]["due_at"] == "2026-11-27T09:00:00+01:00"
    assert results[1] == {"line": 2, "error": results[1]["error"]}
    assert results[1]["error"].startswith("text is not valid Unicode")
    assert results[2]["line"] == 3 and results[2]["error"].startswith("text is not valid Unicode")
    assert results[3]["line"] == 4 and results[3]["error"].startswith("not JSON")
    assert results[4]["line"] == 5 and results[4]["error"].startswith("user is not valid Unicode")
    assert results[5]["line"] == 6 and results[5]["error"].startswith("not JSON")
    assert results[6]["follow_up"] is None
    assert any(error.startswith("That's too far ahead") for error in results[6]["errors"])
    assert results[7]["summary"] == "notes " + "-" * 3000 + "x"
    assert results[7]["follow_up"]["due_at"] == "2026-11-27T09:00:00+01:00"
    assert results[8] == results[0]


def test_a_line_that_breaks_the_parser_gets_an_error_and_the_run_goes_on(engine, database_url, capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_TZ", "UTC")
    real = data.parse_log_line

    def parse_log_line(text, *args, **kwargs):
        if "boom" in text:
            raise RuntimeError("a bug this line found")
        return real(text, *args, **kwargs)

    monkeypatch.setattr(data, "parse_log_line", parse_log_line)
    lines = [{"text": "Acme: call"}, {"text": "Acme: boom"}, {"text": "Globex: call"}]
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(json.dumps(line) + "\n" for line in lines)))

    status = main(["parse", "-", *BERLIN_NOW])

    out, _ = capsys.readouterr()
    results = [json.loads(line) for line in out.splitlines()]
    assert status == 0
    assert [result.get("customer_text") for result in results] == ["Acme", None, "Globex"]
    assert results[1] == {"error": "could not parse this line (RuntimeError: a bug this line found)", "line": 2}


def test_a_single_line_that_is_not_unicode_is_a_usage_error(engine, database_url, capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)

    status = main(["parse", "Acme: caf\udce9", *BERLIN_NOW])

    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert err.startswith("touchpoint: the line is not valid Unicode")
