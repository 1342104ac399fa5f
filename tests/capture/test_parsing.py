"""The /log line grammar, table-driven and without Slack or a store."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.capture.kinds import detect_kind
from bot.capture.parsing import parse_log_line
from bot.customers.matching import NameIndex, NameRow
from bot.text import domain_keys, escape, fold, name_keys, slack_to_plain

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
CUSTOMERS = {
    1: ("Acme Corp", "acme.com", ["ACME Industries"]),
    2: ("Globex", None, []),
    3: ("Müller GmbH", "mueller.de", []),
    4: ("Initech Systems", None, []),
    5: ("Wayne Enterprises", "wayne.com", ["Wayne Ent"]),
    6: ("Stark Industries", None, []),
    7: ("Umbrella", None, []),
    8: ("Umbrella Health", None, []),
}


@pytest.fixture(scope="module")
def names() -> NameIndex:
    index = NameIndex()
    rows, row_id = [], 0
    for customer_id, (name, domain, aliases) in CUSTOMERS.items():
        keys = name_keys(name) | (domain_keys(domain) if domain else set())
        for alias in aliases:
            keys |= name_keys(alias)
        for key in sorted(keys):
            row_id += 1
            rows.append(NameRow(row_id, customer_id, key))
    index.add(rows)
    return index


def parse(line: str, names: NameIndex):
    return parse_log_line(line, names, now=NOW, tz=BERLIN, author="U0ALICE")


@pytest.mark.parametrize(
    ("line", "customer_id", "customer_text", "summary"),
    [
        ("Acme: call with Dana", 1, "Acme", "call with Dana"),
        ("Acme Corp - demo of the new line", 1, "Acme Corp", "demo of the new line"),
        ("Acme — shipped 3 pallets", 1, "Acme", "shipped 3 pallets"),
        ("acme.com: emailed the quote", 1, "acme.com", "emailed the quote"),
        ("ACME INDUSTRIES: visit", 1, "ACME INDUSTRIES", "visit"),
        ("Acme Inc: call", 1, "Acme Inc", "call"),  # another legal form of a known name
        ("Globx: demo went well", 2, "Globx", "demo went well"),
        ("mueller: invoice paid", 3, "mueller", "invoice paid"),
        ("Muller GmbH: invoice paid", 3, "Muller GmbH", "invoice paid"),
        ("müller gmbh paid invoice 42", 3, "müller gmbh", "paid invoice 42"),
        ("Initech Systems onsite visit", 4, "Initech Systems", "onsite visit"),
        ("initech systems, called about the outage", 4, "initech systems", "called about the outage"),
        ("Wayne Ent: lunch with Bruce", 5, "Wayne Ent", "lunch with Bruce"),
        ("Stark Industries called at 3:30 about invoice", 6, "Stark Industries", "called at 3:30 about invoice"),
        ("Umbrella Health: complaint about delivery", 8, "Umbrella Health", "complaint about delivery"),
        ("Umbrella Health complaint about delivery", 8, "Umbrella Health", "complaint about delivery"),
        ("Umbrella called", 7, "Umbrella", "called"),
    ],
)
def test_it_finds_the_customer_first(names, line, customer_id, customer_text, summary):
    parsed = parse(line, names)

    assert (parsed.customer_id, parsed.customer_text, parsed.summary) == (customer_id, customer_text, summary)


@pytest.mark.parametrize(
    ("line", "customer_text", "matched_by"),
    [
        ("Hooli: call with Gavin", "Hooli", "unknown"),
        ("Pied Piper met at the expo", "Pied Piper", "unknown"),
        ("pied piper: met at the expo", "pied piper", "unknown"),
        (": call with nobody", "", "missing"),
    ],
)
def test_an_unknown_customer_is_not_an_error_but_is_named(names, line, customer_text, matched_by):
    parsed = parse(line, names)

    assert (parsed.customer_id, parsed.customer_text, parsed.matched_by) == (None, customer_text, matched_by)
    assert parsed.errors  # the reply explains what to do


def test_an_unknown_name_offers_the_closest_customers(names):
    parsed = parse("Initech Labs: call", names)

    assert parsed.candidates[0].customer_id == 4


@pytest.mark.parametrize(
    ("words", "kind"),
    [
        ("met them at the trade show booth for a demo", "event"),
        ("webinar follow-up questions", "event"),
        ("site visit at the plant", "visit"),
        ("visited the warehouse", "visit"),
        ("QBR with the CFO", "meeting"),
        ("zoom about pricing", "meeting"),
        ("lunch with Dana", "meeting"),
        ("phoned Dana", "call"),
        ("rang the buyer", "call"),
        ("left a voicemail", "call"),
        ("emailed the quote", "email"),
        ("emial about the quote", "email"),
        ("whatsapp with the buyer", "chat"),
        ("texted Dana", "chat"),
        ("support case about the outage", "ticket"),
        ("complaint: broken part", "ticket"),
        ("invoice 1042 paid", "payment"),
        ("refund issued", "payment"),
        ("shipped 3 pallets", "delivery"),
        ("late delivery of the order", "delivery"),
        ("shipment delayed by customs", "delivery"),
        ("thinking about expanding", "note"),
        ("", "note"),
    ],
)
def test_it_tells_the_kind_from_the_words_used(words, kind):
    assert detect_kind(words) == kind


def test_tags_are_collected_lowercased_once_and_channel_links_are_not_tags(names):
    parsed = parse("Acme: call #Renewal about <#C123|sales> pricing #renewal #q4-push", names)

    assert parsed.tags == ["renewal", "q4-push"]


def test_the_follow_up_clause_leaves_the_summary(names):
    parsed = parse("Acme: call with Dana, and follow up <@U0BOB> friday 11am", names)

    assert parsed.summary == "call with Dana"
    assert parsed.follow_up is not None
    assert parsed.follow_up.assignee == "U0BOB"
    assert parsed.follow_up.due_at.astimezone(BERLIN).isoformat() == "2026-11-27T11:00:00+01:00"


def test_an_unreadable_follow_up_is_reported_and_the_rest_is_kept(names):
    parsed = parse("Acme: call with Dana, follow up someday maybe", names)

    assert parsed.follow_up is None
    assert parsed.summary == "call with Dana"
    assert parsed.follow_up_text == "follow up someday maybe"
    assert any("follow-up" in error for error in parsed.errors)


@pytest.mark.parametrize(
    ("wire", "plain"),
    [
        ("<@U123|dana> &amp; co", "@dana & co"),
        ("<!channel> now", "@channel now"),
        ("<!subteam^S1|@sales> hi", "@sales hi"),
        ("<mailto:dana@acme.com|dana@acme.com>", "dana@acme.com (mailto:dana@acme.com)"),
        ("<https://acme.com>", "https://acme.com"),
        ("1 &lt; 2 &gt; 0", "1 < 2 > 0"),
    ],
)
def test_slack_wire_text_becomes_plain_text(wire, plain):
    assert slack_to_plain(wire) == plain


def test_escaping_makes_any_plain_text_inert():
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("Müller GmbH", {"muller gmbh", "mueller gmbh", "muller", "mueller"}),
        ("Acme Corp.", {"acme corp", "acme"}),
        ("ÉCOLE Supérieure", {"ecole superieure"}),
        ("北京公司", {fold("北京公司")}),
    ],
)
def test_name_keys_cover_what_people_type(name, keys):
    assert name_keys(name) == keys
