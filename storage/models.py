"""The shared customer store. Every row belongs to one workspace; every query filters on it.

Every text column is typed `FittedString`, `StorableText` or `StorableJSON`: whatever reaches the store is made
storable (`bot.text.storable`) and cut to its column's length there, whichever path it came by, so a long URL or
a stray NUL byte can never make a write fail and lose a line.

Long on purpose: every table of the store is here, so one module shows the whole schema the migrations build.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    func,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates

from bot.text import fold, storable

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend: SQLite keeps no zone, so store naive UTC and re-attach it."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware one")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class FittedString(TypeDecorator[str]):
    """A bounded string column: the value made storable and cut to the column's length.

    PostgreSQL refuses a value longer than its column (SQLite keeps it), and a NUL byte anywhere; a column that
    keeps part of a line (the customer as typed, a follow-up's words) keeps as much as fits, while the line
    itself is kept whole in an unbounded column.
    """

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        value = storable(value)
        length = self.impl.length  # type: ignore[attr-defined]
        return value if length is None or len(value) <= length else value[:length]


class StorableText(TypeDecorator[str]):
    """An unbounded text column: the value made storable, never cut."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else storable(value)


class StorableJSON(TypeDecorator[Any]):
    """A JSON column whose strings, keys too, are made storable (PostgreSQL's JSON refuses lone surrogates)."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return _storable_json(value)


def _storable_json(value: Any) -> Any:
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {_storable_json(key): _storable_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_storable_json(item) for item in value]
    return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime()}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Workspace(Base):
    """The tenant: one installation of the app, a workspace or, installed org-wide, a whole Enterprise Grid org.

    Every workspace of an org-wide install shares its one row (and so its customers, touchpoints and members:
    Grid user ids are org-wide). `team_id` is the key Slack's requests are matched on: the workspace's team id,
    or for an org-wide install the enterprise id (see bot.installations.tenancy), so its unique constraint
    allows one row per org-wide install as it does per workspace.
    """

    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(FittedString(32), unique=True)
    enterprise_id: Mapped[str | None] = mapped_column(FittedString(32))
    is_enterprise_install: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # When the app was last installed through OAuth (None: set up with a token, or before installations).
    installed_at: Mapped[datetime | None]
    # Set by app_uninstalled or tokens_revoked: nothing is sent for the installation until it is reinstalled.
    uninstalled_at: Mapped[datetime | None]
    name: Mapped[str | None] = mapped_column(FittedString(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The journey stages customers move through, in order; None keeps bot.customers.curation.DEFAULT_STAGES.
    stages: Mapped[list[str] | None] = mapped_column(StorableJSON)


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("workspace_id", "slack_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    slack_user_id: Mapped[str] = mapped_column(FittedString(32))
    name: Mapped[str | None] = mapped_column(FittedString(200))
    real_name: Mapped[str | None] = mapped_column(FittedString(200))
    department: Mapped[str | None] = mapped_column(FittedString(40))
    tz: Mapped[str | None] = mapped_column(FittedString(64))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    refreshed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The daily digest: on or off, its local hour, and the local day it was last sent (so it goes once). A day
    # is claimed with a lease, as a nudge is: held while `digest_lease_until` is ahead, taken over once it ran
    # out, and cleared when Slack accepted the digest, the day then sent for good.
    digest_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    digest_hour: Mapped[int] = mapped_column(Integer, default=9, server_default="9")
    digest_sent_on: Mapped[date | None] = mapped_column(Date)
    digest_claimed_by: Mapped[str | None] = mapped_column(FittedString(64))
    digest_lease_until: Mapped[datetime | None]


# The customers that hold their name: not merged into another, not deleted.
LIVE_CUSTOMER = "deleted_at IS NULL AND merged_into_id IS NULL AND name_key IS NOT NULL"


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_workspace_name", "workspace_id", "name"),
        # storage.followups.customer_ids_merged_into runs on every /log: without it, a scan of every customer.
        Index("ix_customers_merged_into", "workspace_id", "merged_into_id"),
        # The App Home lists the customers a person owns: without it, a scan of every customer of the workspace.
        Index("ix_customers_owner", "workspace_id", "owner_user_id"),
        # Reports count the customers of one stage (active ones untouched), and the quiet ones by stage and owner,
        # from the index alone, their last touch deciding most of them: without it, a scan of every customer.
        Index(
            "ix_customers_stage",
            "workspace_id",
            "stage",
            "owner_user_id",
            "created_at",
            "deleted_at",
            "merged_into_id",
            "last_touched_at",
            "id",  # PostgreSQL's indexes hold only their columns: the passes look each customer's id up
        ),
        # One live customer per folded name in a workspace: two people creating "Acme" at once get one Acme.
        Index(
            "uq_customers_live_name_key",
            "workspace_id",
            "name_key",
            unique=True,
            postgresql_where=text(LIVE_CUSTOMER),
            sqlite_where=text(LIVE_CUSTOMER),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(FittedString(200))
    domain: Mapped[str | None] = mapped_column(FittedString(200))
    stage: Mapped[str | None] = mapped_column(FittedString(40))
    owner_user_id: Mapped[str | None] = mapped_column(FittedString(32))
    created_by: Mapped[str | None] = mapped_column(FittedString(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None]
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    # `fold(name)`, kept by `_fold_name` whenever the name is set. None on duplicates that predate migration 0008:
    # they keep their rows and names but leave the name to the oldest of them, until someone merges them.
    name_key: Mapped[str | None] = mapped_column(String(200))
    # When its latest live touchpoint happened (None: never touched): `customer_touches.last_at`, copied here by
    # triggers (migration 0020) so a pass over ix_customers_stage can tell who was touched when. Never set by the app.
    last_touched_at: Mapped[datetime | None]

    @validates("name")
    def _fold_name(self, _attribute: str, name: str) -> str:
        self.name_key = customer_name_key(name)
        return name


def customer_name_key(name: str) -> str | None:
    """The key two customers of one workspace may not share while both are live (see uq_customers_live_name_key)."""
    return fold(name) or None


# Another system names a customer by domain, or a contact by e-mail, in any case (storage.api): looked up by the
# folded value, these answer from an index where a workspace of 100,000 customers was otherwise read whole (15 ms
# a lookup on SQLite, on every API write that names a customer so).
Index("ix_customers_domain_folded", Customer.workspace_id, func.lower(Customer.domain))


class CustomerName(Base):
    """Every name a customer is known by, folded for matching.

    Rows are only appended or switched off, so a process can keep an in-memory index
    current by reading the rows added since the highest id it has seen.
    """

    __tablename__ = "customer_names"
    __table_args__ = (
        Index("ix_customer_names_lookup", "workspace_id", "key"),
        Index("ix_customer_names_since", "workspace_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(FittedString(10))  # name, alias, domain
    value: Mapped[str] = mapped_column(FittedString(200))
    key: Mapped[str] = mapped_column(FittedString(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(FittedString(200))
    email: Mapped[str | None] = mapped_column(FittedString(254))
    phone: Mapped[str | None] = mapped_column(FittedString(64))
    role: Mapped[str | None] = mapped_column(FittedString(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]


Index("ix_contacts_email_folded", Contact.workspace_id, func.lower(Contact.email))


class StageChange(Base):
    """Every move of a customer from one journey stage to another: who and when, for reporting later."""

    __tablename__ = "stage_changes"
    __table_args__ = (
        # Reports count a period's moves and probe a customer's later ones from these alone (storage.reports).
        Index("ix_stage_changes_customer", "workspace_id", "customer_id", "changed_at", "to_stage", "from_stage"),
        Index("ix_stage_changes_at", "workspace_id", "changed_at", "to_stage", "from_stage", "customer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    from_stage: Mapped[str | None] = mapped_column(FittedString(40))
    to_stage: Mapped[str | None] = mapped_column(FittedString(40))
    changed_by: Mapped[str | None] = mapped_column(FittedString(32))
    changed_at: Mapped[datetime]


class Touchpoint(Base):
    __tablename__ = "touchpoints"
    __table_args__ = (
        # A customer's touchpoints in order; the columns after occurred_at let the reports' probes per customer
        # (touched in a window? its first live touchpoint?) be answered from the index alone (storage.reports).
        Index(
            "ix_touchpoints_customer",
            "workspace_id",
            "customer_id",
            "occurred_at",
            "id",
            "deleted_at",
            "author_department",
        ),
        Index("ix_touchpoints_author", "workspace_id", "author_user_id", "occurred_at"),
        # Reports count one period's touchpoints of a workspace (storage.reports): the columns after occurred_at
        # are the ones they read, so the counts come from the index alone, without a lookup per touchpoint.
        Index(
            "ix_touchpoints_occurred",
            "workspace_id",
            "occurred_at",
            "customer_id",
            "author_department",
            "kind",
            "source",
            "deleted_at",
        ),
        # The HTTP API's idempotency: the same record of another system, posted again, is the touchpoint it made.
        Index(
            "uq_touchpoints_external_id",
            "workspace_id",
            "source_system",
            "external_id",
            unique=True,
            postgresql_where=text("external_id IS NOT NULL"),
            sqlite_where=text("external_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    # Null while the customer named in the line is unknown: the line is kept until someone picks one.
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    customer_text: Mapped[str | None] = mapped_column(FittedString(200))
    author_user_id: Mapped[str] = mapped_column(FittedString(32))
    author_department: Mapped[str | None] = mapped_column(FittedString(40))
    kind: Mapped[str] = mapped_column(FittedString(20))
    summary: Mapped[str] = mapped_column(StorableText)
    raw_text: Mapped[str | None] = mapped_column(StorableText)
    tags: Mapped[list[str]] = mapped_column(StorableJSON, default=list)
    occurred_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(FittedString(10))  # command, modal, shortcut, import, api, workflow
    permalink: Mapped[str | None] = mapped_column(FittedString(500))
    channel_id: Mapped[str | None] = mapped_column(FittedString(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]
    deleted_by: Mapped[str | None] = mapped_column(FittedString(32))
    # Where a touchpoint another system sent comes from (`source_system`, e.g. "shop"), its id there, and a link
    # back to the record. Not cut to fit: an id cut short could collide with another, so the API refuses longer.
    source_system: Mapped[str | None] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(FittedString(2000))


class ApiToken(Base):
    """A bearer token another system uses on the HTTP API, for one workspace. Only its SHA-256 is kept.

    A revoked token keeps its row (`revoked_at`), so the list still says who had access and until when.
    """

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(64))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class TouchpointDayCount(Base):
    """The live touchpoints of a UTC day by the author's department ('' when none was recorded), kind and source:
    a report reads a period's whole days from these (storage.day_counts). Never written by the app: triggers on
    touchpoints append changes (below), and the scheduler's worker folds them in."""

    __tablename__ = "touchpoint_day_counts"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    department: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    source: Mapped[str] = mapped_column(String(10), primary_key=True)
    touchpoints: Mapped[int] = mapped_column(Integer)


class TouchpointCountChange(Base):
    """+1 for a live touchpoint that appeared in a day's count, -1 for one that left it: appended by the triggers
    of migration 0018 on every write to touchpoints, so that concurrent writers never wait on a shared counter."""

    __tablename__ = "touchpoint_count_changes"
    __table_args__ = (Index("ix_touchpoint_count_changes_day", "workspace_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    day: Mapped[date] = mapped_column(Date)
    department: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(10))
    change: Mapped[int] = mapped_column(Integer)


class CustomerTouch(Base):
    """A customer's first live touchpoint (by occurred_at, then id) and when it was last touched: one row per
    customer with a live touchpoint. Never written by the app: triggers on touchpoints keep it (migration 0019),
    whichever code path wrote the touchpoint."""

    __tablename__ = "customer_touches"
    __table_args__ = (Index("ix_customer_touches_first", "workspace_id", "first_at"),)

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    first_touchpoint_id: Mapped[int] = mapped_column(Integer)
    first_at: Mapped[datetime]
    last_at: Mapped[datetime]


class FollowUp(Base):
    """A promise to get back to a customer, nudged to its assignee once it falls due.

    The dispatcher claims a due row by setting `claimed_by` and a `lease_until`; it marks `nudged_at`
    only after Slack accepted the message, so a process that dies mid-send loses nothing: its lease ends
    and another process takes the row over.
    """

    __tablename__ = "follow_ups"
    __table_args__ = (
        Index(
            "ix_follow_ups_pending",
            "due_at",
            postgresql_where=text("status = 'open' AND nudged_at IS NULL"),
            sqlite_where=text("status = 'open' AND nudged_at IS NULL"),
        ),
        Index("ix_follow_ups_assignee", "workspace_id", "assignee_user_id", "status"),
        # Reports read the follow-ups that fell due in one period of a workspace (storage.reports), and count
        # them by outcome and assignee from the index alone.
        Index(
            "ix_follow_ups_due",
            "workspace_id",
            "due_at",
            "status",
            "completed_at",
            "assignee_user_id",
            "touchpoint_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    touchpoint_id: Mapped[int] = mapped_column(ForeignKey("touchpoints.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    assignee_user_id: Mapped[str] = mapped_column(FittedString(32))
    due_at: Mapped[datetime]
    due_text: Mapped[str | None] = mapped_column(FittedString(200))
    status: Mapped[str] = mapped_column(FittedString(12), default="open")  # open, done, cancelled
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(FittedString(32))
    claimed_by: Mapped[str | None] = mapped_column(FittedString(64))
    lease_until: Mapped[datetime | None]
    nudged_at: Mapped[datetime | None]
    nudge_channel: Mapped[str | None] = mapped_column(FittedString(32))
    nudge_ts: Mapped[str | None] = mapped_column(FittedString(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(FittedString(200))
    # The assignee who left the workspace before it fell due, so the person it went to is told whose it was.
    taken_over_from: Mapped[str | None] = mapped_column(FittedString(32))


class WeeklyReport(Base):
    """A channel's weekly report: the previous Monday-to-Sunday week posted there every Monday at 09:00 in `tz`.

    One row per (workspace, channel), so subscribing again changes it rather than adding a second. Like a
    follow-up, it is claimed with `claimed_by` and a `lease_until` by a conditional UPDATE that one process
    wins, and `next_due_at` moves on to the next Monday only after Slack accepted the post: a process that dies
    mid-post loses nothing, and two never post the same week. Stopping sets `stopped_at`; the row stays.
    """

    __tablename__ = "weekly_reports"
    __table_args__ = (
        UniqueConstraint("workspace_id", "channel_id"),
        Index(
            "ix_weekly_reports_due",
            "next_due_at",
            postgresql_where=text("stopped_at IS NULL"),
            sqlite_where=text("stopped_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    channel_id: Mapped[str] = mapped_column(String(32))
    # The filter words after the channel (`finance`, `@dana`, `#expo2026`), read again for each week; not cut
    # to fit, as a cut filter would report on something else (the command refuses longer).
    filter_words: Mapped[str] = mapped_column(String(500), default="", server_default="")
    tz: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(FittedString(32))
    created_at: Mapped[datetime]
    changed_by: Mapped[str | None] = mapped_column(FittedString(32))
    changed_at: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]
    next_due_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(FittedString(64))
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(FittedString(200))
    # The first day (a Monday) of the week last posted, and when.
    last_week_first: Mapped[date | None] = mapped_column(Date)
    last_posted_at: Mapped[datetime | None]


class AuditEvent(Base):
    """Who changed what and when; deletes and undos are recorded here, never lost."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "workspace_id", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    actor_user_id: Mapped[str | None] = mapped_column(FittedString(32))
    action: Mapped[str] = mapped_column(FittedString(40))
    entity_type: Mapped[str] = mapped_column(FittedString(20))
    entity_id: Mapped[int] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(StorableJSON, default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class HandledEvent(Base):
    """An Events API delivery already taken on, so Slack's retries of it (same event_id) do nothing more.

    Kept in the store, not in memory, because a retry may reach another worker process; pruned after
    `handlers.retries.KEPT_FOR`, long after Slack's last retry.
    """

    __tablename__ = "handled_events"
    __table_args__ = (
        UniqueConstraint("team_id", "event_id"),
        Index("ix_handled_events_received_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime]


class ChannelLink(Base):
    """A Slack channel (usually a Slack Connect one) whose conversations with a customer's people are logged.

    One row per channel of a workspace, whatever it was linked to: unlinking sets `unlinked_at` (recorded in the
    audit trail) and linking again reuses the row, so a channel is never linked to two customers at once.
    """

    __tablename__ = "channel_links"
    __table_args__ = (
        UniqueConstraint("workspace_id", "channel_id"),
        # The card lists a customer's linked channels.
        Index("ix_channel_links_customer", "workspace_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    channel_id: Mapped[str] = mapped_column(String(32))
    # The channel's name when it was linked, for buttons (plain text cannot show a #channel mention).
    channel_name: Mapped[str | None] = mapped_column(FittedString(80))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    linked_by: Mapped[str] = mapped_column(FittedString(32))
    linked_at: Mapped[datetime]
    unlinked_at: Mapped[datetime | None]
    unlinked_by: Mapped[str | None] = mapped_column(FittedString(32))


class Conversation(Base):
    """One conversation in a linked channel: a thread, or a run of messages with no long gap. One touchpoint.

    `start_ts` is the thread's ts or the run's first message; the touchpoint is made when the first message from
    the customer's side arrives (a conversation only among colleagues has none), for the customer the channel is
    linked to then (its customer follows merges, as touchpoints do).
    """

    __tablename__ = "conversations"
    __table_args__ = (
        # A new message finds its conversation with one look-up: the thread by its ts, or the channel's latest run.
        UniqueConstraint("workspace_id", "channel_id", "start_ts"),
        Index("ix_conversations_latest_run", "workspace_id", "channel_id", "is_thread", "start_ts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    channel_id: Mapped[str] = mapped_column(String(32))
    is_thread: Mapped[bool] = mapped_column(Boolean)
    start_ts: Mapped[str] = mapped_column(String(32))
    # A thread's latest message; a run's latest top-level one (its gap is measured from there).
    last_ts: Mapped[str] = mapped_column(String(32))
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    # {"customer": [user ids], "internal": [user ids]}, each in the order they first spoke.
    participants: Mapped[dict[str, list[str]]] = mapped_column(StorableJSON, default=dict)
    touchpoint_id: Mapped[int | None] = mapped_column(ForeignKey("touchpoints.id"))
    # The customer's first message, whose words are the touchpoint's summary.
    summary_ts: Mapped[str | None] = mapped_column(String(32))


class ConversationMessage(Base):
    """A message of a conversation, so that an edit or a deletion (found by its ts) updates the touchpoint.

    Only the customer side's words are kept: they may become the summary. Colleagues' words are never stored.
    """

    __tablename__ = "conversation_messages"
    __table_args__ = (
        UniqueConstraint("workspace_id", "channel_id", "ts"),
        Index("ix_conversation_messages_conversation", "conversation_id", "ts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    channel_id: Mapped[str] = mapped_column(String(32))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    ts: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(FittedString(32))
    from_customer: Mapped[bool] = mapped_column(Boolean)
    text: Mapped[str | None] = mapped_column(StorableText)
    deleted_at: Mapped[datetime | None]
