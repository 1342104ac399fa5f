"""A batch is saved together (`bot.api.intake.save_batch`), yet each item answers as if posted alone: a record
sent twice in one batch is one touchpoint, a new customer named by several items is created once, and a
record sent in an earlier request is found again."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import AuditEvent, Customer, FollowUp, Touchpoint
from tests.api.test_post_touchpoints import DELIVERY


def _count(sessions, model):
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_copies_in_one_batch_are_one_touchpoint_and_a_new_customer_is_made_once(api, acme, sessions):
    earlier = api.post("/api/v1/touchpoints", {**DELIVERY, "external_id": "sent-before"}).body["id"]
    wayne = {"name": "Wayne Enterprises", "create_if_missing": True}
    items = [
        {**DELIVERY, "external_id": "a", "customer": wayne},
        {**DELIVERY, "external_id": "b", "customer": wayne, "author": "U0ALICE", "department": None},
        {**DELIVERY, "external_id": "a", "customer": wayne, "summary": "the same record, sent twice"},
        {**DELIVERY, "external_id": "sent-before"},
        {**DELIVERY, "external_id": "c", "customer": {"domain": "nowhere.example"}},
        {**DELIVERY, "external_id": "d", "follow_up": {"due_at": "2026-12-01T09:00:00Z", "assignee": "U0ALICE"}},
    ]
    customers_before = _count(sessions, Customer)

    reply = api.post("/api/v1/touchpoints", {"touchpoints": items})

    assert reply.status == 200
    results = reply.body["results"]
    assert [r["status"] for r in results] == ["created", "created", "existing", "existing", "error", "created"]
    assert results[2]["id"] == results[0]["id"] and results[3]["id"] == earlier
    assert results[4]["errors"] == [
        {"field": "touchpoints[4].customer.domain", "message": "no customer has this domain"}
    ]
    assert _count(sessions, Customer) == customers_before + 1
    with sessions() as session:
        a, b, d = (session.get(Touchpoint, results[i]["id"]) for i in (0, 1, 5))
        follow_up = session.scalars(select(FollowUp)).one()
        logged = session.scalars(select(AuditEvent.entity_id).where(AuditEvent.action == "logged")).all()
    assert a.customer_id == b.customer_id != acme.customers["Acme Corp"]
    assert (a.summary, a.author_user_id, a.author_department) == (DELIVERY["summary"], "shop", "logistics")
    # Alice's touchpoint counts for her department, as her /log lines do.
    assert (b.author_user_id, b.author_department) == ("U0ALICE", "sales")
    assert (follow_up.touchpoint_id, follow_up.assignee_user_id) == (d.id, "U0ALICE")
    assert sorted(logged) == sorted([earlier, a.id, b.id, d.id])
    assert _count(sessions, Touchpoint) == 4
