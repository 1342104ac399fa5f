"""The forms' "follow-up in words" field reads what the `/log` line reads, marker or not: the examples it
shows included."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.capture.parsing import FOLLOW_UP_EXAMPLES
from storage.models import FollowUp
from tests.capture.test_modal_and_shortcut import form, opened_view
from tests.conftest import TEAM
from tests.helpers import seed_customers


@pytest.fixture
def globex(runtime) -> int:
    return seed_customers(runtime, TEAM, {"name": "Globex"})["Globex"]


def submitted_follow_up(slack, standin, runtime, customer: int, words: str) -> FollowUp:
    slack.command("U0ALICE", "")
    reply = slack.submit("U0ALICE", opened_view(standin), form(str(customer), follow_up_text=words))
    assert reply.status == 200 and reply.body == "", reply.body
    with runtime.sessions.begin() as session:
        return session.scalars(select(FollowUp)).one()


@pytest.mark.parametrize(
    ("words", "due"),
    [
        (FOLLOW_UP_EXAMPLES[0], "2026-11-27T09:00:00+00:00"),  # follow up friday 10am: 10:00 in Berlin
        (FOLLOW_UP_EXAMPLES[1], "2026-12-09T08:00:00+00:00"),  # f/u in 2 weeks: 09:00 in Berlin
        ("remind me tomorrow at 3pm", "2026-11-26T14:00:00+00:00"),
        ("friday 10am", "2026-11-27T09:00:00+00:00"),
    ],
)
def test_the_examples_the_field_shows_and_the_log_lines_clauses_are_accepted(
    slack, standin, runtime, globex, words, due
):
    follow_up = submitted_follow_up(slack, standin, runtime, globex, words)

    assert follow_up.due_at.isoformat() == due
    assert follow_up.assignee_user_id == "U0ALICE"


def test_a_plain_at_name_in_the_field_is_an_error_on_it_naming_who(slack, standin, runtime, globex):
    slack.command("U0ALICE", "")
    reply = slack.submit("U0ALICE", opened_view(standin), form(str(globex), follow_up_text="ping @dave friday"))

    errors = reply.json()["errors"]
    assert errors["follow_up_text"].startswith("I couldn't tell who @dave is.")
