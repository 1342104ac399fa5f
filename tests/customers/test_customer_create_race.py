"""Creating a customer is atomic: of people creating the same name at once, one creates it and the others get it."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text

from bot.capture import touchpoints
from bot.customers import curation
from storage.models import AuditEvent, Customer
from storage.workspaces import workspace_for_team
from tests.conftest import TEAM
from tests.helpers import count, element


def _workspace_id(runtime) -> int:
    with runtime.sessions.begin() as session:
        return workspace_for_team(session, TEAM).id


@contextlib.contextmanager
def _lock_watch(runtime) -> Iterator[Callable[[threading.Event], None]]:
    """A wait, on PostgreSQL, until the second writer waits on the first one's row (or finished without waiting).

    Its connection is opened before the race starts: connecting on a busy machine can take longer than the
    second writer's lock timeout (1 s on a serving connection), and the first must commit as soon as the
    second waits. SQLite writers take turns on the whole store, so there the second begins only after the
    first commits. A machine too busy to get the second that far within ten seconds makes the race less
    likely, not the test wrong: the first commits then anyway.
    """
    if runtime.engine.dialect.name != "postgresql":
        yield lambda done: None
        return
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    # Autocommit: each look is its own transaction, so it sees pg_stat_activity as it is now, not a snapshot.
    with runtime.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(waiting)

        def wait(done: threading.Event) -> None:
            deadline = time.monotonic() + 10
            while not done.is_set() and connection.execute(waiting).scalar() == 0 and time.monotonic() < deadline:
                time.sleep(0.005)

        yield wait


def test_the_second_of_two_simultaneous_creates_gets_the_first_ones_customer(runtime):
    workspace_id = _workspace_id(runtime)
    now = runtime.now()
    second: dict[str, int] = {}
    done = threading.Event()

    def create_second() -> None:
        with runtime.sessions.begin() as session:
            second["id"] = touchpoints.create_customer(session, workspace_id, "U0BOB", "Initech", now=now)
        done.set()

    with _lock_watch(runtime) as wait_until_blocked_or_done, runtime.sessions.begin() as session:
        first = touchpoints.create_customer(session, workspace_id, "U0ALICE", "Initech", now=now)
        racer = threading.Thread(target=create_second)
        racer.start()
        # The second has read that no Initech exists and is inserting it while the first is not yet committed.
        wait_until_blocked_or_done(done)
    racer.join(timeout=10)

    assert second == {"id": first}
    with runtime.sessions.begin() as session:
        assert count(session, Customer, Customer.name == "Initech") == 1
        created = session.scalars(select(AuditEvent.actor_user_id).where(AuditEvent.action == "created")).all()
    assert created == ["U0ALICE"]  # the one who lost the race created nothing, so nothing is recorded for them


def test_forty_people_creating_five_names_at_once_make_five_customers(slack, standin, runtime):
    names = ["Initech", "Hooli", "Pied Piper", "Vandelay Industries", "Soylent"]
    clicks = [(f"U0P{i:02d}", names[i % len(names)]) for i in range(40)]
    for user_id, _ in clicks:
        standin.add_user(user_id, tz="Europe/Berlin")
    start = threading.Barrier(len(clicks))

    def click(user_and_name: tuple[str, str]) -> int:
        user_id, name = user_and_name
        start.wait()
        return slack.click(user_id, {"action_id": "card_create_anyway", "value": name}).status

    with ThreadPoolExecutor(max_workers=len(clicks)) as pool:
        statuses = list(pool.map(click, clicks))

    assert statuses == [200] * len(clicks)
    replies = standin.wait_for("response_url", count=len(clicks), timeout=30)
    opened = {}
    for reply in replies:
        _, button = element(reply.params, "card_open")
        opened.setdefault(button["value"], set()).add(reply.params["text"])
    assert sorted(len(v) for v in opened.values()) == [1] * len(names)  # everyone was shown the one customer
    with runtime.sessions.begin() as session:
        per_name = dict(session.execute(select(Customer.name, func.count()).group_by(Customer.name)).all())
        ids = {str(i) for i in session.scalars(select(Customer.id))}
    assert per_name == dict.fromkeys(names, 1)
    assert set(opened) == ids


def test_a_merge_is_not_undone_over_a_customer_created_since_under_the_merged_ones_name(runtime):
    workspace_id = _workspace_id(runtime)
    now = runtime.now()
    with runtime.sessions.begin() as session:
        survivor = touchpoints.create_customer(session, workspace_id, "U0ALICE", "Initech", now=now)
        absorbed = touchpoints.create_customer(session, workspace_id, "U0ALICE", "Initrode", now=now)
        session.get(Customer, survivor).owner_user_id = "U0ALICE"
        merge = curation.merge_customers(session, workspace_id, "U0ALICE", survivor, absorbed, now=now)
    with runtime.sessions.begin() as session:  # the merged-away name is free again: someone creates it anew
        created_since = touchpoints.create_customer(session, workspace_id, "U0BOB", "Initrode", now=now)

    refused = "Another customer is now called Initrode: rename it first, then undo the merge."
    with pytest.raises(curation.Refused, match=refused), runtime.sessions.begin() as session:
        curation.undo_merge(session, workspace_id, "U0ALICE", merge.event_id, now=now)
    with runtime.sessions.begin() as session:
        assert session.get(Customer, absorbed).merged_into_id == survivor
        assert created_since not in (survivor, absorbed)


def test_of_two_simultaneous_renames_to_one_name_the_second_is_told_to_merge_instead(runtime):
    workspace_id = _workspace_id(runtime)
    now = runtime.now()
    with runtime.sessions.begin() as session:
        first_id = touchpoints.create_customer(session, workspace_id, "U0ALICE", "Initek", now=now)
        second_id = touchpoints.create_customer(session, workspace_id, "U0BOB", "Inetech", now=now)
    second: dict[str, Exception] = {}
    done = threading.Event()

    def rename_second() -> None:
        try:
            with runtime.sessions.begin() as session:
                form = curation.NamesForm("Initech", [], [])
                curation.edit_names(session, workspace_id, "U0BOB", second_id, form, now=now)
        except Exception as error:  # noqa: BLE001 - the test reads which one it was
            second["error"] = error
        done.set()

    with _lock_watch(runtime) as wait_until_blocked_or_done, runtime.sessions.begin() as session:
        form = curation.NamesForm("Initech", [], [])
        curation.edit_names(session, workspace_id, "U0ALICE", first_id, form, now=now)
        racer = threading.Thread(target=rename_second)
        racer.start()
        wait_until_blocked_or_done(done)
    racer.join(timeout=10)

    error = second.get("error")
    assert isinstance(error, curation.FormErrors), error
    assert error.errors == {"name": "Another customer is already called “Initech”: merge them instead."}
    with runtime.sessions.begin() as session:
        names = dict(session.execute(select(Customer.id, Customer.name)).all())
    assert names == {first_id: "Initech", second_id: "Inetech"}
