"""Settings: every bad value ends the command with one line naming the variable, exit code 2."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.config import ConfigError, load_settings


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SLACK_BOT_TOKEN", "xoxp-user-token"),
        ("SLACK_APP_TOKEN", "xoxb-not-an-app-token"),
        ("SLACK_API_URL", "slack.com/api"),
        ("DATABASE_URL", "mysql://root@localhost/crm"),
        ("DATABASE_URL", "not a url"),
        ("PORT", "eighty"),
        ("PORT", "70000"),
        ("DEFAULT_TZ", "Mars/Olympus_Mons"),
        ("SLACK_HOOKS_URL", "hooks.slack.com"),
        ("SLACK_HOOKS_URL", "ftp://hooks.slack.com/"),
        ("SLACK_HOOKS_URL", "https://someone@hooks.slack.com/"),
        ("SLACK_HOOKS_URL", "https://hooks.slack.com/?next=evil.example"),
        ("SLACK_HOOKS_URL", "https://hooks.slack.com:99999/"),
    ],
)
def test_a_malformed_setting_is_named(variable, value):
    with pytest.raises(ConfigError) as raised:
        load_settings({variable: value})

    assert raised.value.variable == variable
    assert str(raised.value).startswith(f"{variable} is ")


@pytest.mark.parametrize("value", ["postgresql://app:s3cret@db:notaport/crm", "mysql://app:s3cret@db/crm"])
def test_a_bad_database_url_is_named_without_its_password(value):
    with pytest.raises(ConfigError) as raised:
        load_settings({"DATABASE_URL": value})

    assert raised.value.variable == "DATABASE_URL"
    assert "s3cret" not in str(raised.value)


def test_defaults_need_nothing_set():
    settings = load_settings({})

    assert settings.database_url == "sqlite:///touchpoint.db"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert (settings.port, str(settings.default_tz)) == (3000, "UTC")


def test_hosting_platform_postgres_urls_use_psycopg():
    settings = load_settings(
        {"DATABASE_URL": "postgres://app:secret@db.internal:5432/crm", "SLACK_API_URL": "http://x"}
    )

    assert settings.database_url == "postgresql+psycopg://app:secret@db.internal:5432/crm"
    assert settings.slack_api_url == "http://x/"


def test_the_command_exits_2_with_one_line_and_no_traceback(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")

    assert main(["serve"]) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("touchpoint: SLACK_BOT_TOKEN is not set; it should be a bot token starting with xoxb-")


def test_a_dotenv_file_is_read(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DEFAULT_TZ", "UTC")  # so that teardown restores whatever .env sets
    monkeypatch.delenv("DEFAULT_TZ")
    (tmp_path / ".env").write_text("DEFAULT_TZ=Nowhere/Land\n")

    assert main(["db", "current"]) == 2
    assert "DEFAULT_TZ is 'Nowhere/Land'" in capsys.readouterr().err


def test_replies_go_to_slacks_hooks_host_unless_told_otherwise():
    assert load_settings({}).slack_hooks_url == "https://hooks.slack.com/"
    assert load_settings({"SLACK_HOOKS_URL": "http://127.0.0.1:8080/respond"}).slack_hooks_url == (
        "http://127.0.0.1:8080/respond/"
    )
