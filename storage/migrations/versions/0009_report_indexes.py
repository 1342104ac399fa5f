"""indexes the reports' sums read by: one period's touchpoints and follow-ups, the customers of one stage

`storage.reports` reads a workspace's touchpoints by `occurred_at`, its follow-ups by `due_at` and its
customers by `stage`; without these, each report scans every row of the workspace.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The columns after occurred_at are those the period's counts read: they are answered from the index alone.
    op.create_index(
        "ix_touchpoints_occurred",
        "touchpoints",
        ["workspace_id", "occurred_at", "customer_id", "author_department", "kind", "source", "deleted_at"],
        unique=False,
    )
    op.create_index("ix_follow_ups_due", "follow_ups", ["workspace_id", "due_at"], unique=False)
    op.create_index("ix_customers_stage", "customers", ["workspace_id", "stage"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_customers_stage", table_name="customers")
    op.drop_index("ix_follow_ups_due", table_name="follow_ups")
    op.drop_index("ix_touchpoints_occurred", table_name="touchpoints")
