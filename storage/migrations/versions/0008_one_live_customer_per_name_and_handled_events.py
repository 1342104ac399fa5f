"""one live customer per folded name in a workspace; Events API deliveries already handled

Customers get `name_key` (`bot.text.fold` of the name) and a unique index on (workspace_id, name_key) over the
live ones (not merged, not deleted), so two people creating the same customer at once get one customer.

Existing duplicates are kept, never deleted or merged behind anyone's back: of the live customers of a workspace
whose names fold alike, the oldest (lowest id) holds the key and the others get `name_key` NULL. They stay
findable and usable exactly as before; merging them (*Merge* on the card) is how they become one, and renaming
one gives it its new name's key.

`handled_events` records the event_id of each Events API delivery taken on, so a retry is acknowledged and
ignored by whichever process it reaches.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from bot.text import fold

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

LIVE_CUSTOMER = "deleted_at IS NULL AND merged_into_id IS NULL AND name_key IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.String(length=200), nullable=True))
    _fill_name_keys()
    op.create_index(
        "uq_customers_live_name_key",
        "customers",
        ["workspace_id", "name_key"],
        unique=True,
        postgresql_where=sa.text(LIVE_CUSTOMER),
        sqlite_where=sa.text(LIVE_CUSTOMER),
    )
    op.create_table(
        "handled_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handled_events")),
        sa.UniqueConstraint("team_id", "event_id", name=op.f("uq_handled_events_team_id")),
    )
    op.create_index("ix_handled_events_received_at", "handled_events", ["received_at"], unique=False)


def _fill_name_keys() -> None:
    """Every customer's key; a live duplicate of an older live customer's key is left NULL (see above)."""
    connection = op.get_bind()
    customers = sa.table(
        "customers",
        sa.column("id", sa.Integer),
        sa.column("workspace_id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("name_key", sa.String),
        sa.column("merged_into_id", sa.Integer),
        sa.column("deleted_at", sa.DateTime),
    )
    rows = connection.execute(
        sa.select(
            customers.c.id,
            customers.c.workspace_id,
            customers.c.name,
            customers.c.merged_into_id.is_(None) & customers.c.deleted_at.is_(None),
        ).order_by(customers.c.id)
    )
    held: set[tuple[int, str]] = set()
    keys = []
    for customer_id, workspace_id, name, live in rows:
        key = fold(name or "") or None
        if key is not None and live:
            if (workspace_id, key) in held:
                key = None
            else:
                held.add((workspace_id, key))
        if key is not None:
            keys.append({"row_id": customer_id, "key": key})
    statement = customers.update().where(customers.c.id == sa.bindparam("row_id")).values(name_key=sa.bindparam("key"))
    for start in range(0, len(keys), 1000):
        connection.execute(statement, keys[start : start + 1000])


def downgrade() -> None:
    op.drop_index("ix_handled_events_received_at", table_name="handled_events")
    op.drop_table("handled_events")
    op.drop_index("uq_customers_live_name_key", table_name="customers")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("name_key")
