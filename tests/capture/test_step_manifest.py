"""manifest.yml declares the Workflow Builder step as Slack needs it and as the code reads it: the same callback
id, input and output names, the kinds bot/capture/kinds.py knows, and the settings custom steps require."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.blocks import steps as step_outputs
from bot.capture import steps
from bot.capture.kinds import KINDS

MANIFEST: dict[str, Any] = yaml.safe_load((Path(__file__).resolve().parents[2] / "manifest.yml").read_text("utf-8"))
STEP = MANIFEST["functions"][steps.STEP_ID]


def test_the_manifest_is_yaml_slack_can_read():
    # A ": " or " #" inside an unquoted value breaks the whole file (or cuts the value short) when it is pasted.
    assert MANIFEST["display_information"]["name"] == "Touchpoint"
    commands = {c["command"]: c for c in MANIFEST["features"]["slash_commands"]}
    assert commands["/customer"]["description"] == "A customer's card: stage, owner, follow-ups, latest touchpoints"
    assert STEP["input_parameters"]["properties"]["summary"]["description"].endswith("#words in it become tags")


def test_custom_steps_are_enabled_as_slack_requires():
    settings = MANIFEST["settings"]
    assert settings["org_deploy_enabled"] is True  # only an org-ready app may declare steps
    assert settings["function_runtime"] == "remote"  # the step runs in `touchpoint serve`, not on Slack's servers
    assert "function_executed" in settings["event_subscriptions"]["bot_events"]
    assert settings["event_subscriptions"]["request_url"].endswith("/slack/events")


def test_the_steps_inputs_are_the_ones_the_code_reads():
    inputs = STEP["input_parameters"]
    names = (steps.CUSTOMER, steps.KIND, steps.SUMMARY, steps.FOLLOW_UP, steps.ASSIGNEE, steps.LOGGED_BY)

    assert STEP["title"] == "Log a touchpoint"
    assert set(inputs["properties"]) == set(names)
    assert set(inputs["required"]) == {steps.CUSTOMER, steps.SUMMARY, steps.LOGGED_BY}
    assert inputs["properties"][steps.ASSIGNEE]["type"] == inputs["properties"][steps.LOGGED_BY]["type"]
    assert inputs["properties"][steps.LOGGED_BY]["type"] == "slack#/types/user_id"
    for name in (steps.CUSTOMER, steps.KIND, steps.SUMMARY, steps.FOLLOW_UP):
        assert inputs["properties"][name]["type"] == "string"
        assert inputs["properties"][name]["title"] and inputs["properties"][name]["description"]


def test_the_kind_is_a_dropdown_of_the_kinds_touchpoint_knows():
    kind = STEP["input_parameters"]["properties"][steps.KIND]

    assert tuple(kind["enum"]) == KINDS
    assert [choice["value"] for choice in kind["choices"]] == list(KINDS)
    assert all(choice["title"] == choice["value"].capitalize() for choice in kind["choices"])


def test_the_steps_outputs_are_the_ones_it_completes_with():
    outputs = STEP["output_parameters"]

    assert set(outputs["properties"]) == {
        step_outputs.TOUCHPOINT_ID,
        step_outputs.CUSTOMER_NAME,
        step_outputs.MESSAGE_LINK,
    }
    assert outputs["properties"][step_outputs.TOUCHPOINT_ID]["type"] == "integer"
    assert set(outputs["required"]) == {step_outputs.TOUCHPOINT_ID, step_outputs.CUSTOMER_NAME}
