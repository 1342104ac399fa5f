"""What the HTTP API asks the store: its tokens, touchpoints by another system's id, customers by domain or
e-mail, and a customer's touchpoints page by page."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import bindparam, func, literal_column, or_, select, union_all, update
from sqlalchemy.orm import Session

from bot.text import clean_domain, fold
from storage.models import ApiToken, Contact, Customer, CustomerName, Touchpoint, Workspace

# External ids asked for in one IN (…): well inside SQLite's and PostgreSQL's limits on bound parameters.
ID_CHUNK = 500


def token_named(session: Session, workspace_id: int, name: str) -> ApiToken | None:
    return session.scalar(select(ApiToken).where(ApiToken.workspace_id == workspace_id, ApiToken.name == name))


def tokens_of_workspace(session: Session, workspace_id: int) -> list[ApiToken]:
    return list(
        session.scalars(select(ApiToken).where(ApiToken.workspace_id == workspace_id).order_by(ApiToken.created_at))
    )


def token_and_team_with_hash(session: Session, token_sha256: str) -> tuple[ApiToken, str] | None:
    """The token with this hash and its workspace's Slack team id, in one query: every API request asks it."""
    row = session.execute(
        select(ApiToken, Workspace.team_id)
        .join(Workspace, Workspace.id == ApiToken.workspace_id)
        .where(ApiToken.token_sha256 == token_sha256)
    ).first()
    return (row[0], row[1]) if row is not None else None


_tokens = ApiToken.__table__.c
# Built once: a request whose caller the process knew asks it in the transaction that answers it.
_TOKEN_REVOKED_AND_USED = select(_tokens.revoked_at, _tokens.last_used_at).where(_tokens.id == bindparam("token_id"))


def token_revoked_and_used(session: Session, token_id: int) -> tuple[datetime | None, datetime | None] | None:
    """(revoked_at, last_used_at) of the token with this id, or None when there is none."""
    row = session.execute(_TOKEN_REVOKED_AND_USED, {"token_id": token_id}).first()
    return (row[0], row[1]) if row is not None else None


def mark_token_used(session: Session, token_id: int, now: datetime) -> None:
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))


def touchpoint_id_by_external_id(
    session: Session, workspace_id: int, source_system: str, external_id: str
) -> int | None:
    """The touchpoint another system's record made before (uq_touchpoints_external_id), if any."""
    return session.scalar(
        select(Touchpoint.id).where(
            Touchpoint.workspace_id == workspace_id,
            Touchpoint.source_system == source_system,
            Touchpoint.external_id == external_id,
        )
    )


def touchpoint_ids_by_external_ids(
    session: Session, workspace_id: int, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """The touchpoints of these (source_system, external_id) pairs made before, by pair; absent ones left out."""
    by_system: dict[str, list[str]] = {}
    for system, external_id in keys:
        by_system.setdefault(system, []).append(external_id)
    found: dict[tuple[str, str], int] = {}
    for system, external_ids in by_system.items():
        for start in range(0, len(external_ids), ID_CHUNK):
            rows = session.execute(
                select(Touchpoint.external_id, Touchpoint.id).where(
                    Touchpoint.workspace_id == workspace_id,
                    Touchpoint.source_system == system,
                    Touchpoint.external_id.in_(external_ids[start : start + ID_CHUNK]),
                )
            )
            found.update(((system, external_id), touchpoint_id) for external_id, touchpoint_id in rows)
    return found


def customer_ids_with_domain(session: Session, workspace_id: int, domain: str) -> list[int]:
    """Customers whose domain, or one of whose active domain names, is this one (`https://www.acme.com` is
    `acme.com`); the bare label (`acme`) that `/log` also matches is a name, not a domain, and does not count."""
    return customer_ids_by_domain(session, workspace_id, [domain])[domain]


_customers, _names = Customer.__table__.c, CustomerName.__table__.c
# Built once: the customers whose domain column is one of these, and those with one of these as an active domain
# name, in one round trip (1 and 0 say which).
_CUSTOMERS_BY_DOMAIN = union_all(
    select(literal_column("1"), func.lower(_customers.domain), _customers.id).where(
        _customers.workspace_id == bindparam("workspace_id"),
        func.lower(_customers.domain).in_(bindparam("domains", expanding=True)),
    ),
    select(literal_column("0"), _names.key, _names.customer_id).where(
        _names.workspace_id == bindparam("workspace_id"),
        _names.kind == "domain",
        _names.active.is_(True),
        _names.key.in_(bindparam("keys", expanding=True)),
    ),
)


def customer_ids_by_domain(session: Session, workspace_id: int, domains: Sequence[str]) -> dict[str, list[int]]:
    """`customer_ids_with_domain` of each domain as given, in one query for them all."""
    bare = {domain: clean_domain(domain) for domain in domains}
    by_bare: dict[str, set[int]] = {}
    by_key: dict[str, set[int]] = {}
    wanted = sorted(set(bare.values()))
    for start in range(0, len(wanted), ID_CHUNK):
        chunk = wanted[start : start + ID_CHUNK]
        keys = sorted({fold(domain) for domain in chunk})
        rows = session.execute(_CUSTOMERS_BY_DOMAIN, {"workspace_id": workspace_id, "domains": chunk, "keys": keys})
        for by_column, key, customer_id in rows:
            (by_bare if by_column else by_key).setdefault(key, set()).add(customer_id)
    return {
        domain: sorted(by_bare.get(clean, set()) | by_key.get(fold(clean), set())) for domain, clean in bare.items()
    }


def customer_ids_with_contact_email(session: Session, workspace_id: int, email: str) -> list[int]:
    """Customers with a live contact of this e-mail address (compared in lower case)."""
    return customer_ids_by_contact_email(session, workspace_id, [email])[email.lower()]


def customer_ids_by_contact_email(session: Session, workspace_id: int, emails: Sequence[str]) -> dict[str, list[int]]:
    """`customer_ids_with_contact_email` of each address, by the address in lower case, in one query for them all."""
    wanted = sorted({email.lower() for email in emails})
    found: dict[str, set[int]] = {email: set() for email in wanted}
    for start in range(0, len(wanted), ID_CHUNK):
        rows = session.execute(
            select(func.lower(Contact.email), Contact.customer_id).where(
                Contact.workspace_id == workspace_id,
                func.lower(Contact.email).in_(wanted[start : start + ID_CHUNK]),
                Contact.deleted_at.is_(None),
            )
        )
        for email, customer_id in rows:
            found[email].add(customer_id)
    return {email: sorted(ids) for email, ids in found.items()}


def customer_touchpoints_after(
    session: Session,
    workspace_id: int,
    customer_ids: Sequence[int],
    *,
    since: datetime | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[Touchpoint]:
    """Touchpoints with these customers, oldest first, from `since` on and past the (occurred_at, id) `after`."""
    query = select(Touchpoint).where(
        Touchpoint.workspace_id == workspace_id,
        Touchpoint.customer_id.in_(list(customer_ids)),
        Touchpoint.deleted_at.is_(None),
    )
    if since is not None:
        query = query.where(Touchpoint.occurred_at >= since)
    if after is not None:
        at, last_id = after
        later = or_(Touchpoint.occurred_at > at, (Touchpoint.occurred_at == at) & (Touchpoint.id > last_id))
        query = query.where(later)
    return list(session.scalars(query.order_by(Touchpoint.occurred_at, Touchpoint.id).limit(limit)))
