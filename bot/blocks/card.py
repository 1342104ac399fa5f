"""The customer card, the chooser and not-found replies of `/customer`, the full-history modal, a shared card.

Every name, summary and contact detail here was typed by someone: it is escaped before it reaches mrkdwn.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.blocks import Block, Message, actions, button, context, link, mention, message, mrkdwn, when
from bot.blocks.channels import LINK_OPEN, conversation_facts, linked_channels_section
from bot.capture.touchpoints import customer_name_problem
from bot.customers.card import HISTORY_PAGE, KEPT_DAYS, Card, HistoryPage, Journey, relative
from bot.customers.search import MAX_QUERY_CHARS, Match, SearchResult
from bot.text import escape, plural, truncate
from storage.cards import TouchpointRow

# Buttons on the card; every value is the customer id. The search helper answers the first five,
# curation answers stage, owner, edit, contacts, merge and create.
CARD_LOG = "card_log"
CARD_SET_STAGE = "card_set_stage"
CARD_SET_OWNER = "card_set_owner"
CARD_HISTORY = "card_history"
CARD_SHARE = "card_share"
# *Share anyway*, under the warning that people of another organisation read the channel.
CARD_SHARE_CONFIRMED = "card_share_confirmed"
CARD_EDIT = "card_edit"
CARD_CONTACTS = "card_contacts"
CARD_MERGE = "card_merge"
CARD_CHOOSE = "card_choose"
CARD_OPEN = "card_open"
CARD_CREATE = "card_create"
# Next / Previous in the history modal; value "<customer id>:<page>".
CARD_HISTORY_PAGE = "card_history_page"
HISTORY_MODAL = "card_history_modal"

HEADER_LIMIT = 150
SUMMARY_ON_CARD = 200
SUMMARY_IN_HISTORY = 400
CONTACTS_SHOWN = 8  # 8 × (name 100 + three details of 80) stays inside one section's 3,000
TITLE_LIMIT = 24


def card_message(
    card: Card, tz: ZoneInfo, now: datetime, *, note: str | None = None, shared_by: str | None = None
) -> Message:
    """The card as an ephemeral reply; with `shared_by`, as posted for the channel to see (no Share button)."""
    blocks: list[Block] = []
    if note:
        blocks.append(context(note))
    blocks.append({"type": "header", "text": {"type": "plain_text", "text": truncate(card.name, HEADER_LIMIT)}})
    blocks.append(mrkdwn(_facts(card, tz, now)))
    journey = _journey(card, tz, now)
    if journey:
        blocks.append(mrkdwn(journey))
    blocks.append(mrkdwn(_recent(card)))
    blocks.append(mrkdwn(_follow_ups(card, tz, now)))
    blocks.append(mrkdwn(_latest(card, tz, now)))
    blocks.append(mrkdwn(_contacts(card)))
    blocks += linked_channels_section(card.customer_id, card.linked_channels)
    value = str(card.customer_id)
    main = [
        button("Log touchpoint", CARD_LOG, value, style="primary"),
        button("Set stage", CARD_SET_STAGE, value),
        button("Set owner", CARD_SET_OWNER, value),
        button("Full history", CARD_HISTORY, value),
    ]
    if shared_by is None:
        main.append(button("Share in channel", CARD_SHARE, value))
    blocks.append(actions(*main, block_id=f"card:{card.customer_id}"))
    blocks.append(
        actions(
            button("Edit names", CARD_EDIT, value),
            button("Contacts", CARD_CONTACTS, value),
            button("Merge", CARD_MERGE, value),
            button("Link a channel", LINK_OPEN, value),
            block_id=f"card_more:{card.customer_id}",
        )
    )
    if shared_by:
        blocks.append(context(f"Shared by {mention(shared_by)} with `/customer` · times in {escape(tz.key)}"))
    return message(f"Customer card: {escape(card.name)}", blocks)


def _facts(card: Card, tz: ZoneInfo, now: datetime) -> str:
    owner = mention(card.owner_user_id) if card.owner_user_id else "_nobody yet_"
    parts = [
        f"*Stage:* {escape(card.stage) if card.stage else '_not set_'}",
        f"*Owner:* {owner}",
        f"*Domain:* {escape(card.domain) if card.domain else '_none_'}",
    ]
    lines = ["   ".join(parts)]
    if card.last_touch:
        lines.append(f"*Last touch:* {relative(card.last_touch, now)} ({when(card.last_touch, tz)})")
    else:
        lines.append("*Last touch:* _never: no touchpoint logged yet_")
    if card.aliases:
        lines.append("*Also known as:* " + escape(truncate(", ".join(card.aliases), 500)))
    return "\n".join(lines)


# Where a first touchpoint was logged from, by its `source`; a source not named here is shown as it is.
SOURCES = {
    "command": "via `/log`",
    "modal": "via the `/log` form",
    "shortcut": "via a message shortcut",
    "import": "via an import",
    "workflow": "via a Workflow Builder step",
    "channel": "in a linked channel",
}
TAGS_ON_CARD = 300


def _journey(card: Card, tz: ZoneInfo, now: datetime) -> str | None:
    """How the customer came and moved, in up to three lines; a line with nothing to say is left out."""
    lines = [line for line in (_moves(card, tz, now), _first_touch(card.journey, tz, now), _kept(card.journey)) if line]
    return "\n".join(lines) or None


def _moves(card: Card, tz: ZoneInfo, now: datetime) -> str | None:
    """*Journey:* lead (12 Mar) → prospect (2 Apr) → active (20 May, by @carol), oldest first."""
    moves = card.journey.moves
    if not moves:
        return None
    steps = ["…"] if card.journey.earlier else ([_stage(moves[0].from_stage)] if moves[0].from_stage else [])
    for move in moves:
        # Who made the move is said for the latest only: the one to ask about where the customer stands.
        by = f", by {mention(move.changed_by)}" if move is moves[-1] and move.changed_by else ""
        steps.append(f"{_stage(move.to_stage)} ({_day(move.changed_at, tz, now)}{by})")
    if card.stage != moves[-1].to_stage:  # set some other way (an import) after the last recorded move
        steps.append(_stage(card.stage))
    return "*Journey:* " + " → ".join(steps)


def _stage(stage: str | None) -> str:
    return escape(truncate(stage, 40)) if stage else "_no stage_"


def _first_touch(journey: Journey, tz: ZoneInfo, now: datetime) -> str | None:
    """*First touch:* event #expo2026, 3 Mar, by @dana, via `/log`"""
    first = journey.first_touch
    if first is None:
        return None
    tags = escape(truncate(" ".join(f"#{tag}" for tag in first.tags), TAGS_ON_CARD))
    what = f"{escape(truncate(first.kind, 20))} {tags}" if tags else escape(truncate(first.kind, 20))
    source = SOURCES.get(first.source) or f"via {escape(truncate(first.source, 20))}"
    return f"*First touch:* {what}, {_day(first.occurred_at, tz, now)}, by {mention(first.author_user_id)}, {source}"


def _kept(journey: Journey) -> str | None:
    """*Follow-ups kept (90 days):* 4 fell due: 2 on time, 1 late, 1 still open and overdue"""
    kept = journey.kept
    if not kept.due:
        return None
    parts = [
        f"{kept.on_time} on time" if kept.on_time else "",
        f"{kept.late} late" if kept.late else "",
        f"{kept.open_overdue} still open and overdue" if kept.open_overdue else "",
    ]
    return f"*Follow-ups kept ({KEPT_DAYS} days):* {kept.due} fell due: " + ", ".join(part for part in parts if part)


def _day(moment: datetime, tz: ZoneInfo, now: datetime) -> str:
    """12 Mar in the viewer's zone; 12 Mar 2025 when it was not this year."""
    local = moment.astimezone(tz)
    year = f" {local.year}" if local.year != now.astimezone(tz).year else ""
    return f"{local.day} {local:%b}{year}"


def _recent(card: Card) -> str:
    if not card.recent_total:
        return "*Last 90 days:* no touchpoints."
    departments = ", ".join(f"{escape(name)} {count}" for name, count in card.by_department)
    kinds = ", ".join(f"{escape(name)} {count}" for name, count in card.by_kind)
    total = plural(card.recent_total, "touchpoint")
    return f"*Last 90 days:* {total}\n• by department: {departments}\n• by kind: {kinds}"


def _follow_ups(card: Card, tz: ZoneInfo, now: datetime) -> str:
    if not card.open_follow_ups:
        return "*Open follow-ups:* none."
    lines = ["*Open follow-ups:*"]
    for follow_up in card.open_follow_ups:
        overdue = " :warning: overdue" if follow_up.due_at < now else ""
        summary = escape(truncate(follow_up.summary, 120))
        lines.append(f"• {mention(follow_up.assignee_user_id)}, due {when(follow_up.due_at, tz)}{overdue}: {summary}")
    if card.more_follow_ups:
        lines.append("• _…and more: see `/followups` for all of them_")
    return "\n".join(lines)


def _latest(card: Card, tz: ZoneInfo, now: datetime) -> str:
    if not card.latest:
        return "*Latest touchpoints:* none yet. Log the first one with the button below."
    lines = ["*Latest touchpoints:*"]
    lines += [touchpoint_line(tp, tz, now, SUMMARY_ON_CARD) for tp in card.latest]
    return "\n".join(lines)


def touchpoint_line(tp: TouchpointRow, tz: ZoneInfo, now: datetime, summary_limit: int) -> str:
    """• *call* · Tue 24 Nov, 10:30 (yesterday) · @alice, sales — summary · message link

    A touchpoint another system sent says which (`via shop`) and links back to its record there; a conversation
    in a linked channel says how many messages and who took part.
    """
    department = f", {escape(truncate(tp.department, 40))}" if tp.department else ""
    moment = f"{when(tp.occurred_at, tz)} ({relative(tp.occurred_at, now)})"
    head = f"• *{escape(truncate(tp.kind, 20))}* · {moment} · {mention(tp.author_user_id)}{department}"
    if tp.source_system:
        head += f" · via {escape(truncate(tp.source_system, 40))}"
    summary = escape(truncate(" ".join(tp.summary.split()), summary_limit)) if tp.summary.strip() else "_no summary_"
    links = [found for found in (link(tp.permalink, "message"), link(tp.url, "record")) if found]
    if tp.messages is not None:  # a conversation in a linked channel
        links.insert(0, conversation_facts(tp.messages, tp.participants or {}))
    return f"{head}\n    {summary}{''.join(' · ' + found for found in links)}"


def _contacts(card: Card) -> str:
    if not card.contacts:
        return "*Contacts:* none yet."
    lines = ["*Contacts:*"]
    for contact in card.contacts[:CONTACTS_SHOWN]:
        details = [escape(truncate(part, 80)) for part in (contact.role, contact.email, contact.phone) if part]
        suffix = f" ({', '.join(details)})" if details else ""
        lines.append(f"• {escape(truncate(contact.name, 100))}{suffix}")
    if len(card.contacts) > CONTACTS_SHOWN:
        lines.append(f"• _…and {len(card.contacts) - CONTACTS_SHOWN} more_")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------
# Search answers other than one card
# ---------------------------------------------------------------------------------------------------------


def search_reply(result: SearchResult, card: Card | None, tz: ZoneInfo, now: datetime) -> Message:
    """What `/customer` answers: the card of the one match, a chooser, not-found, or a hint."""
    if card is not None:
        match = result.matches[0]
        notes = []
        if match.via and match.via[0] != "domain":  # the card shows the domain anyway
            notes.append(f"Found by its {match.via[0]} “{escape(match.via[1])}”.")
        if result.truncated:
            notes.append(f"That was long: I searched for the first {MAX_QUERY_CHARS} characters only.")
        return card_message(card, tz, now, note=" ".join(notes) or None)
    if result.outcome in ("several", "recent"):
        return chooser_message(result)
    if result.outcome == "unsearchable":
        return unsearchable_message(result)
    if result.outcome == "help":
        return help_message()
    return not_found_message(result)


def help_message() -> Message:
    text = (
        "*Look up a customer:* `/customer &lt;name, alias, domain, contact or e-mail&gt;`\n"
        "• `/customer acme` · `/customer acme.com` · `/customer dana@acme.com` · `/customer wayne ent`\n"
        "Typos, accents and parts of names are fine. One clear match shows the customer's card; "
        "several show a chooser. `/customer` alone lists the customers you touched most recently.\n"
        "*Link a shared channel:* `/customer acme link #acme-shared` logs its conversations with Acme's people "
        "as touchpoints; `/customer acme unlink #acme-shared` stops it."
    )
    return message("How to use /customer", [mrkdwn(text)])


def _truncation_note(result: SearchResult) -> list[Block]:
    if not result.truncated:
        return []
    return [context(f"That was long: I searched for the first {MAX_QUERY_CHARS} characters only.")]


def _match_label(match: Match) -> str:
    if match.via:
        kind, value = match.via
        return truncate(f"{match.name} ({kind} {value})", 75)
    return match.name


def chooser_message(result: SearchResult) -> Message:
    """Several plausible customers, or (with nothing typed) the ones the viewer touched lately."""
    if result.outcome == "recent":
        if not result.matches:
            text = (
                "You haven't logged a touchpoint with any customer yet. "
                "Search with `/customer &lt;name, domain, contact or e-mail&gt;`, e.g. `/customer acme`."
            )
            return message(text, [mrkdwn(text)])
        heading = "*Customers you touched most recently:* pick one, or search with `/customer &lt;name&gt;`."
    elif len(result.matches) == 1:
        heading = f"No customer is called “{escape(truncate(result.typed, 200))}”. Did you mean this one?"
    else:
        heading = f"Several customers match “{escape(truncate(result.typed, 200))}”. Which one?"
        if result.more:
            verb = "matches" if result.more == 1 else "match"
            heading += f" ({result.more} more {verb}: type more of the name to narrow it down.)"
    lines = [f"• *{escape(m.name)}*" + (f" ({m.via[0]} {escape(m.via[1])})" if m.via else "") for m in result.matches]
    blocks = [*_truncation_note(result), mrkdwn(heading + "\n" + "\n".join(lines))]
    elements = [button(_match_label(m), CARD_CHOOSE, str(m.customer_id)) for m in result.matches]
    if result.outcome == "several" and len(result.matches) == 1 and customer_name_problem(result.typed) is None:
        elements.append(button(f"Create “{truncate(result.typed, 60)}”", CARD_CREATE, result.typed))
    blocks.append(actions(*elements, block_id="choose"))
    return message(heading.replace("*", ""), blocks)  # heading is escaped already


def not_found_message(result: SearchResult) -> Message:
    typed = truncate(result.typed, 60)
    text = f":mag: No customer matches “{escape(typed)}”."
    if result.matches:
        text += " Closest names:\n" + "\n".join(f"• {escape(m.name)}" for m in result.matches)
    blocks = [*_truncation_note(result), mrkdwn(text)]
    elements = [button(_match_label(m), CARD_CHOOSE, str(m.customer_id)) for m in result.matches]
    if customer_name_problem(result.typed) is None:  # a query that can't be a name is not offered as one
        elements.append(button(f"Create “{typed}”", CARD_CREATE, result.typed, style="primary"))
    if elements:
        blocks.append(actions(*elements, block_id="not_found"))
    return message(f"No customer matches “{escape(typed)}”.", blocks)


def unsearchable_message(result: SearchResult) -> Message:
    text = (
        f"I can't search for “{escape(truncate(result.typed, 60))}”: it has no letters or digits. "
        "Try a name, a domain, a contact or an e-mail, e.g. `/customer acme`, `/customer acme.com`, "
        "`/customer dana@acme.com`."
    )
    return message(text, [*_truncation_note(result), mrkdwn(text)])


# ---------------------------------------------------------------------------------------------------------
# Old buttons and problems
# ---------------------------------------------------------------------------------------------------------


def merged_note(old_name: str, survivor_name: str) -> str:
    old, survivor = escape(truncate(old_name, 200)), escape(truncate(survivor_name, 200))
    return f":twisted_rightwards_arrows: *{old}* was merged into *{survivor}*; here it is."


def gone_message(old_name: str | None) -> Message:
    if old_name is None:
        text = "That customer is not in this workspace's store."
    else:
        text = (
            f":wastebasket: *{escape(old_name)}* was deleted, so there is no card to show. "
            "Deletes can be undone: ask whoever removed it, or search with `/customer`."
        )
    return message(text.replace("*", ""), [mrkdwn(text)])


def share_failed_message() -> Message:
    text = (
        ":warning: I couldn't post in this channel: invite me first (`/invite @Touchpoint`), "
        "then press *Share in channel* again."
    )
    return message(text.replace("*", ""), [mrkdwn(text)])


def shared_confirmation(card: Card) -> Message:
    text = f":white_check_mark: Shared the card of *{escape(card.name)}* in this channel."
    return message(text.replace("*", ""), [mrkdwn(text)])


# ---------------------------------------------------------------------------------------------------------
# Full history
# ---------------------------------------------------------------------------------------------------------


def history_view(page: HistoryPage, tz: ZoneInfo, now: datetime) -> dict[str, Any]:
    """Every touchpoint, a page at a time, latest first; Next / Previous update the same modal."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": truncate(page.name, HEADER_LIMIT)}},
    ]
    if page.touchpoints:
        first = page.page * HISTORY_PAGE + 1
        last = first + len(page.touchpoints) - 1
        blocks.append(context(f"Touchpoints {first}–{last}, latest first"))
        blocks += [mrkdwn(touchpoint_line(tp, tz, now, SUMMARY_IN_HISTORY)) for tp in page.touchpoints]
    else:
        blocks.append(mrkdwn("No touchpoints " + ("on this page." if page.page else "logged yet.")))
    paging = []
    if page.page > 0:
        paging.append(button("← Previous", CARD_HISTORY_PAGE, f"{page.customer_id}:{page.page - 1}"))
    if page.has_next:
        paging.append(button("Next →", CARD_HISTORY_PAGE, f"{page.customer_id}:{page.page + 1}"))
    if paging:
        blocks.append(actions(*paging, block_id="history_paging"))
    return {
        "type": "modal",
        "callback_id": HISTORY_MODAL,
        "private_metadata": json.dumps({"customer": page.customer_id, "page": page.page}),
        "title": {"type": "plain_text", "text": truncate(f"History: {page.name}", TITLE_LIMIT)},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": blocks,
    }


def history_gone_view() -> dict[str, Any]:
    text = "This customer is no longer in the store (merged or deleted): look it up again with `/customer`."
    return {
        "type": "modal",
        "callback_id": HISTORY_MODAL,
        "title": {"type": "plain_text", "text": "History"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [mrkdwn(text)],
    }
