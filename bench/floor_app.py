"""The floor for bench/log_latency.py: a bare Bolt app whose /log only inserts one row and acks.

Served by gunicorn exactly like `touchpoint serve` (gthread, same workers and threads, same /healthz, same
signature verification, same SQLite engine settings: WAL, busy timeout, BEGIN IMMEDIATE for writers):

    DATABASE_URL=sqlite:///... SLACK_SIGNING_SECRET=... SLACK_BOT_TOKEN=xoxb-... SLACK_API_URL=http://.../api/ \
        gunicorn bench.floor_app:application --worker-class gthread --workers 2 --threads 8

Everything Touchpoint does on top of this (finding the workspace and the author, parsing the line, matching
the customer, the follow-up, the audit event, rendering the reply) is what the benchmark compares against it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy import insert, select

from bot.config import load_settings
from bot.server import wsgi_app
from storage.db import create_store_engine
from storage.models import Touchpoint, Workspace


def build_application() -> Callable[..., Iterable[bytes]]:
    engine = create_store_engine(os.environ["DATABASE_URL"])
    team_id = os.environ.get("BENCH_TEAM_ID", "T0BENCH")
    with engine.connect() as conn:
        workspace_id = conn.scalar(select(Workspace.id).where(Workspace.team_id == team_id))
    if workspace_id is None:
        raise SystemExit(f"floor_app: no workspace {team_id} in {os.environ['DATABASE_URL']}")
    app = App(
        client=WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        token_verification_enabled=False,
    )
    table = Touchpoint.__table__

    @app.command("/log")
    def log(ack: Ack, command: dict[str, Any]) -> None:
        now = datetime.now(UTC)
        text = command.get("text") or ""
        with engine.begin() as conn:
            conn.execute(
                insert(table).values(
                    workspace_id=workspace_id,
                    author_user_id=command["user_id"],
                    kind="note",
                    summary=text,
                    raw_text=text,
                    tags=[],
                    occurred_at=now,
                    source="command",
                    channel_id=command.get("channel_id"),
                    created_at=now,
                )
            )
        # JSON like Touchpoint's reply (Bolt sends a bare `text` as text/plain).
        ack(text="Logged note", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "Logged *note*"}}])

    return wsgi_app(app, engine, load_settings())


application = build_application()
