"""The HTTP edge: a request that fails verification gets 401 and makes no call anywhere; a body over the limit
gets 413 before it is parsed; replies go to Slack's hooks host only; request text never forges a log line."""

from __future__ import annotations

import ast
import hashlib
import hmac
import io
import json
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from gunicorn.config import Config
from slack_bolt import BoltRequest

from bot.app import build_app
from bot.config import DEFAULT_SLACK_HOOKS_URL
from bot.edge import MAX_BODY_BYTES
from bot.local.simulator import SlackSimulator, http_transport
from bot.local.slack_standin import SlackStandIn
from bot.logs import one_line_handler
from bot.response_urls import ResponseUrls
from bot.server import OneLineGunicornLogger, wsgi_app
from tests.conftest import SIGNING_SECRET, TEAM
from tests.helpers import element, seed_customers

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def elsewhere() -> Iterator[SlackStandIn]:
    """Another server on loopback: the address an attacker names as response_url, recording whatever reaches it."""
    with SlackStandIn(team_id=TEAM) as server:
        yield server


@pytest.fixture
def misdirected(served, elsewhere) -> SlackSimulator:
    """Signed like Slack's own requests, but every response_url in them points at another host."""
    return SlackSimulator(
        http_transport(served + "/slack/events"),
        SIGNING_SECRET,
        team_id=TEAM,
        response_url=lambda key: elsewhere.response_url("secret-" + key),
    )


def wait_for_refusal(caplog, timeout: float = 5.0) -> None:
    """Until the listener, running on after its ack, has logged the refused reply (or the time is up)."""
    deadline = time.monotonic() + timeout
    while "refused to post to a response_url" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.02)


def signature(timestamp: str, body: bytes, secret: str = SIGNING_SECRET) -> str:
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return "v0=" + digest


def post(served: str, body: bytes, headers: dict[str, str]):
    return http_transport(served + "/slack/events")(body, {"Content-Type": FORM, **headers})


def command_body(response_url: str) -> bytes:
    fields = {"command": "/log", "text": "Acme: call", "team_id": TEAM, "user_id": "U0ALICE", "channel_id": "C0GEN"}
    return urlencode({**fields, "response_url": response_url, "trigger_id": "t.1"}).encode()


def action_payload(response_url: str) -> dict:
    return {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": "U0ALICE", "team_id": TEAM},
        "api_app_id": "A0TOUCH",
        "actions": [{"type": "button", "action_id": "tp_undo", "block_id": "b", "value": "1"}],
        "container": {"type": "message", "is_ephemeral": True},
        "response_url": response_url,
        "trigger_id": "t.1",
    }


def action_body(response_url: str) -> bytes:
    return urlencode({"payload": json.dumps(action_payload(response_url))}).encode()


def now_stamp() -> str:
    return str(int(time.time()))


# (name, headers for a body) — each fails verification for a different reason.
UNVERIFIABLE = [
    ("non-numeric timestamp", lambda body: {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"}),
    ("empty timestamp", lambda body: {"X-Slack-Request-Timestamp": "", "X-Slack-Signature": signature("", body)}),
    ("fractional timestamp", lambda body: {"X-Slack-Request-Timestamp": "1.5", "X-Slack-Signature": "v0=00"}),
    ("400-digit timestamp", lambda body: {"X-Slack-Request-Timestamp": "9" * 400, "X-Slack-Signature": "v0=00"}),
    ("no timestamp", lambda body: {"X-Slack-Signature": signature(now_stamp(), body)}),
    (
        "stale timestamp",
        lambda body: {
            "X-Slack-Request-Timestamp": str(int(time.time()) - 600),
            "X-Slack-Signature": signature(str(int(time.time()) - 600), body),
        },
    ),
    (
        "timestamp from the future",
        lambda body: {
            "X-Slack-Request-Timestamp": str(int(time.time()) + 600),
            "X-Slack-Signature": signature(str(int(time.time()) + 600), body),
        },
    ),
    ("no signature", lambda body: {"X-Slack-Request-Timestamp": now_stamp()}),
    ("wrong signature", lambda body: {"X-Slack-Request-Timestamp": now_stamp(), "X-Slack-Signature": "v0=" + "0" * 64}),
    (
        "signed with another secret",
        lambda body: {
            "X-Slack-Request-Timestamp": (stamp := now_stamp()),
            "X-Slack-Signature": signature(stamp, body, "another-secret"),
        },
    ),
]


@pytest.mark.parametrize("build_body", [command_body, action_body], ids=["slash command", "interaction"])
@pytest.mark.parametrize("case", UNVERIFIABLE, ids=[name for name, _ in UNVERIFIABLE])
def test_a_request_that_fails_verification_gets_401_and_no_call_goes_out(
    served, standin, elsewhere, runtime, build_body, case
):
    seed_customers(runtime, TEAM, {"name": "Acme Corp"})
    body = build_body(elsewhere.response_url("attacker"))
    _, headers_for = case

    reply = post(served, body, headers_for(body))

    assert reply.status == 401
    assert elsewhere.calls == []
    assert standin.calls == []


@pytest.mark.parametrize(
    "body",
    [b"payload=%7Bnot+json", b"payload=%5B1%2C2%5D", b"\xff\xfe not utf-8", b"payload=%22just+a+string%22"],
    ids=["broken JSON", "a JSON list", "not UTF-8", "a JSON string"],
)
def test_a_signed_body_that_does_not_parse_gets_401_and_no_call_goes_out(served, standin, elsewhere, body):
    stamp = now_stamp()

    reply = post(served, body, {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature(stamp, body)})

    assert reply.status == 401
    assert elsewhere.calls == []
    assert standin.calls == []


def test_a_verified_request_naming_another_host_as_response_url_is_never_answered_there(
    misdirected, standin, elsewhere, runtime, caplog
):
    seed_customers(runtime, TEAM, {"name": "Acme Corp"})
    reply = misdirected.command("U0ALICE", "Acme: call, follow up friday").json()
    _, undo = element(reply, "tp_undo")

    with caplog.at_level(logging.WARNING):
        assert misdirected.click("U0ALICE", undo).status == 200
        wait_for_refusal(caplog)

    assert elsewhere.calls == []
    assert standin.calls_to("response_url") == []
    assert f"127.0.0.1:{elsewhere.port}" in caplog.text
    assert "secret-" not in caplog.text


def test_a_response_url_kept_in_a_modal_is_not_answered_on_another_host(
    misdirected, standin, elsewhere, runtime, caplog
):
    customers = seed_customers(runtime, TEAM, {"name": "Acme Corp"}, {"name": "Globex"})
    reply = misdirected.command("U0ALICE", "Acme: call with Dana").json()
    _, edit = element(reply, "tp_edit")
    misdirected.click("U0ALICE", edit)
    view = standin.wait_for("views.open")[-1].params["view"]
    values = {
        "customer": {
            "customer_select": {"type": "external_select", "selected_option": {"value": str(customers["Globex"])}}
        },
        "kind": {"value": {"type": "static_select", "selected_option": {"value": "call"}}},
        "summary": {"value": {"type": "plain_text_input", "value": "call with Dana and Lee"}},
        "tags": {"value": {"type": "plain_text_input", "value": ""}},
    }

    with caplog.at_level(logging.WARNING):
        assert misdirected.submit("U0ALICE", view, values).status == 200
        wait_for_refusal(caplog)

    assert json.loads(view["private_metadata"])["response_url"].startswith(elsewhere.hooks_url)
    assert elsewhere.calls == []
    assert standin.calls_to("response_url") == []


def test_a_verified_request_still_gets_its_replies_through_the_hooks_host(slack, standin, runtime):
    seed_customers(runtime, TEAM, {"name": "Acme Corp"})
    reply = slack.command("U0ALICE", "Acme: call, follow up friday").json()
    _, undo = element(reply, "tp_undo")

    assert slack.click("U0ALICE", undo).status == 200

    [undone] = standin.wait_for("response_url")
    assert undone.params["replace_original"] is True


# --- body size ---------------------------------------------------------------------------------------------------


def test_a_body_declared_over_the_limit_gets_413_before_any_of_it_is_sent(served, standin):
    host, port = served.removeprefix("http://").split(":")
    request = (
        f"POST /slack/events HTTP/1.1\r\nHost: {host}\r\nContent-Type: {FORM}\r\n"
        f"X-Slack-Request-Timestamp: {now_stamp()}\r\nX-Slack-Signature: v0=00\r\n"
        f"Content-Length: {MAX_BODY_BYTES + 1}\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        # Nothing of the body is sent: the answer must come from the headers alone.
        connection.sendall(request.encode())
        answer = connection.makefile("rb").readline()

    assert answer.startswith(b"HTTP/1.0 413") or answer.startswith(b"HTTP/1.1 413")
    assert standin.calls == []


class EndlessInput(io.RawIOBase):
    """A request body that never ends, counting what the app reads of it."""

    def __init__(self) -> None:
        self.taken = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        assert size >= 0, "the app asked for the whole of an endless body"
        self.taken += size
        return b"x" * size


def wsgi_post(application, environ: dict, body_stream) -> tuple[str, bytes]:
    seen: dict[str, str] = {}

    def start_response(status, headers, exc_info=None):
        seen["status"] = status

    base = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": FORM,
        "wsgi.input": body_stream,
        "wsgi.input_terminated": True,
    }
    out = b"".join(application({**base, **environ}, start_response))
    return seen["status"], out


@pytest.fixture
def application(runtime, standin):
    return wsgi_app(build_app(runtime), runtime.engine, runtime.settings)


def test_a_body_without_content_length_is_read_no_further_than_the_limit(application, standin):
    endless = EndlessInput()

    status, _ = wsgi_post(application, {}, endless)

    assert status.startswith("413")
    assert endless.taken <= MAX_BODY_BYTES + 1
    assert standin.calls == []


def test_a_content_length_over_the_limit_is_refused_without_reading_the_body(application, standin):
    endless = EndlessInput()

    status, _ = wsgi_post(application, {"CONTENT_LENGTH": str(50 * MAX_BODY_BYTES)}, endless)

    assert status.startswith("413")
    assert endless.taken == 0


def test_a_content_length_shorter_than_the_body_reads_only_what_it_says(application, standin, elsewhere):
    body = command_body(elsewhere.response_url("attacker"))
    stamp = now_stamp()
    headers = {"HTTP_X_SLACK_REQUEST_TIMESTAMP": stamp, "HTTP_X_SLACK_SIGNATURE": signature(stamp, body)}
    stream = io.BytesIO(body[:40] + b"x" * (2 * MAX_BODY_BYTES))

    status, _ = wsgi_post(application, {"CONTENT_LENGTH": "40", **headers}, stream)

    assert status.startswith("401")
    assert stream.tell() == 40
    assert elsewhere.calls == [] and standin.calls == []


@pytest.mark.parametrize("length", ["abc", "-5", "1e3", "9" * 400])
def test_a_malformed_content_length_gets_400(application, standin, length):
    status, _ = wsgi_post(application, {"CONTENT_LENGTH": length}, EndlessInput())

    assert status.startswith("400")
    assert standin.calls == []


# --- logs ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What the app logs, written by the handler `touchpoint` itself installs."""
    stream = io.StringIO()
    handler = one_line_handler(stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def test_request_text_with_newlines_never_starts_a_log_line_of_its_own(slack, standin, log_lines):
    forged = "nope\nERROR handlers.errors: forged\r\x1b[2Kalso forged"

    # An action nothing listens to: Bolt logs a note naming it before the request is answered.
    slack.click("U0ALICE", {"type": "button", "action_id": forged, "value": "1"})

    written = log_lines.getvalue()
    assert "nope" in written
    assert not any(line.startswith("ERROR handlers.errors: forged") for line in written.splitlines())
    assert "\r" not in written and "\x1b" not in written


def test_an_exception_message_cannot_forge_a_line_either(log_lines, caplog):
    try:
        raise ValueError("bad value\nERROR handlers.errors: forged")
    except ValueError:
        logging.getLogger("handlers.errors").exception("listener failed")

    first, *traceback = log_lines.getvalue().splitlines()
    assert first == "ERROR handlers.errors: listener failed"
    assert traceback and all(line.startswith("  ") for line in traceback)


def test_a_refused_request_is_logged_in_one_line_without_its_body(served, log_lines):
    body = b"text=" + b"secret-body-" * 20 + b"%0AERROR+forged"

    post(served, body, {"X-Slack-Request-Timestamp": "abc\tdef", "X-Slack-Signature": "v0=00"})

    written = log_lines.getvalue()
    assert "refused" in written
    assert "secret-body" not in written and "forged" not in written
    assert len(written.strip().splitlines()) == 1


# --- which response_urls may be answered ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com/commands/T0/1/abc",
        "https://HOOKS.slack.com/actions/T0/1/abc",
        "https://hooks.slack.com:443/actions/T0/1/abc",
    ],
)
def test_a_response_url_on_slacks_hooks_host_is_accepted(url):
    assert ResponseUrls(DEFAULT_SLACK_HOOKS_URL).accepts(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com.evil.example/commands/T0/1/abc",
        "https://evil.example/?https://hooks.slack.com/",
        "https://hooks.slack.com@evil.example/commands",
        "https://user:pw@hooks.slack.com/commands",
        "https://evil.example\\@hooks.slack.com/commands",
        "http://hooks.slack.com/commands/T0/1/abc",
        "https://hooks.slack.com:8443/commands/T0/1/abc",
        "https://hooks.slack.com:notaport/commands",
        "https://hooks.slack.com/commands\r\nHost: evil.example",
        "//hooks.slack.com/commands",
        "file:///etc/passwd",
        "",
        None,
    ],
)
def test_a_response_url_anywhere_else_is_refused(url):
    assert not ResponseUrls(DEFAULT_SLACK_HOOKS_URL).accepts(url)


def test_a_response_url_must_also_start_with_the_hooks_path(standin):
    allowed = ResponseUrls(standin.hooks_url)

    assert allowed.accepts(standin.response_url("cmd1"))
    assert not allowed.accepts(standin.api_url + "chat.postMessage")


def test_gunicorns_own_logs_are_one_line_a_record_too(capsys):
    config = Config()
    config.set("accesslog", "-")
    config.set("errorlog", "-")
    logs = OneLineGunicornLogger(config)

    logs.error("Invalid request from ip=%s: %s", "127.0.0.1", "GET /slack/events\r\n[ERROR] forged")
    logs.access_log.info("%s", 'POST /slack/events "agent\x1b[2K\nforged"')

    captured = capsys.readouterr()
    assert len(captured.err.strip().splitlines()) == 1 and "forged" in captured.err
    assert len(captured.out.strip().splitlines()) == 1 and "\x1b" not in captured.out


def test_only_the_guard_posts_to_a_response_url():
    """A WebhookClient anywhere else would post to whatever URL a request named, past the hooks-host rule."""
    root = Path(__file__).resolve().parent.parent
    guard = root / "bot" / "response_urls.py"
    users = []
    for package in ("bot", "handlers", "storage"):
        for path in (root / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    imported = {alias.name for alias in node.names}
                elif isinstance(node, ast.ImportFrom):
                    imported = {node.module or ""} | {alias.name for alias in node.names}
                else:
                    continue
                if path != guard and imported & {"slack_sdk.webhook", "WebhookClient"}:
                    users.append(str(path.relative_to(root)))

    assert users == []


def test_a_reply_slack_does_not_take_is_given_up_on(standin):
    standin.hold("response_url")
    hurried = ResponseUrls(standin.hooks_url, timeout_s=0.2)

    with pytest.raises(OSError):
        hurried.send(standin.response_url("cmd1"), text="too late")
    standin.release()

    assert ResponseUrls(standin.hooks_url).timeout_s <= 5


# --- Socket Mode -------------------------------------------------------------------------------------------------


def socket_mode_click(app, element_: dict, response_url: str) -> None:
    payload = action_payload(response_url)
    payload["actions"] = [{"type": "button", "block_id": "b", **element_}]
    app.dispatch(BoltRequest(body=payload, mode="socket_mode"))


def test_socket_mode_replies_go_through_the_same_guard(slack, standin, elsewhere, runtime, caplog):
    seed_customers(runtime, TEAM, {"name": "Acme Corp"})
    app = build_app(runtime)
    first = slack.command("U0ALICE", "Acme: call").json()
    second = slack.command("U0ALICE", "Acme: visit").json()

    with caplog.at_level(logging.WARNING):
        socket_mode_click(app, element(first, "tp_undo")[1], elsewhere.response_url("secret-1"))
        wait_for_refusal(caplog)
    socket_mode_click(app, element(second, "tp_undo")[1], standin.response_url("sm-2"))

    [undone] = standin.wait_for("response_url")
    assert undone.params["key"] == "sm-2"
    assert elsewhere.calls == []
