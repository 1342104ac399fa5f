"""`touchpoint socket` says in one line what is wrong before it listens: a missing or malformed app-level token,
one Slack refuses, or a Slack it cannot reach."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.local.slack_standin import SlackStandIn
from tests.conftest import BOT_TOKEN, TEAM
from tests.socket_mode.conftest import APP_TOKEN, START_TIMEOUT_S, socket_environment, start_touchpoint


@pytest.fixture
def environment(monkeypatch, tmp_path, database_url):
    monkeypatch.chdir(tmp_path)  # no .env from the working directory
    for name in ("SLACK_SIGNING_SECRET", "SLACK_API_URL", "SLACK_HOOKS_URL", "LOG_LEVEL", "ADMIN_CHANNEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_TZ", "UTC")
    return monkeypatch


def one_line(capsys) -> str:
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and err.startswith("touchpoint: "), err
    assert "Traceback" not in out + err
    return err


def test_without_an_app_level_token_it_says_which_setting_and_what_it_holds(environment, capsys):
    environment.delenv("SLACK_APP_TOKEN")

    assert main(["socket"]) == 2

    err = one_line(capsys)
    assert "SLACK_APP_TOKEN is not set" in err and "xapp-" in err and "connections:write" in err


def test_a_bot_token_given_as_the_app_level_token_is_refused_before_anything_starts(environment, capsys):
    environment.setenv("SLACK_APP_TOKEN", BOT_TOKEN)

    assert main(["socket", "--with-scheduler"]) == 2

    err = one_line(capsys)
    assert "SLACK_APP_TOKEN is 'xoxb-tes…'" in err and "xapp-" in err
    assert BOT_TOKEN not in err  # never the whole token


@pytest.mark.parametrize("error", ["invalid_auth", "not_allowed_token_type"])
def test_an_app_level_token_slack_refuses_is_one_line_naming_slacks_reason(environment, capsys, error):
    with SlackStandIn(team_id=TEAM) as api:
        api.attach_socket_mode(lambda: "ws://127.0.0.1:9/link/?ticket=unused")
        api.fail_next("apps.connections.open", error=error)
        environment.setenv("SLACK_API_URL", api.api_url)

        assert main(["socket"]) == 2

        [asked] = api.calls_to("apps.connections.open")
    err = one_line(capsys)
    assert f"Slack refused to open a Socket Mode link ({error})" in err and "SLACK_APP_TOKEN" in err
    assert asked.token == APP_TOKEN


def test_an_app_whose_socket_mode_is_off_is_told_to_turn_it_on(environment, capsys):
    with SlackStandIn(team_id=TEAM) as api:  # no Socket Mode endpoint attached
        environment.setenv("SLACK_API_URL", api.api_url)

        assert main(["socket"]) == 2

    assert "Socket Mode is on in the app's settings" in one_line(capsys)


def test_a_slack_that_cannot_be_reached_is_one_line_with_the_address(environment, capsys):
    environment.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")

    assert main(["socket"]) == 1

    assert "could not reach Slack at http://127.0.0.1:9/api/" in one_line(capsys)


def test_run_as_a_command_a_refused_token_prints_that_one_line_and_nothing_else(database_url, tmp_path):
    with SlackStandIn(team_id=TEAM) as api:
        api.attach_socket_mode(lambda: "ws://127.0.0.1:9/link/?ticket=unused")
        api.fail_next("apps.connections.open", error="invalid_auth")
        stderr = tmp_path / "stderr.txt"
        process = start_touchpoint(["socket"], socket_environment(api, database_url), tmp_path, stderr)

        assert process.wait(timeout=START_TIMEOUT_S) == 2

    said = stderr.read_text(encoding="utf-8")
    assert said.count("\n") == 1 and said.startswith("touchpoint: Slack refused to open a Socket Mode link"), said
