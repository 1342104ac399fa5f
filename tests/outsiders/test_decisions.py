"""bot.outsiders: who is acting in each payload shape, who is outside, and which channels reach outside."""

from __future__ import annotations

import pytest

from bot.blocks.outsiders import share_warning
from bot.outsiders import Actor, Installation, actor_of, is_outsider, profile_is_member, reaches_outside

OURS = Installation("T0ACME")
GRID_WORKSPACE = Installation("T0ACME", "E0ACME")
ORG_WIDE = Installation(None, "E0ACME", is_enterprise_install=True)


@pytest.mark.parametrize(
    ("body", "actor"),
    [
        ({"command": "/log", "user_id": "U1", "team_id": "T0ACME", "enterprise_id": ""}, Actor("U1", "T0ACME", None)),
        ({"command": "/log", "user_id": "U1", "team_id": "T1", "enterprise_id": "E1"}, Actor("U1", "T1", "E1")),
        (
            {"type": "block_actions", "team": {"id": "T0ACME"}, "user": {"id": "U2", "team_id": "T0CUST"}},
            Actor("U2", "T0CUST", None),
        ),
        ({"type": "view_submission", "user": {"id": "U3", "team_id": "T0ACME"}}, Actor("U3", "T0ACME", None)),
        ({"type": "shortcut", "user": {"id": "U4", "team_id": "E0GRID"}}, Actor("U4", None, "E0GRID")),
        ({"event": {"type": "app_home_opened", "user": "U5"}}, Actor("U5", None, None)),
        ({"event": {"type": "message", "user": "U6", "user_team": "T0CUST"}}, Actor("U6", "T0CUST", None)),
        ({"event": {"type": "message", "user": "U7", "source_team": "T0CUST"}}, Actor("U7", "T0CUST", None)),
        ({"event": {"type": "app_mention", "user": "U8", "user_team": "E0GRID"}}, Actor("U8", None, "E0GRID")),
        ({"event": {"type": "function_executed", "inputs": {}}}, Actor(None)),
    ],
)
def test_the_actor_is_read_from_every_payload_shape(body, actor):
    assert actor_of(body) == actor


def test_a_workspace_install_admits_its_own_team_alone():
    assert not is_outsider(Actor("U1", "T0ACME"), OURS)
    assert is_outsider(Actor("U1", "T0CUST"), OURS)
    assert is_outsider(Actor("U1", "T0SIBLING", "E0ACME"), GRID_WORKSPACE)
    assert is_outsider(Actor("U1", None, "E0OTHER"), GRID_WORKSPACE)
    assert not is_outsider(Actor("U1"), OURS)  # nothing said: the profile decides


def test_an_org_wide_install_admits_any_team_of_its_enterprise():
    assert not is_outsider(Actor("U1", "T0SIBLING", "E0ACME"), ORG_WIDE)
    assert not is_outsider(Actor("U1", "T0SIBLING"), ORG_WIDE)  # the team alone does not say: the profile decides
    assert is_outsider(Actor("U1", "T0CUST", "E0CUST"), ORG_WIDE)


def test_a_profile_is_a_members_by_team_grid_teams_or_enterprise_and_never_a_strangers():
    assert profile_is_member({"id": "U1", "team_id": "T0ACME"}, OURS)
    assert not profile_is_member({"id": "U1", "team_id": "T0CUST"}, OURS)
    assert not profile_is_member({"id": "U1", "team_id": "T0ACME", "is_stranger": True}, OURS)
    grid = {"id": "U1", "team_id": "T0SIBLING", "enterprise_user": {"enterprise_id": "E0ACME", "teams": ["T0ACME"]}}
    assert profile_is_member(grid, OURS)
    assert profile_is_member(grid, ORG_WIDE)
    outside = {"id": "U1", "team_id": "T0CUST", "enterprise_user": {"enterprise_id": "E0CUST", "teams": ["T0CUST"]}}
    assert not profile_is_member(outside, ORG_WIDE)
    assert not profile_is_member({"id": "U1", "team_id": "T0SIBLING"}, ORG_WIDE)


@pytest.mark.parametrize(
    ("channel", "outside"),
    [
        ({"id": "C1", "is_shared": False, "is_ext_shared": False, "is_org_shared": False}, False),
        ({"id": "C1", "is_shared": True, "is_ext_shared": True}, True),
        ({"id": "C1", "is_shared": True, "is_ext_shared": False, "is_org_shared": True}, False),
        ({"id": "C1", "is_shared": True, "is_ext_shared": True, "is_org_shared": True}, True),
        ({"id": "C1", "is_shared": True}, True),  # shared, and Slack does not say with whom: assume outside
        ({"id": "C1", "is_pending_ext_shared": True}, True),
        ({"id": "D1", "is_im": True}, False),
    ],
)
def test_a_channel_reaches_outside_when_another_organisation_reads_it(channel, outside):
    assert reaches_outside(channel) is outside


def test_the_warning_names_the_channel_only_by_its_id_and_escapes_the_company():
    warning = share_warning("C0SHARED", "Acme <& Co>", "card_share_confirmed", "7", known=True)
    assert "People outside Acme &lt;&amp; Co&gt; can see <#C0SHARED>. Share anyway?" in warning["text"]
    odd = share_warning("C0X>|<!here>", None, "card_share_confirmed", "7", known=True)
    assert "<!here>" not in odd["text"] and "People outside this company can see this channel" in odd["text"]
