import json
import threading
import time
from collections.abc import Iterator
from urllib.error import HTTPError

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from bot.local.slack_standin import RecordedCall, SlackStandIn

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Acme* called"}}]


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn() as s:
        s.add_user("U123", name="ada", real_name="Ada Lovelace", tz="America/New_York")
        yield s


@pytest.fixture
def client(standin: SlackStandIn) -> WebClient:
    return WebClient(token="xoxb-test", base_url=standin.api_url)


def test_post_message_to_user_answers_dm_channel_and_records_decoded_blocks(standin, client):
    first = client.chat_postMessage(channel="U123", text="hi", blocks=BLOCKS)
    second = client.chat_postMessage(channel="C999", text="again")

    assert first["channel"] == "DU123"
    assert first["message"]["blocks"] == BLOCKS
    assert first["message"]["user"] == "UBOT"
    assert second["channel"] == "C999"
    assert float(second["ts"]) > float(first["ts"])

    call = standin.calls_to("chat.postMessage")[0]
    assert call.params["blocks"] == BLOCKS
    assert call.token == "xoxb-test"
    assert call.path == "/api/chat.postMessage"
    assert (call.status, call.ok) == (200, True)


def test_form_encoded_json_fields_are_decoded(standin, client):
    client.api_call(
        "chat.postMessage", data={"channel": "C1", "text": "[urgent] call back", "blocks": json.dumps(BLOCKS)}
    )

    (call,) = standin.calls_to("chat.postMessage")
    assert call.params["blocks"] == BLOCKS
    assert call.params["text"] == "[urgent] call back"


def test_post_message_to_unknown_user_is_channel_not_found(client):
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="U404", text="hi")
    assert err.value.response["error"] == "channel_not_found"


def test_users_info_for_added_and_unknown_users(standin, client):
    user = client.users_info(user="U123")["user"]

    assert user["id"] == "U123"
    assert user["team_id"] == "T0001"
    assert user["real_name"] == "Ada Lovelace"
    assert user["profile"]["display_name"] == "ada"
    assert user["tz"] == "America/New_York"
    assert user["tz_offset"] in (-5 * 3600, -4 * 3600)
    assert user["deleted"] is False

    with pytest.raises(SlackApiError) as err:
        client.users_info(user="U404")
    assert err.value.response["error"] == "user_not_found"
    assert [c.ok for c in standin.calls_to("users.info")] == [True, False]


def test_rate_limited_call_is_retried_after_retry_after(standin, client):
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    standin.fail_next("chat.postMessage", retry_after=1)

    started = time.monotonic()
    response = client.chat_postMessage(channel="C1", text="hi")

    assert response["ok"] is True
    assert time.monotonic() - started >= 1
    assert [c.status for c in standin.calls_to("chat.postMessage")] == [429, 200]


def test_server_error_then_recovery(standin, client):
    standin.fail_next("chat.update", status=503, times=2)

    for _ in range(2):
        with pytest.raises(SlackApiError) as err:
            client.chat_update(channel="C1", ts="1700000000.000100", text="x")
        assert err.value.response.status_code == 503
    assert client.chat_update(channel="C1", ts="1700000000.000100", text="x")["text"] == "x"
    assert [c.status for c in standin.calls_to("chat.update")] == [503, 503, 200]


def test_slack_level_error_raises_with_that_error(standin, client):
    standin.fail_next("users.info", error="account_inactive")

    with pytest.raises(SlackApiError) as err:
        client.users_info(user="U123")
    assert err.value.response.status_code == 200
    assert err.value.response["error"] == "account_inactive"
    assert client.users_info(user="U123")["ok"] is True


def test_failure_rate_applies_to_every_method_until_switched_off(standin, client):
    standin.set_failure_rate(None, 1.0, status=500)
    with pytest.raises(SlackApiError):
        client.auth_test()

    standin.set_failure_rate(None, 0.0)
    assert client.auth_test()["user_id"] == "UBOT"


def test_response_url_posts_are_recorded(standin):
    WebhookClient(standin.response_url("cmd-7")).send(text="Logged.", response_type="ephemeral")

    (call,) = standin.calls_to("response_url")
    assert call.params == {"text": "Logged.", "response_type": "ephemeral", "key": "cmd-7"}
    assert call.path == "/respond/cmd-7"


def test_wait_for_returns_after_a_call_from_another_thread(standin, client):
    timer = threading.Timer(0.05, lambda: client.chat_postMessage(channel="C1", text="later"))
    timer.start()

    calls = standin.wait_for("chat.postMessage", timeout=2)

    timer.join()
    assert calls[0].params["text"] == "later"


def test_wait_for_raises_on_timeout(standin):
    with pytest.raises(AssertionError, match="chat.delete"):
        standin.wait_for("chat.delete", timeout=0.05)


def test_two_standins_run_at_once_on_free_ports():
    with SlackStandIn(team_id="TA") as a, SlackStandIn(team_id="TB") as b:
        assert a.api_url != b.api_url
        assert WebClient(token="t", base_url=a.api_url).auth_test()["team_id"] == "TA"
        assert WebClient(token="t", base_url=b.api_url).auth_test()["team_id"] == "TB"
        assert len(a.calls) == len(b.calls) == 1


def test_views_are_kept_by_id_and_updatable(standin, client):
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Log"}, "blocks": BLOCKS}
    opened = client.views_open(trigger_id="123.456", view=modal)["view"]
    view_id = opened["id"]

    updated_modal = {**modal, "title": {"type": "plain_text", "text": "Saved"}}
    updated = client.views_update(view_id=view_id, view=updated_modal)["view"]

    assert view_id.startswith("V")
    assert opened["state"] == {"values": {}}
    assert updated["id"] == view_id
    assert updated["hash"] != opened["hash"]
    assert standin.views[view_id]["title"]["text"] == "Saved"


def test_home_tab_keeps_its_view_id_across_publishes(client):
    home = {"type": "home", "blocks": BLOCKS}
    first = client.views_publish(user_id="U123", view=home)["view"]["id"]
    assert client.views_publish(user_id="U123", view=home)["view"]["id"] == first


def test_other_methods_answer_realistic_shapes(standin, client):
    auth = client.auth_test()
    assert (auth["team_id"], auth["user_id"], auth["is_enterprise_install"]) == ("T0001", "UBOT", False)
    assert client.conversations_open(users="U123")["channel"]["id"] == "DU123"
    assert client.chat_postEphemeral(channel="C1", user="U123", text="psst")["message_ts"]
    link = client.chat_getPermalink(channel="C1", message_ts="1700000000.000100")["permalink"]
    assert link == "https://example.slack.com/archives/C1/p1700000000000100"
    assert client.team_info()["team"]["id"] == "T0001"
    assert client.api_call("reactions.add", json={"name": "eyes"})["ok"] is True
    assert standin.calls_to("reactions.add")[0].params == {"name": "eyes"}


def test_subscribers_see_successful_calls_only(standin, client):
    seen: list[RecordedCall] = []
    standin.subscribe(seen.append)
    standin.fail_next("chat.postMessage")

    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="lost")
    client.chat_postMessage(channel="C1", text="shown")

    assert [c.params["text"] for c in seen] == ["shown"]
    assert len(standin.calls) == 2
    standin.clear()
    assert standin.calls == []


# --- files: the upload API slack_sdk's files_upload_v2 drives ---

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # not UTF-8: the bytes must arrive untouched


def test_files_upload_v2_shares_the_bytes_name_title_channel_and_token(standin, client):
    response = client.files_upload_v2(
        channel="DU123",
        filename="report.png",
        content=PNG_BYTES,
        title="Touchpoints, last 30 days",
        initial_comment="Your report",
        thread_ts="1700000000.000100",
    )

    (shared,) = standin.files
    assert response["file"]["id"] == shared.id
    assert (shared.name, shared.title, shared.content) == ("report.png", "Touchpoints, last 30 days", PNG_BYTES)
    assert (shared.channel, shared.initial_comment, shared.thread_ts) == ("DU123", "Your report", "1700000000.000100")
    assert shared.token == "xoxb-test"
    assert response["file"]["mimetype"] == "image/png"
    assert response["file"]["size"] == len(PNG_BYTES)
    assert [c.method for c in standin.calls] == [
        "files.getUploadURLExternal",
        "upload_url",
        "files.completeUploadExternal",
    ]
    step1, step2, step3 = standin.calls
    assert step1.params["filename"] == "report.png"
    assert int(step1.params["length"]) == len(PNG_BYTES)
    assert step1.response["upload_url"].startswith(standin.base_url + "/upload/v1/")
    assert step2.params == {"file_id": shared.id, "length": len(PNG_BYTES)}
    assert step3.params["files"] == [{"id": shared.id, "title": "Touchpoints, last 30 days"}]
    assert standin.file(shared.id) == shared


def test_completing_an_upload_whose_bytes_never_arrived_is_file_not_found(standin, client):
    url = client.files_getUploadURLExternal(filename="report.png", length=10)

    with pytest.raises(SlackApiError) as err:
        client.files_completeUploadExternal(files=[{"id": url["file_id"]}], channel_id="C1")
    assert err.value.response["error"] == "file_not_found"
    assert standin.files == []


def test_a_file_is_shared_to_a_conversation_id_never_to_a_user_id(standin, client):
    with pytest.raises(SlackApiError) as err:
        client.files_upload_v2(channel="U123", filename="a.csv", content=b"a,b\n")
    assert err.value.response["error"] == "channel_not_found"
    assert standin.files == []


def test_the_retired_files_upload_answers_method_deprecated(standin, client):
    with pytest.raises(SlackApiError) as err:
        client.api_call("files.upload", data={"channels": "C1", "content": "x", "filename": "x.txt"})
    assert err.value.response["error"] == "method_deprecated"


@pytest.mark.parametrize("step", ["files.getUploadURLExternal", "files.completeUploadExternal"])
def test_invalid_auth_at_a_web_api_step_fails_the_upload(standin, client, step):
    standin.fail_next(step, error="invalid_auth")

    with pytest.raises(SlackApiError) as err:
        client.files_upload_v2(channel="C1", filename="a.csv", content=b"a,b\n")
    assert err.value.response["error"] == "invalid_auth"
    assert standin.files == []


@pytest.mark.parametrize("step", ["files.getUploadURLExternal", "files.completeUploadExternal"])
def test_a_429_at_a_web_api_step_is_waited_out_by_the_retry_handler(standin, client, step):
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    standin.fail_next(step, retry_after=1)

    client.files_upload_v2(channel="C1", filename="a.csv", content=b"a,b\n")

    assert [c.status for c in standin.calls_to(step)] == [429, 200]
    assert [f.content for f in standin.files] == [b"a,b\n"]


def test_a_failed_byte_upload_is_answered_with_its_status(standin, client):
    standin.fail_next("upload_url", retry_after=2)

    with pytest.raises(HTTPError) as err:
        client.files_upload_v2(channel="C1", filename="a.csv", content=b"a,b\n")
    assert err.value.code == 429
    assert err.value.headers["Retry-After"] == "2"
    assert standin.calls_to("files.completeUploadExternal") == []
    assert standin.files == []


def test_files_shared_to_one_conversation_are_limited_per_conversation(standin, client):
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    standin.limit_rate(per_channel_per_second=1, workspace_per_second=0, method="files.completeUploadExternal")

    client.files_upload_v2(channel="C1", filename="a.csv", content=b"1")
    client.files_upload_v2(channel="C2", filename="b.csv", content=b"2")
    client.files_upload_v2(channel="C1", filename="c.csv", content=b"3")

    assert [c.status for c in standin.calls_to("files.completeUploadExternal")] == [200, 200, 429, 200]
    assert [(f.channel, f.name) for f in standin.files] == [("C1", "a.csv"), ("C2", "b.csv"), ("C1", "c.csv")]


def test_a_step_run_completes_once_with_its_outputs_and_the_token_used(standin):
    execution = standin.begin_function_execution("log_touchpoint")
    step_client = WebClient(token=execution.bot_access_token, base_url=standin.api_url)

    step_client.functions_completeSuccess(function_execution_id=execution.id, outputs={"touchpoint_id": 7})
    with pytest.raises(SlackApiError) as again:
        step_client.functions_completeError(function_execution_id=execution.id, error="too late")
    with pytest.raises(SlackApiError) as unknown:
        step_client.functions_completeSuccess(function_execution_id="Fx0NEVER", outputs={})

    done = standin.wait_for_completion(execution.id)
    assert (done.state, done.outputs, done.completed_with) == (
        "completed",
        {"touchpoint_id": 7},
        "xwfp-T0001-000001-standin",
    )
    assert again.value.response["error"] == "execution_not_in_running_state"
    assert unknown.value.response["error"] == "function_execution_not_found"


def test_a_step_run_fails_with_its_error_and_waiting_on_one_left_running_says_so(standin):
    failed, left = (standin.begin_function_execution("log_touchpoint") for _ in range(2))

    WebClient(token=failed.bot_access_token, base_url=standin.api_url).functions_completeError(
        function_execution_id=failed.id, error="“Customer” is empty"
    )

    assert (standin.function_execution(failed.id).state, standin.function_execution(failed.id).error) == (
        "failed",
        "“Customer” is empty",
    )
    with pytest.raises(AssertionError, match="left running"):
        standin.wait_for_completion(left.id, timeout=0.2)
