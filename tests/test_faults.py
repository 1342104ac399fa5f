"""A store that stops answering: an apology within Slack's 3 seconds, nothing typed lost, recovery by itself."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.app import build_app
from bot.blocks import store_down_reply
from bot.local.simulator import SlackSimulator, dispatch_transport, http_transport
from bot.runtime import Runtime
from storage.db import create_store_engine
from storage.models import Touchpoint
from tests.conftest import SIGNING_SECRET, TEAM, make_settings
from tests.helpers import element, elements, texts
from tests.tcp_proxy import TcpProxy

LINE = "Acme: call with Dana &amp; Lee, follow up friday"


class StoreOutage:
    """Takes the test store down and up again, the way it fails on each backend."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url)
        self.proxy: TcpProxy | None = None
        self.lock: sqlite3.Connection | None = None
        if url.get_backend_name() == "postgresql":
            self.proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
            url = url.set(host="127.0.0.1", port=self.proxy.port)
        self.sqlite_path = url.database if url.get_backend_name() == "sqlite" else None
        self.url = url.render_as_string(hide_password=False)

    def down(self) -> None:
        if self.proxy:
            self.proxy.cut()
        else:
            # Another process holding the write lock is how a SQLite store stops answering writes.
            self.lock = sqlite3.connect(self.sqlite_path, isolation_level=None)
            self.lock.execute("BEGIN EXCLUSIVE")

    def stall(self) -> None:
        """Stop answering on the connections already open, without closing them (a hung server or network)."""
        if self.proxy:
            self.proxy.stall()
        else:
            self.down()

    def up(self) -> None:
        if self.proxy:
            self.proxy.resume()
            self.proxy.restore()
        elif self.lock:
            self.lock.execute("ROLLBACK")
            self.lock.close()
            self.lock = None

    def close(self) -> None:
        if self.proxy:
            self.proxy.close()


@pytest.fixture
def outage(database_url, engine):
    outage = StoreOutage(database_url)
    yield outage
    outage.up()
    outage.close()


def test_a_store_that_is_down_gets_an_apology_in_time_and_the_bot_recovers(outage, standin, clock):
    engine = create_store_engine(outage.url)
    rt = Runtime(settings=make_settings(outage.url, standin.api_url, standin.hooks_url), engine=engine, clock=clock)
    app = build_app(rt)
    slack = SlackSimulator(
        dispatch_transport(app, rt.settings), SIGNING_SECRET, team_id=TEAM, response_url=standin.response_url
    )
    assert slack.command("U0ALICE", "Acme: warm-up call").status == 200

    outage.down()
    started = time.monotonic()
    reply = slack.command("U0ALICE", LINE)
    elapsed = time.monotonic() - started

    assert reply.status == 200
    assert elapsed < 3.0
    body = reply.json()
    assert "store is not answering" in texts(body)
    assert "Dana &amp; Lee" in texts(body)  # what was typed is shown back, escaped
    _, retry = element(body, "retry_log")
    assert retry["value"] == LINE

    outage.up()
    slack.click("U0ALICE", retry)
    [logged] = standin.wait_for("response_url")
    assert logged.params["blocks"][0]["text"]["text"].startswith("Logged *call* with")
    with rt.sessions.begin() as session:
        summaries = [tp.summary for tp in session.scalars(select(Touchpoint).order_by(Touchpoint.id))]
    assert summaries == ["warm-up call", "call with Dana & Lee"]
    engine.dispose()


def test_a_line_too_long_to_retry_by_button_is_shown_whole_rather_than_retried_cut():
    line = "Acme: " + "call with Dana &amp; Lee &lt;3 " * 140  # 4,206 characters as Slack sends them

    reply = store_down_reply(line)

    pieces = [item["text"] for block in reply["blocks"][1:] for item in block["elements"]]
    shown = "".join(pieces).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert shown == line.replace("&lt;", "<").replace("&amp;", "&")  # every character, as the person typed it
    assert all(len(piece) <= 3000 for piece in pieces)
    assert elements(reply) == []  # no Try again that would log the line cut to a button's 2,000 characters
    assert "send it again in a moment" in texts(reply)


def test_a_store_that_stops_answering_mid_connection_gets_an_apology_in_time(outage, standin, clock):
    engine = create_store_engine(outage.url)
    rt = Runtime(settings=make_settings(outage.url, standin.api_url, standin.hooks_url), engine=engine, clock=clock)
    app = build_app(rt)
    slack = SlackSimulator(
        dispatch_transport(app, rt.settings), SIGNING_SECRET, team_id=TEAM, response_url=standin.response_url
    )
    assert slack.command("U0ALICE", "Acme: warm-up call").status == 200

    outage.stall()
    replies = []
    sender = threading.Thread(target=lambda: replies.append(slack.command("U0ALICE", LINE)), daemon=True)
    sender.start()
    sender.join(timeout=3.0)  # as long as Slack waits for an acknowledgement
    outage.up()

    assert replies, "no answer within Slack's 3 seconds"
    [reply] = replies
    assert reply.status == 200
    assert "store is not answering" in texts(reply.json())
    _, retry = element(reply.json(), "retry_log")
    slack.click("U0ALICE", retry)
    [logged] = standin.wait_for("response_url")
    assert logged.params["blocks"][0]["text"]["text"].startswith("Logged *call* with")
    engine.dispose()


class HeldWriteLock:
    """Another writer holding the touchpoints' write lock, as a long migration or a stuck process would."""

    def __init__(self, database_url: str) -> None:
        self.url = make_url(database_url)
        self.release_timer: threading.Timer | None = None

    def take(self, hold_s: float) -> None:
        if self.url.get_backend_name() == "postgresql":
            import psycopg  # only where the suite runs on PostgreSQL

            self.conn: Any = psycopg.connect(
                host=self.url.host, port=self.url.port, user=self.url.username, dbname=self.url.database
            )
            self.conn.execute("LOCK TABLE touchpoints IN EXCLUSIVE MODE")  # reads pass, writes wait
        else:
            self.conn = sqlite3.connect(self.url.database, isolation_level=None, check_same_thread=False)
            self.conn.execute("BEGIN EXCLUSIVE")
        self.release_timer = threading.Timer(hold_s, self.release)
        self.release_timer.start()

    def release(self) -> None:
        if self.release_timer is not None:
            self.release_timer.cancel()
        with contextlib.suppress(Exception):
            self.conn.rollback()
            self.conn.close()


def test_a_write_stuck_on_a_lock_gets_the_apology_in_time_and_saves_nothing_later(database_url, served, runtime):
    # Slack gives up on an acknowledgement after 3 seconds: so does this transport.
    slack = SlackSimulator(
        http_transport(served + "/slack/events", timeout=3.0),
        SIGNING_SECRET,
        team_id=TEAM,
        response_url=lambda key: "http://127.0.0.1:9/respond/" + key,
    )
    assert slack.command("U0ALICE", "Acme: warm-up call").status == 200
    lock = HeldWriteLock(database_url)
    lock.take(hold_s=8)
    try:
        reply = slack.command("U0ALICE", LINE)
    finally:
        lock.release()

    assert reply.status == 200
    assert "store is not answering" in texts(reply.json())
    with runtime.sessions.begin() as session:  # the line was not saved behind the apology's back
        assert [tp.summary for tp in session.scalars(select(Touchpoint))] == ["warm-up call"]
