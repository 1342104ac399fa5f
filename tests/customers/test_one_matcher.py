"""`/log` finds every customer `/customer` finds with the same words: both ask the one matcher.

Legal forms (leading or trailing, dotted or not), `&` and `and`, possessives, typos and prefixes are read alike
by both commands, over signed HTTP.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.text import escape
from storage.models import Touchpoint
from tests.conftest import TEAM
from tests.helpers import seed_customers, texts


@pytest.fixture
def customers(runtime):
    return seed_customers(
        runtime,
        TEAM,
        {"name": "Globex Corporation", "domain": "globex.com"},
        {"name": "Stark Industries Inc"},
        {"name": "Procter & Gamble"},
        {"name": "Johnson and Johnson"},
        {"name": "Volvo AB"},
        {"name": "Dubois Frères S.A."},
        {"name": "Wayne Enterprises", "domain": "wayne.com"},
        {"name": "Initech Systems LLC"},
    )


# (the customer as typed at the start of the line, the customer both commands must find)
TYPED = [
    ("Globx Inc", "Globex Corporation"),  # a typo and another legal form
    ("Globex Corp.", "Globex Corporation"),
    ("Globex GmbH", "Globex Corporation"),
    ("Stark Industries", "Stark Industries Inc"),
    ("Procter and Gamble", "Procter & Gamble"),
    ("Johnson & Johnson", "Johnson and Johnson"),
    ("AB Volvo", "Volvo AB"),  # a leading legal form
    ("Dubois Freres SA", "Dubois Frères S.A."),
    ("Dubois Frères", "Dubois Frères S.A."),
    ("Wayne Ent", "Wayne Enterprises"),  # a prefix
    ("initech systems", "Initech Systems LLC"),
]


def logged_customer(runtime) -> int | None:
    with runtime.sessions.begin() as session:
        return session.scalars(select(Touchpoint.customer_id).order_by(Touchpoint.id.desc())).first()


@pytest.mark.parametrize(("typed", "expected"), TYPED)
def test_log_and_customer_find_the_same_customer(slack, runtime, customers, typed, expected):
    card = slack.command("U0ALICE", typed, command="/customer").json()
    assert card["text"] == f"Customer card: {escape(expected)}", texts(card)

    reply = slack.command("U0ALICE", f"{typed}: booth visitor at expo").json()

    assert logged_customer(runtime) == customers[expected], texts(reply)
    assert f"with *{escape(expected)}*" in texts(reply)


@pytest.mark.parametrize(
    ("line", "expected", "summary"),
    [
        ("Wayne Enterprises' CFO called about the invoice", "Wayne Enterprises", "CFO called about the invoice"),
        ("Procter & Gamble's buyer phoned", "Procter & Gamble", "buyer phoned"),
        ("Globex’s CFO called", "Globex Corporation", "CFO called"),
    ],
)
def test_a_possessive_names_the_customer_and_stays_out_of_the_summary(
    slack, runtime, customers, line, expected, summary
):
    slack.command("U0ALICE", line)

    with runtime.sessions.begin() as session:
        tp = session.scalars(select(Touchpoint)).one()
    assert (tp.customer_id, tp.summary) == (customers[expected], summary)
