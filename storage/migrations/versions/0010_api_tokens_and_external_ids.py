"""API tokens; touchpoints keep the system they came from, its id for them, and a link back

`api_tokens` holds a SHA-256 of each bearer token the HTTP API accepts (never the token), one name per
workspace, revoked by date rather than deleted. Touchpoints get `source_system`, `external_id` and `url`, and a
unique index on (workspace_id, source_system, external_id) over the rows that have an external id: the same
record posted twice, even by two requests at once, is one touchpoint.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

HAS_EXTERNAL_ID = "external_id IS NOT NULL"


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_api_tokens_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_api_tokens_token_sha256")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_api_tokens_workspace_id")),
    )
    with op.batch_alter_table("touchpoints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_system", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("external_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("url", sa.String(length=2000), nullable=True))
    op.create_index(
        "uq_touchpoints_external_id",
        "touchpoints",
        ["workspace_id", "source_system", "external_id"],
        unique=True,
        postgresql_where=sa.text(HAS_EXTERNAL_ID),
        sqlite_where=sa.text(HAS_EXTERNAL_ID),
    )


def downgrade() -> None:
    op.drop_index("uq_touchpoints_external_id", table_name="touchpoints")
    with op.batch_alter_table("touchpoints", schema=None) as batch_op:
        batch_op.drop_column("url")
        batch_op.drop_column("external_id")
        batch_op.drop_column("source_system")
    op.drop_table("api_tokens")
