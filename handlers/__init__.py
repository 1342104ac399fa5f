"""Thin Slack listeners: each acknowledges, calls a domain function and renders a reply."""

from slack_bolt import App

from handlers import (
    actions,
    commands,
    customers,
    errors,
    followups,
    home,
    installations,
    options,
    reports,
    retries,
    shortcuts,
    steps,
    views,
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
        reports,
        shortcuts,
        options,
        home,
        steps,
        errors,
    ):
        module.register(app)
