"""Block Kit for keeping the store clean: look-alike questions, the card's edit modals, merge and its undo."""

from __future__ import annotations

import json
from typing import Any

from bot.blocks import PICK_CUSTOMER, Block, Message, actions, button, context, mention, message, mrkdwn
from bot.blocks.card import (
    CARD_OPEN,
)
from bot.capture.touchpoints import Entry, TouchpointView, customer_name_problem
from bot.customers.curation import (
    LOOK_ALIKE_BLOCK,
    NEW_ANYWAY,
    Change,
    CustomerNames,
    LookAlike,
    MergeOutcome,
    look_alike_block,
)
from bot.customers.lookup import CustomerFate
from bot.text import escape, plural, truncate
from storage.models import Contact

# The card's buttons this module answers are named in bot/blocks/card.py, beside the card that renders them.
# Buttons and selects of this module's own messages and modals.
CREATE_FOR_LOG_ANYWAY = "tp_create_customer_anyway"
CARD_CREATE_ANYWAY = "card_create_anyway"
MERGE_UNDO = "merge_undo"
MERGE_CUSTOMER_SELECT = "merge_customer_select"
# Modals.
STAGE_MODAL = "curation_stage"
OWNER_MODAL = "curation_owner"
NAMES_MODAL = "curation_names"
CONTACTS_MODAL = "curation_contacts"
MERGE_MODAL = "curation_merge"

OPTION_LIMIT = 75
INPUT_LIMIT = 3000
MAX_CONTACTS_SHOWN = 12
CONTACT_FIELDS = (("name", "Name", 200), ("email", "E-mail", 254), ("phone", "Phone", 64), ("role", "Role", 120))


def _option(label: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": truncate(label, OPTION_LIMIT), "emoji": True}, "value": value[:150]}


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False, hint: str = "") -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": truncate(label, 2000)},
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = {"type": "plain_text", "text": truncate(hint, 2000)}
    return block


def _text_input(initial: str = "", *, multiline: bool = False, max_length: int = 3000) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "multiline": multiline}
    if initial:
        element["initial_value"] = initial[:max_length]
    return element


def _modal(callback_id: str, title: str, metadata: dict[str, Any], blocks: list[Block]) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": json.dumps(metadata)[:3000],
        "title": {"type": "plain_text", "text": title[:24]},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks[:100],
    }


def _names(alikes: list[LookAlike]) -> str:
    names = [f"*{escape(a.name)}*" + _why(a) for a in alikes]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _why(alike: LookAlike) -> str:
    if alike.kind == "domain":
        return f" (domain {escape(alike.matched)})"
    if alike.kind == "alias":
        return f" (also known as {escape(alike.matched)})"
    return ""


def _question(typed: str, alikes: list[LookAlike]) -> str:
    which = "use it?" if len(alikes) == 1 else "use one of them?"
    return f":thinking_face: *{escape(truncate(typed, 200))}* looks like {_names(alikes)}: {which}"


# --- near-duplicates ---------------------------------------------------------------------------------------------


def look_alike_for_log(tp: TouchpointView, typed: str, alikes: list[LookAlike]) -> Message:
    """Asked before creating a customer from a /log reply; the touchpoint stays saved and waits for the answer."""
    choices = [button(f"Use {a.name}", PICK_CUSTOMER, f"{tp.id}:{a.customer_id}", style="primary") for a in alikes]
    if customer_name_problem(typed) is None:
        choices.append(button(f"Create “{typed}” anyway", CREATE_FOR_LOG_ANYWAY, str(tp.id)))
    blocks = [mrkdwn(_question(typed, alikes))]
    saved = f"Your *{escape(tp.kind)}* is saved and waits for the answer"
    blocks.append(context(f"{saved}: {escape(truncate(tp.summary, 2800))}" if tp.summary else saved + "."))
    blocks.append(actions(*choices, block_id=f"customer:{tp.id}"))
    return message(f"{escape(truncate(typed, 200))} looks like {escape(alikes[0].name)}: use it?", blocks)


def look_alike_for_card(typed: str, alikes: list[LookAlike]) -> Message:
    choices = [button(f"Open {a.name}", CARD_OPEN, str(a.customer_id), style="primary") for a in alikes]
    if customer_name_problem(typed) is None:  # a name the create path would refuse is not offered
        choices.append(button(f"Create “{typed}” anyway", CARD_CREATE_ANYWAY, typed))
    blocks = [mrkdwn(_question(typed, alikes)), actions(*choices)]
    return message(f"{escape(truncate(typed, 200))} looks like {escape(alikes[0].name)}: use it?", blocks)


def log_modal_with_look_alikes(view: dict[str, Any], entry: Entry, alikes: list[LookAlike]) -> dict[str, Any]:
    """The submitted log form again, everything typed kept, with the look-alike question under the customer."""
    typed = entry.new_customer_name or ""
    options = [_option(f"Use {a.name}", str(a.customer_id)) for a in alikes]
    options.append(_option(f"Create “{typed}” anyway", NEW_ANYWAY + typed[:140]))
    names = [a.name for a in alikes]
    which = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    question = _input(
        look_alike_block(typed),
        f"“{typed}” looks like {which}: " + ("use it?" if len(names) == 1 else "use one of them?"),
        {"type": "radio_buttons", "action_id": "value", "options": options},
        optional=True,  # picking an existing customer in the field above answers it too
    )
    blocks = []
    for block in view.get("blocks", []):
        if str(block.get("block_id", "")).startswith(LOOK_ALIKE_BLOCK):
            continue
        blocks.append(block)
        if block.get("block_id") == "customer":
            blocks.append(question)
    kept = ("type", "callback_id", "private_metadata", "title", "submit", "close")
    return {**{key: view[key] for key in kept if key in view}, "blocks": blocks}


def created_reply(customer_id: int, name: str) -> Message:
    text = f":white_check_mark: Created *{escape(name)}*."
    return message(
        f"Created {escape(name)}.", [mrkdwn(text), actions(button(f"Open {name}", CARD_OPEN, str(customer_id)))]
    )


# --- what happened to a customer, refusals, confirmations ------------------------------------------------------------


def gone_reply(fate: CustomerFate | None) -> Message:
    """For a button on an old card: what became of its customer, and the way to the survivor."""
    if fate is None:
        text = "That customer is no longer in this workspace's store."
        return message(text, [mrkdwn(text)])
    if fate.merged and fate.current is not None:
        survivor = fate.current
        text = f":twisted_rightwards_arrows: *{escape(fate.asked_name)}* was merged into *{escape(survivor.name)}*."
        blocks = [mrkdwn(text), actions(button(f"Open {survivor.name}", CARD_OPEN, str(survivor.id), style="primary"))]
        return message(f"{escape(fate.asked_name)} was merged into {escape(survivor.name)}.", blocks)
    text = f"*{escape(fate.asked_name)}* was deleted from this workspace's store."
    return message(text.replace("*", ""), [mrkdwn(text)])


def refused_reply(reason: str) -> Message:
    return message(escape(reason), [mrkdwn(f":no_entry: {escape(reason)}")])


def change_note(change: Change) -> str:
    name = escape(change.customer_name)
    said = [escape(c) for c in change.changes]
    if change.new_owner:
        said.append(f"owner {mention(change.new_owner)}")
    return f":white_check_mark: *{name}*: " + "; ".join(said) + "." if said else f"Nothing changed for *{name}*."


def change_reply(change: Change) -> Message:
    text = change_note(change)
    return message(text.replace("*", ""), [mrkdwn(text)])


# --- the card's modals -------------------------------------------------------------------------------------------


def stage_modal(
    name: str, stages: list[str], current: str | None, metadata: dict[str, Any], *, can_edit_stages: bool
) -> dict[str, Any]:
    select: dict[str, Any] = {"type": "static_select", "action_id": "value", "options": [_option(s, s) for s in stages]}
    if current in stages:
        select["initial_option"] = _option(current, current)
    blocks = [
        mrkdwn(f"Journey stage of *{escape(name)}*" + (f" (now _{escape(current)}_)" if current else "")),
        _input("stage", "Stage", select),
    ]
    if can_edit_stages:
        blocks.append(
            _input(
                "stages",
                "Edit this workspace's stages (admins)",
                _text_input(", ".join(stages), multiline=True),
                optional=True,
                hint="In order, separated by commas or lines. Customers keep their stage if you drop it from the list.",
            )
        )
    return _modal(STAGE_MODAL, "Set stage", metadata, blocks)


def owner_modal(name: str, owner: str | None, metadata: dict[str, Any]) -> dict[str, Any]:
    select: dict[str, Any] = {"type": "users_select", "action_id": "value"}
    if owner:
        select["initial_user"] = owner
    blocks = [mrkdwn(f"Who owns *{escape(name)}*?"), _input("owner", "Owner", select)]
    return _modal(OWNER_MODAL, "Set owner", metadata, blocks)


def names_modal(names: CustomerNames, metadata: dict[str, Any]) -> dict[str, Any]:
    aliases, aliases_shown = _whole_lines(names.aliases)
    domains, domains_shown = _whole_lines(names.domains)
    blocks = [
        _input(
            "name", "Name", _text_input(names.name, max_length=200), hint="A new name keeps the old one as an alias."
        ),
        _input(
            "aliases",
            "Aliases",
            _text_input(aliases, multiline=True),
            optional=True,
            hint="Other names people use for this customer, one per line." + _not_shown(names.aliases, aliases_shown),
        ),
        _input(
            "domains",
            "Domains",
            _text_input(domains, multiline=True),
            optional=True,
            hint="One per line, like acme.com; the first one is shown on the card."
            + _not_shown(names.domains, domains_shown),
        ),
    ]
    shown = {"aliases_shown": aliases_shown, "domains_shown": domains_shown}
    return _modal(NAMES_MODAL, "Edit customer", {**metadata, **shown}, blocks)


def _whole_lines(values: list[str], limit: int = INPUT_LIMIT) -> tuple[str, int]:
    """As many whole values, one a line, as a text field holds; and how many that is."""
    shown: list[str] = []
    for value in values:
        if len("\n".join([*shown, value])) > limit:
            break
        shown.append(value)
    return "\n".join(shown), len(shown)


def _not_shown(values: list[str], shown: int) -> str:
    hidden = len(values) - shown
    verb = "is" if hidden == 1 else "are"
    return f" {hidden} more {verb} not shown here and kept as they are." if hidden else ""


def contacts_modal(name: str, contacts: list[Contact], metadata: dict[str, Any]) -> dict[str, Any]:
    blocks: list[Block] = [mrkdwn(f"Contacts of *{escape(name)}*")]
    shown = contacts[:MAX_CONTACTS_SHOWN]
    for contact in shown:
        blocks.append({"type": "divider"})
        for field, label, limit in CONTACT_FIELDS:
            value = getattr(contact, field) or ""
            blocks.append(
                _input(f"contact:{contact.id}:{field}", label, _text_input(value, max_length=limit), optional=True)
            )
        blocks.append(
            _input(
                f"contact:{contact.id}:remove",
                f"Remove {contact.name}?",
                {"type": "checkboxes", "action_id": "value", "options": [_option("Remove this contact", "remove")]},
                optional=True,
            )
        )
    if len(contacts) > len(shown):
        hidden = len(contacts) - len(shown)
        blocks.append(context(f"{plural(hidden, 'more contact')} {'is' if hidden == 1 else 'are'} not shown here."))
    blocks.append({"type": "divider"})
    blocks.append(mrkdwn("*Add a contact*"))
    for field, label, _ in CONTACT_FIELDS:
        blocks.append(_input(f"contact:new:{field}", label, _text_input(), optional=True))
    return _modal(CONTACTS_MODAL, "Contacts", {**metadata, "shown": [c.id for c in shown]}, blocks)


def merge_modal(name: str, metadata: dict[str, Any]) -> dict[str, Any]:
    other = {
        "type": "external_select",
        "action_id": MERGE_CUSTOMER_SELECT,
        "min_query_length": 0,
        "placeholder": {"type": "plain_text", "text": "Type a customer name"},
    }
    keep_this = _option(f"Keep {name}, merge the other one into it", "this")
    survivor = {
        "type": "radio_buttons",
        "action_id": "value",
        "options": [keep_this, _option(f"Keep the other one, merge {name} into it", "other")],
        "initial_option": keep_this,
    }
    blocks = [
        mrkdwn(f"Merge *{escape(name)}* with another customer: one record for one customer."),
        _input("other", "The other customer", other),
        _input("survivor", "Which one stays", survivor),
        context(
            "Touchpoints, follow-ups, contacts and aliases move to the one that stays; the other's name becomes "
            "an alias. You can undo it afterwards."
        ),
    ]
    return {
        **_modal(MERGE_MODAL, "Merge customers", metadata, blocks),
        "submit": {"type": "plain_text", "text": "Merge"},
    }


def merge_options(choices: list[tuple[int, str]], exclude: int | None) -> list[dict[str, Any]]:
    return [_option(name, str(cid)) for cid, name in choices[:100] if cid != exclude]


def _moved(counts: dict[str, int]) -> str:
    labels = {"touchpoints": "touchpoint", "follow_ups": "follow-up", "contacts": "contact"}
    parts = [plural(n, labels[k]) for k, n in counts.items() if n]
    return ", ".join(parts) if parts else "nothing else"


def merged_reply(outcome: MergeOutcome) -> Message:
    absorbed, survivor = escape(outcome.absorbed_name), escape(outcome.survivor_name)
    text = (
        f":twisted_rightwards_arrows: Merged *{absorbed}* into *{survivor}*: {_moved(outcome.moved)} moved, "
        f"and “{absorbed}” is now an alias of {survivor}."
    )
    buttons = actions(
        button("Undo merge", MERGE_UNDO, str(outcome.event_id)),
        button(f"Open {outcome.survivor_name}", CARD_OPEN, str(outcome.survivor_id)),
    )
    return message(f"Merged {absorbed} into {survivor}.", [mrkdwn(text), buttons])


def unmerged_reply(outcome: MergeOutcome) -> Message:
    absorbed, survivor = escape(outcome.absorbed_name), escape(outcome.survivor_name)
    text = (
        f":leftwards_arrow_with_hook: Undone: *{absorbed}* is its own customer again; "
        f"{_moved(outcome.moved)} went back from {survivor}."
    )
    buttons = actions(button(f"Open {outcome.absorbed_name}", CARD_OPEN, str(outcome.absorbed_id)))
    return message(f"Undone: {absorbed} is its own customer again.", [mrkdwn(text), buttons])
