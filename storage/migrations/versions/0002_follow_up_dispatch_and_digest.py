"""follow-up dispatch and digest

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 18:53:47.898352
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("completed_by", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("nudged_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("nudge_channel", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("nudge_ts", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.String(length=200), nullable=True))
        batch_op.create_index("ix_follow_ups_assignee", ["workspace_id", "assignee_user_id", "status"], unique=False)
        batch_op.create_index(
            "ix_follow_ups_pending",
            ["due_at"],
            unique=False,
            postgresql_where=sa.text("status = 'open' AND nudged_at IS NULL"),
            sqlite_where=sa.text("status = 'open' AND nudged_at IS NULL"),
        )

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest_enabled", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column("digest_hour", sa.Integer(), server_default="9", nullable=False))
        batch_op.add_column(sa.Column("digest_sent_on", sa.Date(), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("digest_sent_on")
        batch_op.drop_column("digest_hour")
        batch_op.drop_column("digest_enabled")

    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_follow_ups_pending",
            postgresql_where=sa.text("status = 'open' AND nudged_at IS NULL"),
            sqlite_where=sa.text("status = 'open' AND nudged_at IS NULL"),
        )
        batch_op.drop_index("ix_follow_ups_assignee")
        batch_op.drop_column("last_error")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("attempts")
        batch_op.drop_column("nudge_ts")
        batch_op.drop_column("nudge_channel")
        batch_op.drop_column("nudged_at")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("completed_by")
