"""A record may name its author or a follow-up's assignee by e-mail: Slack is asked who that is
(`users.lookupByEmail`, through the stand-in) before anything is written, and only a member this workspace
knows is accepted."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import FollowUp, Touchpoint
from tests.api.test_post_touchpoints import DELIVERY


def test_an_author_named_by_e_mail_is_that_member(api, standin, sessions):
    reply = api.post(
        "/api/v1/touchpoints",
        {**DELIVERY, "author": "Alice@Example.com", "follow_up": {"due_at": "2026-11-30T09:00:00+01:00"}},
    )

    assert reply.status == 201, reply.body
    with sessions() as session:
        row = session.get(Touchpoint, reply.body["id"])
        follow_up = session.scalars(select(FollowUp)).one()
    assert row.author_user_id == "U0ALICE" and follow_up.assignee_user_id == "U0ALICE"
    assert [call.params.get("email") for call in standin.calls_to("users.lookupByEmail")] == ["alice@example.com"]


def test_an_unknown_address_or_a_person_touchpoint_does_not_know_is_a_field_error(api, sessions):
    nobody = api.post("/api/v1/touchpoints", {**DELIVERY, "author": "nobody@example.com"})
    # Bob is in the Slack workspace but has never used Touchpoint: no member row.
    bob = api.post("/api/v1/touchpoints", {**DELIVERY, "author": "bob@example.com"})

    assert nobody.status == 400 and nobody.body["errors"][0]["field"] == "author"
    assert bob.status == 400 and bob.body["errors"][0]["field"] == "author"
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Touchpoint)) == 0


def test_slack_not_answering_is_503_with_retry_after_and_nothing_stored(api, standin, sessions):
    standin.fail_next("users.lookupByEmail", status=500, times=5)

    reply = api.post("/api/v1/touchpoints", {**DELIVERY, "author": "alice@example.com"})

    assert reply.status == 503 and reply.headers["retry-after"] == "5"
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Touchpoint)) == 0
