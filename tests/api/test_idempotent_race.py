"""Two requests posting the same record at once make one touchpoint: the unique index decides, and the one that
lost answers with the winner's id. On PostgreSQL the loser's insert waits for the winner's commit, then leaves its
row out (ON CONFLICT DO NOTHING on uq_touchpoints_external_id) and reads the winner's; on SQLite the writers queue,
and the second's insert is left out the same way."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from bot.api.intake import save_batch
from bot.api.tokens import Caller
from storage.models import ApiToken, Touchpoint
from tests.api.test_post_touchpoints import DELIVERY
from tests.conftest import START


def test_two_identical_posts_at_once_store_one_row(runtime, acme, sessions):
    with sessions() as session:
        token = session.scalars(select(ApiToken)).one()
    caller = Caller(acme.workspace_id, token.id, token.name)
    first_inserted, second_started = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def winner() -> None:
        with runtime.sessions.begin() as session:
            (results["winner"],) = save_batch(session, runtime.indexes, caller, [("", DELIVERY)], now=START)
            first_inserted.set()
            second_started.wait(10)
            # Give the loser time to reach its insert, which then waits on this transaction's row.
            threading.Event().wait(0.5)

    def loser() -> None:
        first_inserted.wait(10)
        second_started.set()
        with runtime.sessions.begin() as session:
            (results["loser"],) = save_batch(session, runtime.indexes, caller, [("", DELIVERY)], now=START)

    threads = [threading.Thread(target=winner), threading.Thread(target=loser)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    won, lost = results["winner"], results["loser"]
    assert won.created and not lost.created
    assert lost.touchpoint_id == won.touchpoint_id
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Touchpoint)) == 1
