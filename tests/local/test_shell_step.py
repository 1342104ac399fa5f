"""`:step` in `touchpoint shell` runs the Workflow Builder step as a workflow would: the confirmation arrives as a
direct message with its buttons, and the shell says what the step completed with, or why it failed."""

from __future__ import annotations

from tests.helpers import after


def test_a_step_run_in_the_shell_logs_confirms_and_says_its_outputs(run_shell):
    line = ":step customer: Hooli; summary: met their CFO #lunch; follow up: friday; for: @bob"
    out = run_shell(":demo", line, "1", "/customer hooli")

    ran = after(out, line)
    assert "Touchpoint · direct message" in ran and "Logged meeting with “Hooli” (customer not set yet)" in ran
    assert "[1] Create “Hooli”" in ran
    assert "The workflow step completed; its outputs: touchpoint_id = 9, customer_name = Hooli, message_link = " in ran
    assert "Logged meeting with Hooli" in after(out, "1")  # the confirmation's Create button made the customer
    card = after(out, "/customer hooli")
    assert "@bob, due Fri 27 Nov, 09:00: met their CFO #lunch" in card and "via workflow" in card


def test_bad_step_inputs_are_told_by_the_step_or_by_the_shell(run_shell):
    empty, unknown = ":step customer: Acme; summary:", ":step client: Acme"
    out = run_shell(empty, unknown)

    assert "⚠ The workflow step failed: “What happened” is empty" in after(out, empty)
    assert "names among customer, kind, summary, follow up, for, by" in after(out, unknown)
