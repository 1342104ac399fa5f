"""Text helpers shared by parsing and rendering: folding for matching, Slack escaping, truncation."""

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


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """`1 new customer`, `2 new customers`, `0 bad rows`: a count with its noun in the right number."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def escape(text: str) -> str:
    """Escape user text for Slack mrkdwn so `<!channel>` or `<@U1>` can never ping anyone."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"
