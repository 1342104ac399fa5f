"""The API's look-ups of a customer by domain and a contact by e-mail answer from an index of the folded value
(migration 0017), whatever the store: a workspace's customers are never read whole for one write."""

from __future__ import annotations

import pytest

from storage import api as api_store
from tests.helpers import plans_of


@pytest.mark.parametrize(
    ("look_up", "index"),
    [
        (lambda session: api_store.customer_ids_by_domain(session, 1, ["ACME.com"]), "ix_customers_domain_folded"),
        (
            lambda session: api_store.customer_ids_by_contact_email(session, 1, ["Dana@Acme.com"]),
            "ix_contacts_email_folded",
        ),
    ],
    ids=["customer by domain", "contact by e-mail"],
)
def test_a_folded_lookup_is_answered_from_its_index(engine, look_up, index):
    assert index in plans_of(engine, look_up)
