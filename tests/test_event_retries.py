"""An event Slack retries (same event_id, X-Slack-Retry-Num) is acknowledged and handled once, by any process."""

from __future__ import annotations

from bot.app import build_app
from bot.local.simulator import SlackSimulator, dispatch_transport
from bot.runtime import Runtime
from storage.db import create_store_engine
from storage.models import HandledEvent
from tests.conftest import SIGNING_SECRET, TEAM, make_settings
from tests.helpers import count


def home_opened(user: str) -> dict:
    return {"type": "app_home_opened", "user": user, "channel": "D" + user, "tab": "home"}


def published_to(standin, marker_user: str = "U0BOB") -> list[str]:
    """Whom Homes were published to, up to the marker event's (another person opening their Home, sent last).

    Listeners run after the acknowledgement; the marker, handled after the ones sent before it, shows they ran.
    """
    wanted = 1
    while True:
        users = [call.params["user_id"] for call in standin.wait_for("views.publish", count=wanted)]
        if marker_user in users:
            return users
        wanted = len(users) + 1


def test_a_retried_event_is_acknowledged_and_handled_once(slack, standin):
    assert slack.event(home_opened("U0ALICE"), event_id="Ev0FIRST").status == 200
    standin.wait_for("views.publish", count=1)

    for retry in (1, 2, 3):
        assert slack.event(home_opened("U0ALICE"), event_id="Ev0FIRST", retry=retry).status == 200
    assert slack.event(home_opened("U0BOB"), event_id="Ev0MARKER").status == 200

    assert published_to(standin) == ["U0ALICE", "U0BOB"]


def test_a_retry_arriving_while_the_first_delivery_is_still_being_handled_does_nothing(slack, standin):
    standin.hold("views.publish")  # the first delivery is stuck talking to Slack
    assert slack.event(home_opened("U0ALICE"), event_id="Ev0SLOW").status == 200
    assert slack.event(home_opened("U0ALICE"), event_id="Ev0SLOW", retry=1).status == 200
    standin.release("views.publish")
    standin.wait_for("views.publish", count=1)
    assert slack.event(home_opened("U0BOB"), event_id="Ev0MARKER").status == 200

    assert published_to(standin) == ["U0ALICE", "U0BOB"]


def test_a_retry_reaching_another_worker_process_does_nothing_there(slack, standin, database_url, clock):
    other_engine = create_store_engine(database_url)  # a second gunicorn worker: its own engine and memory
    other = Runtime(
        settings=make_settings(database_url, standin.api_url, standin.hooks_url), engine=other_engine, clock=clock
    )
    other_app = build_app(other)
    other_worker = SlackSimulator(
        dispatch_transport(other_app, other.settings), SIGNING_SECRET, team_id=TEAM, response_url=standin.response_url
    )
    try:
        assert slack.event(home_opened("U0ALICE"), event_id="Ev0FIRST").status == 200
        standin.wait_for("views.publish", count=1)
        assert other_worker.event(home_opened("U0ALICE"), event_id="Ev0FIRST", retry=1).status == 200
        assert other_worker.event(home_opened("U0BOB"), event_id="Ev0MARKER").status == 200

        assert published_to(standin) == ["U0ALICE", "U0BOB"]
    finally:
        other_engine.dispose()


def test_the_same_event_id_from_another_workspace_is_its_own_event(slack, standin, served):
    other_team = SlackSimulator(slack.transport, SIGNING_SECRET, team_id="T0OTHER", response_url=standin.response_url)
    standin.add_user("U0OTHER", team_id="T0OTHER")
    assert slack.event(home_opened("U0ALICE"), event_id="Ev1").status == 200
    assert other_team.event(home_opened("U0OTHER"), event_id="Ev1").status == 200

    assert sorted(c.params["user_id"] for c in standin.wait_for("views.publish", count=2)) == ["U0ALICE", "U0OTHER"]


def test_claims_older_than_an_hour_are_pruned(slack, standin, runtime, clock):
    for number in range(3):
        assert slack.event(home_opened("U0ALICE"), event_id=f"Ev{number}").status == 200
    standin.wait_for("views.publish", count=3)
    clock.advance(hours=1, minutes=1)

    assert slack.event(home_opened("U0ALICE"), event_id="Ev0LATER").status == 200

    standin.wait_for("views.publish", count=4)
    with runtime.sessions.begin() as session:
        assert count(session, HandledEvent) == 1
        assert count(session, HandledEvent, HandledEvent.event_id == "Ev0LATER") == 1
