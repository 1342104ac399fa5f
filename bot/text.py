"""Text helpers shared by parsing and rendering: folding for matching, Slack escaping, truncation, the small
grammar every reply needs (a count with its noun, a noun with its article), and `storable`, which all text
from Slack or a file passes through before it is kept or shown back."""

from __future__ import annotations

import html
import re

from unidecode import unidecode

_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})
_NON_WORD = re.compile(r"[^a-z0-9]+")

# Legal forms say nothing about which customer is meant: "acme" should find "Acme Corp". The one list: stored
# keys drop trailing ones (`name_keys`), what is typed drops them leading or trailing (`spellings`).
_LEGAL_FORMS = (
    "inc incorporated corp corporation co company ltd limited llc llp plc gmbh ag kg sa sas sarl srl spa "
    "bv nv oy ab as aps pty pte kk group holding holdings"
)
LEGAL_SUFFIXES = frozenset(_LEGAL_FORMS.split())
# A possessive (`Globex's`, `Globex’s`, `Wayne Enterprises'`) names the customer without its `'s`.
_POSSESSIVE = re.compile(r"(?<=\w)['’](?:s\b|(?=\s|$))", re.IGNORECASE)


def fold(text: str) -> str:
    """Lower-case ASCII words separated by single spaces: the form every name is matched in."""
    return _NON_WORD.sub(" ", unidecode(text).lower()).strip()


def without_legal_form(key: str, *, leading: bool = True) -> str:
    """A folded name without its legal forms at the end (and, with `leading`, at the start); never empty.

    A dotted form folds to single letters (`S.A.` → `s a`, `B.V.` → `b v`) and counts as the word they spell.
    """
    words = key.split()
    while len(words) > 1:
        end = _legal_form_at_end(words)
        if not end or end == len(words):
            break
        words = words[: len(words) - end]
    while leading and len(words) > 1:
        start = _legal_form_at_start(words)
        if not start or start == len(words):
            break
        words = words[start:]
    return " ".join(words)


def _legal_form_at_end(words: list[str]) -> int:
    """How many of the last words spell one legal form: 1 for `corp`, 2 for `s a`, 0 for none."""
    if words[-1] in LEGAL_SUFFIXES:
        return 1
    letters = 0
    while letters < len(words) and len(words[-1 - letters]) == 1:
        letters += 1
    # The whole run of single letters must spell it: `a b c` (ABC) holds no `ab`.
    return letters if 1 < letters <= 3 and "".join(words[-letters:]) in LEGAL_SUFFIXES else 0


def _legal_form_at_start(words: list[str]) -> int:
    if words[0] in LEGAL_SUFFIXES:
        return 1
    letters = 0
    while letters < len(words) and len(words[letters]) == 1:
        letters += 1
    return letters if 1 < letters <= 3 and "".join(words[:letters]) in LEGAL_SUFFIXES else 0


def name_keys(name: str) -> set[str]:
    """Every folded form a person may type for one name: plain, German transliteration, without legal form.

    These are the keys stored in `customer_names`; what a person types is widened further by `spellings`.
    """
    keys = {fold(name), fold(name.translate(_GERMAN))}
    for key in list(keys):
        words = key.split()
        while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
            words = words[:-1]
        keys.add(" ".join(words))
    return {key for key in keys if key}


def spellings(typed: str) -> set[str]:
    """Folded forms of what someone typed that may name the same customer, the plain `fold(typed)` among them.

    German transliteration, a possessive dropped (`Globex's CFO`), `&` and `and` read alike (`Procter and
    Gamble` is `Procter & Gamble`, stored as `procter gamble`), legal forms dropped at either end (`AB Volvo`,
    `Globex Inc`). Stored keys are not widened this way: this is a matching step on top of them.
    """
    texts = {typed, typed.translate(_GERMAN)}
    texts |= {_POSSESSIVE.sub("", text) for text in texts}
    keys = {fold(text) for text in texts} | {fold(text.replace("&", " and ")) for text in texts}
    keys |= {_without_inner_and(key) for key in keys}
    keys |= {without_legal_form(key) for key in keys}
    return {key for key in keys if key}


def _without_inner_and(key: str) -> str:
    words = key.split()
    return " ".join(word for i, word in enumerate(words) if word != "and" or i in (0, len(words) - 1))


def domain_keys(domain: str) -> set[str]:
    """`acme.com` is typed as `acme.com`, `acme com` after folding, or just `acme`."""
    folded = fold(domain)
    keys = {folded}
    label = clean_domain(domain).split(".")[0]
    if label:
        keys.add(fold(label))
    return {key for key in keys if key}


def clean_domain(domain: str) -> str:
    domain = domain.strip().lower()
    domain = re.sub(r"^[a-z]+://", "", domain)
    domain = domain.split("/")[0]
    return domain.removeprefix("www.")


# C0 controls but tab and newline (PostgreSQL refuses a NUL, and none of them means anything in a line), and lone
# UTF-16 surrogates, which Slack's JSON can carry ("\ud800") but neither a store nor a UTF-8 encoder accepts.
_UNSTORABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


def storable(text: str) -> str:
    """The text as it can be kept and shown back: newlines for line breaks, no control characters, no lone surrogates.

    A lone surrogate becomes U+FFFD (the replacement character), so a person still sees where something was.
    """
    if text.isascii() and text.isprintable():  # the common case, decided without a regex
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _UNSTORABLE.sub(_replacement, text)


def _replacement(match: re.Match[str]) -> str:
    return "\ufffd" if match.group() >= "\ud800" else ""


_SLACK_TOKEN = re.compile(r"<([^<>]*)>")


def slack_to_plain(text: str) -> str:
    """Turn Slack's wire format (`<@U1|dana>`, `<!here>`, `&amp;`) into the plain text a person typed."""

    def token(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return "@" + (label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!subteam^"):
            return "@" + (label.lstrip("@") or "group")
        if target.startswith("!"):
            return "@" + target[1:].split("^")[0]
        if label:
            return f"{label} ({target})"
        return target.removeprefix("mailto:")

    return html.unescape(_SLACK_TOKEN.sub(token, text))


def escape(text: str) -> str:
    """User text made safe for Slack mrkdwn (blocks and a message's `text` alike), so `<!channel>` or `<@U1>`
    can never ping anyone: the one escaping function for names, summaries, aliases, contacts and tags.

    It takes plain text, as a person typed it (`slack_to_plain` turns what Slack sends into that), and is
    applied once, when rendering: text escaped twice shows `&amp;lt;` to the reader.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# The last `&` or `<` before a cut, with what follows it up to the cut: an entity or a Slack token cut in half.
_OPEN_ENTITY = re.compile(r"&(?:a|am|amp|l|lt|g|gt)?\Z")
_OPEN_TOKEN = re.compile(r"<(?:[@#!]|h(?:t(?:t(?:ps?)?)?)?)[^<>\s]{0,500}\Z")


def truncate(text: str, limit: int) -> str:
    """`text` shortened to at most `limit` characters with "…": the one way text is shortened for Slack.

    Shorten plain text before escaping it. Text that is escaped already (a whole section) is still never cut
    inside an entity (`&am…`) or a mention or link the bot wrote (`<@U1…`): the cut moves before it.
    """
    if len(text) <= limit:
        return text
    kept = text[: max(limit - 1, 0)]
    for pattern in (_OPEN_ENTITY, _OPEN_TOKEN):
        if cut := pattern.search(kept):
            kept = kept[: cut.start()]
    return kept.rstrip() + "…"


# Words whose first letter misleads: "an hour", but "a user", "a one-off", "a euro".
_VOWEL_SOUND_AFTER_CONSONANT = ("hour", "honest", "honour", "honor", "heir")
_CONSONANT_SOUND_AFTER_VOWEL = ("uni", "use", "usu", "user", "one", "once", "eu", "ewe", "uk", "utility")


def with_article(word: str) -> str:
    """`event` -> "an event", `call` -> "a call": the indefinite article chosen by how the word sounds."""
    lowered = word.lstrip().lower()
    if lowered.startswith(_VOWEL_SOUND_AFTER_CONSONANT):
        return f"an {word}"
    if lowered.startswith(_CONSONANT_SOUND_AFTER_VOWEL):
        return f"a {word}"
    return f"{'an' if lowered[:1] in ('a', 'e', 'i', 'o', 'u') else 'a'} {word}"


def plural(n: int, word: str, many: str | None = None) -> str:
    """`1 customer`, `2 customers`, `0 aliases`: the count with its noun, which agrees with it.

    The last word of `word` is made plural ("new customer" -> "new customers"); pass `many` when English
    does something the rules below don't ("person" -> "people").
    """
    if n == 1:
        return f"{n} {word}"
    return f"{n} {many or _plural_of(word)}"


def _plural_of(word: str) -> str:
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if len(word) > 1 and word.endswith("y") and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"
