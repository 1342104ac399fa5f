"""Nudges go only to members: a follow-up set for someone of another organisation is never DMed to them; it goes
where a departed member's would (the customer's owner, the admin channel, or it waits), saying why."""

from __future__ import annotations

from tests.conftest import TEAM
from tests.followups.test_dispatch import add_follow_up, audit, follow_up, ids_in, make_dispatcher, posts
from tests.helpers import texts

EXTERNAL = "U0EXT"


def test_a_follow_up_for_an_outsider_goes_to_the_customers_owner_not_to_them(runtime, standin, clock):
    standin.add_user(EXTERNAL, team_id="T0CUSTOMER")
    fu_id = add_follow_up(runtime, EXTERNAL, clock(), owner="U0CAROL")

    report = make_dispatcher(runtime, standin).run_pass(clock())

    [dm] = posts(standin, ok=None)
    assert dm.params["channel"] == "U0CAROL"
    # Someone of the customer's company never was in the workspace: they did not leave it.
    assert f"Taken over from <@{EXTERNAL}>, who is not a member of this workspace." in texts(dm.params)
    assert "left" not in texts(dm.params)
    assert report.reassigned == 1
    assert follow_up(runtime, fu_id).assignee_user_id == "U0CAROL"
    [event] = audit(runtime, "reassigned")
    assert event.details == {"from_": EXTERNAL, "to": "U0CAROL", "reason": "is not a member of the workspace"}


def test_a_stranger_without_an_owner_is_named_in_the_admin_channel(runtime, standin, clock):
    standin.add_user(EXTERNAL, is_stranger=True)
    fu_id = add_follow_up(runtime, EXTERNAL, clock())

    make_dispatcher(runtime, standin, admin_channel="C0ADMIN").run_pass(clock())

    [post] = posts(standin, ok=None)
    assert post.params["channel"] == "C0ADMIN" and ids_in(post) == [fu_id]
    assert f"<@{EXTERNAL}> is not a member of this workspace and nobody owns this customer" in texts(post.params)


def test_with_nowhere_to_go_it_waits_saying_why(runtime, standin, clock):
    standin.add_user(EXTERNAL, team_id="T0CUSTOMER")
    fu_id = add_follow_up(runtime, EXTERNAL, clock())

    report = make_dispatcher(runtime, standin).run_pass(clock())

    assert posts(standin, ok=None) == [] and report.parked == 1
    row = follow_up(runtime, fu_id)
    assert row.nudged_at is None and "is not a member of the workspace" in row.last_error


def test_a_member_who_never_used_the_bot_is_asked_about_once_and_nudged(runtime, standin, clock):
    dispatcher = make_dispatcher(runtime, standin)
    first = add_follow_up(runtime, "U0BOB", clock(), customer="Acme Corp")

    dispatcher.run_pass(clock())
    second = add_follow_up(runtime, "U0BOB", clock(), customer="Globex")
    dispatcher.run_pass(clock())

    assert [ids_in(c) for c in posts(standin)] == [[first], [second]]
    assert all(c.params["channel"] == "U0BOB" for c in posts(standin))
    [asked] = standin.calls_to("users.info")  # once: the answer is kept
    assert asked.params["user"] == "U0BOB"


def test_a_grid_colleague_of_another_workspace_of_the_org_is_a_member(runtime, standin, clock):
    standin.add_user("U0GRID", team_id="T0SIBLING", enterprise_id="E0ACME", also_in=(TEAM,))
    fu_id = add_follow_up(runtime, "U0GRID", clock())

    make_dispatcher(runtime, standin).run_pass(clock())

    [dm] = posts(standin)
    assert dm.params["channel"] == "U0GRID" and ids_in(dm) == [fu_id]
