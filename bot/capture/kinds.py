"""What kind of touchpoint a line describes, from the words people actually use."""

from __future__ import annotations

from rapidfuzz.distance import OSA

from bot.text import fold

# Checked in this order: "demo at the trade show booth" is an event, not a meeting.
KIND_WORDS: dict[str, tuple[str, ...]] = {
    "event": (
        "trade show",
        "tradeshow",
        "booth",
        "expo",
        "conference",
        "webinar",
        "fair",
        "summit",
        "meetup",
        "roadshow",
        "exhibition",
        "seminar",
        "event",
    ),
    "visit": (
        "visit",
        "visited",
        "visiting",
        "onsite",
        "on site",
        "on-site",
        "site visit",
        "went to",
        "stopped by",
        "dropped by",
        "plant tour",
        "factory tour",
    ),
    "meeting": (
        "meeting",
        "meet",
        "met",
        "demo",
        "demoed",
        "qbr",
        "lunch",
        "dinner",
        "breakfast",
        "coffee",
        "zoom",
        "teams call",
        "google meet",
        "workshop",
        "presentation",
        "presented",
        "kickoff",
        "kick-off",
        "review",
        "pitch",
        "pitched",
        "negotiation",
        "negotiated",
        "training",
    ),
    "call": (
        "call",
        "called",
        "calling",
        "phoned",
        "phone",
        "rang",
        "ring",
        "voicemail",
        "vm",
        "dialed",
        "spoke",
        "spoke with",
        "talked",
        "cold call",
        "callback",
        "call back",
    ),
    "email": ("email", "emailed", "e-mail", "e-mailed", "mail", "mailed", "wrote", "sent proposal", "newsletter"),
    "chat": (
        "chat",
        "chatted",
        "whatsapp",
        "texted",
        "text",
        "sms",
        "messaged",
        "dm",
        "dmed",
        "linkedin",
        "slack connect",
        "signal",
        "telegram",
        "wechat",
    ),
    "ticket": (
        "ticket",
        "support case",
        "case",
        "complaint",
        "complained",
        "outage",
        "incident",
        "bug",
        "issue",
        "escalation",
        "escalated",
        "rma",
        "defect",
        "broken",
        "down",
    ),
    "payment": (
        "invoice",
        "invoiced",
        "paid",
        "payment",
        "refund",
        "refunded",
        "credit note",
        "overdue",
        "dunning",
        "billing",
        "billed",
        "receipt",
        "wire",
        "remittance",
        "collections",
        "past due",
    ),
    "delivery": (
        "shipped",
        "delivered",
        "delivery",
        "shipment",
        "shipping",
        "dispatched",
        "tracking",
        "freight",
        "pallet",
        "courier",
        "backorder",
        "late delivery",
        "pickup",
        "in transit",
    ),
}
KINDS: tuple[str, ...] = (*KIND_WORDS, "note")
DEFAULT_KIND = "note"

_PHRASES: list[tuple[str, tuple[str, ...]]] = [
    (kind, tuple(fold(word) for word in words)) for kind, words in KIND_WORDS.items()
]
# One slip (a swapped, missing or wrong letter) is forgiven on longer words only: "emial" is email,
# but "cal" is not "call".
_FUZZY_MIN_LENGTH = 5
_MAX_TYPOS = 1


def detect_kind(text: str) -> str:
    words = fold(text).split()
    if not words:
        return DEFAULT_KIND
    padded = f" {' '.join(words)} "
    for kind, phrases in _PHRASES:
        if any(f" {phrase} " in padded for phrase in phrases):
            return kind
    for kind, phrases in _PHRASES:
        for word in words:
            if len(word) < _FUZZY_MIN_LENGTH:
                continue
            for phrase in phrases:
                if " " not in phrase and len(phrase) >= _FUZZY_MIN_LENGTH and OSA.distance(word, phrase) <= _MAX_TYPOS:
                    return kind
    return DEFAULT_KIND
