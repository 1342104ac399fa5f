"""Every 4xx of the HTTP API, through real HTTP: each says why in JSON, and none stores anything."""

from __future__ import annotations

import dataclasses
import http.client
import json

import pytest
from sqlalchemy import func, select

from bot.api.tokens import revoke_token
from bot.runtime import Runtime
from storage.models import ApiToken, Touchpoint
from tests.api.conftest import Client
from tests.api.test_post_touchpoints import DELIVERY
from tests.conftest import START, make_settings


def _stored(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Touchpoint))


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer tp_" + "A" * 43, "Basic dXNlcjpwYXNz", "Bearer tp_short", "bearer  " + "x" * 5000],
    ids=["missing", "empty", "unknown", "basic", "malformed", "huge"],
)
def test_a_missing_or_wrong_token_gets_401_and_stores_nothing(api, sessions, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}

    reply = api.post("/api/v1/touchpoints", DELIVERY, headers=headers, token=None)

    assert reply.status == 401
    assert reply.headers["www-authenticate"].startswith("Bearer")
    assert reply.body["error"] == "Unauthorized"
    assert _stored(sessions) == 0


def test_a_revoked_token_gets_401(api, acme, runtime, sessions):
    assert api.post("/api/v1/touchpoints", {**DELIVERY, "external_id": "before"}).status == 201
    with runtime.sessions.begin() as session:
        revoke_token(session, acme.workspace_id, "shop", now=START)

    reply = api.post("/api/v1/touchpoints", {**DELIVERY, "external_id": "after"})

    assert reply.status == 401
    assert _stored(sessions) == 1
    with sessions() as session:
        assert session.scalars(select(ApiToken)).one().revoked_at is not None


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b'{"kind": "delivery",', {}),
        (b"{}", {"Content-Length": "1000001"}),  # said to be over 1 MB: refused before it is read
        ({**DELIVERY, "kind": "nonsense"}, {}),
    ],
    ids=["400", "413", "invalid"],
)
def test_a_token_revoked_after_it_was_used_gets_401_whatever_else_is_wrong(api, acme, runtime, sessions, body, headers):
    assert api.post("/api/v1/touchpoints", {**DELIVERY, "external_id": "before"}).status == 201
    with runtime.sessions.begin() as session:
        revoke_token(session, acme.workspace_id, "shop", now=START)

    reply = api.post("/api/v1/touchpoints", body, headers=headers)
    again = api.post("/api/v1/touchpoints", {**DELIVERY, "external_id": "after"})

    assert (reply.status, again.status) == (401, 401)
    assert _stored(sessions) == 1


def test_a_body_over_1_mb_gets_413(api, sessions):
    reply = api.post("/api/v1/touchpoints", {**DELIVERY, "summary": "x" * 1_000_001})

    assert reply.status == 413
    assert _stored(sessions) == 0


def test_a_body_that_is_not_json_gets_415_or_400(api, sessions):
    as_form = api.post("/api/v1/touchpoints", b"kind=delivery", headers={"Content-Type": "text/plain"})
    broken = api.post("/api/v1/touchpoints", b'{"kind": "delivery",')
    not_utf8 = api.post("/api/v1/touchpoints", b'{"summary": "\xff"}')

    assert as_form.status == 415
    assert broken.status == 400 and broken.body["errors"] == [{"field": "body", "message": "is not valid JSON"}]
    assert not_utf8.status == 400
    assert _stored(sessions) == 0


@pytest.mark.parametrize(
    "body",
    [[], [DELIVERY], "text", 42, None, {"touchpoints": "all"}, {"touchpoints": [DELIVERY], "extra": 1}],
    ids=["list", "list-of-one", "string", "number", "null", "not-a-list", "extra-key"],
)
def test_json_that_is_no_touchpoint_gets_400_never_500(api, sessions, body):
    reply = api.post("/api/v1/touchpoints", json.dumps(body).encode())

    assert reply.status == 400 and reply.body["errors"]
    assert _stored(sessions) == 0


@pytest.mark.parametrize(
    "value",
    [
        {"customer": []},
        {"customer": {"id": True}},
        {"customer": {"id": 10**30}},
        {"customer": {"name": "   "}},
        {"customer": {"email": 5}},
        {"customer": {"name": "Acme Corp", "create_if_missing": "yes"}},
        {"tags": "one"},
        {"tags": ["two words"]},
        {"occurred_at": 1732540000},
        {"occurred_at": "2026-13-45T00:00:00+00:00"},
        {"occurred_at": "0001-01-01T00:00:00+01:00"},
        {"occurred_at": "9999-12-31T23:59:59-01:00"},
        {"occurred_at": "2026-11-24T15:00:00"},
        {"summary": ["list"]},
        {"external_id": "x" * 201},
        {"source_system": "has space"},
        {"department": "legal"},
        {"follow_up": "soon"},
        {"follow_up": {"due_at": "2026-11-30T09:00:00+01:00", "assignee": "U0NOBODY"}},
        {"author": "U0NOBODY"},
    ],
    ids=lambda value: f"{next(iter(value))}={str(next(iter(value.values())))[:20]}",
)
def test_each_bad_field_is_named(api, sessions, value):
    field = next(iter(value))

    reply = api.post("/api/v1/touchpoints", {**DELIVERY, **value})

    assert reply.status == 400, reply.body
    assert any(error["field"].split(".")[0] == field for error in reply.body["errors"]), reply.body
    assert _stored(sessions) == 0


def test_unknown_routes_and_methods_are_404_and_405(api):
    assert api.get("/api/v1/nothing").status == 404
    assert api.get("/api/v2/touchpoints").status == 404
    wrong = api.get("/api/v1/touchpoints")
    assert wrong.status == 405 and wrong.headers["allow"] == "POST"
    assert api.post("/api/v1/customers", {}).status == 405


def test_a_malformed_content_length_is_400(api):
    base = api.base
    connection = http.client.HTTPConnection(base.hostname, base.port, timeout=10)
    connection.putrequest("POST", "/api/v1/touchpoints")
    connection.putheader("Authorization", f"Bearer {api.token}")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", "12abc")
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 400
    connection.close()


@pytest.fixture
def runtime(engine, standin, clock, database_url) -> Runtime:
    """The app with a rate of three requests a minute per token."""
    settings = dataclasses.replace(
        make_settings(database_url, standin.api_url, standin.hooks_url), api_rate_per_minute=3
    )
    return Runtime(settings=settings, engine=engine, clock=clock)


def test_over_the_rate_a_token_gets_429_with_retry_after_and_other_tokens_do_not(api, other, served, sessions):
    answers = [api.post("/api/v1/touchpoints", {**DELIVERY, "external_id": str(i)}) for i in range(4)]
    others = Client(served, other.token).get("/api/v1/customers?q=umbrella")

    assert [a.status for a in answers] == [201, 201, 201, 429]
    assert 1 <= int(answers[3].headers["retry-after"]) <= 60
    assert _stored(sessions) == 3
    assert others.status == 200
