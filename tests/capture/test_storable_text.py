"""Whatever Slack or a file sends is kept: long values fitted to their columns, NUL bytes and lone surrogates made
storable, the line itself kept whole. Runs on both stores, through signed HTTP requests."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.cli import main
from storage.models import AuditEvent, Customer, CustomerName, Touchpoint
from tests.capture.test_modal_and_shortcut import form, opened_view
from tests.conftest import TEAM
from tests.helpers import seed_customers, texts

LONG_URL = "https://tracker.example.com/tickets/" + "a1b2c3d4" * 40  # 356 characters


@pytest.fixture
def customers(runtime):
    return seed_customers(runtime, TEAM, {"name": "Globex"})


def saved(runtime) -> list[Touchpoint]:
    with runtime.sessions.begin() as session:
        return list(session.scalars(select(Touchpoint).order_by(Touchpoint.id)))


def test_a_line_that_starts_with_a_long_url_is_saved_whole(slack, runtime, customers):
    line = f"{LONG_URL} call with Dana about the outage"

    reply = slack.command("U0ALICE", line)

    assert reply.status == 200
    assert reply.json()["blocks"][0]["text"]["text"].startswith("Logged *call* with")
    [tp] = saved(runtime)
    assert tp.raw_text == line  # the line is never cut
    assert tp.customer_text and len(tp.customer_text) <= 200 and LONG_URL.startswith(tp.customer_text)
    with runtime.sessions.begin() as session:
        [logged] = session.scalars(select(AuditEvent).where(AuditEvent.action == "logged"))
    assert logged.details["text"] == line


def test_nul_bytes_and_control_characters_are_dropped_from_a_line_and_its_reply(slack, runtime, customers):
    reply = slack.command("U0ALICE", "Globex: call\x00 with Dana\x07 about\tthe renewal")

    assert reply.status == 200
    assert "\x00" not in reply.body and "\\u0000" not in reply.body and "\\u0007" not in reply.body
    assert "call with Dana about\tthe renewal" in texts(reply.json())
    [tp] = saved(runtime)
    assert (tp.customer_id, tp.summary) == (customers["Globex"], "call with Dana about\tthe renewal")
    assert tp.raw_text == "Globex: call with Dana about\tthe renewal"


def test_a_form_with_a_lone_surrogate_and_a_nul_byte_is_saved(slack, standin, runtime, customers):
    slack.command("U0ALICE", "")
    view = opened_view(standin)

    reply = slack.submit("U0ALICE", view, form(str(customers["Globex"]), summary="demo \ud800 went\x00 well"))

    assert reply.status == 200 and reply.body == ""
    [tp] = saved(runtime)
    assert tp.summary == "demo \ufffd went well"
    [confirmation] = standin.wait_for("chat.postEphemeral")
    assert "demo \ufffd went well" in texts(confirmation.params)


def test_a_new_customer_typed_with_a_nul_byte_in_the_form_is_created_without_it(slack, standin, runtime, customers):
    slack.command("U0ALICE", "")

    reply = slack.submit("U0ALICE", opened_view(standin), form("new:Hoo\x00li"))

    assert reply.status == 200
    with runtime.sessions.begin() as session:
        names = set(session.scalars(select(Customer.name)))
    assert names == {"Globex", "Hooli"}


def test_a_shortcut_on_a_message_with_a_lone_surrogate_opens_the_form_with_it_replaced(slack, standin, customers):
    message = {"type": "message", "user": "U0BOB", "ts": "1764064800.000200", "text": "Globex \udc00 wants\x00 more"}

    reply = slack.shortcut("U0ALICE", message, callback_id="log_message", channel="C0SALES")

    assert reply.status == 200
    summary = next(b for b in opened_view(standin)["blocks"] if b["block_id"] == "summary")
    assert summary["element"]["initial_value"] == "Globex \ufffd wants more"


def test_an_imported_csv_with_nul_bytes_is_read_without_them(capsys, engine, database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_TZ", "UTC")
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "customers.csv"
    path.write_bytes(b"name,aliases\nUmbrella\x00 Ltd,Umb\x00rella\nGlobex,\n")

    status = main(["import", "customers", str(path), "--team", TEAM])

    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    assert out.startswith("imported 2 new customers")
    with engine.connect() as conn:
        assert set(conn.scalars(select(CustomerName.value))) >= {"Umbrella Ltd", "Umbrella", "Globex"}
