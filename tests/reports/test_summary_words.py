"""How the summary says what it says: the person behind what is worth acting on (a mention in Slack, @id in a
terminal), and follow-ups that fell due but are still within their grace."""

from __future__ import annotations

import json
from dataclasses import replace

import bot.blocks.reports as report_ui
from bot.reports.asked import Asked
from bot.reports.measures import Figure, FollowUps, Kept, actions_for, report_text
from tests.helpers import texts
from tests.test_escaping import NOW, report


def kept(overdue: int) -> Kept:
    none = Figure(0, 0)
    return Kept(Figure(overdue, 0), none, none, Figure(overdue, 0), none, Figure(0.0, None))


def test_the_person_with_most_overdue_follow_ups_is_named_as_slack_shows_people():
    base = report("Acme")
    follow_ups = FollowUps(kept(3), Figure(None, None), Figure(None, None), {"U0BEN": kept(2), "U0ANA": kept(1)}, {})
    made = replace(base, follow_ups=follow_ups)
    made = replace(made, actions=actions_for(made))

    summary = texts(report_ui.report_summary(made, Asked("", NOW)))
    assert (
        "3 follow-ups that fell due in the period are still open past the grace (2 of them assigned to <@U0BEN>)."
        in (summary)
    )
    assert "(2 of them assigned to @U0BEN)." in report_text(made)


def test_follow_ups_still_within_their_grace_are_said_to_be_so_not_that_none_fell_due():
    waiting = Kept(Figure(2, 0), Figure(0, 0), Figure(0, 0), Figure(0, 0), Figure(2, 0), Figure(None, None))
    base = report("Acme")
    made = replace(base, follow_ups=replace(base.follow_ups, kept=waiting))

    summary = json.dumps(report_ui.report_summary(made, Asked("", NOW)), ensure_ascii=False)  # fields included
    assert "2 fell due, still within the grace" in summary and "none fell due  " not in summary
