"""What the Workflow Builder step *Log a touchpoint* hands to the workflow's next steps (its output parameters).

The person who ran the step is told what was saved by the `/log` reply itself (`bot.blocks.logged_reply`, sent as
a direct message); this is only what the workflow gets. A later step may put the customer's name in a message, so
it is escaped like any name the bot sends: a customer called `<!channel>` cannot ping a channel through a workflow.
"""

from __future__ import annotations

from typing import Any

from bot.capture.touchpoints import MAX_NAME_LENGTH, LogOutcome
from bot.text import escape, truncate

# Output parameters, by name, as manifest.yml declares them under functions.log_touchpoint.
TOUCHPOINT_ID, CUSTOMER_NAME, MESSAGE_LINK = "touchpoint_id", "customer_name", "message_link"


def step_outputs(outcome: LogOutcome, message_link: str | None) -> dict[str, Any]:
    """The touchpoint's id, its customer's name (as typed, for a customer not created yet) and the link to the
    confirmation sent to the person who ran the step, when Slack gave one."""
    tp = outcome.touchpoint
    name = tp.customer_name or tp.customer_text or ""
    outputs: dict[str, Any] = {TOUCHPOINT_ID: tp.id, CUSTOMER_NAME: escape(truncate(name, MAX_NAME_LENGTH))}
    if message_link:
        outputs[MESSAGE_LINK] = message_link
    return outputs
