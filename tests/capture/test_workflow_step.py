"""The Workflow Builder step *Log a touchpoint*: a signed function_executed event through real HTTP logs the
touchpoint as /log would, confirms it to the person who ran it, and completes the step with its outputs, all with
the step's own token; bad inputs fail the step with a sentence and save nothing; a retried run logs once."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from bot.capture import steps
from bot.cli import main
from bot.local.slack_standin import FunctionExecution
from handlers.steps import FAILED
from storage.models import Customer, FollowUp, Touchpoint
from tests.conftest import BOT_TOKEN, TEAM
from tests.helpers import count, element, seed_customers, texts


@pytest.fixture
def acme(runtime) -> int:
    return seed_customers(runtime, TEAM, {"name": "Acme Corp", "domain": "acme.com"})["Acme Corp"]


def run_step(
    slack, standin, *, execution: FunctionExecution | None = None, event_id: str | None = None, **inputs: Any
) -> FunctionExecution:
    """Run the step with these inputs (run by Alice unless `logged_by` says otherwise) and wait for its end."""
    execution = execution or standin.begin_function_execution(steps.STEP_ID)
    inputs = {"logged_by": "U0ALICE", **inputs}
    reply = slack.function_executed(execution.id, execution.bot_access_token, steps.STEP_ID, inputs, event_id=event_id)
    assert reply.status == 200
    return standin.wait_for_completion(execution.id)


def touchpoints(runtime) -> list[Touchpoint]:
    with runtime.readers.begin() as session:
        found = list(session.scalars(select(Touchpoint).order_by(Touchpoint.id)))
        session.expunge_all()
        return found


def follow_ups(runtime) -> list[FollowUp]:
    with runtime.readers.begin() as session:
        found = list(session.scalars(select(FollowUp).order_by(FollowUp.id)))
        session.expunge_all()
        return found


def confirmation(standin, user: str = "U0ALICE") -> dict[str, Any]:
    [posted] = [c for c in standin.calls_to("chat.postMessage") if c.params["channel"] == user]
    return {**posted.params, "ts": posted.response["ts"]}


def test_a_run_logs_the_touchpoint_and_completes_with_its_id_customer_and_confirmation_link(
    slack, standin, runtime, acme
):
    done = run_step(
        slack,
        standin,
        customer="acme.com",
        kind="call",
        summary="Renewal call with Dana #renewal",
        follow_up="friday",
        follow_up_assignee="U0BOB",
    )

    [tp] = touchpoints(runtime)
    assert (tp.customer_id, tp.kind, tp.summary, tp.tags) == (
        acme,
        "call",
        "Renewal call with Dana #renewal",
        ["renewal"],
    )
    assert (tp.author_user_id, tp.source, tp.occurred_at) == ("U0ALICE", "workflow", runtime.now())
    [follow_up] = follow_ups(runtime)
    # "friday" is read in the zone of the person who ran the step: Alice's Friday 27 November, 09:00 in Berlin.
    assert (follow_up.assignee_user_id, follow_up.due_at.isoformat()) == ("U0BOB", "2026-11-27T08:00:00+00:00")
    reply = confirmation(standin)
    assert "Logged *call* with *Acme Corp*" in texts(reply) and "Renewal call with Dana" in texts(reply)
    assert element(reply, "tp_undo") and element(reply, "tp_edit")
    [permalink] = standin.calls_to("chat.getPermalink")
    assert done.state == "completed"
    assert done.outputs == {
        "touchpoint_id": tp.id,
        "customer_name": "Acme Corp",
        "message_link": permalink.response["permalink"],
    }


def test_every_call_of_the_run_is_made_with_the_steps_own_token(slack, standin, acme):
    standin.clear()
    done = run_step(slack, standin, customer="Acme", summary="Invoice sent", follow_up="in 2 weeks")

    # auth.test is Bolt learning the app's own bot id, once per process, before any listener runs.
    calls = [c for c in standin.calls if c.method != "auth.test"]
    assert {c.method for c in calls} >= {"users.info", "chat.postMessage", "chat.getPermalink"}
    assert {c.token for c in calls} == {done.bot_access_token} != {BOT_TOKEN}
    assert done.completed_with == done.bot_access_token


def test_without_a_kind_it_is_read_from_the_summary_and_a_typo_in_the_name_still_finds_the_customer(
    slack, standin, runtime, acme
):
    done = run_step(slack, standin, customer="Acme Crop", kind="", summary="Shipped the spare parts")

    [tp] = touchpoints(runtime)
    assert (tp.customer_id, tp.kind) == (acme, "delivery")
    assert "I read “Acme Crop” as Acme Corp." in texts(confirmation(standin))
    assert done.outputs["customer_name"] == "Acme Corp"


def test_a_name_no_customer_has_is_saved_as_typed_and_its_create_button_makes_the_customer(
    slack, standin, runtime, acme
):
    done = run_step(slack, standin, customer="Initech", summary="Met their CFO at lunch")

    [tp] = touchpoints(runtime)
    assert (tp.customer_id, tp.customer_text, tp.kind) == (None, "Initech", "meeting")
    with runtime.readers.begin() as session:
        assert count(session, Customer) == 1  # the step creates no customer, as /log creates none
    assert done.state == "completed" and done.outputs["customer_name"] == "Initech"
    reply = confirmation(standin)
    block_id, create = element(reply, "tp_create_customer")

    assert slack.click("U0ALICE", create, block_id=block_id, channel="DU0ALICE", message=reply).status == 200

    standin.wait_for("response_url")
    [tp] = touchpoints(runtime)
    with runtime.readers.begin() as session:
        created = session.get(Customer, tp.customer_id)
        assert created is not None and created.name == "Initech"


def test_a_follow_up_it_cannot_read_leaves_the_touchpoint_saved_with_a_way_to_set_one(slack, standin, runtime, acme):
    done = run_step(slack, standin, customer="Acme Corp", summary="Call about the renewal", follow_up="when pigs fly")

    assert len(touchpoints(runtime)) == 1 and follow_ups(runtime) == []
    reply = confirmation(standin)
    assert "saved without a follow-up" in texts(reply)
    assert element(reply, "tp_set_follow_up")
    assert done.state == "completed"


def test_a_follow_up_for_someone_without_when_is_told_not_dropped_unseen(slack, standin, runtime, acme):
    done = run_step(slack, standin, customer="Acme Corp", summary="Call about the renewal", follow_up_assignee="U0BOB")

    assert len(touchpoints(runtime)) == 1 and follow_ups(runtime) == []
    reply = confirmation(standin)
    assert "“Follow up” is empty" in texts(reply) and element(reply, "tp_set_follow_up")
    assert done.state == "completed"


def test_a_follow_up_as_epoch_seconds_is_that_instant(slack, standin, runtime, acme):
    due = int(runtime.now().timestamp()) + 3 * 86400
    run_step(slack, standin, customer="Acme Corp", summary="Quote sent", follow_up=str(due))

    [follow_up] = follow_ups(runtime)
    assert int(follow_up.due_at.timestamp()) == due and follow_up.assignee_user_id == "U0ALICE"


@pytest.mark.parametrize(
    ("inputs", "said"),
    [
        ({"customer": "Acme Corp", "summary": "  "}, "“What happened” is empty"),
        ({"customer": "", "summary": "Call"}, "“Customer” is empty"),
        ({"customer": "!!!", "summary": "Call"}, "“Customer” needs at least one letter or digit"),
        ({"customer": "Acme Corp", "summary": "Call", "kind": "banana"}, "“Kind” must be one of event, visit"),
        ({"customer": "Acme Corp", "summary": "Call", "logged_by": ""}, "“Logged by” is empty"),
        ({"customer": "Acme Corp", "summary": "Call", "logged_by": "bob"}, "“Logged by” must be a person"),
        ({"customer": "Acme Corp", "summary": "Call", "follow_up_assignee": "#sales"}, "“Follow-up for” must be"),
        ({"customer": "Acme Corp", "summary": "x" * 10_001}, "more than 10,000 characters"),
    ],
)
def test_inputs_it_cannot_log_fail_the_step_with_a_sentence_and_save_nothing(
    slack, standin, runtime, acme, inputs, said
):
    done = run_step(slack, standin, **inputs)

    assert done.state == "failed" and said in (done.error or "")
    assert touchpoints(runtime) == []
    assert standin.calls_to("chat.postMessage") == [] and standin.calls_to("functions.completeSuccess") == []


def test_a_problem_on_touchpoints_side_fails_the_step_instead_of_leaving_it_waiting(
    slack, standin, runtime, acme, monkeypatch
):
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the domain broke")

    monkeypatch.setattr(steps, "log_step", broken)

    done = run_step(slack, standin, customer="Acme Corp", summary="Call")

    assert (done.state, done.error) == ("failed", FAILED)
    assert done.completed_with == done.bot_access_token


def test_a_retried_event_logs_once_and_completes_once(slack, standin, runtime, acme):
    execution = standin.begin_function_execution(steps.STEP_ID)
    inputs = {"customer": "Acme Corp", "summary": "Call about the renewal", "logged_by": "U0ALICE"}
    for retry in (None, 1, 2):
        reply = slack.function_executed(
            execution.id, execution.bot_access_token, steps.STEP_ID, inputs, event_id="Ev0STEP", retry=retry
        )
        assert reply.status == 200
    standin.wait_for_completion(execution.id)
    marker = run_step(slack, standin, customer="Acme Corp", summary="A later run")  # handled after the retries

    assert [tp.summary for tp in touchpoints(runtime)] == ["Call about the renewal", "A later run"]
    assert len(standin.calls_to("functions.completeSuccess")) == 2
    assert marker.state == "completed"


def test_the_same_run_delivered_again_under_another_event_id_finds_its_touchpoint(slack, standin, runtime, acme):
    execution = standin.begin_function_execution(steps.STEP_ID)
    first = run_step(slack, standin, execution=execution, customer="Acme Corp", summary="Call", event_id="Ev0A")
    run_step(slack, standin, execution=execution, customer="Acme Corp", summary="Call", event_id="Ev0B")
    marker = run_step(slack, standin, customer="Acme Corp", summary="A later run")

    assert [tp.summary for tp in touchpoints(runtime)] == ["Call", "A later run"]
    assert first.outputs["touchpoint_id"] == touchpoints(runtime)[0].id
    assert len(standin.calls_to("chat.postMessage")) == 2  # one confirmation per touchpoint, not per delivery
    assert marker.state == "completed"


def test_the_card_and_the_report_count_it_as_a_workflow_touchpoint(
    slack, standin, runtime, acme, database_url, monkeypatch, capsys
):
    run_step(slack, standin, customer="Acme Corp", kind="visit", summary="Toured the plant")

    card = slack.command("U0ALICE", "acme", command="/customer").json()
    assert "via a Workflow Builder step" in texts(card)
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["report", "--team", TEAM, "--format", "json", "--now", "2026-11-26T10:00:00+00:00"]) == 0
    by_source = json.loads(capsys.readouterr().out)["touchpoints"]["by_source"]
    assert by_source == {"workflow": {"value": 1, "previous": 0}}
