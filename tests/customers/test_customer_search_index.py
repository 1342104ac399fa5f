"""The compact name index: exact and prefix look-ups stay right however keys arrive (at once, one by one, in bulk)."""

from __future__ import annotations

import random

from bot.customers.matching import RESORT_AFTER, NameIndex, NameRow


def rows(pairs: list[tuple[int, str]], first_row_id: int = 1) -> list[NameRow]:
    return [NameRow(first_row_id + n, customer_id, key) for n, (customer_id, key) in enumerate(pairs)]


def test_keys_added_at_once_one_by_one_and_in_bulk_are_all_found():
    rng = random.Random(3)
    words = ["acme", "globex", "initech", "umbrella", "wayne", "stark", "muller", "zurich", "ost", "nord"]
    keys = sorted({" ".join(rng.sample(words, rng.randint(1, 3))) + f" {n}" for n in range(3000)})
    rng.shuffle(keys)
    index = NameIndex()
    index.add(rows([(n, key) for n, key in enumerate(keys[:1000])]))
    for n, key in enumerate(keys[1000:1100], start=1000):  # the path /log takes: a few keys at a time
        index.add(rows([(n, key)], first_row_id=10_000 + n))
    index.add(rows([(n, key) for n, key in enumerate(keys[1100:], start=1100)], first_row_id=20_000))
    assert len(keys) - 1100 > RESORT_AFTER  # the last batch rebuilt the order in one sort

    assert all(index.exact(key) == {n} for n, key in enumerate(keys))
    assert index.exact("acme globex") == set()
    assert len(index) == len(keys)
    assert index.max_row_id == 20_000 + len(keys) - 1101


def test_a_key_shared_by_customers_names_them_all_once():
    index = NameIndex()
    index.add(rows([(1, "anna muller"), (2, "anna muller"), (1, "anna muller"), (3, "acme")]))
    index.add(rows([(4, "anna muller"), (2, "anna muller")], first_row_id=10))

    assert index.exact("Anna Müller") == {1, 2, 4}
    assert [hit.customer_id for hit in index.prefixed("anna")] == [1, 2, 4]


def test_prefixes_rank_whole_words_then_how_much_was_typed():
    index = NameIndex()
    index.add(rows([(1, "wayne enterprises"), (2, "wayne"), (3, "waynesboro foods"), (4, "acme")]))

    hits = index.prefixed("Wayne")

    assert [(hit.customer_id, hit.key) for hit in hits] == [
        (2, "wayne"),
        (1, "wayne enterprises"),
        (3, "waynesboro foods"),
    ]
    assert hits[0].score == 100.0 and hits[0].score > hits[1].score > hits[2].score
    assert [hit.customer_id for hit in index.prefixed("wayne e")] == [1]
    assert index.prefixed("zzz") == [] and index.prefixed("") == []
