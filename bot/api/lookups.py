"""What the records of one batch ask the store, asked for all of them at once: the customers they name (by id,
domain, contact e-mail or name, found as `/log` finds them) and the members they name as authors.

`Lookups.prefetch` reads a batch's customers in a few queries whatever its size (one per way of naming them,
one to check they are live), so checking a record (`bot.api.intake.check_record`) asks the store nothing
more. A lone record takes the same path: the API's single POST is a batch of one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from bot.capture.parsing import customer_named
from bot.customers.matching import NameIndex, Scored
from bot.customers.name_index import CustomerIndexes
from bot.text import storable
from storage import api as api_store
from storage import customers as customer_store
from storage import workspaces as workspace_store
from storage.customers import CustomerRef
from storage.workspaces import MemberStanding

# Ids are the store's 32-bit integers on PostgreSQL: a larger number names no row, and must not reach a query.
MAX_ID = 2**31 - 1
CUSTOMER_KEYS = ("id", "domain", "email", "name")

Bad = Callable[[str, str], None]
Found = tuple[int | None, str | None, list[tuple[str, str]]]  # (customer id, name to create, problems)


class Lookups:
    """The store's answers for one batch, kept for the transaction `begin` starts.

    Customers found in an earlier transaction (an import's earlier batch) are kept when one query finds them
    still live and not merged away; what depended on the store as it was (names not found or to be created,
    members, the name index) is asked afresh.
    """

    def __init__(self, indexes: CustomerIndexes, workspace_id: int, people: Mapping[str, str]) -> None:
        self.indexes, self.workspace_id, self.people = indexes, workspace_id, people
        self._found: dict[str, Found] = {}
        self._members: dict[str, MemberStanding | None] = {}
        self._names: NameIndex | None = None
        self._named: dict[str, tuple[int | None, str, list[Scored]]] = {}
        self._live: dict[int, CustomerRef | None] = {}
        self._by_domain: dict[str, list[int]] = {}
        self._by_email: dict[str, list[int]] = {}

    def begin(self, session: Session) -> None:
        self.session = session
        self._members, self._names, self._named, self._live = {}, None, {}, {}
        self._by_domain, self._by_email = {}, {}
        kept = {key: found for key, found in self._found.items() if found[0] is not None and not found[2]}
        live = customer_store.live_customer_refs(session, self.workspace_id, {found[0] for found in kept.values()})
        self._found = {
            key: found for key, found in kept.items() if (ref := live.get(found[0] or 0)) and ref.id == found[0]
        }

    def prefetch(self, records: Iterable[Any]) -> None:
        """Read what the records name in one query per kind: members, customers by domain and by e-mail, then
        whether the customers are live."""
        wanted: dict[str, set[Any]] = {key: set() for key in CUSTOMER_KEYS}
        people: set[str] = set()
        for record in records:
            if not isinstance(record, dict):
                continue
            follow_up = record.get("follow_up")
            for person in (record.get("author"), follow_up.get("assignee") if isinstance(follow_up, dict) else None):
                if isinstance(person, str):
                    people.add(self.people.get(person.strip().lower(), person))
            value = record.get("customer")
            if not isinstance(value, dict) or _key(value) in self._found:
                continue
            for key in CUSTOMER_KEYS:
                given = value.get(key)
                if key == "id" and _an_id(given):
                    wanted["id"].add(given)
                elif key != "id" and isinstance(given, str) and given.strip():
                    wanted[key].add(storable(given).strip())
        domains = [domain for domain in wanted["domain"] if domain not in self._by_domain]
        self._by_domain.update(api_store.customer_ids_by_domain(self.session, self.workspace_id, domains))
        emails = [email for email in wanted["email"] if email.lower() not in self._by_email]
        self._by_email.update(api_store.customer_ids_by_contact_email(self.session, self.workspace_id, emails))
        ids = set(wanted["id"])
        for domain in wanted["domain"]:
            ids.update(self._by_domain.get(domain, ()))
        for email in wanted["email"]:
            ids.update(self._by_email.get(email.lower(), ()))
        for name in wanted["name"]:
            customer_id, _, _ = self.named(name)
            if customer_id is not None:
                ids.add(customer_id)
        self.live_refs(ids)
        unknown = people - set(self._members)
        found = workspace_store.members_by_user_id(self.session, self.workspace_id, unknown)
        self._members.update({user_id: found.get(user_id) for user_id in unknown})

    def member(self, user_id: str) -> MemberStanding | None:
        if user_id not in self._members:
            found = workspace_store.members_by_user_id(self.session, self.workspace_id, [user_id])
            self._members[user_id] = found.get(user_id)
        return self._members[user_id]

    def domain_ids(self, domain: str) -> list[int]:
        if domain not in self._by_domain:
            self._by_domain.update(api_store.customer_ids_by_domain(self.session, self.workspace_id, [domain]))
        return self._by_domain[domain]

    def email_ids(self, email: str) -> list[int]:
        if email.lower() not in self._by_email:
            self._by_email.update(api_store.customer_ids_by_contact_email(self.session, self.workspace_id, [email]))
        return self._by_email[email.lower()]

    def named(self, name: str) -> tuple[int | None, str, list[Scored]]:
        """`customer_named` against the workspace's index, once per name."""
        if name not in self._named:
            if self._names is None:
                self._names = self.indexes.current(self.session, self.workspace_id)
            self._named[name] = customer_named(name, self._names)
        return self._named[name]

    def live_refs(self, ids: Iterable[int]) -> dict[int, CustomerRef]:
        """The live customers these ids come to (a merged one's survivor), by id; none for the others."""
        ids = set(ids)
        unknown = ids - set(self._live)
        if unknown:
            found = customer_store.live_customer_refs(self.session, self.workspace_id, unknown)
            self._live.update({customer_id: found.get(customer_id) for customer_id in unknown})
        return {customer_id: ref for customer_id in ids if (ref := self._live[customer_id]) is not None}

    def customer(self, value: Any, bad: Bad) -> tuple[int | None, str | None]:
        """The customer a record's `customer` names, worked out once per distinct value; its problems told."""
        key = _key(value)
        if key is None or key not in self._found:
            problems: list[tuple[str, str]] = []
            found = _customer(self, value, lambda name, message: problems.append((name, message)))
            if key is None:
                for problem in problems:
                    bad(*problem)
                return found
            self._found[key] = (*found, problems)
        customer_id, new_name, problems = self._found[key]
        for problem in problems:
            bad(*problem)
        return customer_id, new_name


def _key(value: Any) -> str | None:
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):  # not JSON (nothing parsed from JSON or CSV is): asked afresh each time
        return None


def _an_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def _customer(lookups: Lookups, value: Any, bad: Bad) -> tuple[int | None, str | None]:
    """(the customer's id, None), or (None, a name to create), or (None, None) with the problem told."""
    if not isinstance(value, dict):
        bad("customer", 'is required: {"id": …}, {"domain": …}, {"email": …} or {"name": …}')
        return None, None
    given = [key for key in CUSTOMER_KEYS if key in value]
    for unknown in sorted(set(value) - {*CUSTOMER_KEYS, "create_if_missing"}):
        bad(f"customer.{unknown}", "is not a way to name a customer (id, domain, email, name)")
    create = value.get("create_if_missing", False)
    if not isinstance(create, bool):
        bad("customer.create_if_missing", "must be true or false")
        create = False
    if len(given) != 1:
        bad("customer", "needs exactly one of id, domain, email or name")
        return None, None
    key = given[0]
    field, wanted = f"customer.{key}", value[key]
    if key == "id":
        if not _an_id(wanted):
            bad(field, "must be a customer's id, a whole number from 1 up")
            return None, None
        return _one_live(lookups, [wanted], field, "no customer has this id", bad), None
    if not isinstance(wanted, str) or not wanted.strip():
        bad(field, "must be a non-empty string")
        return None, None
    wanted = storable(wanted).strip()
    if key == "domain":
        ids = lookups.domain_ids(wanted)
        return _one_live(lookups, ids, field, "no customer has this domain", bad), None
    if key == "email":
        ids = lookups.email_ids(wanted)
        return _one_live(lookups, ids, field, "no customer has a contact with this e-mail", bad), None
    customer_id, matched_by, candidates = lookups.named(wanted)
    if customer_id is not None:
        return _one_live(lookups, [customer_id], field, "no customer has this name", bad), None
    if create:
        return None, wanted
    names = lookups.live_refs(c.customer_id for c in candidates)
    similar = "; similar: " + ", ".join(sorted({ref.name for ref in names.values()})[:5]) if names else ""
    if matched_by == "ambiguous":
        bad(field, f"names several customers{similar}; send its id instead")
    else:
        bad(field, f'no customer has this name{similar}; send "create_if_missing": true to create it')
    return None, None


def _one_live(lookups: Lookups, ids: list[int], field: str, missing: str, bad: Bad) -> int | None:
    """The one live customer these ids come to (a merged customer's survivor), else the problem told."""
    live = {ref.id for ref in lookups.live_refs(ids).values()}
    if len(live) == 1:
        return next(iter(live))
    bad(field, missing if not live else "names several customers; send its id instead")
    return None
