"""`upload_file`: a file shared through the real files_upload_v2 of the app's own client, at the stand-in."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.app import build_app
from bot.local.slack_standin import UPLOAD_URL_METHOD, SlackStandIn
from bot.runtime import Runtime
from bot.uploads import BYTE_UPLOAD_RETRIES, upload_file
from tests.conftest import BOT_TOKEN

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


@pytest.fixture
def client(runtime: Runtime) -> WebClient:
    """The client every listener gets: pointed at the stand-in, with the app's retry handlers."""
    return build_app(runtime).client


def upload(client: WebClient, channel: str = "U0ALICE", **overrides: Any) -> str | None:
    fields: dict[str, Any] = {"filename": "report.png", "content": PNG, "title": "Touchpoints, last 30 days"}
    return upload_file(client, channel=channel, **(fields | overrides))


def test_a_file_for_a_person_lands_in_their_dm(standin: SlackStandIn, client: WebClient) -> None:
    file_id = upload(client, initial_comment="Your report for the last 30 days")

    (shared,) = standin.files
    assert file_id == shared.id
    assert (shared.channel, shared.name, shared.title) == ("DU0ALICE", "report.png", "Touchpoints, last 30 days")
    assert (shared.content, shared.initial_comment, shared.token) == (
        PNG,
        "Your report for the last 30 days",
        BOT_TOKEN,
    )
    assert [c.params["users"] for c in standin.calls_to("conversations.open")] == ["U0ALICE"]


def test_a_file_for_a_channel_goes_there_without_opening_a_dm(standin: SlackStandIn, client: WebClient) -> None:
    file_id = upload(client, channel="C0SALES", filename="figures.csv", content=b"a,b\n1,2\n", title="Figures")

    assert [(f.id, f.channel, f.content) for f in standin.files] == [(file_id, "C0SALES", b"a,b\n1,2\n")]
    assert standin.calls_to("conversations.open") == []


@pytest.mark.parametrize("step", ["files.getUploadURLExternal", "files.completeUploadExternal"])
def test_a_429_at_a_web_api_step_is_waited_out(standin: SlackStandIn, client: WebClient, step: str) -> None:
    standin.fail_next(step, retry_after=1)

    assert upload(client) is not None

    assert [c.status for c in standin.calls_to(step)] == [429, 200]
    assert len(standin.files) == 1


def test_a_429_on_the_bytes_is_waited_out_as_retry_after_says(standin: SlackStandIn, client: WebClient) -> None:
    standin.fail_next(UPLOAD_URL_METHOD, retry_after=2)
    waited: list[float] = []

    file_id = upload(client, sleep=waited.append)

    assert waited == [2.0]
    assert [c.status for c in standin.calls_to(UPLOAD_URL_METHOD)] == [429, 200]
    assert [f.id for f in standin.files] == [file_id]


def test_bytes_refused_every_time_give_none_and_a_warning(
    standin: SlackStandIn, client: WebClient, caplog: pytest.LogCaptureFixture
) -> None:
    standin.fail_next(UPLOAD_URL_METHOD, retry_after=1, times=BYTE_UPLOAD_RETRIES + 1)
    waited: list[float] = []

    with caplog.at_level(logging.WARNING, logger="bot.uploads"):
        assert upload(client, sleep=waited.append) is None

    assert waited == [1.0] * BYTE_UPLOAD_RETRIES
    assert standin.files == []
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["could not upload report.png to U0ALICE: HTTPError: HTTP Error 429: Too Many Requests"]


@pytest.mark.parametrize("step", ["conversations.open", "files.getUploadURLExternal", "files.completeUploadExternal"])
def test_invalid_auth_at_any_step_gives_none_and_a_warning(
    standin: SlackStandIn, client: WebClient, caplog: pytest.LogCaptureFixture, step: str
) -> None:
    standin.fail_next(step, error="invalid_auth")

    with caplog.at_level(logging.WARNING, logger="bot.uploads"):
        assert upload(client) is None

    assert standin.files == []
    assert [r.getMessage() for r in caplog.records] == ["could not upload report.png to U0ALICE: invalid_auth"]


def test_a_server_error_on_the_bytes_gives_none_without_waiting(standin: SlackStandIn, client: WebClient) -> None:
    standin.fail_next(UPLOAD_URL_METHOD, status=500)
    waited: list[float] = []

    assert upload(client, sleep=waited.append) is None
    assert waited == []
    assert standin.files == []


def test_an_unknown_person_gives_none(standin: SlackStandIn, client: WebClient) -> None:
    assert upload(client, channel="U0NOBODY") is None
    assert standin.calls_to("files.getUploadURLExternal") == []
