"""A local stand-in for the Slack Web API.

It serves the handful of Web API methods Touchpoint uses over a real HTTP server bound to loopback,
so ``slack_sdk.WebClient(base_url=standin.api_url)`` and the Bolt app run unchanged against it. The
test suite uses it the way bolt-python's own tests use ``tests/mock_web_api_server``, and
``touchpoint shell`` uses it to run the real app without a Slack account.

A Workflow Builder step's run ends with functions.completeSuccess or functions.completeError: the stand-in keeps
each execution it was told of (``begin_function_execution``), answers those two as Slack does (once per execution,
``function_execution_not_found`` for one it never began) and records the outputs or error with the token used.

OAuth installs (``prepare_install``, then ``oauth.v2.access``) hand out a bot token per workspace or org-wide
install; ``auth.test`` answers for each token with its own installation, and a revoked one is refused
(``bot.local.installs_standin``).

``apps.connections.open`` answers, for an app-level token (``xapp-``), a link URL of the Socket Mode stand-in
attached with ``attach_socket_mode`` (``bot.local.socket_mode_standin``, which only the tests import).

Files are shared as Slack now takes them (``files_upload_v2``: an upload URL on the stand-in itself, the
bytes POSTed there, then files.completeUploadExternal); ``files`` keeps each shared file with its bytes, and
the retired files.upload answers ``method_deprecated``.

It never talks to the network beyond the address it binds (127.0.0.1 by default). Standard library only.
Long on purpose: one small handler per Web API method the app calls, sharing the recorder and the fault switches.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import mimetypes
import random
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from bot.local.installs_standin import Install, InstallError, Installs

logger = logging.getLogger(__name__)

__all__ = ["FunctionExecution", "RecordedCall", "SlackStandIn", "UploadedFile"]

# Form-encoded requests carry these as JSON strings; tests want to assert on the structure, not on text.
_JSON_FIELDS = frozenset(
    {"blocks", "attachments", "view", "metadata", "unfurls", "user_auth_blocks", "files", "outputs"}
)

# Slack's ts values look like epoch seconds with microseconds; a fixed origin keeps them deterministic.
_TS_ORIGIN = 1_700_000_000
_TS_STEP_MICROS = 100

RESPONSE_URL_METHOD = "response_url"
# The POST of a file's bytes to the upload_url files.getUploadURLExternal handed out (Slack's files.slack.com);
# recorded, and failed with fail_next, under this name.
UPLOAD_URL_METHOD = "upload_url"
_UPLOAD_PATH = "/upload/v1/"


@dataclass(frozen=True)
class RecordedCall:
    method: str
    params: dict[str, Any]
    token: str | None
    path: str
    at: float
    status: int
    ok: bool = True
    # The body it was answered with, e.g. the `ts` and `channel` of a posted message.
    response: dict[str, Any] = field(default_factory=dict)


class _SlackError(Exception):
    """A Slack-level failure: HTTP 200 with ``{"ok": false, "error": ...}``, as real Slack answers."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass(frozen=True)
class _Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.body.get("ok"))


@dataclass(frozen=True)
class UploadedFile:
    """A file shared by files.completeUploadExternal: what Slack would show in the conversation."""

    id: str
    name: str
    title: str
    content: bytes
    channel: str
    initial_comment: str | None
    thread_ts: str | None
    # The token files.completeUploadExternal was called with (the one that shared it).
    token: str | None


@dataclass
class FunctionExecution:
    """One run of a custom step, from the function_executed event Slack sends to its completion."""

    id: str
    callback_id: str
    # The event's bot_access_token: what the app is meant to make the run's calls with.
    bot_access_token: str
    state: str = "running"  # then "completed" or "failed"
    outputs: dict[str, Any] | None = None
    error: str | None = None
    # The token functions.completeSuccess or functions.completeError was called with.
    completed_with: str | None = None


@dataclass
class _PendingUpload:
    """A file between files.getUploadURLExternal and files.completeUploadExternal."""

    name: str
    length: int
    content: bytes | None = None


@dataclass
class _Channel:
    """A channel of the fake workspace; `shared_with` are the other organisations' teams in a Slack Connect one."""

    id: str
    name: str
    private: bool = False
    shared_with: tuple[str, ...] = ()
    bot_is_member: bool = False
    within_org: bool = False  # shared with other workspaces of the organisation
    pending: bool = False  # an invitation to share it with another organisation not accepted yet
    not_found: bool = False  # Slack will not show it to the bot

    def info(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.private,
            "is_group": False,
            "is_im": False,
            "is_private": self.private,
            "is_member": self.bot_is_member,
            # Slack sets is_shared for any channel shared beyond this workspace, within the org or outside it.
            "is_shared": bool(self.shared_with) or self.within_org,
            "is_ext_shared": bool(self.shared_with),
            "is_org_shared": self.within_org,
            "is_pending_ext_shared": self.pending,
            "shared_team_ids": list(self.shared_with),
        }


def _ok(**fields: Any) -> dict[str, Any]:
    return {"ok": True, **fields}


# The status of a reply never sent: the connection is closed unanswered, as a network failure would.
DISCONNECT = 0


def _failure_reply(status: int, error: str | None, retry_after: int | None) -> _Reply:
    if retry_after is not None:
        return _Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})
    if status == 200:
        return _Reply(200, {"ok": False, "error": error or "internal_error"})
    if status == 429:
        # A 429 without Retry-After would make slack_sdk's retry handler guess; keep it explicit.
        return _Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
    return _Reply(status, {"ok": False, "error": error or "internal_error"})


def _is_user_id(value: str) -> bool:
    # Enterprise Grid user ids start with W; both are accepted by chat.postMessage as a DM target.
    return value[:1] in ("U", "W")


def _dm_channel(user_id: str) -> str:
    return "D" + user_id


class _Workspace:
    """The fake workspace's state and the method handlers that read and change it.

    Handlers take the request params and return the response body, or raise ``_SlackError``.
    """

    def __init__(self, team_id: str, bot_user_id: str) -> None:
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = "B" + bot_user_id.lstrip("U")
        self.domain = "example"
        # Re-entrant so a handler holding it can still draw a fresh id.
        self.lock = threading.RLock()
        self._counters: dict[str, int] = {}
        self.users: dict[str, dict[str, Any]] = {}
        # Channels a test set up (`add_channel`, `share_channel`), as conversations.info describes them; any other
        # channel id is taken as a public one of the workspace's own with the bot in it.
        self.channels: dict[str, _Channel] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self._view_ids_by_external_id: dict[str, str] = {}
        self._home_view_ids: dict[str, str] = {}
        self._pending_uploads: dict[str, _PendingUpload] = {}
        self.files: list[UploadedFile] = []
        self.function_executions: dict[str, FunctionExecution] = {}
        # Channels the bot is not a member of: Slack refuses its posts and files there with not_in_channel.
        self.channels_without_bot: set[str] = set()
        # Set by the server once it listens: upload URLs point back at the stand-in itself.
        self.base_url = ""
        self.handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self.auth_test,
            "team.info": self.team_info,
            "chat.postMessage": self.chat_post_message,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.update": self.chat_update,
            "chat.delete": self.chat_delete,
            "chat.getPermalink": self.chat_get_permalink,
            "chat.scheduleMessage": self.chat_schedule_message,
            "conversations.open": self.conversations_open,
            "conversations.info": self.conversations_info,
            "conversations.join": self.conversations_join,
            "users.info": self.users_info,
            "users.list": self.users_list,
            "users.lookupByEmail": self.users_lookup_by_email,
            "views.open": self.views_open,
            "views.push": self.views_push,
            "views.update": self.views_update,
            "views.publish": self.views_publish,
            "files.getUploadURLExternal": self.files_get_upload_url_external,
            "files.completeUploadExternal": self.files_complete_upload_external,
            "files.upload": self.files_upload,
        }
        # The handlers that also keep who asked (the token the call came with).
        self.token_handlers: dict[str, Callable[[dict[str, Any], str | None], dict[str, Any]]] = {
            "files.completeUploadExternal": self.files_complete_upload_external,
            "functions.completeSuccess": self.functions_complete_success,
            "functions.completeError": self.functions_complete_error,
        }

    # --- id generators (requests arrive on many server threads at once) ---

    def _next(self, kind: str) -> int:
        with self.lock:
            self._counters[kind] = self._counters.get(kind, 0) + 1
            return self._counters[kind]

    def next_ts(self) -> str:
        micros = self._next("ts") * _TS_STEP_MICROS
        return f"{_TS_ORIGIN + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _next_view_id(self) -> str:
        return f"V{self._next('view'):08d}"

    # --- users ---

    def add_user(self, user: dict[str, Any]) -> None:
        with self.lock:
            self.users[user["id"]] = user

    def _user(self, user_id: str | None) -> dict[str, Any]:
        with self.lock:
            user = self.users.get(user_id or "")
        if user is None:
            raise _SlackError("user_not_found")
        return user

    def _resolve_channel(self, channel: str | None) -> str:
        """Posting to a user id lands in the DM with them, which real Slack answers with the D id."""
        if not channel:
            raise _SlackError("channel_not_found")
        if not _is_user_id(channel):
            return channel
        with self.lock:
            known = channel in self.users
        if not known:
            raise _SlackError("channel_not_found")
        return _dm_channel(channel)

    def _check_member_of(self, channel: str) -> None:
        with self.lock:
            outside = channel in self.channels_without_bot
        if outside:
            raise _SlackError("not_in_channel")

    # --- handlers ---

    def auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return _ok(
            url=f"https://{self.domain}.slack.com/",
            team="Touchpoint Stand-in",
            user="touchpoint",
            team_id=self.team_id,
            user_id=self.bot_user_id,
            bot_id=self.bot_id,
            is_enterprise_install=False,
        )

    def team_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return _ok(team={"id": self.team_id, "name": "Touchpoint Stand-in", "domain": self.domain})

    def chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        self._check_member_of(channel)
        self._check_can_post(channel)
        if not params.get("text") and not params.get("blocks") and not params.get("attachments"):
            raise _SlackError("no_text")
        ts = self.next_ts()
        message = {
            "type": "message",
            "text": params.get("text", ""),
            "blocks": params.get("blocks", []),
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "team": self.team_id,
            "ts": ts,
        }
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
        return _ok(channel=channel, ts=ts, message=message)

    def chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        self._resolve_channel(params.get("channel"))
        if not params.get("user"):
            raise _SlackError("user_not_in_channel")
        return _ok(message_ts=self.next_ts())

    def chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        if not params.get("ts"):
            raise _SlackError("message_not_found")
        text = params.get("text", "")
        message = {"text": text, "blocks": params.get("blocks", []), "user": self.bot_user_id}
        return _ok(channel=channel, ts=params["ts"], text=text, message=message)

    def chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        return _ok(channel=channel, ts=params.get("ts"))

    def chat_get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        ts = str(params.get("message_ts", ""))
        permalink = f"https://{self.domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return _ok(channel=channel, permalink=permalink)

    def chat_schedule_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        scheduled_id = f"Q{self._next('scheduled'):08d}"
        return _ok(channel=channel, scheduled_message_id=scheduled_id, post_at=params.get("post_at"))

    def conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel"):
            return _ok(channel={"id": params["channel"]})
        user_ids = [u.strip() for u in str(params.get("users", "")).split(",") if u.strip()]
        if len(user_ids) != 1:
            # Group DMs are out of scope for Touchpoint; say so rather than invent an id.
            raise _SlackError("not_enough_users" if not user_ids else "method_not_supported_for_channel_type")
        user = self._user(user_ids[0])
        return _ok(channel={"id": _dm_channel(user["id"])})

    def _known_channel(self, channel_id: str | None) -> _Channel | None:
        with self.lock:
            return self.channels.get(channel_id or "")

    def _check_can_post(self, channel_id: str) -> None:
        """As Slack answers a bot with chat:write.public: any public channel, a private one only once invited."""
        channel = self._known_channel(channel_id)
        if channel is not None and channel.private and not channel.bot_is_member:
            raise _SlackError("channel_not_found")

    def conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        """A DM, a channel a test set up, or else a public channel of the workspace's own with the bot in it."""
        channel_id = str(params.get("channel") or "")
        if not channel_id:
            raise _SlackError("channel_not_found")
        if _is_user_id(channel_id) or channel_id.startswith("D"):
            return _ok(channel={"id": channel_id, "is_im": True, "is_channel": False, "is_private": True})
        channel = self._known_channel(channel_id) or _Channel(channel_id, channel_id.lower(), bot_is_member=True)
        if channel.not_found or (channel.private and not channel.bot_is_member):
            raise _SlackError("channel_not_found")
        return _ok(channel={**channel.info(), "context_team_id": self.team_id})

    def conversations_join(self, params: dict[str, Any]) -> dict[str, Any]:
        """A bot joins a public channel itself; a private one it must be invited to, as Slack says."""
        channel = self._known_channel(params.get("channel"))
        if channel is None:
            raise _SlackError("channel_not_found")
        if channel.private:
            raise _SlackError(
                "channel_not_found" if not channel.bot_is_member else "method_not_supported_for_channel_type"
            )
        with self.lock:
            already = channel.bot_is_member
            channel.bot_is_member = True
            self.channels_without_bot.discard(channel.id)
        reply = _ok(channel=channel.info())
        if already:
            reply["warning"] = "already_in_channel"
        return reply

    def users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return _ok(user=_with_live_tz(self._user(params.get("user"))))

    def users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            members = [_with_live_tz(u) for u in self.users.values()]
        return _ok(members=members, response_metadata={"next_cursor": ""})

    def users_lookup_by_email(self, params: dict[str, Any]) -> dict[str, Any]:
        email = str(params.get("email", "")).lower()
        with self.lock:
            match = next((u for u in self.users.values() if u["profile"]["email"].lower() == email), None)
        if match is None:
            raise _SlackError("users_not_found")
        return _ok(user=_with_live_tz(match))

    def views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("trigger_id"):
            raise _SlackError("invalid_trigger_id")
        return _ok(view=self._store_view(params, self._next_view_id()))

    def views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.views_open(params)

    def views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        # An unknown view_id is accepted and adopted: tests hand-craft payloads whose view ids the
        # stand-in never issued, and the handler under test should still be able to update "its" modal.
        view_id = params.get("view_id")
        if not view_id and params.get("external_id"):
            with self.lock:
                view_id = self._view_ids_by_external_id.get(params["external_id"])
        return _ok(view=self._store_view(params, view_id or self._next_view_id()))

    def views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = params.get("user_id")
        if not user_id:
            raise _SlackError("invalid_arguments")
        # Slack keeps one Home tab view per user, so republishing keeps its id.
        with self.lock:
            view_id = self._home_view_ids.get(user_id)
            if view_id is None:
                view_id = self._home_view_ids[user_id] = self._next_view_id()
        return _ok(view=self._store_view(params, view_id))

    def _store_view(self, params: dict[str, Any], view_id: str) -> dict[str, Any]:
        submitted = params.get("view")
        if not isinstance(submitted, dict):
            raise _SlackError("invalid_arguments")
        with self.lock:
            previous = self.views.get(view_id, {})
        view = {
            "type": "modal",
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "clear_on_close": False,
            "notify_on_close": False,
            **submitted,
            "id": view_id,
            "team_id": self.team_id,
            "app_id": "A0STANDIN",
            "bot_id": self.bot_id,
            "root_view_id": previous.get("root_view_id", view_id),
            "previous_view_id": None,
            "hash": f"{int(time.time())}.{self._next('hash'):08d}",
            "state": {"values": {}},
        }
        with self.lock:
            self.views[view_id] = view
            if view["external_id"]:
                self._view_ids_by_external_id[view["external_id"]] = view_id
        return view

    # --- files: Slack's upload API in three steps, as slack_sdk's files_upload_v2 drives it ---

    def files_get_upload_url_external(self, params: dict[str, Any]) -> dict[str, Any]:
        filename = str(params.get("filename") or "")
        try:
            length = int(params.get("length") or 0)
        except (TypeError, ValueError):
            length = 0
        if not filename or length <= 0:
            raise _SlackError("invalid_arguments")
        file_id = f"F{self._next('file'):08d}"
        with self.lock:
            self._pending_uploads[file_id] = _PendingUpload(name=filename, length=length)
        return _ok(upload_url=f"{self.base_url}{_UPLOAD_PATH}{file_id}", file_id=file_id)

    def receive_upload(self, file_id: str, content: bytes) -> bool:
        """The bytes POSTed to an upload URL; False when no upload is waiting at that URL."""
        with self.lock:
            pending = self._pending_uploads.get(file_id)
            if pending is None:
                return False
            pending.content = content
            return True

    def files_complete_upload_external(self, params: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        files = params.get("files")
        if not isinstance(files, list) or not files or not all(isinstance(f, dict) and f.get("id") for f in files):
            raise _SlackError("invalid_arguments")
        channel = params.get("channel_id") or None
        if channel is not None and channel[:1] not in ("C", "D", "G"):
            # Slack takes a conversation id here, never a user id: a DM is opened first.
            raise _SlackError("channel_not_found")
        if channel is not None:
            self._check_member_of(channel)
        with self.lock:
            pending = [(f, self._pending_uploads.get(str(f["id"]))) for f in files]
            if any(p is None or p.content is None for _, p in pending):
                raise _SlackError("file_not_found")
            shared: list[UploadedFile] = []
            for sent, upload in pending:
                assert upload is not None and upload.content is not None
                del self._pending_uploads[str(sent["id"])]
                shared.append(
                    UploadedFile(
                        id=str(sent["id"]),
                        name=upload.name,
                        title=str(sent.get("title") or upload.name),
                        content=upload.content,
                        channel=channel or "",
                        initial_comment=params.get("initial_comment") or None,
                        thread_ts=params.get("thread_ts") or None,
                        token=token,
                    )
                )
            self.files.extend(shared)
        return _ok(files=[_file_object(f) for f in shared])

    def files_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        # Slack retired files.upload (for new apps in 2024, for all in 2025); its answer now is this.
        raise _SlackError("method_deprecated")

    # --- custom steps: a run ends once, with its outputs or an error ---

    def begin_function_execution(self, callback_id: str) -> FunctionExecution:
        number = self._next("function_execution")
        execution = FunctionExecution(
            id=f"Fx{number:010d}",
            callback_id=callback_id,
            bot_access_token=f"xwfp-{self.team_id}-{number:06d}-standin",
        )
        with self.lock:
            self.function_executions[execution.id] = execution
        return execution

    def functions_complete_success(self, params: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        outputs = params.get("outputs")
        if not isinstance(outputs, dict):
            raise _SlackError("invalid_arguments")
        self._complete(params, token, state="completed", outputs=outputs)
        return _ok()

    def functions_complete_error(self, params: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        error = params.get("error")
        if not isinstance(error, str) or not error:
            raise _SlackError("invalid_arguments")
        self._complete(params, token, state="failed", error=error)
        return _ok()

    def _complete(self, params: dict[str, Any], token: str | None, **outcome: Any) -> None:
        with self.lock:
            execution = self.function_executions.get(str(params.get("function_execution_id") or ""))
            if execution is None:
                raise _SlackError("function_execution_not_found")
            if execution.state != "running":
                raise _SlackError("execution_not_in_running_state")
            for name, value in {**outcome, "completed_with": token}.items():
                setattr(execution, name, value)


def _file_object(uploaded: UploadedFile) -> dict[str, Any]:
    """The file as Slack's files.completeUploadExternal describes it (the fields Touchpoint reads)."""
    return {
        "id": uploaded.id,
        "name": uploaded.name,
        "title": uploaded.title,
        "size": len(uploaded.content),
        "mimetype": _mimetype(uploaded.name),
        "channels": [uploaded.channel] if uploaded.channel else [],
    }


def _mimetype(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _with_live_tz(user: dict[str, Any]) -> dict[str, Any]:
    """tz_offset depends on the date (DST), so it is computed per answer, not when the user is added."""
    now = datetime.now(ZoneInfo(user["tz"]))
    offset = now.utcoffset()
    return {
        **user,
        "tz_label": now.tzname() or user["tz"],
        "tz_offset": int(offset.total_seconds()) if offset else 0,
    }


class _FaultPlan:
    """Decides whether a call gets an injected failure instead of its normal answer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: dict[str, list[_Reply]] = {}
        self._rates: dict[str | None, tuple[float, int, random.Random]] = {}

    def queue(self, method: str, reply: _Reply, times: int) -> None:
        with self._lock:
            self._queued.setdefault(method, []).extend([reply] * times)

    def set_rate(self, method: str | None, rate: float, status: int, seed: int) -> None:
        with self._lock:
            if rate <= 0:
                self._rates.pop(method, None)
            else:
                self._rates[method] = (rate, status, random.Random(seed))

    def take(self, method: str) -> _Reply | None:
        with self._lock:
            queued = self._queued.get(method)
            if queued:
                return queued.pop(0)
            for key in (method, None):
                if key in self._rates:
                    rate, status, rng = self._rates[key]
                    if rng.random() < rate:
                        return _failure_reply(status, None, None)
                    return None
        return None


class _Bucket:
    """A token bucket: `capacity` calls at once, refilled at `rate` a second."""

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.at = now

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now

    def wait(self) -> float:
        """Seconds until one token is there (0 when one is there now)."""
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


class _RateLimits:
    """Slack's posting limits: about one message a second per conversation, and a workspace-wide cap.

    A call over either limit is answered 429 with a Retry-After in whole seconds, as Slack does, and uses
    up nothing, so a client that waits as told gets through.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._limits: dict[str, tuple[float, float]] = {}
        self._workspace: dict[str, _Bucket] = {}
        self._channels: dict[tuple[str, str], _Bucket] = {}

    def configure(self, method: str, per_channel: float, workspace: float, burst: float) -> None:
        with self._lock:
            self._workspace.pop(method, None)
            self._channels = {k: v for k, v in self._channels.items() if k[0] != method}
            if per_channel > 0 or workspace > 0:
                self._limits[method] = (per_channel, workspace, burst)
            else:
                self._limits.pop(method, None)

    def retry_after(self, method: str, channel: str | None) -> int | None:
        """None when the call may go ahead (and is counted), else the seconds to wait."""
        with self._lock:
            limits = self._limits.get(method)
            if limits is None:
                return None
            per_channel, workspace, burst = limits
            now = time.monotonic()
            buckets = []
            if workspace > 0:
                buckets.append(self._bucket(self._workspace, method, workspace, burst, now))
            if per_channel > 0 and channel:
                buckets.append(self._bucket(self._channels, (method, channel), per_channel, burst, now))
            wait = max((b.wait() for b in buckets), default=0.0)
            if wait > 0:
                return max(1, math.ceil(wait))
            for bucket in buckets:
                bucket.tokens -= 1
            return None

    @staticmethod
    def _bucket(buckets: dict[Any, _Bucket], key: Any, rate: float, burst: float, now: float) -> _Bucket:
        bucket = buckets.get(key)
        if bucket is None:
            bucket = buckets[key] = _Bucket(rate, max(1.0, rate * burst), now)
        bucket.refill(now)
        return bucket


class _Gate:
    """Holds calls to some methods unanswered until released, like a Slack that stalls for a moment."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._held: set[str] = set()

    def hold(self, method: str) -> None:
        with self._changed:
            self._held.add(method)

    def release(self, method: str | None = None) -> None:
        with self._changed:
            if method is None:
                self._held.clear()
            else:
                self._held.discard(method)
            self._changed.notify_all()

    def pass_through(self, method: str) -> bool:
        """Wait while `method` is held; True when this call was held at all."""
        with self._changed:
            if method not in self._held:
                return False
            while method in self._held:
                self._changed.wait()
            return True


def _peer_closed(connection: socket.socket) -> bool:
    """Whether the client hung up (a process that died closes its sockets)."""
    try:
        readable, _, _ = select.select([connection], [], [], 0)
        return bool(readable) and connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class _StandInServer(ThreadingHTTPServer):
    daemon_threads = True
    # Tests start and stop many stand-ins; do not let TIME_WAIT sockets block a rebind.
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], standin: SlackStandIn) -> None:
        super().__init__(address, _Handler)
        self.standin = standin


class _Handler(BaseHTTPRequestHandler):
    server: _StandInServer
    server_version = "SlackStandIn/1.0"

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply = self.server.standin._handle(
            path=self.path,
            body=body,
            content_type=self.headers.get("Content-Type", ""),
            authorization=self.headers.get("Authorization"),
            peer_closed=lambda: _peer_closed(self.connection),
        )
        if reply is None:  # held and given up on by its client, or a disconnect: no answer, as if lost on the way
            self.close_connection = True
            return
        payload = json.dumps(reply.body).encode("utf-8")
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        # The default writes every request to stderr, which would garble the shell's terminal.
        logger.debug("slack stand-in: " + format, *args)


def _parse_params(query: str, body: bytes, content_type: str) -> dict[str, Any]:
    params: dict[str, Any] = dict(parse_qsl(query))
    text = body.decode("utf-8") if body else ""
    if text:
        # slack_sdk labels even form bodies as JSON in some paths, so trust the body's shape over the header.
        looks_json = "json" in content_type.lower() or text.lstrip().startswith("{")
        params.update(_parse_json_body(text) if looks_json else dict(parse_qsl(text, keep_blank_values=True)))
    for name in _JSON_FIELDS & params.keys():
        params[name] = _maybe_json(params[name])
    return params


def _parse_json_body(text: str) -> dict[str, Any]:
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        return dict(parse_qsl(text, keep_blank_values=True))
    return parsed if isinstance(parsed, dict) else {"_body": parsed}


def _maybe_json(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def _bearer_token(authorization: str | None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[len("bearer ") :].strip() or None
    return None


def _basic_credentials(authorization: str | None) -> dict[str, str]:
    if not authorization or not authorization.lower().startswith("basic "):
        return {}
    try:
        client_id, _, secret = base64.b64decode(authorization[len("basic ") :].strip()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return {}
    return {"client_id": client_id, "client_secret": secret}


class SlackStandIn:
    """A Slack Web API stand-in served over HTTP on loopback. Use as a context manager or start()/stop()."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, team_id: str = "T0001", bot_user_id: str = "UBOT"
    ) -> None:
        self.host = host
        self.port = port
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self._workspace = _Workspace(team_id, bot_user_id)
        self._faults = _FaultPlan()
        self._rate_limits = _RateLimits()
        self._gate = _Gate()
        self.dropped = 0
        self._calls: list[RecordedCall] = []
        self._calls_changed = threading.Condition()
        self._subscribers: list[Callable[[RecordedCall], None]] = []
        # Issues a Socket Mode link URL for apps.connections.open; None: this app has Socket Mode off.
        self._socket_mode: Callable[[], str] | None = None
        self._server: _StandInServer | None = None
        self._thread: threading.Thread | None = None
        self._installs = Installs()
        # The app's OAuth credentials oauth.v2.access checks (None: any is taken).
        self.client_id: str | None = None
        self.client_secret: str | None = None
        # The bot scopes the app asks for: an install approved as asked grants them.
        self.app_scopes: tuple[str, ...] = ()

    # --- lifecycle ---

    def start(self) -> SlackStandIn:
        if self._server is not None:
            return self
        self._server = _StandInServer((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._workspace.base_url = self.base_url
        # A short poll interval makes stop() (which waits for the serve loop to notice) near-instant.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"slack-standin:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._gate.release()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- addresses ---

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("SlackStandIn is not running; call start() first")
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    @property
    def hooks_url(self) -> str:
        """What SLACK_HOOKS_URL is for an app talking to the stand-in: every response_url it hands out starts so."""
        return f"{self.base_url}/respond/"

    def response_url(self, key: str = "r1") -> str:
        return f"{self.hooks_url}{key}"

    # --- workspace setup ---

    def add_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        tz: str = "Europe/Berlin",
        deleted: bool = False,
        is_admin: bool = False,
        team_id: str | None = None,
        email: str | None = None,
        enterprise_id: str | None = None,
        also_in: tuple[str, ...] = (),
        is_stranger: bool = False,
    ) -> None:
        """A person users.info knows: of this workspace by default, of another with `team_id` (someone of a
        customer's in a Slack Connect channel), of a grid org with `enterprise_id` (and of its other workspaces
        `also_in`), or `is_stranger` (Slack shows them only as a stranger: they share no channel with this one)."""
        ZoneInfo(tz)  # fail here, in the test's setup, rather than inside a server thread later
        name = name or user_id.lower()
        real_name = real_name or name.replace(".", " ").title()
        team = team_id or self.team_id
        if also_in and enterprise_id is None:
            enterprise_id = "E" + self.team_id.lstrip("T")
        grid = {"enterprise_user": {"id": user_id, "enterprise_id": enterprise_id, "teams": [team, *also_in]}}
        self._workspace.add_user(
            {
                **(grid if enterprise_id else {}),
                **({"is_stranger": True} if is_stranger else {}),
                "id": user_id,
                "team_id": team,
                "name": name,
                "real_name": real_name,
                "deleted": deleted,
                "is_admin": is_admin,
                "is_owner": False,
                "is_bot": False,
                "tz": tz,
                "profile": {
                    "real_name": real_name,
                    "display_name": name,
                    "email": email or f"{name}@example.com",
                },
            }
        )

    def remove_bot_from(self, channel: str) -> None:
        """The bot is no longer in `channel` (never invited, or removed): its posts and files there are refused
        with not_in_channel, as Slack refuses them, until `invite_bot`."""
        with self._workspace.lock:
            self._workspace.channels_without_bot.add(channel)
            known = self._workspace.channels.get(channel)
            if known is not None:
                known.bot_is_member = False

    def invite_bot(self, channel_id: str) -> None:
        """Someone typed /invite @Touchpoint in the channel."""
        with self._workspace.lock:
            self._workspace.channels_without_bot.discard(channel_id)
            known = self._workspace.channels.get(channel_id)
            if known is not None:
                known.bot_is_member = True

    def share_channel(
        self,
        channel_id: str,
        *,
        externally: bool = True,
        within_org: bool = False,
        pending: bool = False,
        not_found: bool = False,
    ) -> None:
        """How conversations.info describes `channel_id` from now on: shared with another organisation (Slack
        Connect), with other workspaces of the org, an invitation to share it pending, or not shown to the bot."""
        with self._workspace.lock:
            channel = self._workspace.channels.get(channel_id) or _Channel(
                channel_id, channel_id.lower(), bot_is_member=True
            )
            if externally and not pending and not channel.shared_with:
                channel.shared_with = ("T0PARTNER",)
            elif not externally or pending:
                channel.shared_with = ()
            channel.within_org, channel.pending, channel.not_found = within_org, pending, not_found
            self._workspace.channels[channel_id] = channel

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        private: bool = False,
        shared_with: tuple[str, ...] = (),
        bot_is_member: bool = False,
    ) -> None:
        """A channel Slack knows: public or private, shared with other organisations' teams, the bot in it or not."""
        with self._workspace.lock:
            self._workspace.channels[channel_id] = _Channel(channel_id, name, private, shared_with, bot_is_member)

    def bot_is_member(self, channel_id: str) -> bool:
        with self._workspace.lock:
            channel = self._workspace.channels.get(channel_id)
            return channel is not None and channel.bot_is_member

    @property
    def files(self) -> list[UploadedFile]:
        """Every file shared through files.completeUploadExternal, in the order they were shared."""
        with self._workspace.lock:
            return list(self._workspace.files)

    def file(self, file_id: str) -> UploadedFile | None:
        return next((f for f in self.files if f.id == file_id), None)

    def begin_function_execution(self, callback_id: str) -> FunctionExecution:
        """A run of the custom step `callback_id` that Slack is about to tell the app of (function_executed): its
        execution id and the bot_access_token the event carries. Send the event with
        `SlackSimulator.function_executed`."""
        return self._workspace.begin_function_execution(callback_id)

    def function_execution(self, execution_id: str) -> FunctionExecution:
        """How a run stands now (a copy): running, completed with outputs or failed with an error."""
        with self._workspace.lock:
            return replace(self._workspace.function_executions[execution_id])

    def wait_for_completion(self, execution_id: str, timeout: float = 5.0) -> FunctionExecution:
        """Block until the run was completed or failed (functions.completeSuccess or completeError); return it."""
        deadline = time.monotonic() + timeout
        with self._calls_changed:  # an execution changes state just before its call is recorded and notified
            while (execution := self.function_execution(execution_id)).state == "running":
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"the step run {execution_id} was left running after {timeout}s")
                self._calls_changed.wait(remaining)
        return execution

    @property
    def views(self) -> dict[str, dict[str, Any]]:
        """The latest version of every view opened, pushed, updated or published, by view id."""
        with self._workspace.lock:
            return dict(self._workspace.views)

    def prepare_install(
        self,
        team_id: str | None = None,
        *,
        team_name: str | None = None,
        enterprise_id: str | None = None,
        enterprise_name: str | None = None,
        is_enterprise_install: bool = False,
        scopes: tuple[str, ...] | None = None,
        installer: str = "U0ADMIN",
        error: str | None = None,
    ) -> Install:
        """An install someone approves on Slack's page: its `code` (for the redirect) and the `bot_token`
        oauth.v2.access will trade it for once, or the `error` it will answer. Scopes default to what was asked."""
        return self._installs.prepare(
            team_id=team_id,
            team_name=team_name or (f"Team {team_id}" if team_id else None),
            enterprise_id=enterprise_id,
            enterprise_name=enterprise_name or (f"Org {enterprise_id}" if enterprise_id else None),
            is_enterprise_install=is_enterprise_install,
            scopes=scopes if scopes is not None else self.app_scopes,
            installer=installer,
            error=error,
        )

    def revoke_token(self, token: str) -> None:
        """Slack forgets a bot token (app uninstalled, tokens revoked): every call with it is refused."""
        self._installs.revoke(token)

    def attach_socket_mode(self, issue_url: Callable[[], str] | None) -> None:
        """Let apps.connections.open hand out the link URLs `issue_url` makes (None: Socket Mode off again)."""
        self._socket_mode = issue_url

    # --- fault injection ---

    def fail_next(
        self,
        method: str,
        *,
        status: int | None = None,
        error: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        disconnect: bool = False,
    ) -> None:
        """Make the next `times` calls to `method` fail.

        retry_after -> 429 ratelimited with a Retry-After header. error alone -> a Slack-level error
        (HTTP 200, ok false), e.g. "user_not_found". status alone -> that HTTP status (default 500).
        disconnect -> the connection is closed with no answer at all (recorded with status 0), a network error.
        A file upload's three steps are `files.getUploadURLExternal`, UPLOAD_URL_METHOD (the POST of its bytes)
        and `files.completeUploadExternal`; each fails on its own.
        """
        if disconnect:
            status = DISCONNECT
        elif status is None:
            status = 200 if error is not None and retry_after is None else 500
        self._faults.queue(method, _failure_reply(status, error, retry_after), times)

    def set_failure_rate(self, method: str | None, rate: float, status: int = 500, seed: int = 0) -> None:
        """Fail a seeded-random share of calls to `method` (None: every method); rate 0 turns it off."""
        self._faults.set_rate(method, rate, status, seed)

    def limit_rate(
        self,
        per_channel_per_second: float = 1,
        workspace_per_second: float = 50,
        method: str = "chat.postMessage",
        burst: float = 1.0,
    ) -> None:
        """Answer calls to `method` over Slack's posting limits with 429 and a Retry-After; 0 and 0 turn it off.

        Per channel: about one message a second in one conversation (a DM with a person is one). Workspace:
        a cap on all of them together. Each allows a burst of `burst` seconds' worth (at least one call).
        """
        self._rate_limits.configure(method, per_channel_per_second, workspace_per_second, burst)

    def hold(self, method: str) -> None:
        """Leave calls to `method` unanswered until `release`; a held call whose client died meanwhile is dropped."""
        self._gate.hold(method)

    def release(self, method: str | None = None) -> None:
        self._gate.release(method)

    # --- recording ---

    @property
    def calls(self) -> list[RecordedCall]:
        with self._calls_changed:
            return list(self._calls)

    def calls_to(self, method: str) -> list[RecordedCall]:
        with self._calls_changed:
            return [c for c in self._calls if c.method == method]

    def clear(self) -> None:
        """Forget recorded calls. Users, views and queued failures stay."""
        with self._calls_changed:
            self._calls.clear()

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[RecordedCall]:
        """Block until `count` calls to `method` (failed ones included) are recorded; return all of them."""
        deadline = time.monotonic() + timeout
        with self._calls_changed:
            while True:
                matching = [c for c in self._calls if c.method == method]
                remaining = deadline - time.monotonic()
                if len(matching) >= count:
                    return matching
                if remaining <= 0:
                    seen = sorted({c.method for c in self._calls})
                    raise AssertionError(
                        f"expected {count} call(s) to {method} within {timeout}s, got {len(matching)}; "
                        f"methods seen: {seen}"
                    )
                self._calls_changed.wait(remaining)

    def subscribe(self, callback: Callable[[RecordedCall], None]) -> None:
        with self._calls_changed:
            self._subscribers.append(callback)

    # --- request handling (server threads) ---

    def _handle(
        self,
        *,
        path: str,
        body: bytes,
        content_type: str,
        authorization: str | None,
        peer_closed: Callable[[], bool] = lambda: False,
    ) -> _Reply | None:
        url = urlsplit(path)
        if url.path.startswith(_UPLOAD_PATH):
            # A file's raw bytes, not form fields: never decoded as text.
            params: dict[str, Any] = {"file_id": url.path[len(_UPLOAD_PATH) :], "length": len(body)}
            content: bytes | None = body
            token = _bearer_token(authorization)
            method: str | None = UPLOAD_URL_METHOD
        else:
            params = _parse_params(url.query, body, content_type)
            content = None
            param_token = params.pop("token", None)
            token = _bearer_token(authorization) or param_token
            # oauth.v2.access: slack-sdk sends the app's client id and secret as HTTP Basic credentials.
            params.update(_basic_credentials(authorization))
            method = self._method_for(url.path, params)
        if method is None:
            return _Reply(404, {"ok": False, "error": "unknown_path"})
        if self._gate.pass_through(method) and peer_closed():
            with self._calls_changed:
                self.dropped += 1
            return None
        reply = (
            self._faults.take(method)
            or self._limited(method, params)
            or (self._receive_upload(params, content) if content is not None else self._answer(method, params, token))
        )
        call = RecordedCall(
            method=method,
            params=params,
            token=token,
            path=url.path,
            at=time.time(),
            status=reply.status,
            ok=reply.ok,
            response=reply.body,
        )
        self._record(call)
        return None if reply.status == DISCONNECT else reply

    def _limited(self, method: str, params: dict[str, Any]) -> _Reply | None:
        # files.completeUploadExternal names its conversation channel_id; it is limited per conversation too.
        channel = params.get("channel") or params.get("channel_id")
        if isinstance(channel, str) and _is_user_id(channel):
            channel = _dm_channel(channel)
        retry_after = self._rate_limits.retry_after(method, channel if isinstance(channel, str) else None)
        return None if retry_after is None else _failure_reply(429, None, retry_after)

    @staticmethod
    def _method_for(path: str, params: dict[str, Any]) -> str | None:
        if path.startswith("/api/") and len(path) > len("/api/"):
            return path[len("/api/") :]
        if path.startswith("/respond/"):
            params["key"] = path[len("/respond/") :]
            return RESPONSE_URL_METHOD
        return None

    def _answer(self, method: str, params: dict[str, Any], token: str | None) -> _Reply:
        refused = self._installs.refused(token)
        if refused:
            return _Reply(200, {"ok": False, "error": refused})
        try:
            if method == "oauth.v2.access":
                return _Reply(200, self._installs.exchange(params, self.client_id, self.client_secret))
        except InstallError as exc:
            return _Reply(200, {"ok": False, "error": exc.error})
        installed = self._installs.owner_of(token)
        if method == "auth.test" and installed is not None:
            return _Reply(200, installed.identity(f"https://{self._workspace.domain}.slack.com/"))
        if method == "users.info" and installed is not None:
            return self._member_of_install(params, installed)
        workspace = self._workspace
        handler = workspace.handlers.get(method)
        if handler is None and method not in workspace.token_handlers and method != "apps.connections.open":
            # Unforeseen methods succeed so a new API call in the app does not crash the shell or tests;
            # the recording still shows it was made.
            return _Reply(200, _ok())
        try:
            if method == "apps.connections.open":
                # Only an app-level token opens a link.
                return _Reply(200, self._open_connection(token))
            if method in workspace.token_handlers:
                # Answers that keep who asked: a shared file, a step's completion record the token used.
                return _Reply(200, workspace.token_handlers[method](params, token))
            assert handler is not None
            return _Reply(200, handler(params))
        except _SlackError as exc:
            return _Reply(200, {"ok": False, "error": exc.error})

    def _member_of_install(self, params: dict[str, Any], installed: Install) -> _Reply:
        """users.info asked with an installation's token: the stand-in's own people are that installation's
        members (of its team, or of its org's), as Slack shows a workspace its members; someone a test made of
        another team stays of it."""
        try:
            user = dict(self._workspace.users_info(params)["user"])
        except _SlackError as exc:
            return _Reply(200, {"ok": False, "error": exc.error})
        if user.get("team_id") == self.team_id and not user.get("enterprise_user"):
            user["team_id"] = installed.team_id or user["team_id"]
            if installed.enterprise_id:
                teams = [installed.team_id] if installed.team_id else []
                user["enterprise_user"] = {"id": user["id"], "enterprise_id": installed.enterprise_id, "teams": teams}
        return _Reply(200, _ok(user=user))

    def _open_connection(self, token: str | None) -> dict[str, Any]:
        """A Socket Mode link URL, for an app-level token only, as Slack answers."""
        if not token:
            raise _SlackError("not_authed")
        if not token.startswith("xapp-"):
            raise _SlackError("not_allowed_token_type")  # a bot or user token cannot open a link
        if self._socket_mode is None:
            # The stand-in's own word for an app whose Socket Mode is not turned on.
            raise _SlackError("socket_mode_not_enabled")
        return _ok(url=self._socket_mode())

    def _receive_upload(self, params: dict[str, Any], content: bytes) -> _Reply:
        if not self._workspace.receive_upload(str(params["file_id"]), content):
            return _Reply(404, {"ok": False, "error": "file_not_found"})
        return _Reply(200, _ok())

    def _record(self, call: RecordedCall) -> None:
        with self._calls_changed:
            self._calls.append(call)
            subscribers = list(self._subscribers)
            self._calls_changed.notify_all()
        if not call.ok:
            return
        for callback in subscribers:
            try:
                callback(call)
            except Exception:
                # A broken renderer must not turn into an HTTP 500 the app would then retry.
                logger.exception("slack stand-in subscriber failed for %s", call.method)
