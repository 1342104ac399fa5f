"""POST /api/v1/touchpoints through real HTTP: created once, retried without a duplicate, batches item by item."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import ApiToken, AuditEvent, Customer, FollowUp, Touchpoint

DELIVERY = {
    "customer": {"name": "acme corp"},
    "kind": "delivery",
    "summary": "Order 1042 delivered: 12 pallets",
    "occurred_at": "2026-11-24T15:00:00+01:00",
    "source_system": "shop",
    "external_id": "order-1042",
    "url": "https://shop.example.com/orders/1042",
    "tags": ["#Orders", "pallets"],
    "department": "logistics",
}


def _count(sessions, model=Touchpoint):
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_first_post_creates_the_touchpoint_and_a_retry_answers_its_id(api, acme, sessions):
    first = api.post("/api/v1/touchpoints", DELIVERY)
    again = api.post("/api/v1/touchpoints", {**DELIVERY, "summary": "changed in the retry"})

    assert first.status == 201 and first.body["status"] == "created"
    assert again.status == 200 and again.body == {"id": first.body["id"], "status": "existing"}
    assert _count(sessions) == 1
    with sessions() as session:
        row = session.get(Touchpoint, first.body["id"])
        audit = session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "touchpoint", AuditEvent.entity_id == row.id)
        ).all()
    assert row.workspace_id == acme.workspace_id
    assert row.customer_id == acme.customers["Acme Corp"]
    assert (row.source, row.source_system, row.external_id) == ("api", "shop", "order-1042")
    assert row.url == "https://shop.example.com/orders/1042"
    assert row.summary == "Order 1042 delivered: 12 pallets"
    assert row.occurred_at.isoformat() == "2026-11-24T14:00:00+00:00"
    assert row.tags == ["orders", "pallets"] and row.author_department == "logistics"
    assert [event.action for event in audit] == ["logged"]


def test_customers_are_found_by_id_and_a_new_name_is_created_only_when_asked(api, acme, sessions):
    by_id = api.post(
        "/api/v1/touchpoints",
        {**DELIVERY, "customer": {"id": acme.customers["Initech"]}, "external_id": "a", "author": "U0ALICE"},
    )
    refused = api.post("/api/v1/touchpoints", {**DELIVERY, "customer": {"name": "Hooli"}, "external_id": "b"})
    created = api.post(
        "/api/v1/touchpoints",
        {**DELIVERY, "customer": {"name": "Hooli", "create_if_missing": True}, "external_id": "c"},
    )

    assert by_id.status == 201 and created.status == 201
    assert refused.status == 400
    assert refused.body["errors"][0]["field"] == "customer.name"
    with sessions() as session:
        initech = session.get(Touchpoint, by_id.body["id"])
        hooli = session.get(Touchpoint, created.body["id"])
    assert initech.customer_id == acme.customers["Initech"] and initech.author_user_id == "U0ALICE"
    assert hooli.customer_id not in acme.customers.values() and hooli.customer_id is not None


def test_a_follow_up_is_set_for_its_assignee(api, sessions):
    reply = api.post(
        "/api/v1/touchpoints",
        {**DELIVERY, "author": "U0ALICE", "follow_up": {"due_at": "2026-11-30T09:00:00+01:00"}},
    )

    assert reply.status == 201
    with sessions() as session:
        follow_up = session.scalars(select(FollowUp)).one()
    assert follow_up.touchpoint_id == reply.body["id"] and follow_up.assignee_user_id == "U0ALICE"
    assert follow_up.due_at.isoformat() == "2026-11-30T08:00:00+00:00" and follow_up.status == "open"


def test_bad_fields_are_listed_and_nothing_is_stored(api, sessions):
    reply = api.post(
        "/api/v1/touchpoints",
        {
            "customer": {"name": "Acme Corp", "id": 1},
            "kind": "telegram",
            "summary": "",
            "occurred_at": "2026-11-24 15:00",
            "author": "dana@example.com",
            "url": "javascript:alert(1)",
            "colour": "red",
            "follow_up": {"due_at": "tomorrow"},
        },
    )

    assert reply.status == 400
    fields = {error["field"] for error in reply.body["errors"]}
    assert fields >= {"customer", "kind", "summary", "occurred_at", "author", "url", "colour", "follow_up.due_at"}
    assert _count(sessions) == 0


def test_a_batch_answers_each_item_and_a_bad_item_does_not_stop_the_rest(api, sessions):
    items = [
        {**DELIVERY, "external_id": "o-1"},
        {**DELIVERY, "external_id": "o-2", "kind": "nope"},
        {**DELIVERY, "external_id": "o-3", "customer": {"domain": "nowhere.example"}},
        {**DELIVERY, "external_id": "o-1"},
        "not an object",
        {**DELIVERY, "external_id": "o-4", "customer": {"name": "Globex Corporation"}},
    ]

    reply = api.post("/api/v1/touchpoints", {"touchpoints": items})

    assert reply.status == 200
    results = reply.body["results"]
    assert [r["status"] for r in results] == ["created", "error", "error", "existing", "error", "created"]
    assert results[3]["id"] == results[0]["id"]
    assert results[1]["errors"][0]["field"] == "touchpoints[1].kind"
    assert results[2]["errors"][0]["field"] == "touchpoints[2].customer.domain"
    assert _count(sessions) == 2


def test_a_batch_over_500_or_empty_is_refused_whole(api, sessions):
    too_many = api.post(
        "/api/v1/touchpoints", {"touchpoints": [{**DELIVERY, "external_id": str(i)} for i in range(501)]}
    )
    empty = api.post("/api/v1/touchpoints", {"touchpoints": []})

    assert too_many.status == 400 and empty.status == 400
    assert too_many.body["errors"][0]["field"] == "touchpoints"
    assert _count(sessions) == 0


def test_a_token_used_says_when_in_the_list(api, sessions, clock):

    assert api.post("/api/v1/touchpoints", DELIVERY).status == 201

    with sessions() as session:
        assert session.scalars(select(ApiToken)).one().last_used_at == clock()


def test_a_members_touchpoint_counts_for_their_department_unless_the_record_names_one(api, sessions):
    plain = {key: value for key, value in DELIVERY.items() if key != "department"}
    theirs = api.post("/api/v1/touchpoints", {**plain, "author": "U0ALICE", "external_id": "a"})
    named = api.post("/api/v1/touchpoints", {**DELIVERY, "author": "U0ALICE", "external_id": "b"})
    nobodys = api.post("/api/v1/touchpoints", {**plain, "external_id": "c"})

    with sessions() as session:
        departments = [session.get(Touchpoint, r.body["id"]).author_department for r in (theirs, named, nobodys)]
    assert departments == ["sales", "logistics", None]


def test_a_retry_that_names_a_new_customer_creates_nothing(api, sessions):
    first = api.post("/api/v1/touchpoints", DELIVERY)
    retry = api.post("/api/v1/touchpoints", {**DELIVERY, "customer": {"name": "Hooli", "create_if_missing": True}})

    assert (first.status, retry.status) == (201, 200) and retry.body["id"] == first.body["id"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 3
