"""`touchpoint import touchpoints`: another system's history from CSV or JSON lines, checked and saved as the
HTTP API saves a batch, idempotent by external id (or a hash of the row), bad rows told by line."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.capture.touchpoints import create_customer
from bot.cli import data, progress
from storage.models import AuditEvent, Customer, FollowUp, Touchpoint
from storage.workspaces import member_row, workspace_for_team
from tests.cli.test_data_commands import counts, run, write_csv
from tests.conftest import START, TEAM

HISTORY_CSV = (
    "external_id,kind,summary,occurred_at,customer_name,customer_domain,customer_id,author,department,"
    "tags,url,follow_up_due_at,follow_up_assignee,notes\n"
    'crm-1,call,Called about pricing,2025-03-01T10:00:00+01:00,Acme Corp,,,U0ALICE,,"pricing, Q1",,,,hi\n'
    "crm-2,meeting,Quarterly review,2025-03-02T09:00:00Z,,globex.com,,,support,,https://crm.example/2,"
    "2025-04-01T09:00:00Z,U0ALICE,\n"
    "crm-3,telepathy,Read their mind,2025-03-03T09:00:00Z,Acme Corp,,,,,,,,,\n"
    ",email,Sent the offer,2025-03-04T09:00:00Z,,,{initech},,,,,,,\n"
    "crm-5,call,No time given,,Acme Corp,,,,,,,,,\n"
    "\n"
    "crm-6,visit,Visited the plant,2025-03-05T09:00:00Z,Umbrella Ltd,,,,,,,,,\n"
)


@pytest.fixture
def workspace(sessions) -> dict[str, int]:
    """TEAM with a member U0ALICE in sales and three customers, Globex known by its domain."""
    with sessions.begin() as session:
        workspace_id = workspace_for_team(session, TEAM).id
        member_row(session, workspace_id, "U0ALICE").department = "sales"
        ids = {name: create_customer(session, workspace_id, "U0ALICE", name, now=START) for name in ("Acme Corp",)}
        ids["Initech"] = create_customer(session, workspace_id, "U0ALICE", "Initech", now=START)
        globex = create_customer(session, workspace_id, "U0ALICE", "Globex Corporation", now=START)
        session.get(Customer, globex).domain = "globex.com"
        ids["Globex Corporation"] = globex
    return ids


def history_file(tmp_path: Path, workspace: dict[str, int], text: str = HISTORY_CSV) -> str:
    return write_csv(tmp_path, text.replace("{initech}", str(workspace["Initech"])), "history.csv")


def touchpoints(sessions) -> list[Touchpoint]:
    with sessions() as session:
        return list(session.scalars(select(Touchpoint).order_by(Touchpoint.id)))


def test_a_history_csv_imports_its_good_rows_and_tells_the_bad_ones_by_line(capsys, sessions, tmp_path, workspace):
    status, out, err = run(capsys, "import", "touchpoints", history_file(tmp_path, workspace), "--team", TEAM)

    assert status == 1  # the good rows imported, and a status that says some were not
    assert out == "Imported 3 touchpoints (0 already there, 3 bad rows)\n"
    path = str(tmp_path / "history.csv")
    assert err.splitlines() == [
        f"{path}: ignoring columns that are no touchpoint field: notes",
        f"{path}:4: kind: must be one of event, visit, meeting, call, email, chat, ticket, payment, delivery, note",
        f"{path}:6: occurred_at: is required: an ISO 8601 time with its offset, such as 2026-11-25T10:30:00+01:00",
        f'{path}:8: customer_name: no customer has this name; send "create_if_missing": true to create it',
    ]
    call, meeting, email = touchpoints(sessions)
    assert (call.customer_id, call.kind, call.summary) == (workspace["Acme Corp"], "call", "Called about pricing")
    assert call.occurred_at.replace(tzinfo=UTC) == datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    assert (call.author_user_id, call.author_department, call.tags) == ("U0ALICE", "sales", ["pricing", "q1"])
    assert (call.source, call.source_system, call.external_id) == ("import", "import", "crm-1")
    # No author: logged as the source, counted for the department the row names; its follow-up kept.
    assert (meeting.customer_id, meeting.author_user_id) == (workspace["Globex Corporation"], "import")
    assert (meeting.author_department, meeting.url) == ("support", "https://crm.example/2")
    with sessions() as session:
        follow_up = session.scalars(select(FollowUp)).one()
        audit = session.execute(select(AuditEvent.action, AuditEvent.entity_id, AuditEvent.details)).all()
    assert (follow_up.touchpoint_id, follow_up.assignee_user_id, follow_up.status) == (meeting.id, "U0ALICE", "open")
    assert follow_up.due_at.replace(tzinfo=UTC) == datetime(2025, 4, 1, 9, 0, tzinfo=UTC)
    # A row without an external id is keyed by its content.
    assert email.customer_id == workspace["Initech"]
    assert email.external_id.startswith("sha256:") and len(email.external_id) == 71
    logged = sorted(entity_id for action, entity_id, details in audit if action == "logged")
    assert logged == [call.id, meeting.id, email.id]
    assert all(details == {"source": "import"} for action, _, details in audit if action == "logged")


def test_a_history_imported_twice_makes_no_duplicates(capsys, store, sessions, tmp_path, workspace):
    path = history_file(tmp_path, workspace)
    assert run(capsys, "import", "touchpoints", path, "--team", TEAM)[0] == 1
    before = counts(store)

    status, out, _ = run(capsys, "import", "touchpoints", path)  # the only workspace needs no --team

    assert status == 1
    assert out == "Imported 0 touchpoints (3 already there, 3 bad rows)\n"
    assert counts(store) == before


def test_identical_rows_without_an_external_id_are_one_touchpoint(capsys, sessions, tmp_path, workspace):
    row = "call,Same call,2025-03-01T10:00:00Z,Acme Corp\n"
    path = write_csv(tmp_path, "kind,summary,occurred_at,customer_name\n" + row + row, "history.csv")

    status, out, _ = run(capsys, "import", "touchpoints", path)

    assert (status, out) == (0, "Imported 1 touchpoint (1 already there, 0 bad rows)\n")
    assert len(touchpoints(sessions)) == 1


def test_a_spreadsheets_plain_customer_column_is_the_customers_name(capsys, sessions, tmp_path, workspace):
    text = "Customer,Kind,Summary,Occurred_at\nAcme Corp,call,Renewal call,2025-03-01T10:00:00Z\n"

    status, out, err = run(capsys, "import", "touchpoints", write_csv(tmp_path, text, "history.csv"))

    assert (status, out, err) == (0, "Imported 1 touchpoint (0 already there, 0 bad rows)\n", "")
    [call] = touchpoints(sessions)
    assert (call.customer_id, call.summary) == (workspace["Acme Corp"], "Renewal call")


def test_json_lines_are_api_records_and_bad_lines_are_told(capsys, sessions, tmp_path, workspace):
    record = {
        "external_id": "7",
        "kind": "email",
        "summary": "Offer sent",
        "occurred_at": "2025-05-01T08:00:00Z",
        "customer": {"name": "Acme Corp"},
        "tags": ["offer"],
        "follow_up": {"due_at": "2025-05-08T08:00:00Z", "assignee": "U0ALICE"},
    }
    lines = [json.dumps(record), "{not json", "", "[1, 2]", json.dumps({**record, "external_id": "8", "kind": 3})]
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    status, out, err = run(capsys, "import", "touchpoints", str(path), "--source", "hubspot")

    assert status == 1
    assert out == "Imported 1 touchpoint (0 already there, 3 bad rows)\n"
    told = [line.removeprefix(f"{path}:") for line in err.splitlines()]
    assert told[0].startswith("2: not JSON (")
    assert told[1:] == [
        '4: not a JSON object such as {"kind": "call", …}',
        "5: kind: must be one of event, visit, meeting, call, email, chat, ticket, payment, delivery, note",
    ]
    (saved,) = touchpoints(sessions)
    assert (saved.source_system, saved.external_id, saved.tags, saved.author_user_id) == (
        "hubspot",
        "7",
        ["offer"],
        "hubspot",
    )


def test_the_same_external_id_from_another_source_is_another_touchpoint(capsys, sessions, tmp_path, workspace):
    path = write_csv(
        tmp_path, "kind,summary,occurred_at,customer_name,external_id\ncall,Hi,2025-03-01T10:00:00Z,Acme Corp,1\n"
    )
    assert run(capsys, "import", "touchpoints", path, "--source", "erp")[1].startswith("Imported 1 touchpoint (0")
    assert run(capsys, "import", "touchpoints", path, "--source", "shop")[1].startswith("Imported 1 touchpoint (0")
    assert run(capsys, "import", "touchpoints", path, "--source", "shop")[1].startswith("Imported 0 touchpoints (1")
    assert sorted(t.source_system for t in touchpoints(sessions)) == ["erp", "shop"]


def test_create_customers_makes_each_missing_customer_once(capsys, store, sessions, tmp_path, workspace):
    rows = "".join(f"call,Call {n},2025-03-0{n}T10:00:00Z,Wayne Enterprises\n" for n in range(1, 4))
    path = write_csv(tmp_path, "kind,summary,occurred_at,customer_name\n" + rows)
    customers_before = counts(store)["customers"]

    status, out, _ = run(capsys, "import", "touchpoints", path, "--create-customers")

    assert (status, out) == (0, "Imported 3 touchpoints (0 already there, 0 bad rows)\n")
    assert counts(store)["customers"] == customers_before + 1
    assert len({t.customer_id for t in touchpoints(sessions)}) == 1
    # Re-run, with or without the flag: the rows are the same, so their content keys are too.
    assert run(capsys, "import", "touchpoints", path)[1] == "Imported 0 touchpoints (3 already there, 0 bad rows)\n"


def test_batches_find_what_earlier_batches_made(capsys, store, sessions, tmp_path, workspace, monkeypatch):
    monkeypatch.setattr(data, "HISTORY_BATCH_ROWS", 2)
    rows = "".join(
        f"{n},call,Call {n},2025-03-01T10:00:00Z,{name}\n" for n, name in enumerate(["Wayne", "Acme Corp"] * 3)
    )
    path = write_csv(tmp_path, "external_id,kind,summary,occurred_at,customer_name\n" + rows + "0,call,x,bad,Wayne\n")

    status, out, err = run(capsys, "import", "touchpoints", path, "--create-customers")

    assert (status, out) == (1, "Imported 6 touchpoints (0 already there, 1 bad row)\n")
    assert err.endswith(
        ":8: occurred_at: must be an ISO 8601 time with its offset, such as 2026-11-25T10:30:00+01:00\n"
    )
    saved = touchpoints(sessions)
    assert len({t.customer_id for t in saved[0::2]}) == 1 and saved[1].customer_id == workspace["Acme Corp"]


def test_a_long_import_refreshes_the_stores_statistics_as_it_grows(
    capsys, store, sessions, tmp_path, workspace, monkeypatch
):
    monkeypatch.setattr(data, "HISTORY_BATCH_ROWS", 10)
    monkeypatch.setattr(data, "REFRESH_STATISTICS_FROM", 10)
    rows = "".join(f"{n},call,Call {n},2025-03-01T10:00:00Z,Acme Corp\n" for n in range(40))
    path = write_csv(tmp_path, "external_id,kind,summary,occurred_at,customer_name\n" + rows)

    status, out, _ = run(capsys, "import", "touchpoints", path)

    assert (status, out) == (0, "Imported 40 touchpoints (0 already there, 0 bad rows)\n")
    if store.dialect.name == "sqlite":
        return  # SQLite plans the look-ups by the unique index whatever its statistics say: nothing to refresh
    with sessions() as session:  # what the planner believes: the rows as of the last refresh (after 10, 20, 40)
        believed = session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'touchpoints'"))
    assert believed == 40


def test_a_customer_merged_away_between_batches_is_followed_to_its_survivor(
    capsys, sessions, tmp_path, workspace, monkeypatch
):
    """The customers one batch found are checked to be still live in the next, in one query."""
    monkeypatch.setattr(data, "HISTORY_BATCH_ROWS", 1)
    survivor = workspace["Globex Corporation"]
    real_save = data.save_batch

    def save_then_merge(session, *args, **kwargs):
        outcomes = real_save(session, *args, **kwargs)
        session.get(Customer, workspace["Acme Corp"]).merged_into_id = survivor
        return outcomes

    monkeypatch.setattr(data, "save_batch", save_then_merge)
    rows = "call,First,2025-03-01T10:00:00Z,1\ncall,Second,2025-03-02T10:00:00Z,1\n"
    path = write_csv(
        tmp_path, "kind,summary,occurred_at,customer_id\n" + rows.replace(",1\n", f",{workspace['Acme Corp']}\n")
    )

    assert run(capsys, "import", "touchpoints", path)[1] == "Imported 2 touchpoints (0 already there, 0 bad rows)\n"
    first, second = touchpoints(sessions)
    assert (first.customer_id, second.customer_id) == (workspace["Acme Corp"], survivor)


def test_past_twenty_bad_rows_only_their_count_is_told(capsys, tmp_path, workspace):
    rows = "".join(f"call,Row {n},not a time,Acme Corp\n" for n in range(25))
    path = write_csv(
        tmp_path, "kind,summary,occurred_at,customer_name\n" + rows + "call,ok,2025-01-01T00:00:00Z,Acme Corp\n"
    )

    status, out, err = run(capsys, "import", "touchpoints", path)

    assert (status, out) == (1, "Imported 1 touchpoint (0 already there, 25 bad rows)\n")
    told = err.splitlines()
    assert len(told) == 21
    assert told[0].startswith(f"{path}:2: occurred_at:") and told[19].startswith(f"{path}:21: occurred_at:")
    assert told[20] == f"{path}: … and 5 more bad rows, not shown"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_large_file_shows_a_progress_bar_on_a_terminal(capsys, monkeypatch, tmp_path, workspace):
    monkeypatch.setattr(progress, "LARGE_FILE_LINES", 3)
    monkeypatch.setattr(progress, "REDRAW_EVERY_S", 0.0)
    monkeypatch.setattr(data, "HISTORY_BATCH_ROWS", 2)
    rows = "".join(f"call,Row {n},2025-01-01T00:00:00Z,Acme Corp\n" for n in range(4))
    path = write_csv(
        tmp_path, "kind,summary,occurred_at,customer_name\n" + rows + "call,bad,x,Acme Corp\n", "history.csv"
    )
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)

    status, out, _ = run(capsys, "import", "touchpoints", path)

    assert (status, out) == (1, "Imported 4 touchpoints (0 already there, 1 bad row)\n")
    shown = terminal.getvalue()
    assert "\rimporting history.csv [" in shown and "(3 of 7 lines)" in shown
    assert shown.endswith("100% (7 of 7 lines)\n")
    # The bad row's line is printed on a line of its own, the bar wiped first.
    assert f"\r\x1b[K{path}:6: occurred_at:" in shown


def test_no_progress_bar_when_standard_error_is_not_a_terminal(capsys, monkeypatch, tmp_path, workspace):
    monkeypatch.setattr(progress, "LARGE_FILE_LINES", 1)
    path = write_csv(tmp_path, "kind,summary,occurred_at,customer_name\ncall,Row,2025-01-01T00:00:00Z,Acme Corp\n")

    status, out, err = run(capsys, "import", "touchpoints", path)

    assert (status, out, err) == (0, "Imported 1 touchpoint (0 already there, 0 bad rows)\n", "")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("history.txt", "kind\ncall\n", "is neither .csv nor .jsonl"),
        ("history.csv", "type,summary\ncall,x\n", "has no kind column in its header row (found: type, summary)"),
        ("missing.csv", None, "cannot read"),
    ],
)
def test_an_unusable_file_stops_with_one_line(capsys, store, tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")

    status, out, err = run(capsys, "import", "touchpoints", str(path), "--team", TEAM)

    assert (status, out) == (2, "")
    assert err.startswith("touchpoint: ") and message in err and err.count("\n") == 1
    assert counts(store)["touchpoints"] == 0


def test_a_file_that_is_not_utf8_or_a_bad_source_stops_with_one_line(capsys, store, tmp_path):
    path = tmp_path / "history.csv"
    path.write_bytes("kind,summary\ncall,Müller\n".encode("latin-1"))
    status, _, err = run(capsys, "import", "touchpoints", str(path), "--team", TEAM)
    assert status == 2 and "is not UTF-8 text" in err

    status, _, err = run(capsys, "import", "touchpoints", str(path), "--source", "my crm")
    assert status == 2 and err.startswith("touchpoint: --source 'my crm': use up to 64 letters")


def test_a_file_without_a_bad_row_exits_0_and_one_with_any_exits_1(capsys, tmp_path, workspace):
    good = write_csv(tmp_path, "kind,summary,occurred_at,customer_name\ncall,ok,2025-01-01T00:00:00Z,Acme Corp\n")
    assert run(capsys, "import", "touchpoints", good)[:2] == (
        0,
        "Imported 1 touchpoint (0 already there, 0 bad rows)\n",
    )

    one_bad = write_csv(
        tmp_path,
        "kind,summary,occurred_at,customer_name\ncall,later,2025-01-02T00:00:00Z,Acme Corp\ncall,x,never,Acme Corp\n",
        "one-bad.csv",
    )
    assert run(capsys, "import", "touchpoints", one_bad)[:2] == (
        1,
        "Imported 1 touchpoint (0 already there, 1 bad row)\n",
    )
