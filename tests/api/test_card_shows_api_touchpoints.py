"""A touchpoint posted by another system shows on the `/customer` card with its source system and a link back,
both escaped."""

from __future__ import annotations

from tests.api.test_post_touchpoints import DELIVERY
from tests.helpers import texts


def test_the_card_shows_where_an_api_touchpoint_came_from_and_links_to_its_record(api, slack):
    posted = api.post(
        "/api/v1/touchpoints",
        {**DELIVERY, "summary": "Order 1042 <!channel> delivered", "source_system": "shop"},
    )
    assert posted.status == 201

    reply = slack.command("U0ALICE", "acme corp", command="/customer")

    shown = texts(reply.json())
    latest = shown[shown.index("*Latest touchpoints:*") :]
    # Alice is in Berlin; with no author given, the token's name (shop) stands for who logged it.
    assert "• *delivery* · Tue 24 Nov, 15:00 (19 hours ago) · shop, logistics · via shop\n" in latest
    assert "<https://shop.example.com/orders/1042|record>" in latest
    assert "Order 1042 &lt;!channel&gt; delivered" in latest
    assert "<!channel>" not in latest
