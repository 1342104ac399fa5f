"""indexes that answer the report's per-customer probes and stage-change counts from the index alone

`storage.reports` asks, per customer, whether it had a live touchpoint in a window and which was its first
(`ix_touchpoints_customer`, now with id, deleted_at and the department, so no row is read for either); it
counts a period's stage changes by from and to stage and probes a customer's later moves
(`ix_stage_changes_at`, `ix_stage_changes_customer`, now with the stages and the customer); and it counts a
period's follow-ups by outcome and assignee (`ix_follow_ups_due`, now with the columns that decide both); and
it counts live customers by stage and owner (`ix_customers_stage`, now with the owner and what makes one live).
Each keeps its name and its leading columns, so every query that used it still can.

Revision ID: 0014_report_speed
Revises: 0010
"""

from alembic import op

revision = "0014_report_speed"
down_revision = "0012_channel_links"
branch_labels = None
depends_on = None

WIDENED = {
    # name: (table, columns before, columns after)
    "ix_touchpoints_customer": (
        "touchpoints",
        ["workspace_id", "customer_id", "occurred_at"],
        ["workspace_id", "customer_id", "occurred_at", "id", "deleted_at", "author_department"],
    ),
    "ix_customers_stage": (
        "customers",
        ["workspace_id", "stage"],
        ["workspace_id", "stage", "owner_user_id", "created_at", "deleted_at", "merged_into_id"],
    ),
    "ix_stage_changes_at": (
        "stage_changes",
        ["workspace_id", "changed_at"],
        ["workspace_id", "changed_at", "to_stage", "from_stage", "customer_id"],
    ),
    "ix_stage_changes_customer": (
        "stage_changes",
        ["workspace_id", "customer_id", "changed_at"],
        ["workspace_id", "customer_id", "changed_at", "to_stage", "from_stage"],
    ),
    "ix_follow_ups_due": (
        "follow_ups",
        ["workspace_id", "due_at"],
        ["workspace_id", "due_at", "status", "completed_at", "assignee_user_id", "touchpoint_id"],
    ),
}


def _rebuild(position: int) -> None:
    for name, spec in WIDENED.items():
        table, columns = spec[0], spec[position]
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns, unique=False)


def upgrade() -> None:
    _rebuild(2)
    # Fresh statistics for the rebuilt indexes: SQLite keeps none for a new index until ANALYZE, and without
    # them it may probe a customer's touchpoints through ix_touchpoints_occurred instead.
    for table in sorted({table for table, _, _ in WIDENED.values()}):
        op.execute(f"ANALYZE {table}")


def downgrade() -> None:
    _rebuild(1)
