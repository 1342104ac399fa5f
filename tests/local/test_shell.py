"""`touchpoint shell`: the real CLI driven by scripted input, and the terminal renderer on its own."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import handlers.views
from bot.local import shell
from bot.local.terminal import (
    PLAIN,
    Field,
    Style,
    ValueProblem,
    initial_state,
    match_option,
    parse_value,
    render_blocks,
    render_mrkdwn,
    render_view,
)
from storage.models import Customer, FollowUp, Member, Touchpoint
from tests.conftest import START, Run
from tests.helpers import after

BERLIN = ZoneInfo("Europe/Berlin")


def touchpoints(engine: Engine) -> list[Touchpoint]:
    with Session(engine) as session:
        return list(session.scalars(select(Touchpoint).order_by(Touchpoint.id)))


# --------------------------------------------------------------------------------------------------------
# The shell, end to end
# --------------------------------------------------------------------------------------------------------


def test_welcome_then_a_logged_line_is_rendered_as_text(run_shell: Run, engine: Engine) -> None:
    out = run_shell("/log Acme: call with Dana, follow up friday")

    assert out.startswith("Touchpoint shell: the real bot")
    assert "`:help`" in out and "/log Acme: call with Dana" in out
    reply = after(out, "/log Acme: call with Dana, follow up friday")
    assert reply.splitlines()[:3] == [
        "Touchpoint · only visible to you",
        # "Logged *call*": mrkdwn bold comes out plain when stdout is not a terminal.
        "  Logged call with “Acme” (customer not set yet) · follow-up Fri 27 Nov, 09:00",
        "  call with Dana",
    ]
    assert "  🔍 I don't know “Acme” yet." in reply
    assert "  [1] Create “Acme”" in reply
    assert "  [2] Undo  [3] Edit" in reply
    assert "  [4] Department: Sales | Support | Finance |" in reply  # last: answering it renumbers nothing
    assert out.rstrip().endswith("Bye.")
    [tp] = touchpoints(engine)
    assert (tp.kind, tp.summary, tp.author_user_id, tp.customer_id) == ("call", "call with Dana", "U0ALICE", None)


def test_create_button_creates_the_customer_and_updates_the_reply(run_shell: Run, engine: Engine) -> None:
    out = run_shell("/log Acme: call with Dana", "1")

    reply = after(out, "1")
    assert reply.startswith("Touchpoint · only visible to you · updated\n  Logged call with Acme\n")
    assert "Create" not in reply
    with Session(engine) as session:
        customer = session.scalars(select(Customer)).one()
        assert customer.name == "Acme"
        assert session.scalars(select(Touchpoint)).one().customer_id == customer.id


def test_department_menu_takes_an_option_by_its_label(run_shell: Run, engine: Engine) -> None:
    out = run_shell("/log Acme: call", "4 sal", "3")

    assert "Thanks! Saved sales as your department." in after(out, "4 sal")
    # The menu came last, so the reply replaced without it keeps every other number: [3] is still Edit.
    assert "  [1] Create “Acme”\n  [2] Undo  [3] Edit\n" in after(out, "4 sal")
    assert after(out, "3").startswith("Form: Edit touchpoint")
    with Session(engine) as session:
        assert session.scalars(select(Member.department).where(Member.slack_user_id == "U0ALICE")).one() == "sales"


def test_a_select_needs_a_choice_and_a_button_takes_none(run_shell: Run) -> None:
    out = run_shell("/log Acme: call", "4", "4 nonsense", "3 now", ":press 9")

    assert "[4] needs a choice: Sales | Support |" in after(out, "4")
    assert "e.g. `4 sales`" in after(out, "4")
    assert "“nonsense” is not an option" in after(out, "4 nonsense")
    assert "[3] is a button: type just `3` to press it." in after(out, "3 now")
    assert "There is no [9]: the latest message has [1]–[4]." in after(out, ":press 9")


def test_undo_then_restore(run_shell: Run, engine: Engine) -> None:
    out = run_shell("/log Acme: call", "2", "1")

    undone = after(out, "2")
    assert "Undone: the call with “Acme” (customer not set yet) is removed." in undone
    assert "  [1] Restore" in undone
    restored = after(out, "1")
    assert "Logged call with “Acme”" in restored and "  [2] Undo  [3] Edit" in restored
    assert "[4] Department:" in restored  # still asks the department
    [tp] = touchpoints(engine)
    assert tp.deleted_at is None


def test_log_alone_opens_the_form_which_is_filled_and_submitted(
    run_shell: Run, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    submitted: list[dict[str, Any]] = []
    read_log_form = handlers.views.read_log_form

    def spy(values: dict[str, Any], *args: Any) -> Any:
        submitted.append(values)
        return read_log_form(values, *args)

    monkeypatch.setattr(handlers.views, "read_log_form", spy)
    out = run_shell(
        "/log",
        ":set customer Acme",
        ":set summary call with Dana",
        ":set follow_up_text friday",
        ":set kind meeting",
        "8 @bob",
        ":set tags #renewal",
        ":submit",
    )

    form = after(out, "/log")
    assert form.startswith("Form: Log a touchpoint  :submit (Save) · :cancel (Cancel)\n")
    assert "  [1] Customer: —   (Type a customer name)" in form
    assert "  [2] Kind: Note" in form
    assert "  [3] When it happened: Wed 25 Nov 2026, 10:30" in form
    assert "  [4] What happened (optional): —" in form
    assert after(out, ":set customer Acme") == "  [1] Customer: ➕ Create “Acme”\n"
    assert after(out, ":set kind meeting") == "  [2] Kind: Meeting\n"
    assert after(out, "8 @bob") == "  [8] Follow-up for: @bob\n"
    confirmation = after(out, ":submit")
    assert "“Log a touchpoint” sent." in confirmation
    assert "  Logged meeting with Acme · follow-up Fri 27 Nov, 09:00 your time, 03:00 for @bob" in confirmation

    # The view_submission carried Slack's state.values for every element type of the form.
    [values] = submitted
    assert values["customer"]["customer_select"]["type"] == "external_select"
    assert values["customer"]["customer_select"]["selected_option"]["value"] == "new:Acme"
    assert values["kind"]["value"]["selected_option"]["value"] == "meeting"
    assert values["occurred"]["value"] == {"type": "datetimepicker", "selected_date_time": int(START.timestamp())}
    assert values["summary"]["value"] == {"type": "plain_text_input", "value": "call with Dana"}
    assert values["follow_up_date"]["value"] == {"type": "datepicker", "selected_date": None}
    assert values["follow_up_time"]["value"] == {"type": "timepicker", "selected_time": None}
    assert values["assignee"]["value"] == {"type": "users_select", "selected_user": "U0BOB"}
    assert values["tags"]["value"] == {"type": "plain_text_input", "value": "#renewal"}
    [tp] = touchpoints(engine)
    assert (tp.kind, tp.summary, tp.source, tp.tags) == ("meeting", "call with Dana", "modal", ["renewal"])
    with Session(engine) as session:
        follow_up = session.scalars(select(FollowUp)).one()
        assert follow_up.assignee_user_id == "U0BOB"
        assert follow_up.due_at == datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def test_form_errors_are_shown_next_to_fields_and_the_form_stays_open(run_shell: Run, engine: Engine) -> None:
    out = run_shell(
        "/log",
        ":submit",
        ":set customer Acme",
        ":set when tomorrow 10:00",
        ":submit",
        "/log Acme: call",
        ":set when yesterday 9:00",
        ":submit",
    )

    # A required field left empty is stopped by Slack's client, before anything is sent.
    assert "  [1] Customer: —   (Type a customer name)\n        ⚠ Please fill out this field." in after(out, ":submit")
    rejected = out.split("> :set when tomorrow 10:00\n", 1)[1]
    rejected = after(rejected, ":submit")
    assert "⚠ “Log a touchpoint” was not saved: fix the fields marked ⚠." in rejected
    assert "When it happened: Thu 26 Nov 2026, 10:00\n        ⚠ A touchpoint that already happened" in rejected
    assert "is open: `:submit` or `:cancel` it before typing a command." in after(out, "/log Acme: call")
    [tp] = touchpoints(engine)
    assert tp.occurred_at == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def test_unknown_customer_in_the_form_offers_create_and_a_typo_finds_the_known_one(
    run_shell: Run, engine: Engine
) -> None:
    run_shell("/log Acme Corp: call", "1")
    out = run_shell("/log", ":set customer acme corp", ":set customer acm", ":set customer acm #2", ":cancel")

    assert after(out, ":set customer acme corp") == "  [1] Customer: Acme Corp\n"
    assert after(out, ":set customer acm") == (
        "  [1] Customer: Acme Corp\n      other suggestions: #2 ➕ Create “acm” (e.g. `:set customer acm #2`)\n"
    )
    assert "  [1] Customer: ➕ Create “acm”" in after(out, ":set customer acm #2")
    assert "closed without saving" in after(out, ":cancel")
    assert len(touchpoints(engine)) == 1


def test_bad_follow_up_phrase_warns_and_offers_the_follow_up_form(run_shell: Run, engine: Engine) -> None:
    out = run_shell("/log Acme: call, follow up blorp", "2", ":set date 2026-11-30", ":set time 2pm", ":submit")

    reply = after(out, "/log Acme: call, follow up blorp")
    assert "  ⚠ I couldn't read “blorp” as a date or time." in reply
    assert "  [2] Set follow-up" in reply
    assert after(out, "2").startswith("Form: Set follow-up")
    assert "Logged call with “Acme” (customer not set yet) · follow-up Mon 30 Nov, 14:00" in after(out, ":submit")
    with Session(engine) as session:
        assert session.scalars(select(FollowUp.due_at)).one() == datetime(2026, 11, 30, 13, 0, tzinfo=UTC)


def test_advance_moves_the_clock_the_app_reads(run_shell: Run, engine: Engine) -> None:
    out = run_shell(":now", ":advance 1d", ":now", ":advance 90 minutes", "/log Acme: call", ":advance -2h")

    assert after(out, ":now") == "It is Wed 25 Nov 2026, 10:30 for @alice (Europe/Berlin).\n"
    assert after(out, ":advance 1d") == "Clock moved 1 day ahead: it is Thu 26 Nov 2026, 10:30 (Europe/Berlin).\n"
    second_now = out.split("> :advance 1d\n", 1)[1]
    assert "It is Thu 26 Nov 2026, 10:30 for @alice (Europe/Berlin). The shell's clock is 1 day ahead" in after(
        second_now, ":now"
    )
    assert "The clock only moves forward" in after(out, ":advance -2h")
    [tp] = touchpoints(engine)
    assert tp.occurred_at == START + timedelta(days=1, minutes=90)


def test_clock_hooks_run_after_the_clock_moves(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.config import load_settings

    settings = load_settings({"DATABASE_URL": database_url})
    out = io.StringIO()
    session = shell.Shell(settings, user="U0ALICE", team="T0HOOK", out=out, style=PLAIN, wall=lambda: START)
    seen: list[datetime] = []
    session.clock_hooks.append(seen.append)
    session.start()
    try:
        session.handle(":advance 2h")
        assert seen == [START + timedelta(hours=2)]
        assert session.runtime.now() == START + timedelta(hours=2)
    finally:
        session.close()


def test_switching_user_changes_who_logs_and_their_time_zone(run_shell: Run, engine: Engine) -> None:
    out = run_shell(":users", ":user bob", ":now", "/log Acme: call", ":user nobody", ":user U0DAVE", ":now")

    assert "* @alice    U0ALICE" in after(out, ":users") and "  @carol    U0CAROL" in after(out, ":users")
    assert after(out, ":user bob") == "You are now @bob (Bob Baker, America/New_York).\n"
    assert "It is Wed 25 Nov 2026, 04:30 for @bob (America/New_York)." in after(out, ":now")
    assert "I don't know “nobody”. People here: @alice, @bob, @carol" in after(out, ":user nobody")
    assert after(out, ":user U0DAVE") == "You are now @u0dave (U0DAVE, UTC).\n"
    [tp] = touchpoints(engine)
    assert tp.author_user_id == "U0BOB"


def test_user_flag_picks_who_acts(run_shell: Run, engine: Engine) -> None:
    out = run_shell("/log Acme: call", args=("--user", "U0CAROL"))
    assert "You are @carol (Carol Chen, Asia/Tokyo)" in out
    assert "⚠ --user nobody: no such person or user id, so you are @alice." in run_shell(args=("--user", "nobody"))
    assert touchpoints(engine)[0].author_user_id == "U0CAROL"


def test_typed_specials_are_shown_literally_and_mentions_become_mentions(run_shell: Run, engine: Engine) -> None:
    line = "/log Acme: pricing & terms <!channel> <@U0BOB> &amp; with @bob"
    out = run_shell(line)

    assert "  pricing & terms <!channel> <@U0BOB> &amp; with @bob" in after(out, line)
    [tp] = touchpoints(engine)
    # Slack escapes what was typed, so nothing typed becomes a ping; a typed @bob is a real mention.
    assert tp.summary == "pricing & terms <!channel> <@U0BOB> &amp; with @bob"
    assert tp.raw_text == "Acme: pricing &amp; terms &lt;!channel&gt; &lt;@U0BOB&gt; &amp;amp; with <@U0BOB|bob>"


def test_home_tab_and_its_button(run_shell: Run) -> None:
    out = run_shell(":home", "1", ":cancel")

    home = after(out, ":home")
    assert home.startswith("Touchpoint · Home tab\n")
    assert "  [1] Log touchpoint" in home
    assert after(out, "1").startswith("Form: Log a touchpoint")


def test_message_shortcut_logs_the_message_through_its_form(run_shell: Run, engine: Engine) -> None:
    out = run_shell(":shortcut Dana from Initech & co called", ":set customer Initech", ":submit")

    form = after(out, ":shortcut Dana from Initech & co called")
    assert "  [2] Kind: Call" in form
    assert "  [4] What happened (optional): Dana from Initech & co called" in form
    assert "  Logged call with Initech" in after(out, ":submit")
    [tp] = touchpoints(engine)
    assert (tp.source, tp.summary) == ("shortcut", "Dana from Initech & co called")
    assert tp.permalink and tp.permalink.startswith("https://example.slack.com/archives/C0GENERAL/p")


def test_mistakes_get_friendly_hints(run_shell: Run, engine: Engine) -> None:
    out = run_shell(":bogus", ":sumbit", "Acme: call", "1", "/nope x", ":set customer Acme", ":submit", "help")

    assert after(out, ":bogus") == "There is no `:bogus` command. `:help` lists them all.\n"
    assert "Did you mean `:submit`?" in after(out, ":sumbit")
    assert "To log this line, type: `/log Acme: call`" in after(out, "Acme: call")
    assert "There is nothing to press yet" in after(out, "1")
    assert after(out, "/nope x") == "`/nope` is not a command of this app. Try `/log help`.\n"
    assert "No form is open. `/log` alone opens one." in after(out, ":set customer Acme")
    assert "`:advance 3d`" in after(out, "help")
    assert touchpoints(engine) == []


def test_help_of_the_log_command(run_shell: Run) -> None:
    out = run_shell("/log help")

    assert "  Log a touchpoint in one line: `/log <customer>: <what happened> [follow-up]`" in after(out, "/log help")


def test_a_failing_listener_is_reported_in_one_line(run_shell: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr("bot.capture.touchpoints.plan_line", broken)
    out = run_shell("/log Acme: call")

    reply = after(out, "/log Acme: call")
    assert "  ⚠ Sorry, something went wrong on our side." in reply
    assert "  log error: listener failed (RuntimeError: kaboom)" in reply


def test_quit_ends_the_session(run_shell: Run, engine: Engine) -> None:
    out = run_shell(":q", "/log Acme: call")

    assert out.rstrip().endswith("Bye.")
    assert "/log Acme: call\n" not in out.split("> :q", 1)[1]
    assert touchpoints(engine) == []


# --------------------------------------------------------------------------------------------------------
# The renderer and the value readers
# --------------------------------------------------------------------------------------------------------


def test_mrkdwn_to_plain_text() -> None:
    names = {"U0ALICE": "alice"}
    text = "Logged *call* with _Acme_ `#tag` ~old~ <@U0ALICE> <@U9|zed> <!here> <#C1|general> :warning: :nope:"
    assert render_mrkdwn(text, PLAIN, names) == (
        "Logged call with Acme `#tag` ~old~ @alice @zed @here #general ⚠ :nope:"
    )
    assert render_mrkdwn("&lt;!channel&gt; &amp;lt; AT&amp;T", PLAIN) == "<!channel> &lt; AT&T"
    assert render_mrkdwn("<https://x.test/a?b=1&amp;c=2|the docs> <mailto:a@b.test|a@b.test>") == (
        "the docs (https://x.test/a?b=1&c=2) a@b.test"
    )
    assert render_mrkdwn("snake_case_name and 2*3*4 and `*not bold*`") == "snake_case_name and 2*3*4 and `*not bold*`"
    assert render_mrkdwn("bell\x07 \x1b[31mred") == "bell [31mred"  # no terminal control from text


def test_mrkdwn_styles_on_a_terminal() -> None:
    ansi = Style(ansi=True)
    assert render_mrkdwn("*a* _b_ `c`", ansi) == "\x1b[1ma\x1b[0m \x1b[3mb\x1b[0m \x1b[36mc\x1b[0m"
    assert ansi.dim("x " + ansi.bold("y") + " z") == "\x1b[2mx \x1b[1my\x1b[0m\x1b[2m z\x1b[0m"


def _button(label: str, action_id: str) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": label}, "action_id": action_id, "value": "7"}


def test_blocks_number_every_element_in_order() -> None:
    select_menu = {
        "type": "static_select",
        "action_id": "dept",
        "placeholder": {"type": "plain_text", "text": "Department"},
        "options": [{"text": {"type": "plain_text", "text": t.title()}, "value": t} for t in ("sales", "support")],
    }
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Hi* <@U1>"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "a"}, {"type": "plain_text", "text": "b"}]},
        {"type": "actions", "block_id": "customer:7", "elements": [_button("Create", "c"), _button("Pick", "p")]},
        {"type": "section", "block_id": "department:7", "text": {"type": "mrkdwn", "text": "Which?"}},
        {"type": "divider"},
        {"type": "actions", "elements": [_button("Undo", "u"), select_menu, _button("Edit", "e")]},
    ]
    blocks[3]["accessory"] = select_menu

    rendered = render_blocks(blocks, PLAIN, {"U1": "ann"}, start=1)

    assert rendered.lines == [
        "Hi @ann",
        "a · b",
        "[1] Create  [2] Pick",
        "Which?",
        "[3] Department: Sales | Support",
        "─" * 24,
        "[4] Undo",
        "[5] Department: Sales | Support",
        "[6] Edit",
    ]
    assert [(e.number, e.block_id, e.element["action_id"]) for e in rendered.elements] == [
        (1, "customer:7", "c"),
        (2, "customer:7", "p"),
        (3, "department:7", "dept"),
        (4, "b5", "u"),
        (5, "b5", "dept"),
        (6, "b5", "e"),
    ]


def test_a_modal_lists_numbered_fields_with_values_errors_and_optionality() -> None:
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Set follow-up"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [
            {
                "type": "input",
                "block_id": "when",
                "label": {"type": "plain_text", "text": "Date"},
                "element": {"type": "datepicker", "action_id": "value", "initial_date": "2026-12-01"},
            },
            {
                "type": "input",
                "block_id": "who",
                "optional": True,
                "label": {"type": "plain_text", "text": "For"},
                "element": {"type": "users_select", "action_id": "value"},
            },
        ],
    }
    rendered = render_view(view, PLAIN, {"U0BOB": "bob"}, errors={"who": "Pick someone."})

    assert rendered.lines == [
        "Form: Set follow-up  :submit (Save) · :cancel (Close)",
        "  [1] Date: 2026-12-01",
        "  [2] For (optional): —   (@bob)",
        "        ⚠ Pick someone.",
    ]
    assert [(f.number, f.block_id, f.optional) for f in rendered.fields] == [(1, "when", False), (2, "who", True)]


def test_initial_state_is_what_slack_sends_for_an_untouched_field() -> None:
    option = {"text": {"type": "plain_text", "text": "Call"}, "value": "call"}
    assert initial_state({"type": "plain_text_input", "action_id": "v"}) == {"type": "plain_text_input", "value": None}
    assert initial_state({"type": "static_select", "initial_option": option}) == {
        "type": "static_select",
        "selected_option": option,
    }
    assert initial_state({"type": "datetimepicker", "initial_date_time": 5}) == {
        "type": "datetimepicker",
        "selected_date_time": 5,
    }
    assert initial_state({"type": "checkboxes"}) == {"type": "checkboxes", "selected_options": []}


def test_typed_values_become_state_entries() -> None:
    now = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)  # a Wednesday

    def value(element_type: str, typed: str, **element: Any) -> Any:
        return parse_value({"type": element_type, **element}, typed, now=now, tz=BERLIN, find_user=users.get)

    users = {"@bob": "U0BOB", "bob": "U0BOB"}
    options = [{"text": {"type": "plain_text", "text": k.title()}, "value": k} for k in ("call", "meeting", "email")]
    assert value("plain_text_input", " hi there ") == {"type": "plain_text_input", "value": "hi there"}
    assert value("static_select", "meet", options=options)["selected_option"]["value"] == "meeting"
    assert value("datepicker", "friday") == {"type": "datepicker", "selected_date": "2026-11-27"}
    assert value("datepicker", "2026-12-24")["selected_date"] == "2026-12-24"
    assert value("timepicker", "3pm") == {"type": "timepicker", "selected_time": "15:00"}
    assert value("timepicker", "9:05")["selected_time"] == "09:05"
    berlin_morning = datetime(2026, 11, 24, 9, 0, tzinfo=BERLIN)
    assert value("datetimepicker", "yesterday 9:00")["selected_date_time"] == int(berlin_morning.timestamp())
    assert value("datetimepicker", "now")["selected_date_time"] == int(now.timestamp())
    assert value("users_select", "@bob") == {"type": "users_select", "selected_user": "U0BOB"}
    assert value("multi_static_select", "call, email", options=options)["selected_options"] == [
        options[0],
        options[2],
    ]
    assert value("timepicker", "") == {"type": "timepicker", "selected_time": None}
    for element_type, typed in [("datepicker", "someday"), ("timepicker", "25:00"), ("users_select", "@zed")]:
        with pytest.raises(ValueProblem):
            value(element_type, typed)
    with pytest.raises(ValueProblem, match="needs a time"):
        value("datetimepicker", "yesterday")


def test_options_match_by_label_value_or_unique_prefix() -> None:
    options = [{"text": {"type": "plain_text", "text": t}, "value": t.lower()} for t in ("Sales", "Support", "Other")]
    assert match_option(options, "SALES")["value"] == "sales"
    assert match_option(options, "oth")["value"] == "other"
    with pytest.raises(ValueProblem, match="could be Sales | Support"):
        match_option(options, "s")
    with pytest.raises(ValueProblem, match="is not an option"):
        match_option(options, "finance")


def test_fields_are_found_by_number_block_id_or_label() -> None:
    def field(number: int, block_id: str, label: str) -> Field:
        return Field(number, block_id, "value", label, {"type": "plain_text_input"}, True)

    fields = [
        field(1, "customer", "Customer"),
        field(2, "follow_up_date", "Follow-up date"),
        field(3, "follow_up_text", "…or follow-up in words"),
    ]
    split = shell._split_field
    assert split(fields, "customer Acme Corp")[0] is fields[0]
    assert split(fields, "customer Acme Corp")[1] == "Acme Corp"
    assert split(fields, "follow up date 2026-12-01") == (fields[1], "2026-12-01")
    assert split(fields, "follow_up_text in 2 weeks") == (fields[2], "in 2 weeks")
    assert split(fields, "words = friday, 10am") == (fields[2], "friday, 10am")
    assert split(fields, "3 friday") == (fields[2], "friday")
    assert shell.find_field(fields, "follow")[1] == fields[1:]


def test_durations_and_what_slack_sends_for_typed_text() -> None:
    assert shell.parse_duration("3d") == timedelta(days=3)
    assert shell.parse_duration("1d 2h30m") == timedelta(days=1, hours=2, minutes=30)
    assert shell.parse_duration("2 hours") == timedelta(hours=2)
    for bad in ("", "soon", "0m", "5x"):
        with pytest.raises(ValueProblem):
            shell.parse_duration(bad)
    people = {"bob": "U0BOB"}
    assert shell.to_wire("a & b <x> @bob, @zed @here https://x.test/?a=1&b=2", people) == (
        "a &amp; b &lt;x&gt; <@U0BOB|bob>, @zed <!here> <https://x.test/?a=1&amp;b=2>"
    )
    assert shell.to_wire("mail bob@example.com", people) == "mail bob@example.com"


def test_output_is_the_same_on_every_run(run_shell: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    lines = ("/log Acme: call, follow up friday", "1", "3 support", "/log", ":set customer Acme", ":submit", "2")
    outputs = []
    for name in ("first.db", "second.db"):
        path = tmp_path / name  # a new embedded store each time: the shell creates and migrates it
        monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
        outputs.append(run_shell(*lines).replace(name, "touchpoint.db"))
    assert outputs[0] == outputs[1]
    assert "Thanks! Saved support as your department." in after(outputs[0], "3 support")
    assert "Form: Edit touchpoint" in after(outputs[0], "2")


def test_an_open_view_keeps_typed_input_across_updates_as_slack_does() -> None:
    text_input = {"type": "plain_text_input", "action_id": "value"}
    first = {
        "id": "V1",
        "blocks": [
            {
                "type": "input",
                "block_id": "summary",
                "label": {"type": "plain_text", "text": "S"},
                "element": text_input,
            },
            {"type": "input", "label": {"type": "plain_text", "text": "No id"}, "element": text_input},
        ],
    }
    modal = shell.OpenView(first, "U0ALICE")
    assert modal.view["blocks"][1]["block_id"] == "b1"
    assert modal.values == {
        "summary": {"value": {"type": "plain_text_input", "value": None}},
        "b1": {"value": {"type": "plain_text_input", "value": None}},
    }
    modal.values["summary"]["value"] = {"type": "plain_text_input", "value": "typed"}
    modal.reset({"id": "V1", "blocks": first["blocks"][:1]})
    assert modal.values == {"summary": {"value": {"type": "plain_text_input", "value": "typed"}}}
