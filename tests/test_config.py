"""Settings: every bad value ends the command with one line naming the variable, exit code 2."""

from __future__ import annotations

import logging

import pytest

from bot import config
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


# At least one bad value for every setting `load_settings` reads; a new setting must add its own here.
BAD_VALUES = [
    ("SLACK_BOT_TOKEN", "xoxb-pasted with spaces"),
    ("SLACK_SIGNING_SECRET", "a secret with spaces"),
    ("SLACK_SIGNING_SECRET", "8f14e45fceea167a\u200b"),  # a zero-width space, pasted along
    ("SLACK_APP_TOKEN", "xapp-1-\u00e9"),
    ("SLACK_API_URL", "https://"),
    ("SLACK_API_URL", "https://exa mple.com/api/"),
    ("SLACK_HOOKS_URL", "ftp://hooks.slack.com/"),
    ("SLACK_HOOKS_URL", "https://attacker@hooks.slack.com/"),
    ("DATABASE_URL", "sqlite+nosuchdriver:///x.db"),
    ("PORT", "\u00b3"),  # a digit to str.isdigit, not to int()
    ("PORT", "0"),
    ("DEFAULT_TZ", "Europe"),  # a directory of the zone database, not a zone
    ("DEFAULT_TZ", "A" * 300),
    ("ADMIN_CHANNEL", "#general"),
    ("SLACK_MESSAGES_PER_SECOND", "nan"),
    ("SLACK_MESSAGES_PER_SECOND", "0"),
    ("QUIET_AFTER_DAYS", "0"),
    ("QUIET_AFTER_DAYS", "\u0663"),  # an Arabic-Indic three
    ("LOG_LEVEL", "LOUD"),
    ("LOG_LEVEL", "10"),
    ("WEB_CONCURRENCY", "0"),
    ("WEB_CONCURRENCY", "two"),
    ("WEB_CONCURRENCY", "-1"),
    ("API_RATE_PER_MINUTE", "0"),
    ("API_RATE_PER_MINUTE", "600/min"),
    ("SLACK_CLIENT_ID", "1111 2222"),
    ("SLACK_CLIENT_SECRET", "pasted with a space"),
    ("SLACK_SCOPES", "commands;chat write"),
    ("SLACK_SCOPES", " , "),
]


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({"SLACK_CLIENT_ID": "1111.2222"}, "SLACK_CLIENT_SECRET"),
        ({"SLACK_CLIENT_SECRET": "s3cret"}, "SLACK_CLIENT_ID"),
        (
            {"SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": "s3cret", "SLACK_BOT_TOKEN": "xoxb-1"},
            "SLACK_BOT_TOKEN",
        ),
    ],
)
def test_oauth_is_both_client_settings_and_no_single_bot_token(environment, named):
    with pytest.raises(ConfigError) as raised:
        load_settings(environment)

    assert raised.value.variable == named
    assert "s3cret" not in str(raised.value)


def test_oauth_asks_for_the_manifests_scopes_unless_told_otherwise():
    oauth = load_settings({"SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": "s3cret"})
    narrowed = load_settings({"SLACK_SCOPES": " commands, chat:write "})

    assert oauth.oauth_enabled and not load_settings({}).oauth_enabled
    assert "users:read.email" in oauth.slack_scopes and "commands" in oauth.slack_scopes
    assert narrowed.slack_scopes == ("commands", "chat:write")


@pytest.mark.parametrize(("variable", "value"), BAD_VALUES)
def test_every_setting_refuses_a_bad_value_by_name(variable, value):
    with pytest.raises(ConfigError) as raised:
        load_settings({variable: value})

    assert raised.value.variable == variable
    assert str(raised.value).startswith(f"{variable} is ")
    assert "\n" not in str(raised.value)


class _Recorded(dict):
    """An environment that remembers which variables were asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key, default=None):
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.asked.add(key)
        return super().__getitem__(key)


def test_every_setting_read_has_a_bad_value_tested():
    environment = _Recorded()
    load_settings(environment)

    assert environment.asked == {variable for variable, _ in BAD_VALUES} == set(config._EXPECTED)


@pytest.mark.parametrize(
    ("variable", "value", "attribute", "read"),
    [
        ("LOG_LEVEL", "debug", "log_level", logging.DEBUG),
        ("LOG_LEVEL", " Warning ", "log_level", logging.WARNING),
        ("WEB_CONCURRENCY", "4", "web_concurrency", 4),
        ("PORT", "8080", "port", 8080),
        ("QUIET_AFTER_DAYS", "7", "quiet_after_days", 7),
        ("API_RATE_PER_MINUTE", "60", "api_rate_per_minute", 60),
    ],
)
def test_a_good_value_is_read(variable, value, attribute, read):
    assert getattr(load_settings({variable: value}), attribute) == read


@pytest.mark.parametrize(
    ("variable", "value", "command"),
    [
        ("LOG_LEVEL", "LOUD", ["db", "current"]),
        ("WEB_CONCURRENCY", "0", ["serve"]),
    ],
)
def test_a_bad_setting_ends_the_command_with_one_line(monkeypatch, capsys, tmp_path, variable, value, command):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
    monkeypatch.setenv(variable, value)

    assert main(command) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"touchpoint: {variable} is {value!r}; it should be ")
    assert list(tmp_path.iterdir()) == []


def test_workers_from_the_command_line_are_checked_too(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)

    with pytest.raises(SystemExit) as exited:
        main(["serve", "--workers", "0"])

    assert exited.value.code == 2
    assert "--workers: 0 is not a whole number from 1" in capsys.readouterr().err


def test_help_works_whatever_the_settings(monkeypatch, capsys):
    monkeypatch.setenv("WEB_CONCURRENCY", "two")

    with pytest.raises(SystemExit) as exited:
        main(["serve", "--help"])

    assert exited.value.code == 0
    assert "$WEB_CONCURRENCY" in capsys.readouterr().out
