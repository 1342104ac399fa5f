"""Thin Slack listeners: each acknowledges, calls a domain function and renders a reply."""

from slack_bolt import App

from handlers import (
    actions,
    channels,
    commands,
    customers,
    errors,
    followups,
    home,
    installations,
    options,
    outsiders,
    reports,
    retries,
    shortcuts,
    steps,
    views,
    weekly_reports,
)


def register(app: App) -> None:
    for module in (
        retries,
        installations,
        commands,
        actions,
        views,
        followups,
        customers,
        channels,
        reports,
        weekly_reports,
        shortcuts,
        options,
        outsiders,
        home,
        steps,
        errors,
    ):
        module.register(app)
