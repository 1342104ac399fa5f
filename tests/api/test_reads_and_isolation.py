"""GET /api/v1/customers and /api/v1/customers/{id}/touchpoints: found as /customer finds them, paged oldest
first, and a token never reads or writes another installation's data."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from sqlalchemy import select

from bot.api import reads
from storage.models import Touchpoint
from tests.api.conftest import Client
from tests.api.test_post_touchpoints import DELIVERY
from tests.conftest import START


def _post_deliveries(api, count, customer=None):
    items = [
        {
            **DELIVERY,
            **({"customer": customer} if customer else {}),
            "external_id": f"d-{i}",
            "occurred_at": (START + timedelta(hours=count - i)).isoformat(),
        }
        for i in range(count)
    ]
    reply = api.post("/api/v1/touchpoints", {"touchpoints": items})
    assert [r["status"] for r in reply.body["results"]] == ["created"] * count
    return reply


def test_customers_are_found_as_customer_finds_them_typos_included(api, acme):
    exact = api.get("/api/v1/customers?q=Acme%20Corp")
    typo = api.get("/api/v1/customers?q=globx")
    nothing = api.get("/api/v1/customers?q=zzzzqqq")

    assert exact.status == 200 and exact.body["outcome"] == "one"
    assert exact.body["customers"][0] == {"id": acme.customers["Acme Corp"], "name": "Acme Corp", "score": 100.0}
    assert typo.body["customers"][0]["id"] == acme.customers["Globex Corporation"]
    assert nothing.body["outcome"] == "none"
    assert api.get("/api/v1/customers").status == 400
    assert api.get("/api/v1/customers?q=").status == 400


def test_a_customers_touchpoints_come_oldest_first_page_by_page(api, acme, monkeypatch):
    monkeypatch.setattr(reads, "PAGE_SIZE", 2)
    _post_deliveries(api, 5)
    acme_id = acme.customers["Acme Corp"]

    seen, cursor, pages = [], None, 0
    while True:
        path = f"/api/v1/customers/{acme_id}/touchpoints" + (f"?cursor={cursor}" if cursor else "")
        reply = api.get(path)
        assert reply.status == 200
        seen += reply.body["touchpoints"]
        pages += 1
        cursor = reply.body["next_cursor"]
        if cursor is None:
            break

    assert pages == 3
    assert [t["external_id"] for t in seen] == ["d-4", "d-3", "d-2", "d-1", "d-0"]
    assert seen[0]["source_system"] == "shop" and seen[0]["url"] == DELIVERY["url"]
    since = api.get(f"/api/v1/customers/{acme_id}/touchpoints?since={quote((START + timedelta(hours=4)).isoformat())}")
    assert [t["external_id"] for t in since.body["touchpoints"]] == ["d-1", "d-0"]
    assert api.get(f"/api/v1/customers/{acme_id}/touchpoints?cursor=nonsense").status == 400
    assert api.get(f"/api/v1/customers/{acme_id}/touchpoints?since=yesterday").status == 400
    assert api.get(f"/api/v1/customers/{acme_id}/touchpoints?since=0001-01-01T00:00:00%2B01:00").status == 400
    assert api.get("/api/v1/customers/99999999999999/touchpoints").status == 404


def test_another_installations_token_never_reads_or_writes_this_ones_data(api, acme, other, served, sessions):
    _post_deliveries(api, 2)
    theirs = Client(served, other.token)
    acme_id = acme.customers["Acme Corp"]

    read_by_id = theirs.get(f"/api/v1/customers/{acme_id}/touchpoints")
    searched = theirs.get("/api/v1/customers?q=Acme%20Corp")
    write_by_id = theirs.post("/api/v1/touchpoints", {**DELIVERY, "customer": {"id": acme_id}, "external_id": "x"})
    same_record = theirs.post("/api/v1/touchpoints", {**DELIVERY, "customer": {"name": "Umbrella Ltd"}})
    mine = api.get(f"/api/v1/customers/{other.customers['Umbrella Ltd']}/touchpoints")

    assert read_by_id.status == 404
    assert all(c["id"] != acme_id for c in searched.body["customers"])
    assert write_by_id.status == 400 and write_by_id.body["errors"][0]["field"] == "customer.id"
    # The same (source_system, external_id) in another installation is that installation's own record.
    assert same_record.status == 201
    assert mine.status == 404
    with sessions() as session:
        rows = session.scalars(select(Touchpoint).order_by(Touchpoint.id)).all()
    assert [(row.workspace_id, row.external_id) for row in rows] == [
        (acme.workspace_id, "d-0"),
        (acme.workspace_id, "d-1"),
        (other.workspace_id, "order-1042"),
    ]


def test_customers_are_found_by_domain_and_contact_email(api, acme, runtime, sessions):
    from storage import customers as customer_store

    with runtime.sessions.begin() as session:
        acme_row = customer_store.customer(session, acme.workspace_id, acme.customers["Acme Corp"])
        acme_row.domain = "acme.com"
        initech = customer_store.customer(session, acme.workspace_id, acme.customers["Initech"])
        customer_store.add_contact(session, initech, name="Dana", email="Dana@Initech.example", now=START)

    by_domain = api.post("/api/v1/touchpoints", {**DELIVERY, "customer": {"domain": "https://www.acme.com/"}})
    by_email = api.post(
        "/api/v1/touchpoints", {**DELIVERY, "customer": {"email": "dana@initech.example"}, "external_id": "e"}
    )

    assert by_domain.status == 201 and by_email.status == 201
    with sessions() as session:
        assert session.get(Touchpoint, by_domain.body["id"]).customer_id == acme.customers["Acme Corp"]
        assert session.get(Touchpoint, by_email.body["id"]).customer_id == acme.customers["Initech"]
