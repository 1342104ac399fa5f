"""Commands set up for OAuth say in one line what does not fit: Socket Mode runs one workspace's token, and
serving still needs the signing secret."""

from __future__ import annotations

import pytest

from bot.cli import main


@pytest.fixture
def oauth_environment(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "DATABASE_URL", "SLACK_SCOPES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_CLIENT_ID", "1111.2222")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "s3cret")


def test_socket_mode_with_oauth_set_names_the_setting_to_unset(oauth_environment, monkeypatch, capsys):
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-A0-1-abc")

    assert main(["socket"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SLACK_CLIENT_ID" in err and "Socket Mode" in err
    assert "s3cret" not in err and "Traceback" not in err


def test_serving_with_oauth_needs_the_signing_secret_but_no_bot_token(oauth_environment, capsys):
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SLACK_SIGNING_SECRET" in err and "SLACK_BOT_TOKEN" not in err
