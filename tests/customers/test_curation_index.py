"""The in-memory name index follows names switched off and on again, as renames, removals and merges do."""

from __future__ import annotations

from bot.customers.matching import NameIndex, NameRow


def test_a_key_can_lose_every_holder_and_be_held_again():
    index = NameIndex()
    index.add([NameRow(1, 10, "roadrunner"), NameRow(2, 11, "acme")])

    index.set_holders("roadrunner", set())
    assert index.exact("Roadrunner") == set()
    assert index.closest("roadrunner") == []

    index.add([NameRow(3, 10, "roadrunner", active=False), NameRow(4, 10, "roadrunner")])
    assert index.exact("roadrunner") == {10}


def test_a_shared_key_keeps_only_its_remaining_holders():
    index = NameIndex()
    index.add([NameRow(1, 10, "acme"), NameRow(2, 11, "acme"), NameRow(3, 12, "acme")])

    index.set_holders("acme", {11, 12})
    assert index.exact("acme") == {11, 12}
    index.add([NameRow(4, 10, "acme")])
    assert index.exact("acme") == {10, 11, 12}
    index.set_holders("acme", {12})
    assert index.exact("acme") == {12}
    assert [hit.customer_id for hit in index.closest("acme")] == [12]
