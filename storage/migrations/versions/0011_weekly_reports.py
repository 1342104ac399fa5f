"""weekly reports: a channel's subscription to the previous week's report, posted every Monday at 09:00

`weekly_reports` holds one row per (workspace, channel): the filter words, the zone its Monday 09:00 is read
in, the next instant it is due, and the claim (`claimed_by`, `lease_until`) a scheduler takes by a
conditional UPDATE, as follow-ups are claimed. A partial index on `next_due_at` over the live rows answers
"what is due" without reading stopped ones.

Revision ID: 0011_weekly_reports
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_weekly_reports"
down_revision = "0010"
branch_labels = None
depends_on = None

LIVE = "stopped_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "weekly_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("filter_words", sa.String(length=500), server_default="", nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("changed_by", sa.String(length=32), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=True),
        sa.Column("stopped_at", sa.DateTime(), nullable=True),
        sa.Column("next_due_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("last_week_first", sa.Date(), nullable=True),
        sa.Column("last_posted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_weekly_reports_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weekly_reports")),
        sa.UniqueConstraint("workspace_id", "channel_id", name=op.f("uq_weekly_reports_workspace_id")),
    )
    op.create_index(
        "ix_weekly_reports_due",
        "weekly_reports",
        ["next_due_at"],
        unique=False,
        postgresql_where=sa.text(LIVE),
        sqlite_where=sa.text(LIVE),
    )


def downgrade() -> None:
    op.drop_index("ix_weekly_reports_due", table_name="weekly_reports")
    op.drop_table("weekly_reports")
