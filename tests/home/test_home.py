"""The App Home tab: what a person sees when they open it, and what their clicks on it do.

Everything goes through signed HTTP requests: `app_home_opened` events, clicks on the published view
(block_actions with a `view` container, as Slack sends them from a Home tab) and modal submissions.
The Home is read back from the `views.publish` calls the Web API stand-in recorded.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.config import ConfigError, load_settings
from bot.local.simulator import SlackSimulator, http_transport
from storage.customers import add_customer
from storage.models import AuditEvent, FollowUp, Touchpoint
from storage.workspaces import workspace_for_team
from tests.conftest import SIGNING_SECRET, START, TEAM
from tests.helpers import element, elements, seed_customers, texts


@pytest.fixture
def customers(runtime):
    return seed_customers(
        runtime,
        TEAM,
        {"name": "Acme Corp", "domain": "acme.com", "owner_user_id": "U0ALICE"},
        {"name": "Globex", "owner_user_id": "U0ALICE"},
        {"name": "Initech", "owner_user_id": "U0ALICE"},
        {"name": "Umbrella", "owner_user_id": "U0BOB"},
    )


# --------------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------------


def log(slack, user: str, line: str) -> None:
    reply = slack.command(user, line)
    assert reply.status == 200, reply.body


def published(standin, count: int, user: str = "U0ALICE") -> dict:
    """The `count`th Home published, checked to be the given person's."""
    call = standin.wait_for("views.publish", count=count)[count - 1]
    assert call.params["user_id"] == user
    view = call.params["view"]
    assert view["type"] == "home"
    assert len(view["blocks"]) <= 100
    assert len(json.dumps(view)) < 250_000
    return view


def open_home(slack, standin, user: str = "U0ALICE") -> dict:
    before = len(standin.calls_to("views.publish"))
    event = {"type": "app_home_opened", "user": user, "channel": "D" + user, "tab": "home"}
    assert slack.event(event).status == 200
    return published(standin, before + 1, user)


def press(slack, standin, view: dict, action_id: str, *, user: str = "U0ALICE", value: str | None = None, **picked):
    """Press a button (or pick an option of a menu, `selected=`) on a Home; returns the Home republished."""
    before = len(standin.calls_to("views.publish"))
    block_id, found = _find(view, action_id, value)
    _interact(slack, user, view, block_id, found, **picked)
    return published(standin, before + 1, user)


def _find(view: dict, action_id: str, value: str | None) -> tuple[str, dict]:
    for block_id, candidate in elements(view):
        if candidate["action_id"] == action_id and (value is None or candidate.get("value") == value):
            return block_id, candidate
    raise AssertionError(f"no {action_id} ({value}) on the Home: {texts(view)}")


def _interact(slack, user: str, view: dict, block_id: str, found: dict, selected: dict | None = None) -> None:
    action = {
        "type": found["type"],
        "action_id": found["action_id"],
        "block_id": block_id,
        "action_ts": "1764063000.000100",
    }
    if "value" in found:
        action["value"] = found["value"]
    if selected is not None:
        action["selected_option"] = selected
    payload = {
        "type": "block_actions",
        "team": {"id": slack.team_id, "domain": "example"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": slack.team_id},
        "api_app_id": "A0TOUCH",
        "token": "legacy-verification-token",
        "trigger_id": f"trigger.home.{block_id}",
        "is_enterprise_install": False,
        "container": {"type": "view", "view_id": view.get("id", "V0")},
        "view": {**view, "state": {"values": {}}},
        "actions": [action],
    }
    assert slack.interaction(payload).status == 200


def option(view: dict, follow_up_id: int, choice: str) -> dict:
    _, menu = element(
        {"blocks": [b for b in view["blocks"] if b.get("block_id") == f"home:fu:{follow_up_id}:c"]}, "home_snooze"
    )
    return next(o for o in menu["options"] if o["value"] == f"{follow_up_id}:{choice}")


def follow_ups(runtime) -> list[FollowUp]:
    with runtime.sessions.begin() as session:
        return list(session.scalars(select(FollowUp).order_by(FollowUp.id)))


def the_follow_up(runtime, follow_up_id: int) -> FollowUp:
    with runtime.sessions.begin() as session:
        return session.get(FollowUp, follow_up_id)


def item(view: dict, follow_up_id: int) -> str:
    return next(b["text"]["text"] for b in view["blocks"] if b.get("block_id") == f"home:fu:{follow_up_id}:i")


def listed_follow_ups(view: dict) -> list[int]:
    return [int(b["block_id"].split(":")[2]) for b in view["blocks"] if str(b.get("block_id", "")).endswith(":c")]


# --------------------------------------------------------------------------------------------------------
# What the Home shows
# --------------------------------------------------------------------------------------------------------


def test_a_newcomer_sees_a_friendly_welcome_explaining_log(slack, standin):
    home = open_home(slack, standin)

    shown = texts(home)
    assert "Welcome to Touchpoint" in shown
    assert "`/log Acme: call with Dana about the renewal, follow up friday`" in shown
    assert [e["action_id"] for _, e in elements(home)] == ["open_log_modal"]
    assert "Your follow-ups" not in shown


def test_follow_ups_overdue_first_in_the_viewers_zone_with_done_snooze_and_open(
    slack, standin, runtime, clock, customers
):
    log(slack, "U0ALICE", "Globex: invoice 1042 reminder, follow up tomorrow 9am")
    log(slack, "U0ALICE", "Acme: call with Dana about the renewal, follow up friday")
    log(slack, "U0BOB", "Initech: onsite visit, follow up tomorrow")  # Bob's: not on Alice's Home
    clock.advance(days=1, hours=2)  # Thursday 11:30 UTC, 12:30 in Berlin: Globex's is 3 hours overdue
    globex, acme, _ = follow_ups(runtime)

    home = open_home(slack, standin)

    assert listed_follow_ups(home) == [globex.id, acme.id]
    assert "*Your follow-ups* (2 open, *1 overdue*)" in texts(home)
    assert item(home, globex.id) == (
        "*Globex* — :alarm_clock: *3 hours overdue* (due Thu 26 Nov, 09:00)\npayment: invoice 1042 reminder"
    )
    assert item(home, acme.id).startswith("*Acme Corp* — due Fri 27 Nov, 09:00\n")
    assert texts(home).index(":alarm_clock: *Overdue*") < texts(home).index(":calendar: *Coming up*")
    _, done = _find(home, "home_done", str(acme.id))
    assert done["text"]["text"] == "Done"
    _, menu = _find(home, "home_snooze", None)
    assert [o["text"]["text"] for o in menu["options"]] == [
        "1 hour",
        "Tomorrow 09:00",
        "Next Monday 09:00",
        "Pick a date…",
    ]
    _, opener = _find(home, "card_open", str(customers["Acme Corp"]))
    assert opener["text"]["text"] == "Open"
    assert "Initech" not in item(home, acme.id)


def test_times_are_shown_in_the_viewers_own_zone(slack, standin, runtime, customers):
    log(slack, "U0BOB", "Acme: call, follow up friday 9am")  # 09:00 in New York
    [fu] = follow_ups(runtime)

    home = open_home(slack, standin, "U0BOB")

    assert "due Fri 27 Nov, 09:00" in item(home, fu.id)
    assert "(America/New_York)" in texts(home)


def test_a_follow_up_someone_else_set_for_the_viewer_says_who_logged_it(slack, standin, runtime, customers):
    log(slack, "U0BOB", "Acme: call with Dana, and follow up <@U0ALICE|alice> friday 11am")
    [fu] = follow_ups(runtime)

    home = open_home(slack, standin)

    # 11:00 as Bob meant it in New York is 17:00 in Alice's Berlin.
    assert item(home, fu.id) == "*Acme Corp* — due Fri 27 Nov, 17:00\ncall logged by <@U0BOB>: call with Dana"
    assert listed_follow_ups(open_home(slack, standin, "U0BOB")) == []  # Bob logged it; Alice follows up


def test_latest_touchpoints_are_the_viewers_own_newest_first_and_escaped(slack, standin, runtime, clock, customers):
    log(slack, "U0ALICE", "Acme: call with Dana")
    clock.advance(minutes=5)
    # Slack escapes what was typed: a typed <!channel> arrives as text, not as a ping.
    log(slack, "U0ALICE", "Globex: pricing &amp; terms &lt;!channel&gt; &lt;b&gt;bold&lt;/b&gt;")
    log(slack, "U0BOB", "Initech: Bob's own call")
    log(slack, "U0ALICE", "Hooli: demo for a prospect")  # a customer not known yet

    shown = texts(open_home(slack, standin))

    assert shown.index("Hooli") < shown.index("*Globex* · note") < shown.index("*Acme Corp* · call")
    assert "pricing &amp; terms &lt;!channel&gt; &lt;b&gt;bold&lt;/b&gt;" in shown
    assert "<!channel>" not in shown
    assert "“Hooli”" in shown  # what was typed, marked as not a known customer yet
    assert "Bob's own call" not in shown


def test_customers_the_viewer_owns_that_went_quiet(slack, standin, runtime, clock, customers):
    log(slack, "U0ALICE", "Acme: call with Dana")
    log(slack, "U0BOB", "Globex: Bob called them")  # anyone's touchpoint keeps a customer warm
    clock.advance(days=20)
    log(slack, "U0BOB", "Globex: Bob called again")
    clock.advance(days=20)  # Acme untouched for 40 days, Globex for 20, Initech never (added 40 days ago)
    with runtime.sessions.begin() as session:
        workspace = workspace_for_team(session, TEAM)
        add_customer(session, workspace.id, "Fresh Ltd", owner_user_id="U0ALICE", now=clock())

    home = open_home(slack, standin)

    quiet = [b for b in home["blocks"] if str(b.get("block_id", "")).startswith("home:quiet:")]
    assert [b["block_id"] for b in quiet] == [
        f"home:quiet:{customers['Acme Corp']}",
        f"home:quiet:{customers['Initech']}",
    ]
    assert quiet[0]["text"]["text"] == "*Acme Corp* — last touched Wed 25 Nov, 10:30 (40 days ago)"
    assert quiet[1]["text"]["text"] == "*Initech* — no touchpoint yet (added 40 days ago)"
    assert quiet[0]["accessory"] == {
        "type": "button",
        "text": {"type": "plain_text", "text": "Open", "emoji": True},
        "action_id": "card_open",
        "value": str(customers["Acme Corp"]),
    }
    assert "(no touchpoint in 30 days)" in texts(home)
    assert "Umbrella" not in texts(home)  # Bob's, however quiet


def test_the_quiet_threshold_is_configurable(slack, standin, runtime, clock, customers):
    log(slack, "U0ALICE", "Acme: call with Dana")
    log(slack, "U0ALICE", "Globex: call")
    log(slack, "U0ALICE", "Initech: call")
    clock.advance(days=10)
    runtime.settings = replace(runtime.settings, quiet_after_days=7)

    home = open_home(slack, standin)

    assert "(no touchpoint in 7 days)" in texts(home)
    assert sum(str(b.get("block_id", "")).startswith("home:quiet:") for b in home["blocks"]) == 3


def test_quiet_after_days_is_validated_like_every_setting():
    assert load_settings({}).quiet_after_days == 30
    assert load_settings({"QUIET_AFTER_DAYS": "45"}).quiet_after_days == 45
    for bad in ("0", "-3", "thirty", "1.5", "100000"):
        with pytest.raises(ConfigError) as raised:
            load_settings({"QUIET_AFTER_DAYS": bad})
        assert raised.value.variable == "QUIET_AFTER_DAYS"
        assert str(raised.value).startswith("QUIET_AFTER_DAYS is ")


def test_long_lists_are_capped_inside_block_kits_limits(slack, standin, runtime, clock):
    names = [f"Customer {i:02d}" for i in range(40)]
    seed_customers(runtime, TEAM, *({"name": name, "owner_user_id": "U0ALICE"} for name in names))
    for name in names:
        log(slack, "U0ALICE", f"{name}: call, follow up friday")
    clock.advance(days=60)

    home = open_home(slack, standin)

    assert len(home["blocks"]) <= 100
    assert len(listed_follow_ups(home)) == 15
    assert "*Your follow-ups* (40 open, *40 overdue*)" in texts(home)
    assert "…and 25 more: `/followups` lists them all." in texts(home)
    assert "…and 30 more, the quietest listed first." in texts(home)
    assert sum(str(b.get("block_id", "")).startswith("home:tp:") for b in home["blocks"]) == 8


def test_another_workspaces_data_never_appears(slack, served, standin, runtime, customers):
    other = SlackSimulator(
        http_transport(served + "/slack/events"), SIGNING_SECRET, team_id="T0OTHER", response_url=standin.response_url
    )
    # Alice works in both workspaces of one grid org: a member of each.
    standin.add_user("U0ALICE", name="alice", real_name="Alice Archer", also_in=("T0OTHER",))
    seed_customers(runtime, "T0OTHER", {"name": "Secret Industries", "owner_user_id": "U0ALICE"})
    assert other.command("U0ALICE", "Secret Industries: confidential call, follow up friday").status == 200
    [theirs] = follow_ups(runtime)

    home = open_home(slack, standin)

    assert "Secret" not in json.dumps(home) and "confidential" not in json.dumps(home)
    assert "Welcome to Touchpoint" in texts(home)
    # A forged click on the other workspace's follow-up changes nothing there.
    forged = {
        "blocks": [
            {
                "type": "actions",
                "block_id": f"home:fu:{theirs.id}:c",
                "elements": [{"type": "button", "action_id": "home_done", "value": str(theirs.id)}],
            }
        ]
    }
    after = press(slack, standin, {**home, **forged}, "home_done")
    assert "no longer in this workspace" in texts(after)
    assert the_follow_up(runtime, theirs.id).status == "open"


# --------------------------------------------------------------------------------------------------------
# Clicks on the Home
# --------------------------------------------------------------------------------------------------------


@pytest.fixture
def with_follow_up(slack, standin, runtime, customers):
    """Alice's open follow-up with Acme and her Home showing it: (follow-up id, the Home)."""
    log(slack, "U0ALICE", "Acme: call with Dana about the renewal, follow up friday")
    [fu] = follow_ups(runtime)
    return fu.id, open_home(slack, standin)


def test_done_closes_the_follow_up_and_refreshes_the_home_with_an_undo(slack, standin, runtime, with_follow_up):
    fu_id, home = with_follow_up

    after = press(slack, standin, home, "home_done", value=str(fu_id))

    row = the_follow_up(runtime, fu_id)
    assert (row.status, row.completed_by, row.completed_at) == ("done", "U0ALICE", START)
    assert listed_follow_ups(after) == []
    assert ":white_check_mark: Done: your follow-up with *Acme Corp*." in texts(after)
    with runtime.sessions.begin() as session:
        [event] = session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "follow_up", AuditEvent.entity_id == fu_id)
        ).all()
    assert (event.action, event.details["via"]) == ("follow_up_done", "home")

    undone = press(slack, standin, after, "home_reopen")

    assert the_follow_up(runtime, fu_id).status == "open"
    assert listed_follow_ups(undone) == [fu_id]
    assert "Reopened your follow-up with *Acme Corp*: due Fri 27 Nov, 09:00." in texts(undone)


def test_snooze_moves_the_follow_up_in_the_viewers_zone_and_refreshes(slack, standin, runtime, with_follow_up):
    fu_id, home = with_follow_up

    after = press(slack, standin, home, "home_snooze", selected=option(home, fu_id, "monday"))

    # Next Monday 09:00 in Berlin.
    assert the_follow_up(runtime, fu_id).due_at == datetime(2026, 11, 30, 8, tzinfo=UTC)
    assert "Snoozed your follow-up with *Acme Corp* until Mon 30 Nov, 09:00." in texts(after)
    assert item(after, fu_id).startswith("*Acme Corp* — due Mon 30 Nov, 09:00")


def test_snooze_to_a_picked_date_opens_the_nudges_date_picker_and_refreshes(slack, standin, runtime, with_follow_up):
    fu_id, home = with_follow_up
    block_id, menu = _find(home, "home_snooze", None)

    _interact(slack, "U0ALICE", home, block_id, menu, selected=option(home, fu_id, "pick"))
    [opened] = standin.wait_for("views.open")
    modal = opened.params["view"]
    assert modal["callback_id"] == "home_snooze_modal"
    assert [b.get("block_id") for b in modal["blocks"]][1:] == ["follow_up_date", "follow_up_time"]

    bad = slack.submit("U0ALICE", modal, {"follow_up_date": {"value": {"type": "datepicker", "selected_date": None}}})
    assert bad.json()["response_action"] == "errors"
    values = {
        "follow_up_date": {"value": {"type": "datepicker", "selected_date": "2026-12-03"}},
        "follow_up_time": {"value": {"type": "timepicker", "selected_time": "14:00"}},
    }
    assert slack.submit("U0ALICE", modal, values).status == 200

    after = published(standin, 2)
    assert the_follow_up(runtime, fu_id).due_at == datetime(2026, 12, 3, 13, tzinfo=UTC)  # 14:00 Berlin
    assert "until Thu 3 Dec, 14:00" in texts(after)


def test_old_buttons_for_a_follow_up_done_elsewhere_or_gone_answer_and_refresh(
    slack, standin, runtime, clock, with_follow_up
):
    fu_id, stale = with_follow_up
    press(slack, standin, stale, "home_done", value=str(fu_id))
    clock.advance(minutes=10)

    again = press(slack, standin, stale, "home_done", value=str(fu_id))
    snoozed = press(slack, standin, stale, "home_snooze", selected=option(stale, fu_id, "1h"))

    for view in (again, snoozed):
        assert "was already done by <@U0ALICE> at Wed 25 Nov, 10:30" in texts(view)
        assert listed_follow_ups(view) == []
    row = the_follow_up(runtime, fu_id)
    assert (row.status, row.completed_at, row.due_at) == ("done", START, datetime(2026, 11, 27, 8, tzinfo=UTC))

    forged = {
        "type": "actions",
        "block_id": "home:fu:999999:c",
        "elements": [{"type": "button", "action_id": "home_done", "value": "999999"}],
    }
    gone = press(slack, standin, {**stale, "blocks": [forged]}, "home_done")
    assert "That follow-up is no longer in this workspace's store" in texts(gone)


def test_a_follow_up_cancelled_with_its_touchpoint_says_so(slack, standin, runtime, with_follow_up):
    fu_id, home = with_follow_up
    with runtime.sessions.begin() as session:
        session.get(FollowUp, fu_id).status = "cancelled"

    after = press(slack, standin, home, "home_snooze", selected=option(home, fu_id, "pick"))

    assert "The follow-up with *Acme Corp* was cancelled" in texts(after)
    assert standin.calls_to("views.open") == []


def test_log_touchpoint_opens_the_log_form_and_saving_it_refreshes_the_home(slack, standin, runtime, customers):
    home = open_home(slack, standin)

    press_log = _find(home, "open_log_modal", "home")
    _interact(slack, "U0ALICE", home, *press_log)
    [opened] = standin.wait_for("views.open")
    modal = opened.params["view"]
    assert modal["callback_id"] == "log_modal"
    values = {
        "customer": {
            "customer_select": {"type": "external_select", "selected_option": {"value": str(customers["Globex"])}}
        },
        "kind": {"value": {"type": "static_select", "selected_option": {"value": "meeting"}}},
        "summary": {"value": {"type": "plain_text_input", "value": "quarterly review"}},
        "follow_up_text": {"value": {"type": "plain_text_input", "value": "tomorrow 3pm"}},
    }
    assert slack.submit("U0ALICE", modal, values).status == 200

    after = published(standin, 2)
    with runtime.sessions.begin() as session:
        tp = session.scalars(select(Touchpoint)).one()
    assert (tp.customer_id, tp.summary) == (customers["Globex"], "quarterly review")
    assert "*Globex* · meeting · Wed 25 Nov, 10:30\nquarterly review" in texts(after)
    assert "*Globex* — due Thu 26 Nov, 15:00" in texts(after)
    standin.wait_for("chat.postMessage")  # the usual confirmation, in the bot's DM


def test_a_follow_up_closed_from_its_nudge_is_gone_from_the_next_home(slack, standin, runtime, with_follow_up):
    fu_id, _ = with_follow_up
    assert slack.click("U0ALICE", {"type": "button", "action_id": "fu_done", "value": str(fu_id)}).status == 200
    standin.wait_for("response_url")

    assert listed_follow_ups(open_home(slack, standin)) == []
    assert the_follow_up(runtime, fu_id).status == "done"


def test_the_home_opens_again_once_the_profile_is_due_for_a_refresh(slack, standin, runtime, clock, customers):
    log(slack, "U0ALICE", "Acme: call")
    first = open_home(slack, standin)
    clock.advance(days=2)  # the profile is due for a refresh: the Home still opens
    second = open_home(slack, standin)

    assert "*Acme Corp* · call" in texts(first) and "*Acme Corp* · call" in texts(second)
    assert "Updated Fri 27 Nov, 10:30 (Europe/Berlin)" in texts(second)


def test_other_tabs_publish_nothing(slack, standin):
    event = {"type": "app_home_opened", "user": "U0ALICE", "channel": "D0ALICE", "tab": "messages"}
    assert slack.event(event).status == 200
    open_home(slack, standin)  # a later Home still comes: the messages tab published nothing before it

    assert len(standin.calls_to("views.publish")) == 1
