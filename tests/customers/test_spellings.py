"""The one notion of legal forms, `&`/`and` and possessives the matcher reads a typed name with."""

from __future__ import annotations

import pytest

from bot.text import fold, name_keys, spellings, without_legal_form


@pytest.mark.parametrize(
    ("key", "bare"),
    [
        ("globex corporation", "globex"),
        ("dubois freres s a", "dubois freres"),  # S.A., dotted
        ("ab volvo", "volvo"),  # leading
        ("acme gmbh co kg", "acme"),  # several
        ("nordwind b v", "nordwind"),
        ("s a", "s a"),  # never empty: a name that is only a legal form stays
        ("corp", "corp"),
        ("acme", "acme"),
        ("a b c", "a b c"),  # single letters that spell no legal form
    ],
)
def test_legal_forms_are_dropped_at_either_end(key, bare):
    assert without_legal_form(key) == bare


@pytest.mark.parametrize(
    ("typed", "spelling"),
    [
        ("Globex's", "globex"),
        ("Globex’s", "globex"),
        ("Wayne Enterprises'", "wayne enterprises"),
        ("Procter and Gamble", "procter gamble"),  # how `Procter & Gamble` is stored
        ("Johnson & Johnson", "johnson and johnson"),  # how `Johnson and Johnson` is stored
        ("AB Volvo", "volvo"),
        ("Müller GmbH", "mueller"),
        ("Globx Inc", "globx"),
    ],
)
def test_a_typed_name_is_read_in_every_spelling_that_may_name_it(typed, spelling):
    assert spelling in spellings(typed)
    assert fold(typed) in spellings(typed)


def test_stored_keys_keep_their_meaning():
    # Keys in customer_names are not widened: the matcher's spellings are a step on top of them.
    assert name_keys("AB Volvo") == {"ab volvo"}
    assert name_keys("Acme Corp") == {"acme corp", "acme"}
    assert "o'brien" not in spellings("O'Brien") and "o brien" in spellings("O'Brien")
