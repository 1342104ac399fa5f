"""`touchpoint import customers`, `export touchpoints` and `parse`, run through the console entry point."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.capture.records import EXPORT_FIELDS, as_slack_sends, export_record
from bot.capture.touchpoints import log_line, undo_touchpoint
from bot.cli import main
from bot.customers.name_index import CustomerIndexes
from bot.members import Author
from storage.curation import stage_changes
from storage.customers import customer_by_exact_name, customer_name_keys_since
from storage.models import AuditEvent, Customer, CustomerName, FollowUp, Touchpoint, Workspace
from storage.workspaces import member_row, workspace_for_team
from tests.conftest import BERLIN, START, TEAM

CUSTOMERS_CSV = (
    "\ufeff Name ,Domain,ALIASES,stage,owner,notes\n"
    "Müller GmbH,mueller.de,Mueller;MGH,active,U0ALICE,met at the fair\n"
    "Acme Corp,https://www.acme.com/about,ACME;Road Runner Supply,prospect,dana@acme.com,\n"
    "Globex Corporation,globex.com,,active,,\n"
    ",nameless.com,,,,a row without a name\n"
    '"Initech, Inc.",initech.com,Initech,lead,U0BOB,"two\nlines of notes"\n'
    "Umbrella Ltd,not a domain,,,,\n"
    "\n"
    "ACME CORP,acme.com,acme,,,duplicate of Acme Corp\n"
    f"{'X' * 201},long.com,,,,\n"
    "Ça Va SARL,çava.fr,,,<@U0CAROL>,\n"
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def write_csv(tmp_path: Path, text: str, name: str = "customers.csv") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return str(path)


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            model.__tablename__: conn.scalar(select(func.count()).select_from(model))
            for model in (Workspace, Customer, CustomerName, AuditEvent, Touchpoint, FollowUp)
        }


def customer_named(sessions: sessionmaker[Session], name: str, team: str = TEAM) -> Customer:
    with sessions() as session:
        workspace = workspace_for_team(session, team)
        found = customer_by_exact_name(session, workspace.id, name)
        assert found is not None, name
        return found


def import_customers(capsys: pytest.CaptureFixture[str], tmp_path: Path, team: str = TEAM) -> None:
    status, _, _ = run(capsys, "import", "customers", write_csv(tmp_path, CUSTOMERS_CSV), "--team", team)
    assert status == 1  # its three bad rows skipped, the rest imported


# ---------------------------------------------------------------------------------------------------------
# import customers
# ---------------------------------------------------------------------------------------------------------


def test_import_reads_a_realistic_csv_and_reports_bad_rows_by_line(capsys, store, sessions, tmp_path):
    path = write_csv(tmp_path, CUSTOMERS_CSV)

    status, out, err = run(capsys, "import", "customers", path, "--team", TEAM)

    assert status == 1  # some rows were bad: the others imported all the same
    assert out == (
        "imported 5 new customers (1 row about a customer an earlier row named), updated 0, unchanged 0, "
        "skipped 3 bad rows\n"
    )
    assert err.splitlines() == [
        f"{path}:3: owner 'dana@acme.com' is not a Slack user id (such as U012AB3CD) nor one known member's name; "
        "left out",
        f"{path}:5: no name; row skipped",
        f"{path}:8: malformed domain 'not a domain'; row skipped",
        f"{path}:11: name longer than 200 characters; row skipped",
    ]
    mueller = customer_named(sessions, "Müller GmbH")
    assert (mueller.domain, mueller.stage, mueller.owner_user_id) == ("mueller.de", "active", "U0ALICE")
    acme = customer_named(sessions, "Acme Corp")
    assert (acme.name, acme.domain, acme.stage, acme.owner_user_id) == (
        "Acme Corp",
        "acme.com",
        "prospect",
        None,
    )
    assert customer_named(sessions, "Initech, Inc.").name == "Initech, Inc."
    assert customer_named(sessions, "Ça Va SARL").owner_user_id == "U0CAROL"
    with sessions() as session:
        names = session.execute(
            select(CustomerName.kind, CustomerName.value).where(CustomerName.customer_id == acme.id)
        )
        assert {value for kind, value in names if kind == "alias"} == {"ACME", "Road Runner Supply", "acme"}
        audit = session.execute(select(AuditEvent.action, AuditEvent.entity_id, AuditEvent.details)).all()
        history = [(c.from_stage, c.to_stage) for c in stage_changes(session, acme.workspace_id, acme.id)]
    created = {entity_id for action, entity_id, _ in audit if action == "created"}
    assert len(created) == 5 and acme.id in created
    assert history == [(None, "prospect")]  # the file's stage counts as the customer entering it
    assert all(details["source"] == "import" for _, _, details in audit)


def test_reimporting_the_same_file_changes_nothing(capsys, store, tmp_path):
    path = write_csv(tmp_path, CUSTOMERS_CSV)
    assert run(capsys, "import", "customers", path, "--team", TEAM)[0] == 1
    before = counts(store)

    status, out, _ = run(capsys, "import", "customers", path)  # the only workspace needs no --team

    assert status == 1  # its bad rows are still bad
    assert out == "nothing changed: 6 rows already in the store as the file has them, skipped 3 bad rows\n"
    assert counts(store) == before


def test_import_completes_existing_customers_without_overwriting(capsys, store, sessions, tmp_path):
    import_customers(capsys, tmp_path)
    update_csv = "name,domain,aliases,stage,owner\nglobex corporation,globex.net,Globex Corp,lead,U0DAN\n"
    path = write_csv(tmp_path, update_csv, "more.csv")

    status, out, err = run(capsys, "import", "customers", path)

    assert status == 0
    assert out == "imported 0 new customers, updated 1, unchanged 0, skipped 0 bad rows\n"
    assert err == f"{path}:2: stage 'lead' differs from 'active', which 'Globex Corporation' keeps\n"
    globex = customer_named(sessions, "Globex Corporation")
    assert (globex.domain, globex.stage, globex.owner_user_id) == ("globex.com", "active", "U0DAN")
    with sessions() as session:
        values = set(session.scalars(select(CustomerName.value).where(CustomerName.customer_id == globex.id)))
        audit = session.scalars(select(AuditEvent.details).where(AuditEvent.action == "updated")).one()
    assert {"globex.com", "globex.net", "Globex Corp"} <= values
    assert audit["added"] == {"owner": "U0DAN", "domains": ["globex.net"], "aliases": ["Globex Corp"]}


def test_import_counts_agree_with_their_nouns(capsys, store, tmp_path):
    path = write_csv(tmp_path, "name,domain\nInitech,initech.com\n,nameless.com\n")

    status, out, _ = run(capsys, "import", "customers", path, "--team", TEAM)

    assert status == 1
    assert out == "imported 1 new customer, updated 0, unchanged 0, skipped 1 bad row\n"


def test_import_commits_in_chunks_and_matches_across_them(capsys, store, sessions, tmp_path, monkeypatch):
    monkeypatch.setattr("bot.customers.imports.CHUNK_ROWS", 7)
    rows = [f"Customer {n:03d},c{n}.example.com,C{n}" for n in range(40)]
    rows += [f"customer {n:03d},,Again {n}" for n in range(0, 40, 4)]  # the same customers, in later chunks
    path = write_csv(tmp_path, "name,domain,aliases\n" + "\n".join(rows) + "\n")

    status, out, _ = run(capsys, "import", "customers", path, "--team", TEAM)

    assert status == 0
    assert out == "imported 40 new customers, updated 10, unchanged 0, skipped 0 bad rows\n"
    assert counts(store)["customers"] == 40
    with sessions() as session:
        workspace_id = workspace_for_team(session, TEAM).id
        keys = {key for _, _, key in customer_name_keys_since(session, workspace_id, 0)}
        aliases = set(session.scalars(select(CustomerName.value).where(CustomerName.kind == "alias")))
    assert len(keys) == 40
    assert {"C0", "Again 0", "Again 36"} <= aliases


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("domain,stage\nacme.com,lead\n", "has no name column in its header row (found: domain, stage)"),
        ("", "has no name column"),
    ],
)
def test_import_stops_on_an_unusable_file(capsys, store, tmp_path, content, message):
    path = str(tmp_path / "missing.csv") if content is None else write_csv(tmp_path, content)

    status, out, err = run(capsys, "import", "customers", path, "--team", TEAM)

    assert status == 2
    assert out == ""
    assert len(err.splitlines()) == 1 and message in err
    assert counts(store)["workspaces"] == 0


def test_import_refuses_a_file_that_is_not_utf8(capsys, store, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("name\nMüller GmbH\n".encode("latin-1"))

    status, _, err = run(capsys, "import", "customers", str(path), "--team", TEAM)

    assert status == 2
    assert "is not UTF-8" in err and len(err.splitlines()) == 1


def test_import_without_team_needs_exactly_one_workspace(capsys, store, sessions, tmp_path):
    path = write_csv(tmp_path, "name\nAcme Corp\n")

    status, _, err = run(capsys, "import", "customers", path)
    assert status == 2
    assert err == "touchpoint: the store has no workspace yet: pass --team with your Slack team id (T…) to create it\n"

    with sessions.begin() as session:
        workspace_for_team(session, "T0ONE")
        workspace_for_team(session, "T0TWO")
    for argv in (["import", "customers", path], ["export", "touchpoints"], ["parse", "Acme: call"]):
        status, out, err = run(capsys, *argv)
        assert status == 2, argv
        assert out == ""
        assert err == "touchpoint: the store has several workspaces (T0ONE, T0TWO): pick one with --team\n"
    assert counts(store)["customers"] == 0


def test_a_malformed_database_url_stops_with_one_line(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("DATABASE_URL", "mysql://nobody@nowhere/db")

    status, out, err = run(capsys, "export", "touchpoints", "--team", TEAM)

    assert status == 2
    assert out == ""
    assert len(err.splitlines()) == 1 and "DATABASE_URL" in err


# ---------------------------------------------------------------------------------------------------------
# export touchpoints
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def logged(capsys, store, sessions, tmp_path) -> dict[str, int]:
    """Imported customers and three touchpoints: one with a follow-up, one unknown customer, one undone."""
    import_customers(capsys, tmp_path)
    indexes = CustomerIndexes()
    alice = Author("U0ALICE", BERLIN, "sales")
    bob = Author("U0BOB", BERLIN, None)
    with sessions.begin() as session:
        workspace_id = workspace_for_team(session, TEAM).id
        member_row(session, workspace_id, "U0ALICE").real_name = "Alice Archer"
        first = log_line(
            session, indexes, workspace_id, alice, "Globx: call with Dana #renewal, follow up friday", now=START
        )
        unknown = log_line(
            session, indexes, workspace_id, bob, "Hooli - demo & pricing <@U0ALICE>", now=START + timedelta(hours=1)
        )
        undone = log_line(session, indexes, workspace_id, alice, "Acme: spam", now=START + timedelta(hours=2))
        undo_touchpoint(session, workspace_id, "U0ALICE", undone.touchpoint.id, now=START + timedelta(hours=2))
    return {"first": first.touchpoint.id, "unknown": unknown.touchpoint.id}


def expected_rows(sessions: sessionmaker[Session], ids: dict[str, int]) -> list[dict[str, object]]:
    globex = customer_named(sessions, "Globex Corporation")
    return [
        {
            "id": ids["first"],
            "occurred_at": "2026-11-25T09:30:00+00:00",
            "customer_id": globex.id,
            "customer": "Globex Corporation",
            "customer_text": None,
            "kind": "call",
            "summary": "call with Dana #renewal",
            "tags": ["renewal"],
            "author": "U0ALICE",
            "author_name": "Alice Archer",
            "department": "sales",
            "source": "command",
            "permalink": None,
            "source_system": None,
            "external_id": None,
            "url": None,
            "follow_up_due_at": "2026-11-27T08:00:00+00:00",
            "follow_up_status": "open",
        },
        {
            "id": ids["unknown"],
            "occurred_at": "2026-11-25T10:30:00+00:00",
            "customer_id": None,
            "customer": None,
            "customer_text": "Hooli",
            "kind": "meeting",
            "summary": "demo & pricing @U0ALICE",
            "tags": [],
            "author": "U0BOB",
            "author_name": None,  # never seen by Touchpoint: only the Slack id is known
            "department": None,
            "source": "command",
            "permalink": None,
            "source_system": None,
            "external_id": None,
            "url": None,
            "follow_up_due_at": None,
            "follow_up_status": None,
        },
    ]


def test_export_jsonl_writes_one_object_per_live_touchpoint(capsys, logged, sessions):
    status, out, err = run(capsys, "export", "touchpoints", "--team", TEAM, "--format", "jsonl")

    assert status == 0, err
    assert [json.loads(line) for line in out.splitlines()] == expected_rows(sessions, logged)
    assert list(json.loads(out.splitlines()[0])) == [
        "id", "occurred_at", "customer_id", "customer", "customer_text", "kind", "summary", "tags",
        "author", "author_name", "department", "source", "permalink", "source_system", "external_id", "url",
        "follow_up_due_at", "follow_up_status",
    ]  # fmt: skip


def test_export_csv_has_a_header_and_flat_cells(capsys, logged, sessions):
    status, out, _ = run(capsys, "export", "touchpoints", "--format", "csv")

    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    flat = [
        {
            key: ";".join(value) if isinstance(value, list) else "" if value is None else str(value)
            for key, value in row.items()
        }
        for row in expected_rows(sessions, logged)
    ]
    assert rows == flat


def test_export_to_a_file_keeps_one_row_per_touchpoint_after_follow_up_changes(capsys, logged, sessions, tmp_path):
    with sessions.begin() as session:  # the first follow-up was done, then a new one was set
        session.execute(update(FollowUp).values(status="done"))
        session.add(
            FollowUp(
                workspace_id=session.scalar(select(Workspace.id)),
                touchpoint_id=logged["first"],
                assignee_user_id="U0ALICE",
                due_at=START + timedelta(days=7),
            )
        )
    target = tmp_path / "out" / "touchpoints.csv"
    target.parent.mkdir()

    status, out, err = run(capsys, "export", "touchpoints", "--format", "csv", "--output", str(target))

    assert status == 0
    assert out == ""
    assert err == f"exported 2 touchpoints to {target}\n"
    rows = list(csv.DictReader(target.open(encoding="utf-8", newline="")))
    assert [row["follow_up_due_at"] for row in rows] == ["2026-12-02T09:30:00+00:00", ""]
    assert [row["follow_up_status"] for row in rows] == ["open", ""]
    assert list(target.parent.iterdir()) == [target]


def test_export_keeps_a_done_follow_ups_due_instant_and_says_it_is_done(capsys, logged, sessions):
    with sessions.begin() as session:
        session.execute(update(FollowUp).values(status="done", completed_at=START + timedelta(days=1)))

    status, out, _ = run(capsys, "export", "touchpoints", "--format", "jsonl")

    assert status == 0
    first = json.loads(out.splitlines()[0])
    assert (first["follow_up_due_at"], first["follow_up_status"]) == ("2026-11-27T08:00:00+00:00", "done")


def test_export_of_an_unknown_team_stops_with_the_known_ones(capsys, logged):
    status, out, err = run(capsys, "export", "touchpoints", "--team", "T0NOPE")

    assert status == 2
    assert err == f"touchpoint: no workspace with team id T0NOPE in the store (it has: {TEAM})\n"


# ---------------------------------------------------------------------------------------------------------
# parse
# ---------------------------------------------------------------------------------------------------------

BERLIN_NOW = ("--now", "2026-11-25T10:30:00+01:00", "--tz", "Europe/Berlin")


def test_parse_reads_a_line_against_the_imported_customers(capsys, store, sessions, tmp_path):
    import_customers(capsys, tmp_path)
    before = counts(store)

    status, out, err = run(capsys, "parse", "Globx: call with Dana, follow up friday", *BERLIN_NOW, "--team", TEAM)

    assert status == 0, err
    globex = customer_named(sessions, "Globex Corporation")
    assert out.endswith("\n") and out.count("\n") == 1
    result = json.loads(out)
    assert list(result) == ["customer", "customer_text", "candidates", "kind", "summary", "tags", "follow_up", "errors"]
    assert result == {
        "customer": {"id": globex.id, "name": "Globex Corporation"},
        "customer_text": "Globx",
        "candidates": [],
        "kind": "call",
        "summary": "call with Dana",
        "tags": [],
        "follow_up": {"due_at": "2026-11-27T09:00:00+01:00", "assignee": "U0PARSE", "text": "follow up friday"},
        "errors": [],
    }
    assert counts(store) == before


@pytest.mark.parametrize(
    ("line", "customer"),
    [
        ("mueller: sent the quote", "Müller GmbH"),
        ("acme.com: renewal call", "Acme Corp"),
        ("MGH - visit", "Müller GmbH"),
    ],
)
def test_parse_matches_transliterations_domains_and_aliases(capsys, store, sessions, tmp_path, line, customer):
    import_customers(capsys, tmp_path)

    status, out, _ = run(capsys, "parse", line, *BERLIN_NOW)

    assert status == 0
    assert json.loads(out)["customer"] == {"id": customer_named(sessions, customer).id, "name": customer}


def test_parse_lists_candidates_for_an_unknown_customer(capsys, store, sessions, tmp_path):
    import_customers(capsys, tmp_path)

    status, out, _ = run(capsys, "parse", "Initrode: demo", *BERLIN_NOW, "--user", "U0BOB")

    result = json.loads(out)
    assert result["customer"] is None
    assert result["customer_text"] == "Initrode"
    assert result["candidates"][0]["id"] == customer_named(sessions, "Initech, Inc.").id
    assert result["candidates"][0]["name"] == "Initech, Inc." and isinstance(result["candidates"][0]["score"], float)
    assert result["errors"] == ["I don't know a customer called “Initrode” yet."]


def test_parse_reads_text_as_slack_sends_it(capsys, store, tmp_path):
    import_customers(capsys, tmp_path)

    status, out, _ = run(capsys, "parse", "Acme: R&D <review> with <@U0BOB>, ping <@U0BOB> tomorrow", *BERLIN_NOW)

    result = json.loads(out)
    assert result["summary"] == "R&D <review> with @U0BOB"
    assert result["follow_up"]["assignee"] == "U0BOB"
    assert result["follow_up"]["due_at"] == "2026-11-26T09:00:00+01:00"
    assert as_slack_sends("a<b & <@U1|dana> <#C1> <!here> c>") == "a&lt;b &amp; <@U1|dana> <#C1> <!here> c&gt;"


def test_parse_batch_reads_json_lines_and_reports_bad_ones(capsys, store, tmp_path, monkeypatch):
    import_customers(capsys, tmp_path)
    lines = [
        {"text": "Globx: call, follow up friday"},
        "not json",
        {"text": "Acme: call, follow up tomorrow 3pm", "tz": "America/New_York", "user": "U0BOB"},
        {"text": "Acme: call, f/u friday", "now": "2026-11-26T08:00:00"},
        {"now": "2026-11-26T08:00:00"},
        {"text": "Acme: call", "tz": "Mars/Olympus"},
    ]
    stdin = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))

    status, out, _ = run(capsys, "parse", "-", *BERLIN_NOW)

    assert status == 0
    results = [json.loads(line) for line in out.splitlines()]
    assert len(results) == 6
    assert results[0]["follow_up"]["due_at"] == "2026-11-27T09:00:00+01:00"
    assert results[1]["line"] == 2 and results[1]["error"].startswith("not JSON")
    assert results[2]["follow_up"] == {
        "due_at": "2026-11-26T15:00:00-05:00",
        "assignee": "U0BOB",
        "text": "follow up tomorrow 3pm",
    }
    assert results[3]["follow_up"]["due_at"] == "2026-11-27T09:00:00+01:00"  # naive now read in --tz
    assert results[4] == {"error": "text is missing", "line": 5}
    assert results[5]["line"] == 6 and "Mars/Olympus" in results[5]["error"]


def test_parse_never_writes_to_the_store(capsys, logged, store):
    before = counts(store)

    run(capsys, "parse", "Brand New Customer: call, follow up friday", *BERLIN_NOW)
    status, out, _ = run(capsys, "parse", "Acme: call", *BERLIN_NOW, "--team", TEAM)

    assert status == 0 and json.loads(out)["customer"]["name"] == "Acme Corp"
    assert counts(store) == before


def test_parse_without_any_workspace_uses_an_empty_index(capsys, store):
    status, out, err = run(capsys, "parse", "Acme: call, follow up friday", *BERLIN_NOW, "--team", TEAM)

    assert status == 0, err
    result = json.loads(out)
    assert result["customer"] is None and result["customer_text"] == "Acme"
    assert result["follow_up"]["due_at"] == "2026-11-27T09:00:00+01:00"
    assert counts(store)["workspaces"] == 0


@pytest.mark.parametrize(
    ("flags", "option"),
    [(("--now", "next tuesday"), "--now"), (("--tz", "Europe/Nowhere"), "--tz")],
)
def test_parse_stops_on_a_bad_now_or_tz(capsys, store, flags, option):
    status, out, err = run(capsys, "parse", "Acme: call", *flags)

    assert status == 2
    assert out == ""
    assert len(err.splitlines()) == 1 and err.startswith(f"touchpoint: {option}:")


def test_export_csv_defuses_cells_a_spreadsheet_would_run_as_formulas(capsys, store, sessions, tmp_path):
    import_customers(capsys, tmp_path)
    alice = Author("U0ALICE", BERLIN, "sales")
    # (A carriage return never reaches the store: storage.models keeps line breaks as newlines.)
    hostile = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx"]
    with sessions.begin() as session:
        workspace_id = workspace_for_team(session, TEAM).id
        for n, _ in enumerate(hostile):  # lines differ: the same line again is the same touchpoint
            log_line(session, CustomerIndexes(), workspace_id, alice, f"Acme: x{n}", now=START)
        rows = session.scalars(select(Touchpoint).order_by(Touchpoint.id)).all()
        for row, text in zip(rows, hostile, strict=True):
            row.summary = text  # as an import or the form could store it, verbatim

    status, out, _ = run(capsys, "export", "touchpoints", "--format", "csv")

    assert status == 0
    summaries = [row["summary"] for row in csv.DictReader(io.StringIO(out, newline=""))]
    assert summaries == ["'" + text for text in hostile]
    status, out, _ = run(capsys, "export", "touchpoints", "--format", "jsonl")
    assert [json.loads(line)["summary"] for line in out.splitlines()] == hostile  # JSON keeps what was typed


def test_the_export_says_which_system_a_touchpoint_came_from_and_links_back():
    sent = Touchpoint(
        id=7,
        occurred_at=datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
        customer_id=3,
        kind="delivery",
        summary="order 42 shipped",
        tags=[],
        author_user_id="shop",
        source="api",
        source_system="shop",
        external_id="order-42",
        url="https://shop.example/orders/42",
    )

    record = export_record(sent, "Acme Corp", None)

    assert (record["source"], record["source_system"], record["external_id"], record["url"]) == (
        "api",
        "shop",
        "order-42",
        "https://shop.example/orders/42",
    )
    assert list(record) == list(EXPORT_FIELDS)
