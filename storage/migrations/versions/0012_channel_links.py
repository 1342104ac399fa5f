"""channels linked to a customer, and the conversations in them that became touchpoints

`channel_links` holds one row per channel of a workspace and the customer it is linked to; unlinking sets
`unlinked_at`, so it is reversible and the row says who did it. `conversations` are the threads and runs of
messages in a linked channel, each with its touchpoint, found by (workspace, channel, start_ts);
`conversation_messages` keeps each message's ts and side (and the customer side's words), so an edit or a
deletion updates the touchpoint.

Revision ID: 0012_channel_links
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_channel_links"
down_revision = "0011_weekly_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("channel_name", sa.String(length=80), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("linked_by", sa.String(length=32), nullable=False),
        sa.Column("linked_at", sa.DateTime(), nullable=False),
        sa.Column("unlinked_at", sa.DateTime(), nullable=True),
        sa.Column("unlinked_by", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_channel_links_workspace_id_workspaces")
        ),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_channel_links_customer_id_customers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_links")),
        sa.UniqueConstraint("workspace_id", "channel_id", name=op.f("uq_channel_links_workspace_id")),
    )
    op.create_index("ix_channel_links_customer", "channel_links", ["workspace_id", "customer_id"], unique=False)
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("is_thread", sa.Boolean(), nullable=False),
        sa.Column("start_ts", sa.String(length=32), nullable=False),
        sa.Column("last_ts", sa.String(length=32), nullable=False),
        sa.Column("message_count", sa.Integer(), nullable=False),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("touchpoint_id", sa.Integer(), nullable=True),
        sa.Column("summary_ts", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_conversations_workspace_id_workspaces")
        ),
        sa.ForeignKeyConstraint(
            ["touchpoint_id"], ["touchpoints.id"], name=op.f("fk_conversations_touchpoint_id_touchpoints")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint("workspace_id", "channel_id", "start_ts", name=op.f("uq_conversations_workspace_id")),
    )
    op.create_index(
        "ix_conversations_latest_run",
        "conversations",
        ["workspace_id", "channel_id", "is_thread", "start_ts"],
        unique=False,
    )
    op.create_table(
        "conversation_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("from_customer", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_conversation_messages_workspace_id_workspaces")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_messages_conversation_id_conversations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_messages")),
        sa.UniqueConstraint("workspace_id", "channel_id", "ts", name=op.f("uq_conversation_messages_workspace_id")),
    )
    op.create_index(
        "ix_conversation_messages_conversation",
        "conversation_messages",
        ["conversation_id", "ts"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_conversation_messages_conversation", table_name="conversation_messages")
    op.drop_table("conversation_messages")
    op.drop_index("ix_conversations_latest_run", table_name="conversations")
    op.drop_table("conversations")
    op.drop_index("ix_channel_links_customer", table_name="channel_links")
    op.drop_table("channel_links")
