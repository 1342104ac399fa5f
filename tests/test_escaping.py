"""Every reply builder in `bot/blocks/` escapes what people typed or imported, once, in its blocks and in its
notification `text` alike, and stays inside Block Kit's limits however long that text is.

The builders are found by walking the modules, so a new one fails `test_every_builder_is_called_here` until
it is called below with hostile names and texts.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

import bot.blocks as log_ui
import bot.blocks.card as card_ui
import bot.blocks.channels as channel_ui
import bot.blocks.curation as curation_ui
import bot.blocks.followups as followup_ui
import bot.blocks.home as home_ui
import bot.blocks.reports as report_ui
import bot.blocks.steps as step_ui
from bot.capture.touchpoints import MAX_NAME_LENGTH, Entry, LogOutcome, LoopOffer, TouchpointView
from bot.conversations.links import LinkedChannel
from bot.customers.card import JOURNEY_MOVES, Card, FollowUpsKept, HistoryPage, Journey
from bot.customers.curation import Change, CustomerNames, LookAlike, MergeOutcome
from bot.customers.lookup import CustomerFate
from bot.customers.search import Match, SearchResult
from bot.followups.operations import (
    MARKED_DONE,
    REASSIGNED,
    REOPENED,
    SNOOZED,
    CustomerProblem,
    DigestSettings,
    Listing,
    Outcome,
    Scope,
)
from bot.home import ALREADY_DONE, CANCELLED, DONE, GONE, Home, Notice, QuietCustomer, TouchpointLine
from bot.home import REOPENED as HOME_REOPENED
from bot.home import SNOOZED as HOME_SNOOZED
from bot.reports.asked import Asked
from bot.reports.measures import (
    PERSON,
    Action,
    Churn,
    Coverage,
    FollowUps,
    Kept,
    Quiet,
    Report,
    Source,
    Sources,
    Touchpoints,
    Week,
)
from bot.reports.measures import Figure as Measured
from bot.reports.periods import Filter, Period
from bot.reports.weekly import Subscribed, WeeklySubscription
from bot.text import escape, truncate
from storage.cards import ContactRow, FirstTouchRow, FollowUpRow, StageChangeRow, TouchpointRow
from storage.followups import FollowUpView
from storage.models import Contact, Customer
from tests.conftest import BERLIN, START

MODULES = (log_ui, card_ui, channel_ui, curation_ui, followup_ui, home_ui, report_ui, step_ui)
# Public functions of those modules that are pieces, not replies: they take mrkdwn made already, or ids.
PIECES = {
    "bot.blocks.when",
    "bot.blocks.mrkdwn",
    "bot.blocks.context",
    "bot.blocks.button",
    "bot.blocks.actions",
    "bot.blocks.message",
    "bot.blocks.followups.block_id",
    "bot.blocks.followups.clicked",
    "bot.blocks.home.follow_up_clicked",
    "bot.blocks.channels.channel_mention",
    "bot.blocks.channels.conversation_facts",
    "bot.blocks.channels.picked",
    "bot.blocks.channels.clicked",
}
# Builders with no user text in: they are still checked for limits and stray tokens.
NO_USER_TEXT = {
    "bot.blocks.gone_reply",
    "bot.blocks.help_reply",
    "bot.blocks.failure_reply",
    "bot.blocks.form_apology",
    "bot.blocks.department_question",
    "bot.blocks.card.help_message",
    "bot.blocks.card.share_failed_message",
    "bot.blocks.card.history_gone_view",
    "bot.blocks.followups.followups_help",
    "bot.blocks.followups.digest_reply",
    "bot.blocks.reports.report_help",
    "bot.blocks.reports.report_share_failed",
    "bot.blocks.reports.report_shared_note",
    "bot.blocks.reports.weekly_not_in_channel",
    "bot.blocks.reports.weekly_stopped",
    "bot.blocks.channels.customer_gone_reply",
    "bot.blocks.channels.invite_first_reply",
    "bot.blocks.channels.channel_unreachable_reply",
    "bot.blocks.channels.not_linked_reply",
    "bot.blocks.link",  # it writes no link at all for an address it can't write safely
}

# What people type to ping everyone or fake a link, and text that is escaped already or bold.
PIECES_OF_HOSTILE_TEXT = "Q&A <!here> <!channel> <@U0EVIL> <https://evil.example|click> &amp; *bold* "
LENGTHS = {"short": 1, "long": 25, "over the limits": 60}  # 75, 1,875 and 4,500 characters
PERMALINK = "https://acme.slack.com/archives/C0GENERAL/p1700000000000100"
NOW = START
# The only mentions and links the bot writes itself in these replies: the people and the message link below.
BOTS_OWN_TOKENS = re.compile(r"<@U0(?:ALICE|BOB|CAROL)>|<#C0(?:SALES|SHARED)>|<" + re.escape(PERMALINK) + r"\|message>")
RAW_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")
ESCAPED_TWICE = ("&amp;lt;", "&amp;gt;", "&amp;amp;amp;", "Q&amp;amp;A")


def public_functions() -> Iterator[tuple[str, Callable[..., Any]]]:
    for module in MODULES:
        for name, function in vars(module).items():
            if inspect.isfunction(function) and function.__module__ == module.__name__ and not name.startswith("_"):
                yield f"{module.__name__}.{name}", function


# --- hostile inputs ------------------------------------------------------------------------------------------------


def follow_up(h: str, **changes: Any) -> FollowUpView:
    fields: dict[str, Any] = {
        "id": 7,
        "workspace_id": 1,
        "touchpoint_id": 3,
        "customer_id": 5,
        "customer_name": h,
        "assignee_user_id": "U0BOB",
        "due_at": NOW - timedelta(hours=3),
        "status": "open",
        "nudged_at": None,
        "kind": "call",
        "summary": h,
        "logged_by": "U0ALICE",
        "logged_at": NOW - timedelta(days=1),
        "taken_over_from": "U0CAROL",
    }
    return FollowUpView(**{**fields, **changes})


def touchpoint(h: str, **changes: Any) -> TouchpointView:
    fields: dict[str, Any] = {
        "id": 3,
        "customer_id": None,
        "customer_name": None,
        "customer_text": h,
        "kind": "call",
        "summary": h,
        "tags": [h, "renewal"],
        "occurred_at": NOW,
        "author_user_id": "U0ALICE",
        "department": "sales",
        "source": "command",
        "permalink": PERMALINK,
        "deleted": False,
        "follow_up_due": NOW + timedelta(days=1),
        "follow_up_assignee": "U0BOB",
        "follow_up_text": h,
    }
    return TouchpointView(**{**fields, **changes})


def log_outcome(h: str, **changes: Any) -> LogOutcome:
    fields: dict[str, Any] = {
        "touchpoint": touchpoint(h),
        "matched_by": "unknown",
        "typed_customer": h,
        "candidates": [(5, h), (6, h)],
        "errors": [f"I couldn't read the follow-up {h}"],
        "ask_department": True,
        "loop": LoopOffer(9, NOW + timedelta(hours=1), h, others=2),
    }
    return LogOutcome(**{**fields, **changes})


def rows(h: str) -> list[TouchpointRow]:
    return [
        TouchpointRow(1, "U0ALICE", h, h, NOW - timedelta(days=1), h, PERMALINK),
        TouchpointRow(2, "U0BOB", None, "note", NOW - timedelta(days=2), h, f"https://evil.example/{h}"),
        TouchpointRow(3, h, None, "delivery", NOW - timedelta(days=3), h, None, h, f"https://evil.example/{h}|x>"),
        TouchpointRow(
            4, "U0ALICE", h, "chat", NOW, h, PERMALINK, messages=9, participants={"customer": [h] * 5, "internal": [h]}
        ),
    ]


def card(h: str) -> Card:
    return Card(
        customer_id=5,
        name=h,
        stage=h,
        owner_user_id=h,  # an owner imported from a CSV file is whatever the file said
        domain=h,
        aliases=[h, h],
        last_touch=NOW - timedelta(days=2),
        recent_total=3,
        by_department=[(h, 2)],
        by_kind=[(h, 1)],
        open_follow_ups=[FollowUpRow(1, "U0BOB", NOW - timedelta(hours=1), h)],
        more_follow_ups=True,
        latest=rows(h),
        contacts=[ContactRow(i, h, h, h, h) for i in range(10)],
        journey=Journey(
            moves=[StageChangeRow(h, h, h, NOW - timedelta(days=n)) for n in range(JOURNEY_MOVES, 0, -1)],
            earlier=False,
            first_touch=FirstTouchRow(h, NOW - timedelta(days=400), h, h, [h] * 20),
            kept=FollowUpsKept(due=3, on_time=1, late=1, open_overdue=1),
        ),
        linked_channels=[LinkedChannel(h, None)] + [LinkedChannel("C0SHARED", h)] * 7,
    )


def search(h: str, outcome: str, matches: int = 2) -> SearchResult:
    found = [Match(5, h, 90.0, ("contact", h)), Match(6, h, 80.0)][:matches]
    return SearchResult(outcome, h, found, truncated=True, more=3)  # type: ignore[arg-type]


def alikes(h: str) -> list[LookAlike]:
    return [LookAlike(5, h, h, "name"), LookAlike(6, h, h, "alias"), LookAlike(7, h, h, "domain")]


def merge(h: str) -> MergeOutcome:
    return MergeOutcome(1, 5, h, 6, h, {"touchpoints": 2, "follow_ups": 1, "contacts": 0})


def outcomes(h: str) -> list[Outcome]:
    return [
        Outcome(follow_up(h, status="done", completed_at=NOW, completed_by="U0BOB"), MARKED_DONE, True, "U0BOB"),
        Outcome(follow_up(h, status="cancelled"), MARKED_DONE, False, "U0BOB"),
        Outcome(follow_up(h, due_at=NOW + timedelta(days=1)), SNOOZED, True, "U0BOB"),
        Outcome(follow_up(h), REASSIGNED, True, "U0ALICE"),
        Outcome(follow_up(h), REASSIGNED, False, "U0ALICE"),
        Outcome(follow_up(h), REOPENED, True, "U0ALICE"),
    ]


def listing(h: str, scope: Scope) -> Listing:
    items = [follow_up(h), follow_up(h, id=8, due_at=NOW + timedelta(days=2))]
    return Listing(scope, "U0ALICE", items, total=30, customer_name=h, read_as=h)


def home(h: str, notice: Notice | None) -> Home:
    return Home(
        viewer="U0ALICE",
        now=NOW,
        follow_ups=[follow_up(h), follow_up(h, id=8, due_at=NOW + timedelta(days=1), logged_by="U0CAROL")],
        open_total=20,
        overdue_total=1,
        touchpoints=[
            TouchpointLine(1, 5, h, True, "call", h, NOW, PERMALINK),
            TouchpointLine(2, None, h, False, "note", h, NOW, f"https://evil.example/{h}"),
        ],
        quiet=[QuietCustomer(5, h, None, NOW - timedelta(days=40)), QuietCustomer(6, h, NOW - timedelta(days=35), NOW)],
        quiet_total=12,
        quiet_after_days=30,
        notice=notice,
    )


def weekly(h: str, *, last_error: str | None = None) -> WeeklySubscription:
    """A weekly report whose filter words (as Slack sent them, a person's mention and all) are `h`."""
    return WeeklySubscription("C0SALES", f"<@U0BOB|{h}> {h}", BERLIN, NOW, "U0ALICE", last_error=last_error)


def report(h: str, *, empty: bool = False) -> Report:
    """A report whose every name (departments, people, customers, tags, stages) and action is `h`."""
    figure, none = Measured(3, 1), Measured(0, 0)
    kept = Kept(figure, figure, figure, figure, figure, Measured(0.5, None))
    period = Period(date(2026, 11, 1), date(2026, 11, 30), BERLIN, h)
    return Report(
        period=period,
        previous=period.previous(),
        filter=Filter(department=h, user_id="U0BOB", customer_id=5, customer_name=h, tag=h, user_name=h),
        made_at=NOW,
        touchpoints=Touchpoints(
            none if empty else figure, {h: figure}, {h: figure}, {h: figure}, [Week(period.first, figure, {h: figure})]
        ),
        coverage=Coverage(figure, {h: figure}, {"1": figure}, h, figure, [h, h]),
        follow_ups=FollowUps(kept, figure, figure, {h: kept}, {h: kept}),
        quiet_customers=Quiet(figure, {h: figure}, {h: figure}),
        stage_moves={f"{h} -> {h}": figure},
        conversion=[],
        churn=Churn(h, figure, figure),
        sources=Sources(figure, {h: Source(figure, figure)}, Source(figure, figure)),
        actions=[
            Action("overdue_follow_ups", 3, f"{h} (2 of them assigned to {PERSON})", person="U0BOB"),
            *(Action(kind, 3, h) for kind in ("active_gone_quiet", "x", "y")),
        ],
    )


def calls(h: str) -> dict[str, list[Callable[[], Any]]]:
    """Each builder, called with `h` in every piece of user text it takes (several ways where it branches)."""
    tz = BERLIN
    tp = touchpoint(h)
    known = touchpoint(h, customer_id=5, customer_name=h)
    entry = Entry(None, h, "call", h, NOW, [], None, "modal")
    survivor = Customer(id=6, name=h)
    fu, later = follow_up(h), follow_up(h, id=8, due_at=NOW + timedelta(days=1))
    notices = [Notice(kind, 7, h, NOW, "U0BOB") for kind in (DONE, ALREADY_DONE, HOME_SNOOZED, HOME_REOPENED)]
    notices += [Notice(kind, 7, h, NOW, "U0BOB") for kind in (CANCELLED, GONE, "still_open")]
    page = HistoryPage(5, h, 1, rows(h), has_next=True)
    return {
        "bot.blocks.mention": [
            lambda: log_ui.mention(h),
            lambda: log_ui.mention("U0BOB"),
            lambda: log_ui.mention(None),
        ],
        "bot.blocks.link": [lambda: log_ui.link(h, "message"), lambda: log_ui.link(PERMALINK + h, "message")],
        "bot.blocks.logged_reply": [
            lambda: log_ui.logged_reply(log_outcome(h), tz),
            lambda: log_ui.logged_reply(log_outcome(h, matched_by="ambiguous"), tz),
            lambda: log_ui.logged_reply(log_outcome(h, matched_by="missing"), tz),
            lambda: log_ui.logged_reply(log_outcome(h, touchpoint=known, matched_by="typo"), tz),
            lambda: log_ui.logged_reply(
                log_outcome(h, touchpoint=known, loop=LoopOffer(9, NOW, h, done=True)), tz, note=":tada: Saved."
            ),
        ],
        "bot.blocks.department_question": [lambda: log_ui.department_question(3)],
        "bot.blocks.department_saved_note": [lambda: log_ui.department_saved_note(h)],
        "bot.blocks.undone_reply": [lambda: log_ui.undone_reply(tp), lambda: log_ui.undone_reply(known)],
        "bot.blocks.gone_reply": [log_ui.gone_reply],
        "bot.blocks.help_reply": [log_ui.help_reply],
        "bot.blocks.what_happened_prompt": [
            lambda: log_ui.what_happened_prompt(h, "5"),
            lambda: log_ui.what_happened_prompt(None, log_ui.NEW_CUSTOMER_PREFIX + h[:140]),
        ],
        "bot.blocks.store_down_reply": [lambda: log_ui.store_down_reply(h)],
        "bot.blocks.failure_reply": [log_ui.failure_reply],
        "bot.blocks.form_apology": [
            lambda: log_ui.form_apology({"blocks": [{"type": "input", "block_id": "customer"}]}, "down"),
            lambda: log_ui.form_apology({"blocks": []}, "failed"),
        ],
        "bot.blocks.customer_options": [
            lambda: log_ui.customer_options([(5, h), (6, h)], h),
            lambda: log_ui.customer_options([], h[:100]),
        ],
        "bot.blocks.log_modal": [
            lambda: log_ui.log_modal(tz=tz, now=NOW, metadata={"typed": h}, customer=(5, h), summary=h),
            lambda: log_ui.log_modal(tz=tz, now=NOW, metadata={}, tp=known),
        ],
        "bot.blocks.follow_up_modal": [lambda: log_ui.follow_up_modal(3, {"typed": h})],
        "bot.blocks.card.card_message": [
            lambda: card_ui.card_message(card(h), tz, NOW, note=card_ui.merged_note(h, h)),
            lambda: card_ui.card_message(card(h), tz, NOW, shared_by="U0BOB"),
            lambda: card_ui.card_message(replace(card(h), journey=replace(card(h).journey, earlier=True)), tz, NOW),
        ],
        "bot.blocks.card.touchpoint_line": [
            lambda row=row: card_ui.touchpoint_line(row, tz, NOW, 400) for row in rows(h)
        ],
        "bot.blocks.card.search_reply": [
            lambda: card_ui.search_reply(search(h, "one", 1), card(h), tz, NOW),
            *(lambda o=o: card_ui.search_reply(search(h, o), None, tz, NOW) for o in ("several", "none", "recent")),
            lambda: card_ui.search_reply(search(h, "several", 1), None, tz, NOW),
            lambda: card_ui.search_reply(search(h, "unsearchable"), None, tz, NOW),
        ],
        "bot.blocks.card.help_message": [card_ui.help_message],
        "bot.blocks.card.chooser_message": [
            lambda: card_ui.chooser_message(search(h, "several")),
            lambda: card_ui.chooser_message(search(h, "several", 1)),
            lambda: card_ui.chooser_message(search(h, "recent")),
        ],
        "bot.blocks.card.not_found_message": [lambda: card_ui.not_found_message(search(h, "none"))],
        "bot.blocks.card.unsearchable_message": [lambda: card_ui.unsearchable_message(search(h, "unsearchable", 0))],
        "bot.blocks.card.merged_note": [lambda: card_ui.merged_note(h, h)],
        "bot.blocks.card.gone_message": [lambda: card_ui.gone_message(h), lambda: card_ui.gone_message(None)],
        "bot.blocks.card.share_failed_message": [card_ui.share_failed_message],
        "bot.blocks.card.shared_confirmation": [lambda: card_ui.shared_confirmation(card(h))],
        "bot.blocks.card.history_view": [lambda: card_ui.history_view(page, tz, NOW)],
        "bot.blocks.card.history_gone_view": [card_ui.history_gone_view],
        "bot.blocks.channels.link_notice": [lambda: channel_ui.link_notice(h)],
        "bot.blocks.channels.linked_reply": [lambda: channel_ui.linked_reply("C0SHARED", h)],
        "bot.blocks.channels.already_linked_reply": [lambda: channel_ui.already_linked_reply("C0SHARED", h)],
        "bot.blocks.channels.linked_elsewhere_reply": [lambda: channel_ui.linked_elsewhere_reply("C0SHARED", h)],
        "bot.blocks.channels.customer_gone_reply": [channel_ui.customer_gone_reply],
        "bot.blocks.channels.invite_first_reply": [lambda: channel_ui.invite_first_reply("C0SHARED")],
        "bot.blocks.channels.channel_unreachable_reply": [lambda: channel_ui.channel_unreachable_reply("C0SHARED")],
        "bot.blocks.channels.typed_channel_reply": [lambda: channel_ui.typed_channel_reply(h)],
        "bot.blocks.channels.unlinked_reply": [
            lambda: channel_ui.unlinked_reply("C0SHARED", 5, h),
            lambda: channel_ui.unlinked_reply(h, None, None),
        ],
        "bot.blocks.channels.not_linked_reply": [lambda: channel_ui.not_linked_reply("C0SHARED")],
        "bot.blocks.channels.linked_channels_section": [
            lambda: {"blocks": channel_ui.linked_channels_section(5, card(h).linked_channels)}
        ],
        "bot.blocks.channels.link_modal": [lambda: channel_ui.link_modal(5, h)],
        "bot.blocks.curation.look_alike_for_log": [lambda: curation_ui.look_alike_for_log(tp, h, alikes(h))],
        "bot.blocks.curation.look_alike_for_card": [lambda: curation_ui.look_alike_for_card(h, alikes(h))],
        "bot.blocks.curation.log_modal_with_look_alikes": [
            lambda: curation_ui.log_modal_with_look_alikes(
                log_ui.log_modal(tz=tz, now=NOW, metadata={}, summary=h), entry, alikes(h)
            )
        ],
        "bot.blocks.curation.created_reply": [lambda: curation_ui.created_reply(5, h)],
        "bot.blocks.curation.gone_reply": [
            lambda: curation_ui.gone_reply(None),
            lambda: curation_ui.gone_reply(CustomerFate(h, survivor, merged=True, deleted=False)),
            lambda: curation_ui.gone_reply(CustomerFate(h, None, merged=False, deleted=True)),
        ],
        "bot.blocks.curation.refused_reply": [lambda: curation_ui.refused_reply(f"Only the owner of {h} can.")],
        "bot.blocks.curation.change_note": [lambda: curation_ui.change_note(Change(5, h, [h], new_owner="U0BOB"))],
        "bot.blocks.curation.change_reply": [
            lambda: curation_ui.change_reply(Change(5, h, [h, h], new_owner=h)),
            lambda: curation_ui.change_reply(Change(5, h)),
        ],
        "bot.blocks.curation.stage_modal": [
            lambda: curation_ui.stage_modal(h, [h, "lead"], h, {"typed": h}, can_edit_stages=True)
        ],
        "bot.blocks.curation.owner_modal": [lambda: curation_ui.owner_modal(h, "U0BOB", {})],
        "bot.blocks.curation.names_modal": [lambda: curation_ui.names_modal(CustomerNames(5, h, [h] * 3, [h]), {})],
        "bot.blocks.curation.contacts_modal": [
            lambda: curation_ui.contacts_modal(
                h, [Contact(id=i, name=h, email=h, phone=h, role=h) for i in range(15)], {}
            )
        ],
        "bot.blocks.curation.merge_modal": [lambda: curation_ui.merge_modal(h, {})],
        "bot.blocks.curation.merge_options": [lambda: curation_ui.merge_options([(5, h), (6, h)], 6)],
        "bot.blocks.curation.merged_reply": [lambda: curation_ui.merged_reply(merge(h))],
        "bot.blocks.curation.unmerged_reply": [lambda: curation_ui.unmerged_reply(merge(h))],
        "bot.blocks.followups.nudge_message": [
            lambda: followup_ui.nudge_message(fu, tz),
            lambda: followup_ui.nudge_message(fu, tz, handed_by="U0CAROL"),
        ],
        "bot.blocks.followups.catch_up_message": [lambda: followup_ui.catch_up_message([fu] * 15, tz, NOW)],
        "bot.blocks.followups.digest_message": [lambda: followup_ui.digest_message([fu] * 12, [later] * 12, tz, NOW)],
        "bot.blocks.followups.updated_message": [
            lambda o=o: followup_ui.updated_message(followup_ui.nudge_message(fu, tz), o, tz, told=False)
            for o in outcomes(h)
        ],
        "bot.blocks.followups.outcome_message": [lambda o=o: followup_ui.outcome_message(o, tz) for o in outcomes(h)],
        "bot.blocks.followups.list_message": [
            lambda: followup_ui.list_message(listing(h, Scope("customer", "5")), tz, NOW, note=outcomes(h)[0]),
            lambda: followup_ui.list_message(listing(h, Scope("user", "U0BOB")), tz, NOW),
            lambda: followup_ui.list_message(Listing(Scope("customer", "5"), "U0ALICE", [], 0, h), tz, NOW),
        ],
        "bot.blocks.followups.followups_help": [followup_ui.followups_help],
        "bot.blocks.followups.digest_reply": [
            lambda: followup_ui.digest_reply(DigestSettings(True, 8, True), tz),
            lambda: followup_ui.digest_reply(DigestSettings(False, 9, False), tz),
        ],
        "bot.blocks.followups.problem_reply": [lambda: followup_ui.problem_reply(f"I couldn't read {h}")],
        "bot.blocks.followups.customer_problem_reply": [
            lambda: followup_ui.customer_problem_reply(CustomerProblem(h, True, [h, h])),
            lambda: followup_ui.customer_problem_reply(CustomerProblem(h, False, [h])),
        ],
        "bot.blocks.followups.unknown_user_reply": [lambda: followup_ui.unknown_user_reply(h)],
        "bot.blocks.followups.snooze_modal": [lambda: followup_ui.snooze_modal(fu, tz, NOW, {"fu": 7})],
        "bot.blocks.home.home_view": [lambda n=n: home_ui.home_view(home(h, n), tz) for n in [None, *notices]],
        "bot.blocks.home.snooze_modal": [lambda: home_ui.snooze_modal(fu, tz, NOW)],
        "bot.blocks.reports.report_summary": [
            lambda: report_ui.report_summary(report(h), Asked(h, NOW)),
            lambda: report_ui.report_summary(report(h), Asked(h[:400], NOW), shared_by="U0BOB"),
            lambda: report_ui.report_summary(report(h), Asked(h[:400], NOW, "Europe/Berlin"), weekly=True),
            lambda: report_ui.report_summary(report(h, empty=True), Asked(h, NOW)),
        ],
        "bot.blocks.reports.empty_report": [lambda: report_ui.empty_report(report(h, empty=True))],
        "bot.blocks.reports.report_words_error": [
            lambda: report_ui.report_words_error(f"No department or customer is called `{h}`. Departments: {h}.")
        ],
        "bot.blocks.reports.report_shared_note": [lambda: report_ui.report_shared_note(report(h))],
        "bot.blocks.reports.report_share_failed": [report_ui.report_share_failed],
        "bot.blocks.reports.report_help": [report_ui.report_help],
        "bot.blocks.reports.chart_comment": [lambda: report_ui.chart_comment(report(h))],
        "bot.blocks.reports.csv_comment": [lambda: report_ui.csv_comment(report(h))],
        "bot.blocks.reports.weekly_subscribed": [
            lambda outcome=outcome: report_ui.weekly_subscribed(Subscribed(weekly(h), outcome))
            for outcome in ("new", "changed", "restarted", "same")
        ],
        "bot.blocks.reports.weekly_channel_notice": [lambda: report_ui.weekly_channel_notice("U0BOB", weekly(h))],
        "bot.blocks.reports.weekly_list": [
            lambda: report_ui.weekly_list([weekly(h), weekly(h, last_error=h)] * 20),
            lambda: report_ui.weekly_list([]),
        ],
        "bot.blocks.reports.weekly_stopped": [
            lambda: report_ui.weekly_stopped("C0SALES", weekly(h)),
            lambda: report_ui.weekly_stopped("C0SALES", None),
        ],
        "bot.blocks.reports.weekly_not_in_channel": [lambda: report_ui.weekly_not_in_channel("C0SALES")],
        "bot.blocks.steps.step_outputs": [
            lambda: step_ui.step_outputs(log_outcome(h), PERMALINK),
            lambda: step_ui.step_outputs(log_outcome(h, touchpoint=known), None),
        ],
    }


# --- what is checked -----------------------------------------------------------------------------------------------


def mrkdwn_texts(reply: Any) -> Iterator[str]:
    """Every text Slack reads as mrkdwn: text objects of type mrkdwn at any depth, and a message's `text`."""
    if isinstance(reply, str):
        yield reply  # a piece of mrkdwn made for a section
        return
    if isinstance(reply, dict) and isinstance(reply.get("text"), str) and "blocks" in reply:
        yield reply["text"]
    yield from (obj["text"] for obj in walk(reply) if obj.get("type") == "mrkdwn")


def plain_texts(reply: Any) -> Iterator[str]:
    yield from (obj["text"] for obj in walk(reply) if obj.get("type") == "plain_text")


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict | list):
        for value in node.values() if isinstance(node, dict) else node:
            yield from strings(value)


def escaping_problems(reply: Any) -> list[str]:
    problems = []
    for text in mrkdwn_texts(reply):
        left = BOTS_OWN_TOKENS.sub("", text)
        if "<" in left or ">" in left:
            problems.append(f"unescaped < or > in mrkdwn: {text[:300]!r}")
        if RAW_AMPERSAND.search(text):
            problems.append(f"a raw & or a cut entity in mrkdwn: {text[:300]!r}")
        problems += [f"escaped twice ({twice}): {text[:300]!r}" for twice in ESCAPED_TWICE if twice in text]
    for text in plain_texts(reply):  # Slack shows plain text as it is: an entity there is shown as typed
        problems += [f"escaped plain text ({e}): {text!r}" for e in ("&lt;", "&gt;", "&amp;amp;") if e in text]
    return problems


def limit_problems(reply: Any) -> list[str]:
    """Block Kit's limits, for whatever the builder made: a message, a view, a block, options or mrkdwn."""
    problems = []

    def over(what: str, value: Any, limit: int) -> None:
        if value is not None and len(value) > limit:
            problems.append(f"{what} of {len(value)} over {limit}")

    if isinstance(reply, str):  # a piece of a section: mrkdwn() and context() cap the section it goes in
        return problems
    if isinstance(reply, dict) and reply.get("type") in ("modal", "home"):
        over("view blocks", reply["blocks"], 100)
        over("private_metadata", reply.get("private_metadata"), 3000)
        for part in ("title", "submit", "close"):
            over(f"modal {part}", (reply.get(part) or {}).get("text"), 24)
    elif isinstance(reply, dict) and "blocks" in reply:
        over("message blocks", reply["blocks"], 50)
        over("message text", reply.get("text"), 40000)
    for obj in walk(reply):
        kind = obj.get("type")
        over("block_id", obj.get("block_id"), 255)
        over("action_id", obj.get("action_id"), 255)
        if kind == "section":
            over("section text", (obj.get("text") or {}).get("text"), 3000)
        elif kind == "header":
            over("header", obj["text"]["text"], 150)
        elif kind == "context":
            over("context elements", obj["elements"], 10)
            for item in obj["elements"]:
                over("context text", item.get("text"), 3000)
        elif kind == "actions":
            over("actions elements", obj["elements"], 25)
        elif kind == "button":
            over("button label", obj["text"]["text"], 75)
            over("button value", obj.get("value"), 2000)
        elif kind == "input":
            over("input label", obj["label"]["text"], 2000)
            over("input hint", (obj.get("hint") or {}).get("text"), 2000)
        elif kind == "plain_text_input":
            over("initial value", obj.get("initial_value"), 3000)
        elif kind in ("static_select", "radio_buttons", "checkboxes"):
            over("options", obj["options"], 100)
        elif kind is None and "value" in obj and isinstance(obj.get("text"), dict):  # an option
            over("option label", obj["text"]["text"], 75)
            over("option value", obj["value"], 150)
        if isinstance(obj.get("placeholder"), dict):
            over("placeholder", obj["placeholder"]["text"], 150)
    if isinstance(reply, list):
        over("options", reply, 100)
    return problems


# --- the tests -----------------------------------------------------------------------------------------------------


def test_every_builder_is_called_here():
    builders = {name for name, _ in public_functions()} - PIECES
    called = set(calls("x"))

    assert builders - called == set(), "a reply builder with no hostile call in tests/test_escaping.py"
    assert called - builders == set(), "a call here for something that is not a public builder (renamed?)"


@pytest.mark.parametrize("length", LENGTHS)
def test_no_builder_lets_user_text_ping_link_or_show_escaped_twice(length):
    h = PIECES_OF_HOSTILE_TEXT * LENGTHS[length]
    problems = []
    for name, made in calls(h).items():
        shown = []
        for call in made:
            reply = call()
            problems += [f"{name}: {problem}" for problem in escaping_problems(reply)]
            shown += strings(reply)
        if name not in NO_USER_TEXT and not any("Q&A" in text or "Q&amp;A" in text for text in shown):
            problems.append(f"{name}: the hostile text never reached a reply, so these calls check nothing")

    assert problems == []


@pytest.mark.parametrize("length", LENGTHS)
def test_every_builder_stays_inside_block_kit_limits(length):
    h = PIECES_OF_HOSTILE_TEXT * LENGTHS[length]
    problems = []
    for name, made in calls(h).items():
        for call in made:
            problems += [f"{name}: {problem}" for problem in limit_problems(call())]

    assert problems == []


def test_a_notification_text_reads_like_its_message_with_names_escaped_once():
    name = "R&D <!here> Ltd"

    created = curation_ui.created_reply(5, name)
    merged = curation_ui.merged_reply(MergeOutcome(1, 5, name, 6, "Acme", {"touchpoints": 1}))

    assert created["text"] == "Created R&amp;D &lt;!here&gt; Ltd."
    assert merged["text"] == "Merged Acme into R&amp;D &lt;!here&gt; Ltd."
    assert created["blocks"][1]["elements"][0]["text"]["text"] == "Open R&D <!here> Ltd"  # plain text: as typed


@pytest.mark.parametrize(
    ("text", "limit", "shortened"),
    [
        ("Q&amp;A session", 5, "Q…"),  # never "Q&am…"
        ("Q&amp;A session", 8, "Q&amp;A…"),
        ("call &lt;urgent&gt; now", 9, "call…"),
        ("due <@U0BOB> tomorrow", 10, "due…"),  # never "<@U0B…", which Slack would show as a broken token
        (f"see <{PERMALINK}|message> later", 30, "see…"),
        ("plain words only", 11, "plain word…"),
        ("short", 5, "short"),
    ],
)
def test_shortening_never_cuts_an_entity_or_a_token_in_half(text, limit, shortened):
    assert truncate(text, limit) == shortened
    assert len(truncate(text, limit)) <= limit


def test_a_steps_outputs_carry_the_customers_name_escaped_once_and_cut_to_fit():
    """A workflow's next step may post the name in a message: it must not ping or link from there either."""
    h = PIECES_OF_HOSTILE_TEXT * LENGTHS["over the limits"]

    typed = step_ui.step_outputs(log_outcome(h), PERMALINK)
    known = step_ui.step_outputs(log_outcome(h, touchpoint=touchpoint("x", customer_id=5, customer_name=h)), None)

    assert typed["customer_name"] == known["customer_name"] == escape(truncate(h, MAX_NAME_LENGTH))
    assert "<" not in typed["customer_name"] and not RAW_AMPERSAND.search(typed["customer_name"])
    assert (typed["message_link"], "message_link" in known) == (PERMALINK, False)
