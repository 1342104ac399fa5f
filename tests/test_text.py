"""The grammar helpers every reply uses: a count agrees with its noun, a noun gets its article."""

from __future__ import annotations

import pytest

from bot.blocks.curation import MAX_CONTACTS_SHOWN, contacts_modal
from bot.capture.kinds import KINDS
from bot.text import plural, with_article
from storage.models import Contact


@pytest.mark.parametrize(
    ("n", "word", "said"),
    [
        (0, "new customer", "0 new customers"),
        (1, "new customer", "1 new customer"),
        (2, "new customer", "2 new customers"),
        (1, "bad row", "1 bad row"),
        (3, "alias", "3 aliases"),
        (2, "match", "2 matches"),
        (2, "delivery", "2 deliveries"),
        (2, "day", "2 days"),
        (2, "catch-up", "2 catch-ups"),
    ],
)
def test_a_count_agrees_with_its_noun(n, word, said):
    assert plural(n, word) == said


def test_an_irregular_plural_is_given():
    assert (plural(1, "person", "people"), plural(4, "person", "people")) == ("1 person", "4 people")


@pytest.mark.parametrize(
    ("word", "said"),
    [
        ("event", "an event"),
        ("email", "an email"),
        ("visit", "a visit"),
        ("meeting", "a meeting"),
        ("call", "a call"),
        ("ticket", "a ticket"),
        ("hour", "an hour"),
        ("user", "a user"),
        ("one-off call", "a one-off call"),
        ("Acme", "an Acme"),
    ],
)
def test_a_noun_gets_the_article_it_sounds_like(word, said):
    assert with_article(word) == said


def test_every_touchpoint_kind_reads_right():
    articles = {kind: with_article(kind).split()[0] for kind in KINDS}

    assert {kind for kind, article in articles.items() if article == "an"} == {"event", "email"}


@pytest.mark.parametrize(
    ("extra", "said"), [(1, "1 more contact is not shown here."), (2, "2 more contacts are not shown here.")]
)
def test_the_contacts_form_counts_what_it_leaves_out_in_english(extra, said):
    contacts = [Contact(id=n, name=f"Person {n}") for n in range(MAX_CONTACTS_SHOWN + extra)]

    view = contacts_modal("Acme Corp", contacts, {})

    assert said in [
        element["text"] for block in view["blocks"] if block["type"] == "context" for element in block["elements"]
    ]
