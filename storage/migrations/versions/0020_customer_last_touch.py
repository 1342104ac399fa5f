"""Each customer's last touch on its own row (customers.last_touched_at), a copy of customer_touches.last_at

Reports ask of every customer of a workspace, by stage and owner, whether it was touched in a window (quiet
customers, untouched active ones). Asked of `customer_touches`, that is an outer join per customer, which cost
more than it saved (100 against 81 ms on 1,000,000 touchpoints, SQLite); with the last touch in
`ix_customers_stage` beside the stage and owner, one pass over that index decides every customer whose last
touch lies before the window or inside it, and only those touched since the window ended are looked up.

Triggers on `customer_touches` copy its `last_at` whenever a row is made, moved or removed, so the copy follows
every write those triggers follow (migration 0019): no code path sets it. Made in one transaction with the
triggers before the backfill, as 0019 is, so no touch is missed.

Revision ID: 0020_customer_last_touch
Revises: 0019_customer_touches
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_customer_last_touch"
down_revision = "0019_customer_touches"
branch_labels = None
depends_on = None

_STAGE_BEFORE = ["workspace_id", "stage", "owner_user_id", "created_at", "deleted_at", "merged_into_id"]
_SET = "UPDATE customers SET last_touched_at = {value} WHERE id = {customer}"
_TRIGGERS = ("customer_last_touch_insert", "customer_last_touch_update", "customer_last_touch_delete")


def _sqlite_triggers() -> list[str]:
    copied = _SET.format(value="NEW.last_at", customer="NEW.customer_id")
    return [
        f"""CREATE TRIGGER customer_last_touch_insert AFTER INSERT ON customer_touches
BEGIN
    {copied};
END""",
        f"""CREATE TRIGGER customer_last_touch_update AFTER UPDATE OF last_at ON customer_touches
WHEN OLD.last_at IS NOT NEW.last_at
BEGIN
    {copied};
END""",
        f"""CREATE TRIGGER customer_last_touch_delete AFTER DELETE ON customer_touches
BEGIN
    {_SET.format(value="NULL", customer="OLD.customer_id")};
END""",
    ]


def _postgresql_triggers() -> list[str]:
    return [
        f"""CREATE FUNCTION customer_last_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        {_SET.format(value="NULL", customer="OLD.customer_id")};
    ELSE
        {_SET.format(value="NEW.last_at", customer="NEW.customer_id")};
    END IF;
    RETURN NULL;
END
$$""",
        """CREATE TRIGGER customer_last_touch_insert AFTER INSERT ON customer_touches
FOR EACH ROW EXECUTE FUNCTION customer_last_touch()""",
        """CREATE TRIGGER customer_last_touch_update AFTER UPDATE OF last_at ON customer_touches
FOR EACH ROW WHEN (OLD.last_at IS DISTINCT FROM NEW.last_at) EXECUTE FUNCTION customer_last_touch()""",
        """CREATE TRIGGER customer_last_touch_delete AFTER DELETE ON customer_touches
FOR EACH ROW EXECUTE FUNCTION customer_last_touch()""",
    ]


def upgrade() -> None:
    op.add_column("customers", sa.Column("last_touched_at", sa.DateTime(), nullable=True))
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _sqlite_triggers() if sqlite else _postgresql_triggers():
        op.execute(statement)
    op.execute(
        """UPDATE customers SET last_touched_at =
    (SELECT last_at FROM customer_touches WHERE customer_touches.customer_id = customers.id)
WHERE id IN (SELECT customer_id FROM customer_touches)"""
    )
    op.drop_index("ix_customers_stage", table_name="customers")
    op.create_index("ix_customers_stage", "customers", [*_STAGE_BEFORE, "last_touched_at"])
    op.execute("ANALYZE customers")


def downgrade() -> None:
    op.drop_index("ix_customers_stage", table_name="customers")
    op.create_index("ix_customers_stage", "customers", _STAGE_BEFORE)
    if op.get_bind().dialect.name == "sqlite":
        for name in _TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    else:
        for name in _TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON customer_touches")
        op.execute("DROP FUNCTION customer_last_touch()")
    op.drop_column("customers", "last_touched_at")
