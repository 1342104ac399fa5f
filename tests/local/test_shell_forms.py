"""Forms in the shell offer what the form has, in the words a person types: labels, not block ids."""

from __future__ import annotations

from tests.conftest import Run
from tests.helpers import after


def test_a_read_only_view_does_not_offer_submit(run_shell: Run) -> None:
    out = run_shell("/log Acme: call with Dana", "1", "/customer acme", "4", ":submit", ":cancel")

    history = after(out, "4")
    assert history.startswith("Form: History: Acme  :cancel (Close)\n")
    assert ":submit" not in history
    assert "Nothing to submit here: `:cancel` closes it (Close)." in history
    assert (
        after(out, ":submit")
        == "“History: Acme” has nothing to submit, in Slack either: `:cancel` closes it (Close).\n"
    )
    assert after(out, ":cancel").startswith("“History: Acme” closed without saving.")


def test_hints_name_fields_by_their_labels(run_shell: Run) -> None:
    out = run_shell("/log Acme: call with Dana", "1", "/customer acme", "7", "1", ":set", ":set e-mail dana@acme.com")

    contacts = after(out, "7")
    assert "e.g. `:set name …`. Then `:submit`, or `:cancel`." in contacts
    assert "[1] is the field “Name”: type its value after the number, e.g. `1 …`. `:clear name` empties it." in (
        after(out, "1", nth=2)
    )
    assert after(out, ":set") == "Which field? This form has: [1] `name`, [2] `e-mail`, [3] `phone`, [4] `role`.\n"
    assert after(out, ":set e-mail dana@acme.com").startswith("  [2] E-mail: dana@acme.com\n")
    assert "contact:new" not in out
