"""`/log` end to end: signed HTTP requests in, replies and the store out."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from bot.capture.records import as_slack_sends
from storage.models import AuditEvent, Customer, FollowUp, Member, Touchpoint
from tests.conftest import TEAM
from tests.helpers import count, element, elements, seed_customers, texts


@pytest.fixture
def customers(runtime):
    return seed_customers(
        runtime,
        TEAM,
        {"name": "Acme Corp", "domain": "acme.com", "aliases": ["ACME"]},
        {"name": "Globex"},
        {"name": "Müller GmbH"},
        {"name": "Initech Systems"},
    )


def touchpoints(runtime):
    with runtime.sessions.begin() as session:
        return list(session.scalars(select(Touchpoint).order_by(Touchpoint.id)))


def test_it_logs_a_line_and_replies_with_the_follow_up_in_the_authors_zone(slack, runtime, customers):
    reply = slack.command("U0ALICE", "Acme: call with Dana about the renewal #renewal, follow up friday")

    assert reply.status == 200
    body = reply.json()
    assert body["blocks"][0]["text"]["text"] == "Logged *call* with *Acme Corp* · follow-up Fri 27 Nov, 09:00"
    [tp] = touchpoints(runtime)
    assert (tp.customer_id, tp.kind, tp.author_user_id, tp.source) == (
        customers["Acme Corp"],
        "call",
        "U0ALICE",
        "command",
    )
    assert tp.summary == "call with Dana about the renewal #renewal"
    assert tp.tags == ["renewal"]
    assert [e["text"] for e in body["blocks"][1]["elements"]] == ["call with Dana about the renewal #renewal"]
    with runtime.sessions.begin() as session:
        follow_up = session.scalars(select(FollowUp)).one()
        member = session.scalars(select(Member)).one()
    assert follow_up.due_at.isoformat() == "2026-11-27T08:00:00+00:00"  # 09:00 in Berlin
    assert follow_up.assignee_user_id == "U0ALICE"
    assert member.tz == "Europe/Berlin"


@pytest.mark.parametrize(
    ("line", "customer"),
    [
        ("Globx: demo went well", "Globex"),
        ("mueller - invoice 1042 paid", "Müller GmbH"),
        ("acme.com: emailed the proposal", "Acme Corp"),
        ("ACME shipped 3 pallets", "Acme Corp"),
        ("initech systems onsite visit with the plant manager", "Initech Systems"),
    ],
)
def test_it_finds_the_customer_despite_case_accents_and_typos(slack, runtime, customers, line, customer):
    slack.command("U0ALICE", line)

    [tp] = touchpoints(runtime)
    assert tp.customer_id == customers[customer]


def test_it_reads_the_follow_up_in_each_authors_own_time_zone(slack, runtime, customers):
    slack.command("U0BOB", "Globex: call, follow up tomorrow 3pm")

    with runtime.sessions.begin() as session:
        follow_up = session.scalars(select(FollowUp)).one()
    assert follow_up.due_at.isoformat() == "2026-11-26T20:00:00+00:00"  # 15:00 in New York


def test_an_unknown_customer_is_saved_and_created_with_one_click(slack, standin, runtime, customers):
    reply = slack.command("U0ALICE", "Umbrella Corp: call with Alice, f/u monday").json()

    assert "I don't know “Umbrella Corp” yet" in texts(reply)
    [tp] = touchpoints(runtime)
    assert tp.customer_id is None and tp.customer_text == "Umbrella Corp"

    block_id, create = element(reply, "tp_create_customer")
    assert slack.click("U0ALICE", create, block_id=block_id).status == 200

    [update] = standin.wait_for("response_url")
    assert update.params["replace_original"] is True
    assert update.params["blocks"][0]["text"]["text"].startswith("Logged *call* with *Umbrella Corp*")
    with runtime.sessions.begin() as session:
        created = session.scalars(select(Customer).where(Customer.name == "Umbrella Corp")).one()
        assert session.get(Touchpoint, tp.id).customer_id == created.id
        assert session.scalars(select(FollowUp)).one().customer_id == created.id


def test_a_close_unknown_name_offers_the_closest_customers(slack, standin, runtime, customers):
    reply = slack.command("U0ALICE", "Initech Labs: call").json()

    block_id, pick = element(reply, "tp_pick_customer", "Initech Systems")
    slack.click("U0ALICE", pick, block_id=block_id)

    standin.wait_for("response_url")
    [tp] = touchpoints(runtime)
    assert tp.customer_id == customers["Initech Systems"]


def test_an_unreadable_follow_up_is_quoted_escaped_once_and_never_cut_inside_an_entity(slack, runtime, customers):
    short = slack.command("U0ALICE", as_slack_sends("Acme: Q&A call, follow up Q&A <b>")).json()
    # Longer than a time phrase, so the reply quotes its first 60 characters; the 58th is the "&".
    long_phrase = "a" * 56 + " & Q&A <!here> " + "b" * 60
    long = slack.command("U0ALICE", as_slack_sends(f"Acme: call, follow up {long_phrase}")).json()

    [short_warning] = [line for line in texts(short).splitlines() if line.startswith(":warning:")]
    [long_warning] = [line for line in texts(long).splitlines() if line.startswith(":warning:")]
    assert "I couldn't read “Q&amp;A &lt;b&gt;” as a date or time." in short_warning
    assert f"I couldn't read “{'a' * 56} &amp;…” as a date or time." in long_warning
    assert len(touchpoints(runtime)) == 2  # both lines are saved, without a follow-up


def test_an_unreadable_follow_up_keeps_the_touchpoint_and_says_how_to_fix_it(slack, standin, runtime, customers):
    reply = slack.command("U0ALICE", "Acme: call with Dana, follow up blorpday").json()

    assert "blorpday" in texts(reply)
    assert "follow up friday 10am" in texts(reply)  # an example that works
    [tp] = touchpoints(runtime)
    with runtime.sessions.begin() as session:
        assert count(session, FollowUp) == 0
    _, set_button = element(reply, "tp_set_follow_up")
    slack.click("U0ALICE", set_button)
    [opened] = standin.wait_for("views.open")
    view = opened.params["view"]
    result = slack.submit(
        "U0ALICE", view, {"follow_up_text": {"value": {"type": "plain_text_input", "value": "next week"}}}
    )
    assert result.status == 200 and result.body == ""
    with runtime.sessions.begin() as session:
        follow_up = session.scalars(select(FollowUp)).one()
    assert follow_up.touchpoint_id == tp.id
    assert follow_up.due_at.isoformat() == "2026-11-30T08:00:00+00:00"  # next Monday 09:00 Berlin


def test_a_past_follow_up_is_not_set_and_the_reply_says_why(slack, runtime, customers):
    reply = slack.command("U0ALICE", "Acme: call, follow up at 8am").json()

    assert ":warning:" in texts(reply)
    assert len(touchpoints(runtime)) == 1
    with runtime.sessions.begin() as session:
        assert count(session, FollowUp) == 0


def test_undo_hides_the_touchpoint_and_restore_brings_it_back(slack, standin, runtime, customers):
    reply = slack.command("U0ALICE", "Acme: call, follow up friday").json()
    _, undo = element(reply, "tp_undo")

    slack.click("U0ALICE", undo)
    [undone] = standin.wait_for("response_url")
    [tp] = touchpoints(runtime)
    assert tp.deleted_at is not None and tp.deleted_by == "U0ALICE"
    with runtime.sessions.begin() as session:
        assert session.scalars(select(FollowUp)).one().status == "cancelled"

    _, restore = element(undone.params, "tp_restore")
    slack.click("U0ALICE", restore)
    standin.wait_for("response_url", count=2)
    [tp] = touchpoints(runtime)
    assert tp.deleted_at is None
    with runtime.sessions.begin() as session:
        assert session.scalars(select(FollowUp)).one().status == "open"
        actions = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["logged", "undone", "restored"]


def test_the_first_log_asks_the_department_once_and_keeps_it(slack, standin, runtime, customers):
    first = slack.command("U0ALICE", "Acme: call").json()
    block_id, select_menu = element(first, "member_department")

    finance = {"value": "finance", "text": {"type": "plain_text", "text": "Finance"}}
    slack.click("U0ALICE", select_menu, block_id=block_id, selected=finance)
    standin.wait_for("response_url")
    second = slack.command("U0ALICE", "Globex: invoice sent").json()

    assert "member_department" not in [e["action_id"] for _, e in elements(second)]
    assert [tp.author_department for tp in touchpoints(runtime)] == ["finance", "finance"]


@pytest.mark.parametrize(
    ("typed", "stored", "shown"),
    [
        ("<!channel> hello", "@channel hello", "@channel hello"),
        ("<!here> &amp; <!everyone>", "@here & @everyone", "@here &amp; @everyone"),
        ("x <@U0BOB|bob> y", "x @bob y", "x @bob y"),
        ("a &lt;b&gt; &amp; c", "a <b> & c", "a &lt;b&gt; &amp; c"),
        ("see <https://evil.example|click>", "see click (https://evil.example)", "see click (https://evil.example)"),
    ],
)
def test_typed_mentions_and_markup_never_ping_or_break_the_reply(slack, runtime, customers, typed, stored, shown):
    reply = slack.command("U0ALICE", f"Acme: {typed}").json()

    [tp] = touchpoints(runtime)
    assert tp.summary == stored
    assert reply["blocks"][1]["elements"][0]["text"] == shown
    assert "<!" not in json.dumps(reply) and "<@" not in json.dumps(reply)


def test_text_over_slacks_limits_is_stored_whole_and_shown_truncated(slack, runtime, customers):
    long = "word " * 2000
    reply = slack.command("U0ALICE", f"Acme: {long}").json()

    [tp] = touchpoints(runtime)
    assert tp.summary == long.strip()
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in reply["blocks"])
    assert all(len(e["text"]) <= 3000 for b in reply["blocks"] if b["type"] == "context" for e in b["elements"])


def test_a_bad_or_stale_signature_gets_401_and_changes_nothing(slack, runtime, customers):
    body = "command=%2Flog&text=Acme%3A+call&team_id=" + TEAM + "&user_id=U0ALICE"
    forged = slack.send(body, "application/x-www-form-urlencoded", signature="v0=" + "0" * 64)
    stale = slack.send(body, "application/x-www-form-urlencoded", timestamp=1_000_000_000)

    assert (forged.status, stale.status) == (401, 401)
    assert touchpoints(runtime) == []


def test_help_shows_usage_with_examples(slack, runtime):
    reply = slack.command("U0ALICE", "help").json()

    assert "/log Acme: call with Dana" in texts(reply)
    assert touchpoints(runtime) == []


def test_log_alone_opens_the_modal(slack, standin, runtime):
    assert slack.command("U0ALICE", "").status == 200

    [opened] = standin.wait_for("views.open")
    assert opened.params["view"]["callback_id"] == "log_modal"


def test_forty_people_logging_at_once_all_succeed(slack, runtime, standin, customers):
    users = [f"U{n:04d}" for n in range(40)]
    for user in users:
        standin.add_user(user, tz="Europe/Berlin")

    with ThreadPoolExecutor(max_workers=40) as pool:
        replies = list(pool.map(lambda u: slack.command(u, f"Acme: call from {u}, follow up friday"), users))

    assert [r.status for r in replies] == [200] * 40
    assert all(r.json()["text"].startswith("Logged call with Acme Corp") for r in replies)
    assert sorted(tp.author_user_id for tp in touchpoints(runtime)) == users


def test_workspaces_never_see_each_others_customers(slack, runtime, customers):
    seed_customers(runtime, "T0OTHER", {"name": "Hooli"})

    reply = slack.command("U0ALICE", "Hooli: call").json()

    assert "I don't know “Hooli” yet" in texts(reply)
    assert [e for _, e in elements(reply) if e["action_id"] == "tp_pick_customer"] == []


def test_a_profile_slack_cannot_give_is_not_asked_for_on_every_line(slack, standin, runtime, clock, customers):
    standin.fail_next("users.info", error="user_not_found", times=5)

    slack.command("U0ALICE", "Acme: call")
    slack.command("U0ALICE", "Acme: second call")
    assert len(standin.calls_to("users.info")) == 1
    clock.advance(minutes=16)
    slack.command("U0ALICE", "Acme: third call")

    assert len(standin.calls_to("users.info")) == 2
