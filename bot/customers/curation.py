"""Keeping the store clean: near-duplicates asked about first, names and contacts edited, merges (and their undo),
owners and journey stages. Every change is recorded in the audit trail; nothing is deleted.

Each function takes an open session and the clock as `now`; the caller owns the transaction. Long on purpose:
look-alikes, name edits, merges and stages all apply the one set of rules about names, keys and the audit trail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy.orm import Session

from bot.capture.forms import FormErrors
from bot.capture.touchpoints import MAX_NAME_LENGTH, Entry, customer_name_problem
from bot.customers.lookup import CustomerFate, customer_fate
from bot.customers.matching import AUTO_MATCH_SCORE
from bot.customers.name_index import CustomerIndexes
from bot.text import clean_domain, domain_keys, fold, spellings
from storage import curation as store
from storage import customers as customer_store
from storage import touchpoints as touchpoint_store
from storage import workspaces as workspace_store
from storage.models import Contact, Customer

DEFAULT_STAGES = ("lead", "prospect", "onboarding", "active", "at-risk", "churned")
MAX_STAGES = 20
MAX_STAGE_LENGTH = 40
MAX_LOOK_ALIKES = 3
# Kinds of names that say which company a customer is; a shared contact name ("Dana") says nothing.
COMPANY_NAME_KINDS = ("name", "alias", "domain")
CONTACT_FIELDS = ("name", "email", "phone", "role")
# The log form's question about a look-alike customer: its block (one per name asked about, so a changed name
# is asked afresh), and the answer that creates the new one anyway.
LOOK_ALIKE_BLOCK = "look_alike:"
NEW_ANYWAY = "new:"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DOMAIN = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_STAGE_CHARS = re.compile(r"[^a-z0-9-]+")


class Gone(LookupError):
    """The customer a button or form names was merged, deleted, or is not in this workspace."""

    def __init__(self, fate: CustomerFate | None) -> None:
        super().__init__("customer gone")
        self.fate = fate


class Refused(Exception):
    """The person may not do this; `reason` is shown to them as is (plain text, no user input)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_user_id(value: str) -> bool:
    """A Slack user id (`U012AB3CD`, `W…` on Enterprise Grid): what the card's owner picker gives."""
    return bool(_USER_ID.match(value))


def live_customer(session: Session, workspace_id: int, customer_id: int) -> Customer:
    fate = customer_fate(session, workspace_id, customer_id)
    if fate is None or fate.merged or fate.deleted or fate.current is None:
        raise Gone(fate)
    return fate.current


# --- near-duplicates ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LookAlike:
    """An existing customer a new name is close to, and the name or domain of it that is close."""

    customer_id: int
    name: str
    matched: str
    kind: str


def look_alikes(session: Session, indexes: CustomerIndexes, workspace_id: int, typed: str) -> list[LookAlike]:
    """Customers a new name probably means: same name once legal forms are dropped, an alias, a domain, a typo.

    Empty when the name is exactly an existing customer's (creating it just uses that one) or close to nothing.
    """
    name = typed.strip()
    if not name or customer_store.customer_by_exact_name(session, workspace_id, name) is not None:
        return []
    keys = spellings(name)  # the matcher's notion of the same name: legal forms at either end, & and and, 's
    if " " not in name and "." in name:
        keys |= domain_keys(name)
    index = indexes.current(session, workspace_id)
    scores = dict.fromkeys(keys, 100.0)
    for key in list(keys):
        for hit in index.closest(key, limit=5, scorer=fuzz.ratio, cutoff=AUTO_MATCH_SCORE):
            scores[hit.key] = max(scores.get(hit.key, 0.0), hit.score)
    rows = store.names_with_keys(session, workspace_id, scores, COMPANY_NAME_KINDS)
    rows.sort(key=lambda row: -scores[row[3]])
    live = customer_store.live_customers_by_id(session, workspace_id, {row[0] for row in rows})
    found: dict[int, LookAlike] = {}
    for customer_id, kind, value, _ in rows:
        customer = live.get(customer_id)
        if customer is not None and customer.id not in found:
            found[customer.id] = LookAlike(customer.id, customer.name, value, kind)
    return list(found.values())[:MAX_LOOK_ALIKES]


def settle_new_customer(
    session: Session, indexes: CustomerIndexes, workspace_id: int, entry: Entry, values: dict[str, Any]
) -> tuple[Entry, list[LookAlike]]:
    """A log form naming a new customer: the entry as answered, or the look-alikes to ask about first."""
    typed = entry.new_customer_name
    if not typed:
        return entry, []
    question = look_alike_block(typed)
    answer = (state_value(values, question, "selected_option") or {}).get("value") or ""
    if answer == NEW_ANYWAY + typed[:140]:
        return entry, []
    if answer.isdigit():
        return replace(entry, customer_id=int(answer), new_customer_name=None), []
    alikes = look_alikes(session, indexes, workspace_id, typed)
    if alikes and question in values:  # asked already, about this very name, and left unanswered
        raise FormErrors({question: f"Use an existing customer, or create “{typed}” anyway."})
    return entry, alikes


def look_alike_block(typed: str) -> str:
    return LOOK_ALIKE_BLOCK + typed[:140]


def read_merge_form(values: dict[str, Any], card_customer_id: int) -> tuple[int, int]:
    """(survivor id, absorbed id) from the merge modal opened on a card."""
    other = (state_value(values, "other", "selected_option") or {}).get("value") or ""
    if not other.isdigit():
        raise FormErrors({"other": "Pick the customer to merge with."})
    keep = (state_value(values, "survivor", "selected_option") or {}).get("value") or "this"
    return (card_customer_id, int(other)) if keep == "this" else (int(other), card_customer_id)


# --- names: rename, aliases, domains -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerNames:
    customer_id: int
    name: str
    aliases: list[str]
    domains: list[str]


@dataclass(frozen=True)
class NamesForm:
    name: str
    aliases: list[str]
    domains: list[str]
    # How many of the current aliases and domains the form showed (None: all); those beyond it are kept.
    aliases_shown: int | None = None
    domains_shown: int | None = None


@dataclass(frozen=True)
class Change:
    """What one action changed, for the confirmation and the caller's card refresh."""

    customer_id: int
    customer_name: str
    changes: list[str] = field(default_factory=list)
    # A Slack user id, shown as a mention: kept apart from `changes`, which are escaped as typed text.
    new_owner: str | None = None


def names_of(session: Session, customer: Customer) -> CustomerNames:
    rows = store.active_names(session, customer, ("alias", "domain"))
    aliases = list(dict.fromkeys(r.value for r in rows if r.kind == "alias"))
    domains = list(dict.fromkeys(r.value for r in rows if r.kind == "domain"))
    if customer.domain and customer.domain in domains:  # the main domain first
        domains.remove(customer.domain)
        domains.insert(0, customer.domain)
    return CustomerNames(customer.id, customer.name, aliases, domains)


def state_value(values: dict[str, Any], block_id: str, key: str = "value") -> Any:
    """One field of a submitted modal's state, whatever its action id."""
    element = values.get(block_id) or {}
    return next(iter(element.values()), {}).get(key) if element else None


def read_names_form(
    values: dict[str, Any], aliases_shown: int | None = None, domains_shown: int | None = None
) -> NamesForm:
    errors: dict[str, str] = {}
    name = " ".join((state_value(values, "name") or "").split())
    aliases_text, domains_text = state_value(values, "aliases") or "", state_value(values, "domains") or ""
    if problem := customer_name_problem(name):
        errors["name"] = problem
    aliases = _lines(aliases_text)
    if any(len(a) > MAX_NAME_LENGTH for a in aliases):
        errors["aliases"] = f"Keep each alias under {MAX_NAME_LENGTH} characters."
    domains = [clean_domain(d) for d in _lines(domains_text)]
    bad = [d for d in domains if not _DOMAIN.match(d) or len(d) > MAX_NAME_LENGTH]
    if bad:
        errors["domains"] = f"“{bad[0]}” is not a domain: write one per line, like acme.com."
    if errors:
        raise FormErrors(errors)
    return NamesForm(
        name,
        _unique_by_fold(aliases),
        list(dict.fromkeys(domains)),
        aliases_shown=aliases_shown,
        domains_shown=domains_shown,
    )


def edit_names(
    session: Session, workspace_id: int, actor: str, customer_id: int, form: NamesForm, *, now: datetime
) -> Change:
    customer = live_customer(session, workspace_id, customer_id)
    taken = customer_store.customer_by_exact_name(session, workspace_id, form.name)
    if taken is not None and taken.id != customer.id:
        raise FormErrors({"name": f"Another customer is already called “{taken.name}”: merge them instead."})
    current = names_of(session, customer)
    changes: list[str] = []
    details: dict[str, Any] = {}
    old = customer.name
    renamed = form.name != old
    if renamed:
        if not store.rename_customer(session, customer, form.name):  # someone took the name a moment ago
            raise FormErrors({"name": f"Another customer is already called “{form.name}”: merge them instead."})
        details["name"] = [old, form.name]
        changes.append(f"renamed from “{old}” to “{form.name}” (the old name stays findable as an alias)")
    # The old name stays findable as an alias: people keep typing it for a while.
    wanted = _unique_by_fold(
        [*form.aliases, *_not_shown(current.aliases, form.aliases_shown), *([old] if renamed else [])]
    )
    wanted = [a for a in wanted if fold(a) != fold(customer.name)]
    added, removed = _sync_values(session, customer, "alias", current.aliases, wanted, key=fold)
    added = [a for a in added if not (renamed and a == old)]
    if added:
        details["aliases_added"] = added
        changes.append("aliases added: " + ", ".join(added))
    if removed:
        details["aliases_removed"] = removed
        changes.append("aliases removed: " + ", ".join(removed))
    domains = list(dict.fromkeys([*form.domains, *_not_shown(current.domains, form.domains_shown)]))
    added, removed = _sync_values(session, customer, "domain", current.domains, domains, key=str.lower)
    main_domain = domains[0] if domains else None
    if main_domain != customer.domain:
        details["domain"] = [customer.domain, main_domain]
        customer.domain = main_domain
    if added:
        details["domains_added"] = added
        changes.append("domains added: " + ", ".join(added))
    if removed:
        details["domains_removed"] = removed
        changes.append("domains removed: " + ", ".join(removed))
    if details:
        customer.updated_at = now
        touchpoint_store.add_audit_event(
            session, workspace_id, actor, "names_edited", "customer", customer.id, now, **details
        )
    return Change(customer.id, customer.name, changes)


def _sync_values(
    session: Session, customer: Customer, kind: str, current: list[str], wanted: list[str], *, key: Any
) -> tuple[list[str], list[str]]:
    """Switch off the names of `kind` no longer wanted and add the new ones; (added, removed) values."""
    wanted_keys = {key(v) for v in wanted}
    current_keys = {key(v) for v in current}
    removed = [v for v in current if key(v) not in wanted_keys]
    added = [v for v in wanted if key(v) not in current_keys]
    if removed:
        gone = {key(v) for v in removed}
        rows = [r.id for r in store.active_names(session, customer, (kind,)) if key(r.value) in gone]
        store.switch_off_names(session, customer.workspace_id, rows)
    customer_store.add_names(session, customer, kind, added)
    return added, removed


def _not_shown(current: list[str], shown: int | None) -> list[str]:
    """The values a form could not show: it leaves them as they are."""
    return [] if shown is None else current[shown:]


def _lines(text: str) -> list[str]:
    return [" ".join(part.split()) for part in re.split(r"[\n,;]+", text or "") if part.strip()]


def _unique_by_fold(values: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        if fold(value):
            seen.setdefault(fold(value), value)
    return list(seen.values())


# --- contacts ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactFields:
    name: str
    email: str | None
    phone: str | None
    role: str | None


@dataclass(frozen=True)
class ContactEdit:
    """One contact in the form: an existing one (id) edited or removed, or a new one (id None)."""

    contact_id: int | None
    fields: ContactFields
    remove: bool = False


def read_contacts_form(values: dict[str, Any], shown: list[int]) -> list[ContactEdit]:
    """The contacts modal: the contacts it showed (edited or ticked to remove) and perhaps a new one."""
    edits: list[ContactEdit] = []
    errors: dict[str, str] = {}
    for contact_id in shown:
        prefix = f"contact:{contact_id}"
        fields, problems = read_contact(prefix, *(state_value(values, f"{prefix}:{f}") or "" for f in CONTACT_FIELDS))
        if state_value(values, f"{prefix}:remove", "selected_options"):
            edits.append(ContactEdit(contact_id, fields or ContactFields("", None, None, None), remove=True))
            continue
        if fields is None:
            problems = {f"{prefix}:name": "A contact needs a name: tick Remove to remove the contact."}
        errors.update(problems)
        if fields is not None:
            edits.append(ContactEdit(contact_id, fields))
    fields, problems = read_contact(
        "contact:new", *(state_value(values, f"contact:new:{f}") or "" for f in CONTACT_FIELDS)
    )
    errors.update(problems)
    if fields is not None:
        edits.append(ContactEdit(None, fields))
    if errors:
        raise FormErrors(errors)
    return edits


def contacts_of(session: Session, workspace_id: int, customer: Customer) -> list[Contact]:
    return store.live_contacts(session, workspace_id, customer.id)


def read_contact(
    prefix: str, name: str, email: str, phone: str, role: str
) -> tuple[ContactFields | None, dict[str, str]]:
    """One contact's fields, or None when all are empty; errors keyed `<prefix>:<field>`."""
    name, email, phone, role = (" ".join((v or "").split()) for v in (name, email, phone, role))
    if not any((name, email, phone, role)):
        return None, {}
    errors = {}
    if not name:
        errors[f"{prefix}:name"] = "A contact needs a name."
    if email and (not _EMAIL.match(email) or len(email) > MAX_NAME_LENGTH):
        errors[f"{prefix}:email"] = "That is not an e-mail address (like dana@acme.com)."
    if len(name) > MAX_NAME_LENGTH:
        errors[f"{prefix}:name"] = f"Keep the name under {MAX_NAME_LENGTH} characters."
    if len(phone) > 64 or len(role) > 120:
        errors[f"{prefix}:phone" if len(phone) > 64 else f"{prefix}:role"] = "That is too long."
    return ContactFields(name, email.lower() or None, phone or None, role or None), errors


def save_contacts(
    session: Session, workspace_id: int, actor: str, customer_id: int, edits: list[ContactEdit], *, now: datetime
) -> Change:
    customer = live_customer(session, workspace_id, customer_id)
    existing = {c.id: c for c in store.live_contacts(session, workspace_id, customer.id)}
    changes: list[str] = []
    for edit in edits:
        if edit.contact_id is None:
            contact = customer_store.add_contact(
                session,
                customer,
                name=edit.fields.name,
                email=edit.fields.email,
                phone=edit.fields.phone,
                role=edit.fields.role,
                now=now,
            )
            session.flush()
            touchpoint_store.add_audit_event(
                session, workspace_id, actor, "contact_added", "contact", contact.id, now, **_fields(contact)
            )
            changes.append(f"contact added: {contact.name}")
            continue
        contact = existing.get(edit.contact_id)
        if contact is None:  # removed or moved meanwhile: nothing of it is shown any more
            continue
        if edit.remove:
            contact.deleted_at = now
            touchpoint_store.add_audit_event(
                session, workspace_id, actor, "contact_removed", "contact", contact.id, now
            )
            changes.append(f"contact removed: {contact.name}")
            continue
        before = _fields(contact)
        contact.name, contact.email = edit.fields.name, edit.fields.email
        contact.phone, contact.role = edit.fields.phone, edit.fields.role
        if _fields(contact) != before:
            touchpoint_store.add_audit_event(
                session,
                workspace_id,
                actor,
                "contact_edited",
                "contact",
                contact.id,
                now,
                before=before,
                after=_fields(contact),
            )
            changes.append(f"contact updated: {contact.name}")
    session.flush()
    sync_contact_names(session, workspace_id, customer)
    return Change(customer.id, customer.name, changes)


def sync_contact_names(session: Session, workspace_id: int, customer: Customer) -> None:
    """The customer is found by its live contacts' names and e-mails, and no longer by those edited away."""
    contacts = store.live_contacts(session, workspace_id, customer.id)
    wanted = {"contact": {c.name for c in contacts}, "email": {c.email for c in contacts if c.email}}
    stale = [r.id for r in store.active_names(session, customer, tuple(wanted)) if r.value not in wanted[r.kind]]
    store.switch_off_names(session, workspace_id, stale)
    for kind, values in wanted.items():
        customer_store.add_names(session, customer, kind, sorted(values))


def _fields(contact: Contact) -> dict[str, str | None]:
    return {"name": contact.name, "email": contact.email, "phone": contact.phone, "role": contact.role}


# --- owner and journey stages --------------------------------------------------------------------------------------


def stages_for(session: Session, workspace_id: int) -> list[str]:
    return list(store.workspace_stages(session, workspace_id) or DEFAULT_STAGES)


def parse_stages(text: str) -> list[str]:
    """`Lead, Prospect, At risk` -> ["lead", "prospect", "at-risk"]; ValueError says what is wrong."""
    stages = []
    for part in re.split(r"[\n,;]+", text or ""):
        stage = _STAGE_CHARS.sub("-", fold(part).replace(" ", "-")).strip("-")
        if stage and stage not in stages:
            stages.append(stage)
    if not stages:
        raise ValueError("Give at least one stage, e.g. lead, prospect, active, churned.")
    if len(stages) > MAX_STAGES:
        raise ValueError(f"Keep it to {MAX_STAGES} stages or fewer.")
    long = [s for s in stages if len(s) > MAX_STAGE_LENGTH]
    if long:
        raise ValueError(f"“{long[0]}” is too long: keep each stage under {MAX_STAGE_LENGTH} characters.")
    return stages


def set_stages(
    session: Session, workspace_id: int, actor: str | None, stages: list[str], *, now: datetime
) -> list[str]:
    before = stages_for(session, workspace_id)
    store.save_workspace_stages(session, workspace_id, stages)
    if stages != before:
        touchpoint_store.add_audit_event(
            session, workspace_id, actor, "stages_set", "workspace", workspace_id, now, before=before, after=stages
        )
    return stages


def may_edit_stages(session: Session, workspace_id: int, user_id: str) -> bool:
    member = workspace_store.member(session, workspace_id, user_id)
    return bool(member and member.is_admin)


def apply_stage_form(
    session: Session, workspace_id: int, actor: str, customer_id: int, values: dict[str, Any], *, now: datetime
) -> Change:
    """The Set stage modal: perhaps a new list of the workspace's stages (admins only), then the customer's stage."""
    stage = (state_value(values, "stage", "selected_option") or {}).get("value") or ""
    stages_text = state_value(values, "stages")
    current = stages_for(session, workspace_id)
    stages = current
    if stages_text is not None and may_edit_stages(session, workspace_id, actor):
        try:
            stages = parse_stages(stages_text)
        except ValueError as problem:
            raise FormErrors({"stages": str(problem)}) from None
    if stage not in stages:
        raise FormErrors({"stage": "Pick one of this workspace's stages."})
    live_customer(session, workspace_id, customer_id)
    if stages != current:
        set_stages(session, workspace_id, actor, stages, now=now)
    change = set_stage(session, workspace_id, actor, customer_id, stage, now=now)
    if stages != current:
        return Change(change.customer_id, change.customer_name, ["stages now " + ", ".join(stages), *change.changes])
    return change


def set_stage(
    session: Session, workspace_id: int, actor: str, customer_id: int, stage: str, *, now: datetime
) -> Change:
    customer = live_customer(session, workspace_id, customer_id)
    if stage not in stages_for(session, workspace_id):
        raise FormErrors({"stage": "Pick one of this workspace's stages."})
    before = customer.stage
    if before == stage:
        return Change(customer.id, customer.name)
    customer.stage, customer.updated_at = stage, now
    store.add_stage_change(session, customer, before, stage, actor, now)
    touchpoint_store.add_audit_event(
        session, workspace_id, actor, "stage_set", "customer", customer.id, now, before=before, after=stage
    )
    return Change(customer.id, customer.name, [f"stage {before or 'none'} → {stage}"])


def set_owner(
    session: Session, workspace_id: int, actor: str, customer_id: int, owner: str | None, *, now: datetime
) -> Change:
    customer = live_customer(session, workspace_id, customer_id)
    if owner is not None and not is_user_id(owner):
        raise FormErrors({"owner": "Pick a person from the list."})
    before = customer.owner_user_id
    if before == owner:
        return Change(customer.id, customer.name)
    customer.owner_user_id, customer.updated_at = owner, now
    touchpoint_store.add_audit_event(
        session, workspace_id, actor, "owner_set", "customer", customer.id, now, before=before, after=owner
    )
    return Change(customer.id, customer.name, [] if owner else ["no owner"], new_owner=owner)


# --- merge and its undo --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeOutcome:
    event_id: int
    survivor_id: int
    survivor_name: str
    absorbed_id: int
    absorbed_name: str
    moved: dict[str, int]


def may_merge_into(session: Session, workspace_id: int, user_id: str, survivor: Customer) -> bool:
    """Workspace admins, and the surviving customer's owner."""
    member = workspace_store.member(session, workspace_id, user_id)
    return bool(member and member.is_admin) or (
        survivor.owner_user_id is not None and survivor.owner_user_id == user_id
    )


def merge_customers(
    session: Session, workspace_id: int, actor: str, survivor_id: int, absorbed_id: int, *, now: datetime
) -> MergeOutcome:
    """Touchpoints, follow-ups, contacts and names move to the survivor; the absorbed name becomes an alias.

    The audit record lists exactly which rows moved, so `undo_merge` puts back those and only those.
    """
    if survivor_id == absorbed_id:
        raise FormErrors({"other": "That is the same customer: pick another one to merge with."})
    store.lock_customers(session, workspace_id, {survivor_id, absorbed_id})
    survivor = _merge_party(session, workspace_id, survivor_id)
    absorbed = _merge_party(session, workspace_id, absorbed_id)
    if not may_merge_into(session, workspace_id, actor, survivor):
        if survivor.owner_user_id:  # shown as a form error: plain text, where a mention would not render
            raise Refused(f"Only a workspace admin or the owner of {survivor.name} can merge another customer into it.")
        raise Refused(f"Only a workspace admin can merge another customer into {survivor.name} (it has no owner).")
    moved: dict[str, list[int]] = {}
    for label, model in store.MOVABLE.items():
        ids = store.row_ids_of(session, model, workspace_id, absorbed.id)
        moved[label] = store.move_rows(session, model, workspace_id, ids, absorbed.id, survivor.id)
    names_off = sorted(store.active_name_ids(session, absorbed))
    carried = store.active_names(session, absorbed, ("name", "alias", "domain", "contact", "email"))
    store.switch_off_names(session, workspace_id, names_off)
    before_ids = store.active_name_ids(session, survivor)
    for kind in ("alias", "domain", "contact", "email"):
        values = [r.value for r in carried if (r.kind == "name" and kind == "alias") or r.kind == kind]
        customer_store.add_names(session, survivor, kind, list(dict.fromkeys(values)))
    names_added = sorted(store.active_name_ids(session, survivor) - before_ids)
    filled = {}
    for attribute in ("domain", "owner_user_id", "stage"):  # the survivor keeps its own, gains what it lacked
        if getattr(survivor, attribute) is None and getattr(absorbed, attribute) is not None:
            filled[attribute] = getattr(absorbed, attribute)
            setattr(survivor, attribute, filled[attribute])
    if "stage" in filled:
        store.add_stage_change(session, survivor, None, survivor.stage, actor, now)
    absorbed.merged_into_id = survivor.id
    absorbed.updated_at = survivor.updated_at = now
    event = touchpoint_store.add_audit_event(
        session,
        workspace_id,
        actor,
        "merged",
        "customer",
        absorbed.id,
        now,
        survivor=survivor.id,
        absorbed_name=absorbed.name,
        names_off=names_off,
        names_added=names_added,
        filled=filled,
        **moved,
    )
    touchpoint_store.add_audit_event(
        session, workspace_id, actor, "absorbed", "customer", survivor.id, now, absorbed=absorbed.id, merge=event.id
    )
    counts = {label: len(ids) for label, ids in moved.items()}
    return MergeOutcome(event.id, survivor.id, survivor.name, absorbed.id, absorbed.name, counts)


def undo_merge(session: Session, workspace_id: int, actor: str, merge_event_id: int, *, now: datetime) -> MergeOutcome:
    """Every row the merge moved goes back (unless someone moved it since), the absorbed customer lives again."""
    event = store.audit_event(session, workspace_id, merge_event_id)
    if event is None or event.action != "merged":
        raise Refused("That merge is not in this workspace's records.")
    details = event.details
    store.lock_customers(session, workspace_id, {event.entity_id, int(details["survivor"])})
    absorbed = store.customer_row(session, workspace_id, event.entity_id)
    survivor = store.customer_row(session, workspace_id, int(details["survivor"]))
    latest = store.latest_audit_event(session, workspace_id, "customer", event.entity_id, ("merged", "unmerged"))
    if absorbed is None or survivor is None or latest is None or latest.id != event.id:
        raise Refused("That merge was already undone.")
    if absorbed.merged_into_id != survivor.id:
        raise Refused("That merge was already undone.")
    holder = customer_store.customer_holding_name(session, workspace_id, absorbed.name)
    if holder is not None and holder.id != absorbed.id:  # created since: two live customers may not share a name
        raise Refused(f"Another customer is now called {holder.name}: rename it first, then undo the merge.")
    member = workspace_store.member(session, workspace_id, actor)
    if not (actor == event.actor_user_id or (member and member.is_admin) or survivor.owner_user_id == actor):
        raise Refused("Only the person who merged, a workspace admin or the customer's owner can undo this merge.")
    moved: dict[str, list[int]] = {}
    for label, model in store.MOVABLE.items():
        moved[label] = store.move_rows(session, model, workspace_id, details.get(label, []), survivor.id, absorbed.id)
    store.switch_off_names(session, workspace_id, details.get("names_added", []))
    names_restored = store.restore_names(session, workspace_id, details.get("names_off", []))
    for attribute, value in (details.get("filled") or {}).items():
        if getattr(survivor, attribute) == value:
            setattr(survivor, attribute, None)
            if attribute == "stage":
                store.add_stage_change(session, survivor, value, None, actor, now)
    absorbed.merged_into_id = None
    absorbed.updated_at = survivor.updated_at = now
    for customer in (absorbed, survivor):  # contacts edited since the merge are found where they now are
        sync_contact_names(session, workspace_id, customer)
    touchpoint_store.add_audit_event(
        session,
        workspace_id,
        actor,
        "unmerged",
        "customer",
        absorbed.id,
        now,
        merge=event.id,
        survivor=survivor.id,
        names_restored=names_restored,
        **moved,
    )
    counts = {label: len(ids) for label, ids in moved.items()}
    return MergeOutcome(event.id, survivor.id, survivor.name, absorbed.id, absorbed.name, counts)


def _merge_party(session: Session, workspace_id: int, customer_id: int) -> Customer:
    fate = customer_fate(session, workspace_id, customer_id)
    if fate is None:
        raise FormErrors({"other": "That customer is not in this workspace."})
    if fate.merged or fate.deleted or fate.current is None:
        raise Gone(fate)
    return fate.current
