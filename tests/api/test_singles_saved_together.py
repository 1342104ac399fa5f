"""Single posts that arrive while another is being saved are saved together (`bot.api.together`), in one
transaction, yet each answers as if posted alone: its own errors, `existing` for a record another request of the
same group sent, a 401 for a revoked token, and a failure only for the record that caused it."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import event, func, select

from bot.api import together as together_module
from bot.api.intake import Invalid, Saved
from bot.api.together import Posted, Revoked, SaveTogether
from bot.api.tokens import Caller, create_token, revoke_token
from storage.models import ApiToken, Customer, Touchpoint
from tests.api.test_post_touchpoints import DELIVERY
from tests.conftest import START


def _caller(sessions, workspace_id: int, name: str) -> Caller:
    with sessions() as session:
        token = session.scalars(select(ApiToken).where(ApiToken.name == name)).one()
    return Caller(workspace_id, token.id, token.name)


class HeldFirst:
    """A SaveTogether whose first group waits (in its clock) until `others` more records are queued behind it."""

    def __init__(self, runtime, others: int) -> None:
        self.others, self.first = others, True
        self.together = SaveTogether(runtime.sessions, runtime.indexes, self._clock)

    def _clock(self):
        if self.first:
            self.first = False
            deadline = time.monotonic() + 10
            while self.together.queued < self.others and time.monotonic() < deadline:
                time.sleep(0.005)
        return START

    def save_all(self, posts: list[Posted]) -> list[Any]:
        results: list[Any] = [None] * len(posts)

        def save(index: int) -> None:
            try:
                results[index] = self.together.save(posts[index])
            except Exception as error:
                results[index] = error

        threads = [threading.Thread(target=save, args=(0,))]
        threads[0].start()
        while self.first is not False:
            time.sleep(0.001)
        threads += [threading.Thread(target=save, args=(i,)) for i in range(1, len(posts))]
        for thread in threads[1:]:
            thread.start()
        for thread in threads:
            thread.join(30)
        return results


@pytest.fixture
def transactions(engine):
    began: list[object] = []

    def on_begin(conn: object) -> None:
        began.append(conn)

    event.listen(engine, "begin", on_begin)
    yield began
    event.remove(engine, "begin", on_begin)


def test_posts_arriving_meanwhile_are_saved_in_one_transaction_each_answered_alone(
    runtime, acme, sessions, transactions
):
    caller = _caller(sessions, acme.workspace_id, "shop")
    wayne = {"name": "Wayne Enterprises", "create_if_missing": True}
    records = [
        {**DELIVERY, "external_id": "first"},
        {**DELIVERY, "external_id": "a", "customer": wayne},
        {**DELIVERY, "external_id": "b", "customer": wayne},
        {**DELIVERY, "external_id": "c", "kind": "telegram"},
        {**DELIVERY, "external_id": "first", "summary": "the first record again"},
    ]
    held = HeldFirst(runtime, others=len(records) - 1)
    customers_before = session_count(sessions, Customer)
    transactions.clear()

    results = held.save_all([Posted(caller, record, {}, confirm=False) for record in records])

    first, a, b, telegram, again = results
    assert isinstance(first, Saved) and first.created
    assert isinstance(a, Saved) and a.created and isinstance(b, Saved) and b.created
    assert isinstance(telegram, Invalid) and [e.field for e in telegram.errors] == ["kind"]
    assert again == Saved(first.touchpoint_id, False)
    assert len(transactions) == 2  # the first alone, the four that came meanwhile together
    assert session_count(sessions, Touchpoint) == 3
    assert session_count(sessions, Customer) == customers_before + 1


def test_a_revoked_token_is_refused_and_the_others_of_its_group_are_saved(runtime, acme, sessions):
    shop = _caller(sessions, acme.workspace_id, "shop")
    with runtime.sessions.begin() as session:
        create_token(session, acme.workspace_id, "erp", now=START)
    erp = _caller(sessions, acme.workspace_id, "erp")
    with runtime.sessions.begin() as session:
        revoke_token(session, acme.workspace_id, "erp", now=START)
    held = HeldFirst(runtime, others=2)

    results = held.save_all(
        [
            Posted(shop, {**DELIVERY, "external_id": "1"}, {}, confirm=True),
            Posted(erp, {**DELIVERY, "external_id": "2"}, {}, confirm=True),
            Posted(shop, {**DELIVERY, "external_id": "3"}, {}, confirm=True),
        ]
    )

    assert isinstance(results[0], Saved) and isinstance(results[2], Saved)
    assert isinstance(results[1], Revoked)
    assert session_count(sessions, Touchpoint) == 2


def test_a_record_that_breaks_its_groups_transaction_fails_alone(runtime, acme, sessions, monkeypatch):
    caller = _caller(sessions, acme.workspace_id, "shop")
    save_batch = together_module.save_batch

    def breaking(session, indexes, caller, records, **kwargs):
        if any(record.get("summary") == "boom" for _, record in records):
            raise RuntimeError("a bug met by this record")
        return save_batch(session, indexes, caller, records, **kwargs)

    monkeypatch.setattr(together_module, "save_batch", breaking)
    held = HeldFirst(runtime, others=3)

    results = held.save_all(
        [
            Posted(caller, {**DELIVERY, "external_id": "1"}, {}, confirm=False),
            Posted(caller, {**DELIVERY, "external_id": "2"}, {}, confirm=False),
            Posted(caller, {**DELIVERY, "external_id": "3", "summary": "boom"}, {}, confirm=False),
            Posted(caller, {**DELIVERY, "external_id": "4"}, {}, confirm=False),
        ]
    )

    assert [type(result).__name__ for result in results] == ["Saved", "Saved", "RuntimeError", "Saved"]
    assert session_count(sessions, Touchpoint) == 3


def session_count(sessions, model) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model))
