"""drop the (status, due_at) index of follow-ups

Without statistics SQLite preferred it for every query that sorts open follow-ups by due time, scanning all
open follow-ups of the workspace instead of one person's or one customer's. The partial index on pending
rows serves the dispatcher.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.drop_index("ix_follow_ups_due")


def downgrade() -> None:
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.create_index("ix_follow_ups_due", ["status", "due_at"], unique=False)
