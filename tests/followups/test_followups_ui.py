"""Follow-ups as people see them: the nudge and its buttons, closing the loop, `/followups` and the digest.

Follow-ups are made with `/log` over signed HTTP; nudges are posted to the Web API stand-in the way the
dispatcher posts them (chat.postMessage to the assignee with `nudge_message`), and clicks on them are
signed interactivity requests carrying that DM's channel, ts and blocks, as Slack sends them.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.blocks.followups import (
    CATCH_UP_LISTED,
    catch_up_message,
    digest_message,
    list_message,
    nudge_message,
)
from bot.followups.operations import FollowUpView, Listing, Scope
from bot.local.simulator import SlackSimulator, http_transport
from storage.followups import follow_up_views
from storage.models import AuditEvent, FollowUp, Member
from tests.conftest import BERLIN, BOT_TOKEN, SIGNING_SECRET, START, TEAM
from tests.helpers import element, elements, seed_customers, texts

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def customers(runtime):
    return seed_customers(
        runtime,
        TEAM,
        {"name": "Acme Corp", "domain": "acme.com", "owner_user_id": "U0CAROL"},
        {"name": "Globex"},
    )


# --------------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------------


def log(slack, user: str, line: str) -> dict:
    reply = slack.command(user, line)
    assert reply.status == 200
    return reply.json()


def follow_ups(runtime) -> list[FollowUp]:
    with runtime.sessions.begin() as session:
        return list(session.scalars(select(FollowUp).order_by(FollowUp.id)))


def the_follow_up(runtime, follow_up_id: int) -> FollowUp:
    with runtime.sessions.begin() as session:
        return session.get(FollowUp, follow_up_id)


def audit(runtime, follow_up_id: int) -> list[AuditEvent]:
    with runtime.sessions.begin() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.entity_type == "follow_up", AuditEvent.entity_id == follow_up_id)
                .order_by(AuditEvent.id)
            )
        )


def post_nudge(runtime, standin, follow_up_id: int, tz: ZoneInfo = BERLIN) -> dict:
    """Send the nudge as the dispatcher does, mark it nudged, and return the DM with its channel and ts."""
    with runtime.sessions.begin() as session:
        [view] = follow_up_views(session, [follow_up_id])
    client = WebClient(token=BOT_TOKEN, base_url=standin.api_url)
    posted = client.chat_postMessage(channel=view.assignee_user_id, **nudge_message(view, tz))
    with runtime.sessions.begin() as session:
        row = session.get(FollowUp, follow_up_id)
        row.nudged_at, row.nudge_channel, row.nudge_ts = runtime.now(), posted["channel"], posted["ts"]
    return {**posted["message"], "channel": posted["channel"]}


def click(slack, standin, user: str, dm: dict, action_id: str, then: str = "response_url", **kwargs) -> None:
    """Click an element of a DM the app posted (a normal message: Slack sends its channel, ts and blocks).

    Slack gets its acknowledgement before the listener's work is done, so wait for the Web API call
    (`then`) the click ends with; the store has its change by then.
    """
    before = len(standin.calls_to(then))
    block_id, found = element(dm, action_id)
    assert slack.click(user, found, block_id=block_id, channel=dm["channel"], message=dm, **kwargs).status == 200
    standin.wait_for(then, count=before + 1)


def snooze_option(dm: dict, choice: str) -> dict:
    _, menu = element(dm, "fu_snooze")
    return next(o for o in menu["options"] if o["value"].endswith(":" + choice))


def last_update(standin, count: int) -> dict:
    """The `count`th message replaced through a response_url, as the person now sees it."""
    update = standin.wait_for("response_url", count=count)[count - 1]
    assert update.params.get("replace_original") is True
    return update.params


def redrawn(update: dict, dm: dict) -> dict:
    """A DM as it is after an update in place: same channel and ts, new blocks."""
    return {**dm, "text": update["text"], "blocks": update["blocks"]}


def action_ids(message: dict) -> list[str]:
    return [e["action_id"] for _, e in elements(message)]


@pytest.fixture
def nudged(slack, standin, runtime, customers):
    """Alice's follow-up with Acme, nudged to her: (follow-up id, the DM)."""
    log(slack, "U0ALICE", "Acme: call with Dana about the renewal, follow up friday")
    [fu] = follow_ups(runtime)
    return fu.id, post_nudge(runtime, standin, fu.id)


# --------------------------------------------------------------------------------------------------------
# The nudge
# --------------------------------------------------------------------------------------------------------


def test_the_nudge_says_who_promised_what_to_whom_and_offers_every_action(nudged):
    _, dm = nudged

    assert dm["channel"] == "DU0ALICE"
    assert "Follow up with *Acme Corp* — due Fri 27 Nov, 09:00" in texts(dm)
    assert "You logged a call Wed 25 Nov, 10:30: call with Dana about the renewal" in texts(dm)
    assert action_ids(dm) == ["fu_done", "fu_snooze", "fu_log", "card_open", "fu_reassign"]
    _, menu = element(dm, "fu_snooze")
    assert [o["text"]["text"] for o in menu["options"]] == [
        "1 hour",
        "Tomorrow 09:00",
        "Next Monday 09:00",
        "Pick a date…",
    ]


@pytest.mark.parametrize(
    ("line", "said"), [("email to Dana", "You logged an email"), ("booth chat", "You logged an event")]
)
def test_the_nudge_reads_like_english_whatever_the_kind(slack, standin, runtime, customers, line, said):
    log(slack, "U0ALICE", f"Acme: {line}, follow up friday")
    [fu] = follow_ups(runtime)

    dm = post_nudge(runtime, standin, fu.id)

    assert f"{said} Wed 25 Nov, 10:30: {line}" in texts(dm)


def test_done_closes_the_follow_up_and_updates_the_dm_in_place(slack, standin, runtime, clock, nudged):
    fu_id, dm = nudged

    click(slack, standin, "U0ALICE", dm, "fu_done")

    row = the_follow_up(runtime, fu_id)
    assert (row.status, row.completed_by, row.completed_at) == ("done", "U0ALICE", START)
    update = last_update(standin, 1)
    assert "Follow up with *Acme Corp*" in texts(update)  # the nudge stays readable
    assert ":white_check_mark: Done by <@U0ALICE> at Wed 25 Nov, 10:30" in texts(update)
    assert action_ids(update) == ["fu_reopen"]
    assert [e.action for e in audit(runtime, fu_id)] == ["follow_up_done"]
    assert audit(runtime, fu_id)[0].actor_user_id == "U0ALICE"


def test_a_second_click_is_answered_gracefully_and_changes_nothing_twice(slack, standin, runtime, clock, nudged):
    fu_id, dm = nudged
    click(slack, standin, "U0ALICE", dm, "fu_done")
    last_update(standin, 1)
    clock.advance(minutes=5)

    click(slack, standin, "U0ALICE", dm, "fu_done")  # the stale copy, as a double click sends it
    click(slack, standin, "U0ALICE", dm, "fu_snooze", selected=snooze_option(dm, "1h"))

    second, third = last_update(standin, 2), last_update(standin, 3)
    for update in (second, third):
        assert ":white_check_mark: Already done by <@U0ALICE> at Wed 25 Nov, 10:30" in texts(update)
    row = the_follow_up(runtime, fu_id)
    assert (row.status, row.completed_at, row.due_at) == ("done", START, datetime(2026, 11, 27, 8, tzinfo=UTC))
    assert [e.action for e in audit(runtime, fu_id)] == ["follow_up_done"]


def test_clicks_racing_on_one_nudge_close_it_once(slack, standin, runtime, nudged):
    fu_id, dm = nudged
    block_id, done = element(dm, "fu_done")

    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(
            pool.map(
                lambda _: slack.click("U0ALICE", done, block_id=block_id, channel=dm["channel"], message=dm), range(8)
            )
        )

    assert [r.status for r in replies] == [200] * 8
    updates = [texts(c.params) for c in standin.wait_for("response_url", count=8)]
    assert sum("Already done" not in u for u in updates) == 1
    assert [e.action for e in audit(runtime, fu_id)] == ["follow_up_done"]


def test_undo_reopens_without_nudging_again(slack, standin, runtime, nudged):
    fu_id, dm = nudged
    click(slack, standin, "U0ALICE", dm, "fu_done")
    done = redrawn(last_update(standin, 1), dm)

    click(slack, standin, "U0ALICE", done, "fu_reopen")

    row = the_follow_up(runtime, fu_id)
    assert (row.status, row.completed_at, row.completed_by) == ("open", None, None)
    assert row.nudged_at is not None  # already nudged: Undo does not nudge it a second time
    reopened = last_update(standin, 2)
    assert action_ids(reopened) == ["fu_done", "fu_snooze", "fu_log", "card_open", "fu_reassign"]
    assert "Reopened by <@U0ALICE>" in texts(reopened)
    assert [e.action for e in audit(runtime, fu_id)] == ["follow_up_done", "follow_up_reopened"]


def test_a_nudge_done_by_someone_else_says_so(slack, standin, runtime, nudged):
    fu_id, dm = nudged
    reply = slack.command("U0BOB", "<@U0ALICE|alice>", command="/followups").json()
    block_id, done = element(reply, "fu_done")
    slack.click("U0BOB", done, block_id=block_id)
    last_update(standin, 1)

    click(slack, standin, "U0ALICE", dm, "fu_done")

    assert "Already done by <@U0BOB> at Wed 25 Nov, 10:30" in texts(last_update(standin, 2))
    assert the_follow_up(runtime, fu_id).completed_by == "U0BOB"


def test_a_nudge_whose_follow_up_was_cancelled_changes_nothing(slack, standin, runtime, customers):
    reply = log(slack, "U0ALICE", "Acme: call, follow up friday")
    [fu] = follow_ups(runtime)
    dm = post_nudge(runtime, standin, fu.id)
    _, undo = element(reply, "tp_undo")
    slack.click("U0ALICE", undo)  # the touchpoint is undone: its follow-up is cancelled
    standin.wait_for("response_url")

    click(slack, standin, "U0ALICE", dm, "fu_done")

    assert "cancelled" in texts(last_update(standin, 2))
    assert the_follow_up(runtime, fu.id).status == "cancelled"
    assert audit(runtime, fu.id) == []


def test_snooze_one_hour_moves_the_due_time_and_it_is_nudged_again(slack, standin, runtime, nudged):
    fu_id, dm = nudged

    click(slack, standin, "U0ALICE", dm, "fu_snooze", selected=snooze_option(dm, "1h"))

    row = the_follow_up(runtime, fu_id)
    assert row.due_at == START + timedelta(hours=1)
    assert (row.nudged_at, row.status) == (None, "open")
    assert ":sleeping: Snoozed until Wed 25 Nov, 11:30 by <@U0ALICE>" in texts(last_update(standin, 1))
    [event] = audit(runtime, fu_id)
    assert event.action == "follow_up_snoozed"
    assert event.details == {"before": "2026-11-27T08:00:00+00:00", "after": "2026-11-25T10:30:00+00:00"}


def test_snooze_until_tomorrow_is_9am_in_the_clickers_zone_across_a_dst_change(slack, standin, runtime, clock):
    seed_customers(runtime, TEAM, {"name": "Acme Corp"})
    clock.instant = datetime(2026, 10, 24, 12, tzinfo=UTC)  # Saturday; Berlin leaves summer time overnight
    log(slack, "U0ALICE", "Acme: call, follow up in 2 weeks")
    [fu] = follow_ups(runtime)
    dm = post_nudge(runtime, standin, fu.id)

    click(slack, standin, "U0ALICE", dm, "fu_snooze", selected=snooze_option(dm, "tomorrow"))

    # Sunday 09:00 in Berlin is UTC+1 again: 08:00 UTC, not the 07:00 that "24 hours later" would give.
    assert the_follow_up(runtime, fu.id).due_at == datetime(2026, 10, 25, 8, tzinfo=UTC)
    assert "Snoozed until Sun 25 Oct, 09:00" in texts(last_update(standin, 1))


def test_snooze_until_next_monday_in_new_york(slack, standin, runtime, customers):
    log(slack, "U0BOB", "Globex: call, follow up friday")
    [fu] = follow_ups(runtime)
    dm = post_nudge(runtime, standin, fu.id, tz=NEW_YORK)

    click(slack, standin, "U0BOB", dm, "fu_snooze", selected=snooze_option(dm, "monday"))

    assert the_follow_up(runtime, fu.id).due_at == datetime(2026, 11, 30, 14, tzinfo=UTC)  # 09:00 EST
    assert "Snoozed until Mon 30 Nov, 09:00 by <@U0BOB>" in texts(last_update(standin, 1))


def test_pick_a_date_opens_a_modal_and_its_answer_updates_the_nudge(slack, standin, runtime, nudged):
    fu_id, dm = nudged

    click(slack, standin, "U0ALICE", dm, "fu_snooze", then="views.open", selected=snooze_option(dm, "pick"))
    [opened] = standin.wait_for("views.open")
    view = opened.params["view"]
    assert view["callback_id"] == "fu_snooze_modal"
    date_block = next(b for b in view["blocks"] if b.get("block_id") == "follow_up_date")
    assert date_block["element"]["initial_date"] == "2026-11-26"
    past = {
        "follow_up_date": {"value": {"type": "datepicker", "selected_date": "2026-11-20"}},
        "follow_up_time": {"value": {"type": "timepicker", "selected_time": "09:00"}},
    }
    refused = slack.submit("U0ALICE", view, past).json()
    assert refused["response_action"] == "errors" and "past" in refused["errors"]["follow_up_date"]

    values = {
        "follow_up_date": {"value": {"type": "datepicker", "selected_date": "2026-12-01"}},
        "follow_up_time": {"value": {"type": "timepicker", "selected_time": "14:00"}},
    }
    assert slack.submit("U0ALICE", view, values).status == 200

    row = the_follow_up(runtime, fu_id)
    assert (row.due_at, row.nudged_at) == (datetime(2026, 12, 1, 13, tzinfo=UTC), None)
    update = last_update(standin, 1)
    assert "Snoozed until Tue 1 Dec, 14:00 by <@U0ALICE>" in texts(update)
    assert "Follow up with *Acme Corp*" in texts(update)


def test_reassign_hands_it_over_tells_the_new_assignee_and_is_recorded(slack, standin, runtime, nudged):
    fu_id, dm = nudged

    click(slack, standin, "U0ALICE", dm, "fu_reassign", selected_user="U0BOB")

    assert the_follow_up(runtime, fu_id).assignee_user_id == "U0BOB"
    told = [c for c in standin.wait_for("chat.postMessage", count=2) if c.params["channel"] == "U0BOB"]
    assert len(told) == 1
    # In Bob's own zone: 09:00 in Berlin is 03:00 in New York.
    assert "<@U0ALICE> handed you a follow-up with *Acme Corp* — due Fri 27 Nov, 03:00" in texts(told[0].params)
    assert "<@U0ALICE> logged a call Wed 25 Nov, 04:30: call with Dana about the renewal" in texts(told[0].params)
    assert "fu_done" in action_ids(told[0].params)
    assert "➡️ Handed to <@U0BOB> by <@U0ALICE>" in texts(last_update(standin, 1))
    [event] = audit(runtime, fu_id)
    assert (event.action, event.details) == ("reassigned", {"from_": "U0ALICE", "to": "U0BOB", "reason": "handed over"})


def test_log_touchpoint_opens_the_form_with_the_customer_filled_in(slack, standin, runtime, customers, nudged):
    _, dm = nudged

    click(slack, standin, "U0ALICE", dm, "fu_log", then="views.open")

    [opened] = standin.wait_for("views.open")
    customer = next(b for b in opened.params["view"]["blocks"] if b["block_id"] == "customer")
    assert customer["element"]["initial_option"]["value"] == str(customers["Acme Corp"])


def test_open_customer_shows_the_customer_card_under_the_nudge(slack, standin, runtime, nudged):
    _, dm = nudged
    log(slack, "U0BOB", "Acme: shipped 3 pallets, follow up tomorrow")

    click(slack, standin, "U0ALICE", dm, "card_open")

    card = standin.wait_for("response_url")[-1].params
    shown = texts(card)
    assert card.get("replace_original") is False  # the nudge stays as it is
    assert card["blocks"][0]["text"]["text"] == "Acme Corp"
    assert "acme.com" in shown and "<@U0CAROL>" in shown
    assert shown.index("shipped 3 pallets") < shown.index("call with Dana about the renewal")


# --------------------------------------------------------------------------------------------------------
# Closing the loop
# --------------------------------------------------------------------------------------------------------


def test_logging_for_a_customer_offers_to_close_the_open_follow_up_and_undo(slack, standin, runtime, customers):
    log(slack, "U0ALICE", "Acme: call with Dana, follow up friday")
    [earlier] = follow_ups(runtime)

    reply = log(slack, "U0ALICE", "Acme: sent the proposal, follow up next week")

    assert "You have an open follow-up with *Acme Corp*, due Fri 27 Nov, 09:00" in texts(reply)
    block_id, offer = element(reply, "tp_close_follow_up")
    slack.click("U0ALICE", offer, block_id=block_id)
    closed = last_update(standin, 1)
    row = the_follow_up(runtime, earlier.id)
    assert (row.status, row.completed_by) == ("done", "U0ALICE")
    assert "Marked your follow-up with *Acme Corp* (due Fri 27 Nov, 09:00) done" in texts(closed)
    [event] = audit(runtime, earlier.id)
    assert event.action == "follow_up_done" and event.details["via"] == "touchpoint"
    assert [f.status for f in follow_ups(runtime)] == ["done", "open"]  # the new follow-up is untouched

    block_id, undo = element(closed, "tp_reopen_follow_up")
    slack.click("U0ALICE", undo, block_id=block_id)
    assert "You have an open follow-up with *Acme Corp*" in texts(last_update(standin, 2))
    assert the_follow_up(runtime, earlier.id).status == "open"


def test_no_offer_for_another_customer_or_someone_elses_follow_up(slack, runtime, customers):
    log(slack, "U0ALICE", "Acme: call with Dana, follow up friday")

    assert "tp_close_follow_up" not in action_ids(log(slack, "U0ALICE", "Globex: call"))
    assert "tp_close_follow_up" not in action_ids(log(slack, "U0BOB", "Acme: call"))
    assert "tp_close_follow_up" in action_ids(log(slack, "U0ALICE", "Acme: call"))


def test_the_log_form_offers_to_close_the_loop_too(slack, standin, runtime, customers):
    log(slack, "U0ALICE", "Acme: call with Dana, follow up friday")
    slack.command("U0ALICE", "")
    view = standin.wait_for("views.open")[-1].params["view"]
    values = {
        "customer": {
            "customer_select": {"type": "external_select", "selected_option": {"value": str(customers["Acme Corp"])}}
        },
        "kind": {"value": {"type": "static_select", "selected_option": {"value": "email"}}},
    }

    slack.submit("U0ALICE", view, values)

    [confirmation] = standin.wait_for("chat.postEphemeral")
    assert "tp_close_follow_up" in action_ids(confirmation.params)


# --------------------------------------------------------------------------------------------------------
# /followups
# --------------------------------------------------------------------------------------------------------


def followups(slack, user: str, text: str = "") -> dict:
    reply = slack.command(user, text, command="/followups")
    assert reply.status == 200
    return reply.json()


def listed_ids(reply: dict) -> list[int]:
    """The follow-ups a list shows, in order (their item blocks are `fu:<id>:i…`)."""
    items = [re.match(r"^fu:(\d+):i(?::|$)", b.get("block_id", "")) for b in reply["blocks"]]
    return [int(item.group(1)) for item in items if item]


def test_my_follow_ups_list_overdue_first_then_by_due_time(slack, runtime, clock, customers):
    log(slack, "U0ALICE", "Acme: call, follow up friday")
    log(slack, "U0ALICE", "Globex: demo, follow up tomorrow 3pm")
    log(slack, "U0ALICE", "Acme: visit, follow up in 1 hour")
    log(slack, "U0BOB", "Acme: email, follow up tomorrow")  # Bob's, not shown
    friday, tomorrow, in_an_hour, _ = (f.id for f in follow_ups(runtime))
    clock.advance(hours=2)

    reply = followups(slack, "U0ALICE")

    assert listed_ids(reply) == [in_an_hour, tomorrow, friday]
    shown = texts(reply)
    assert "Your open follow-ups (3)" in shown
    assert shown.index("Overdue") < shown.index("1 hour overdue") < shown.index("Coming up")
    assert action_ids(reply).count("fu_done") == 3 and action_ids(reply).count("fu_snooze") == 3


def test_done_from_the_list_redraws_the_list_with_an_undo(slack, standin, runtime, customers):
    log(slack, "U0ALICE", "Acme: call, follow up friday")
    log(slack, "U0ALICE", "Globex: demo, follow up tomorrow")
    friday, tomorrow = (f.id for f in follow_ups(runtime))
    reply = followups(slack, "U0ALICE")
    block_id, done = next(
        (b, e) for b, e in elements(reply) if e["action_id"] == "fu_done" and e["value"] == str(friday)
    )

    slack.click("U0ALICE", done, block_id=block_id)

    update = last_update(standin, 1)
    assert listed_ids(update) == [tomorrow]
    assert "*Acme Corp* — :white_check_mark: Done by <@U0ALICE>" in texts(update)
    block_id, undo = element(update, "fu_reopen")
    slack.click("U0ALICE", undo, block_id=block_id)
    assert listed_ids(last_update(standin, 2)) == [tomorrow, friday]


def test_snooze_from_the_list_and_hand_over_from_the_list(slack, standin, runtime, customers):
    log(slack, "U0ALICE", "Acme: call, follow up friday")
    [fu] = follow_ups(runtime)
    reply = followups(slack, "U0ALICE")
    block_id, menu = element(reply, "fu_snooze")
    slack.click("U0ALICE", menu, block_id=block_id, selected=menu["options"][0])
    assert "Snoozed until Wed 25 Nov, 11:30" in texts(last_update(standin, 1))
    assert the_follow_up(runtime, fu.id).due_at == START + timedelta(hours=1)

    block_id, people = element(reply, "fu_reassign")
    slack.click("U0ALICE", people, block_id=block_id, selected_user="U0CAROL")

    update = last_update(standin, 2)
    assert the_follow_up(runtime, fu.id).assignee_user_id == "U0CAROL"
    assert listed_ids(update) == []  # no longer Alice's
    assert "Handed to <@U0CAROL>" in texts(update)
    [told] = [c for c in standin.wait_for("chat.postMessage") if c.params["channel"] == "U0CAROL"]
    assert "due Wed 25 Nov, 19:30" in texts(told.params)  # Tokyo time


def test_a_colleagues_follow_ups(slack, runtime, customers):
    log(slack, "U0BOB", "Globex: call, follow up friday")

    reply = followups(slack, "U0ALICE", "<@U0BOB|bob>")

    assert "<@U0BOB>'s open follow-ups (1)" in texts(reply)
    assert len(listed_ids(reply)) == 1
    assert "<@U0CAROL> has no open follow-ups" in texts(followups(slack, "U0ALICE", "<@U0CAROL|carol>"))
    assert "couldn't tell who" in texts(followups(slack, "U0ALICE", "@carol"))


def test_one_customers_follow_ups_found_like_log_finds_customers(slack, runtime, customers):
    log(slack, "U0ALICE", "Acme: call, follow up friday")
    log(slack, "U0BOB", "Acme: email, follow up tomorrow")
    log(slack, "U0BOB", "Globex: email, follow up tomorrow")

    for typed in ("Acme Corp", "acme", "Acme Crop", "acme.com", "<http://acme.com|acme.com>"):
        reply = followups(slack, "U0CAROL", typed)
        assert "Open follow-ups with *Acme Corp* (2)" in texts(reply), typed
        assert len(listed_ids(reply)) == 2
    assert "for <@U0BOB>" in texts(followups(slack, "U0ALICE", "acme"))
    assert "I read “Acme Crop” as Acme Corp" in texts(followups(slack, "U0ALICE", "Acme Crop"))
    assert "I don't know a customer called “Umbrella”" in texts(followups(slack, "U0ALICE", "Umbrella"))


def test_one_customers_follow_ups_found_by_the_matcher_customer_uses(slack, runtime, customers):
    # The one matcher of /log and /customer: legal forms at either end, `&` and `and`, the start of a name.
    seed_customers(runtime, TEAM, {"name": "Umbrella Corporation"}, {"name": "Stark Industries Inc"})
    log(slack, "U0ALICE", "Umbrella Corporation: booth visitor at expo, follow up friday")

    for typed in ("Umbrela Inc", "umbrella corp", "Umbrella Corporation", "umbr"):
        reply = followups(slack, "U0ALICE", typed)
        assert "Open follow-ups with *Umbrella Corporation* (1)" in texts(reply), typed


def test_a_follow_up_at_its_very_minute_is_due_now_not_a_minute_overdue(slack, runtime, clock, customers):
    log(slack, "U0ALICE", "Acme: call, follow up in 2 hours")

    clock.advance(hours=2)
    assert ":alarm_clock: *due now*" in texts(followups(slack, "U0ALICE"))
    clock.advance(minutes=1)
    assert ":alarm_clock: *1 min overdue*" in texts(followups(slack, "U0ALICE"))


def test_an_empty_list_is_a_friendly_line_and_help_explains(slack, runtime, customers):
    empty = followups(slack, "U0ALICE")
    assert "You have no open follow-ups" in texts(empty)
    assert action_ids(empty) == []
    assert "No open follow-ups with *Globex*" in texts(followups(slack, "U0ALICE", "globex"))

    shown = texts(followups(slack, "U0ALICE", "help"))
    assert "/followups @someone" in shown and "/followups digest 8" in shown


def test_a_long_list_stays_within_block_kit_limits(slack, runtime, standin, customers):
    for n in range(30):
        log(slack, "U0ALICE", f"Acme: call {n} <!channel>, follow up in {n + 1} days")

    reply = followups(slack, "U0ALICE")

    assert len(reply["blocks"]) <= 50
    assert len(listed_ids(reply)) == 20
    assert "…and 10 more" in texts(reply)
    assert "<!channel>" not in json.dumps(reply)


# --------------------------------------------------------------------------------------------------------
# The digest: settings and message
# --------------------------------------------------------------------------------------------------------


def member(runtime, user: str) -> Member:
    with runtime.sessions.begin() as session:
        return session.scalars(select(Member).where(Member.slack_user_id == user)).one()


def test_digest_settings_are_stored_and_validated(slack, runtime):
    assert "digest is off" in texts(followups(slack, "U0ALICE", "digest off"))
    assert member(runtime, "U0ALICE").digest_enabled is False

    assert "now comes at *08:00* (Europe/Berlin)" in texts(followups(slack, "U0ALICE", "digest 8"))
    assert (member(runtime, "U0ALICE").digest_enabled, member(runtime, "U0ALICE").digest_hour) == (True, 8)

    followups(slack, "U0ALICE", "digest 5pm")
    assert member(runtime, "U0ALICE").digest_hour == 17
    followups(slack, "U0ALICE", "digest off")
    assert "at *17:00*" in texts(followups(slack, "U0ALICE", "digest on"))
    assert member(runtime, "U0ALICE").digest_enabled is True

    for bad in ("25", "soon", "13pm", "-1"):
        reply = followups(slack, "U0ALICE", f"digest {bad}")
        assert "🤔" in texts(reply), bad
    assert member(runtime, "U0ALICE").digest_hour == 17
    assert "comes at *17:00*" in texts(followups(slack, "U0ALICE", "digest"))


def view(n: int, *, due: datetime, customer: str = "Acme Corp", summary: str = "call with Dana") -> FollowUpView:
    return FollowUpView(
        id=n,
        workspace_id=1,
        touchpoint_id=n,
        customer_id=1,
        customer_name=customer,
        assignee_user_id="U0ALICE",
        due_at=due,
        status="open",
        nudged_at=None,
        kind="call",
        summary=summary,
        logged_by="U0BOB",
        logged_at=START - timedelta(days=3),
    )


def test_the_digest_lists_overdue_with_how_late_then_due_today_within_limits():
    overdue = [view(n, due=START - timedelta(days=2, hours=n)) for n in range(15)]
    today = [view(100 + n, due=START + timedelta(hours=2), customer="<!here> & Co") for n in range(15)]

    digest = digest_message(overdue, today, BERLIN, now=START)

    shown = texts(digest)
    assert "*15 overdue* and *15 due today*" in shown
    assert shown.index("Overdue") < shown.index("2 days overdue") < shown.index("Due today")
    assert len(digest["blocks"]) <= 50
    assert "…and 10 more" in shown
    assert "&lt;!here&gt; &amp; Co" in shown and "<!here>" not in json.dumps(digest)
    assert {"fu_done", "fu_snooze"} <= set(action_ids(digest))


def test_catch_up_and_nudge_stay_within_slacks_limits():
    long = view(1, due=START, customer="X" * 300, summary="word " * 1000)
    nudge = nudge_message(long, BERLIN)
    assert all(len(b["text"]["text"]) <= 3000 for b in nudge["blocks"] if "text" in b)
    assert all(len(e.get("text", {}).get("text", "")) <= 75 for _, e in elements(nudge) if e["type"] == "button")

    many = [view(n, due=START - timedelta(hours=n)) for n in range(40)]
    catch_up = catch_up_message(many, BERLIN, START + timedelta(minutes=5))
    assert len(catch_up["blocks"]) <= 50
    assert action_ids(catch_up).count("fu_done") == CATCH_UP_LISTED
    assert "…and 28 more" in texts(catch_up)
    listing = Listing(Scope("mine"), "U0ALICE", many[:20], 40)
    assert len(list_message(listing, BERLIN, START)["blocks"]) <= 50


def test_done_on_one_item_of_a_digest_leaves_the_others_as_they_were(slack, standin, runtime, customers):
    log(slack, "U0ALICE", "Acme: call, follow up in 1 hour")
    log(slack, "U0ALICE", "Globex: call, follow up in 2 hours")
    first, second = _views(runtime)
    client = WebClient(token=BOT_TOKEN, base_url=standin.api_url)
    posted = client.chat_postMessage(channel="U0ALICE", **digest_message([first, second], [], BERLIN))
    dm = {**posted["message"], "channel": posted["channel"]}
    block_id, done = next(
        (b, e) for b, e in elements(dm) if e["action_id"] == "fu_done" and e["value"] == str(first.id)
    )

    slack.click("U0ALICE", done, block_id=block_id, channel=dm["channel"], message=dm)

    update = last_update(standin, 1)
    assert [e["value"] for _, e in elements(update) if e["action_id"] == "fu_done"] == [str(second.id)]
    assert "Done by <@U0ALICE>" in texts(update)
    assert len(update["blocks"]) == len(dm["blocks"])


def _views(runtime) -> list[FollowUpView]:
    with runtime.sessions.begin() as session:
        return follow_up_views(session, [f.id for f in follow_ups(runtime)])


# --------------------------------------------------------------------------------------------------------
# Workspaces
# --------------------------------------------------------------------------------------------------------


def test_another_workspaces_follow_ups_are_never_visible_or_clickable(slack, served, standin, runtime, customers):
    other = SlackSimulator(
        http_transport(served + "/slack/events"), SIGNING_SECRET, team_id="T0OTHER", response_url=standin.response_url
    )
    # Alice works in both workspaces of one grid org: a member of each.
    standin.add_user("U0ALICE", name="alice", real_name="Alice Archer", also_in=("T0OTHER",))
    seed_customers(runtime, "T0OTHER", {"name": "Acme Corp"})
    other.command("U0ALICE", "Acme: call, follow up friday")
    [theirs] = follow_ups(runtime)

    assert "You have no open follow-ups" in texts(followups(slack, "U0ALICE"))
    assert "(0)" not in texts(followups(slack, "U0ALICE", "acme"))
    assert listed_ids(followups(slack, "U0ALICE", "acme")) == []
    forged = {"type": "button", "action_id": "fu_done", "value": str(theirs.id)}
    slack.click("U0ALICE", forged, block_id=f"fu:{theirs.id}:c")

    [answer] = standin.wait_for("response_url")
    assert "no longer in this workspace" in texts(answer.params)
    assert the_follow_up(runtime, theirs.id).status == "open"
    assert audit(runtime, theirs.id) == []
