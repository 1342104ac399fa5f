"""A report read from a session factory reads its parts at once, each in a session of its own
(`bot.reports.measures.build_report`), and comes out the same as one read in a single session: on SQLite and
PostgreSQL, and on an in-memory SQLite store, where every connection would open an empty store of its own."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError

from bot.reports.measures import build_report, report_json
from bot.reports.periods import Filter
from storage import reports as report_store
from storage.db import create_store_engine, make_reader_factory, make_session_factory
from storage.migrate import upgrade
from tests.reports.history import MADE_AT, QUIET_AFTER_DAYS, build_history
from tests.reports.test_hand_computed_report import NOVEMBER


def _threads_reading(engine: Engine) -> set[str]:
    """The names of the threads that begin a transaction on `engine` from now on."""
    seen: set[str] = set()

    @event.listens_for(engine, "begin")
    def began(_conn: object) -> None:
        seen.add(threading.current_thread().name)

    return seen


@pytest.mark.parametrize("chosen", [Filter(), Filter(department="Support"), Filter(tag="expo2026")])
def test_the_parts_read_at_once_make_the_report_one_session_makes(engine: Engine, chosen: Filter) -> None:
    with make_session_factory(engine).begin() as session:
        workspace_id = build_history(session)
    readers = make_reader_factory(engine)
    with readers() as session:
        in_one = build_report(session, workspace_id, NOVEMBER, chosen, now=MADE_AT, quiet_after_days=QUIET_AFTER_DAYS)
    threads = _threads_reading(engine)
    at_once = build_report(readers, workspace_id, NOVEMBER, chosen, now=MADE_AT, quiet_after_days=QUIET_AFTER_DAYS)
    assert report_json(at_once) == report_json(in_one)
    assert at_once.actions == in_one.actions
    assert len({name for name in threads if name.startswith("report")}) == 2  # REPORT_WORKERS of them


def test_a_part_that_fails_fails_the_report(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    with make_session_factory(engine).begin() as session:
        workspace_id = build_history(session)

    def cancelled(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("SELECT …", {}, Exception("canceling statement due to statement timeout"))

    monkeypatch.setattr(report_store, "stage_move_counts", cancelled)
    with pytest.raises(OperationalError, match="statement timeout"):
        build_report(make_reader_factory(engine), workspace_id, NOVEMBER, Filter(), now=MADE_AT, quiet_after_days=30)


def test_an_in_memory_store_is_read_on_its_one_connection() -> None:
    engine = create_store_engine("sqlite://")
    try:
        upgrade(engine)
        with make_session_factory(engine).begin() as session:
            workspace_id = build_history(session)
        threads = _threads_reading(engine)
        made = build_report(
            make_reader_factory(engine), workspace_id, NOVEMBER, Filter(), now=MADE_AT, quiet_after_days=30
        )
    finally:
        engine.dispose()
    assert made.touchpoints.total.value == 10  # as tests/reports/test_hand_computed_report.py counts by hand
    assert threads == {threading.current_thread().name}
