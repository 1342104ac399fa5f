"""Whatever JSON arrives, the API answers 4xx or 2xx, never 500: fields of every type, in every place."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.test_post_touchpoints import DELIVERY

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(["2026-11-24T15:00:00+01:00", "U0ALICE", "alice@example.com", "acme.com", "delivery"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_FIELDS = st.sampled_from([*DELIVERY, "customer", "follow_up", "author", "tags"])
_CUSTOMER = st.dictionaries(
    st.sampled_from(["id", "domain", "email", "name", "create_if_missing", "x"]), _VALUES, max_size=2
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    changes=st.dictionaries(_FIELDS, _VALUES, max_size=3),
    customer=_CUSTOMER,
    batch=st.booleans(),
)
def test_any_json_gets_an_answer_below_500(api, changes, customer, batch):
    record = {**DELIVERY, "customer": customer, **changes}
    body = {"touchpoints": [record, DELIVERY]} if batch else record

    reply = api.post("/api/v1/touchpoints", body)

    assert reply.status < 500, reply.body
    assert isinstance(reply.body, dict)
