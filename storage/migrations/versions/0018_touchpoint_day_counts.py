"""Touchpoints counted per UTC day, department, kind and source, kept by the store (storage.day_counts)

`touchpoint_day_counts` holds the counts; `touchpoint_count_changes` the changes triggers on `touchpoints`
append for every insert, update and delete (+1 for a live touchpoint that appears, -1 for one that goes), folded
into the counts by the scheduler's worker. The triggers are made before the existing touchpoints are counted, in
the same transaction: on PostgreSQL creating them locks out writers until the migration commits, so no
touchpoint is counted twice or missed; on SQLite the migration holds the write lock throughout anyway.

Revision ID: 0018_touchpoint_day_counts
Revises: 0017_folded_lookups
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_touchpoint_day_counts"
down_revision = "0017_folded_lookups"
branch_labels = None
depends_on = None

_KEY = "workspace_id, day, department, kind, source"
# What changes a touchpoint's count: which workspace, day, department, kind and source it counts under, and
# whether it is live (deleted_at moving between two instants changes nothing).
_COUNTED_COLUMNS = "workspace_id, occurred_at, deleted_at, author_department, kind, source"

_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER touchpoint_counted_insert AFTER INSERT ON touchpoints WHEN NEW.deleted_at IS NULL
BEGIN
    INSERT INTO touchpoint_count_changes ({_KEY}, change)
    VALUES (NEW.workspace_id, date(NEW.occurred_at), coalesce(NEW.author_department, ''), NEW.kind, NEW.source, 1);
END""",
    f"""CREATE TRIGGER touchpoint_counted_delete AFTER DELETE ON touchpoints WHEN OLD.deleted_at IS NULL
BEGIN
    INSERT INTO touchpoint_count_changes ({_KEY}, change)
    VALUES (OLD.workspace_id, date(OLD.occurred_at), coalesce(OLD.author_department, ''), OLD.kind, OLD.source, -1);
END""",
    f"""CREATE TRIGGER touchpoint_counted_update AFTER UPDATE OF {_COUNTED_COLUMNS} ON touchpoints
WHEN OLD.workspace_id IS NOT NEW.workspace_id OR OLD.occurred_at IS NOT NEW.occurred_at
    OR (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL) OR OLD.author_department IS NOT NEW.author_department
    OR OLD.kind IS NOT NEW.kind OR OLD.source IS NOT NEW.source
BEGIN
    INSERT INTO touchpoint_count_changes ({_KEY}, change)
    SELECT OLD.workspace_id, date(OLD.occurred_at), coalesce(OLD.author_department, ''), OLD.kind, OLD.source, -1
    WHERE OLD.deleted_at IS NULL;
    INSERT INTO touchpoint_count_changes ({_KEY}, change)
    SELECT NEW.workspace_id, date(NEW.occurred_at), coalesce(NEW.author_department, ''), NEW.kind, NEW.source, 1
    WHERE NEW.deleted_at IS NULL;
END""",
]

_POSTGRESQL_TRIGGERS = [
    f"""CREATE FUNCTION touchpoint_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF OLD.deleted_at IS NULL THEN
            INSERT INTO touchpoint_count_changes ({_KEY}, change)
            VALUES (OLD.workspace_id, OLD.occurred_at::date, coalesce(OLD.author_department, ''), OLD.kind,
                    OLD.source, -1);
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF NEW.deleted_at IS NULL THEN
            INSERT INTO touchpoint_count_changes ({_KEY}, change)
            VALUES (NEW.workspace_id, NEW.occurred_at::date, coalesce(NEW.author_department, ''), NEW.kind,
                    NEW.source, 1);
        END IF;
    END IF;
    RETURN NULL;
END
$$""",
    """CREATE TRIGGER touchpoint_counted AFTER INSERT OR DELETE ON touchpoints
FOR EACH ROW EXECUTE FUNCTION touchpoint_counted()""",
    f"""CREATE TRIGGER touchpoint_counted_update AFTER UPDATE OF {_COUNTED_COLUMNS} ON touchpoints
FOR EACH ROW WHEN (OLD.workspace_id IS DISTINCT FROM NEW.workspace_id OR OLD.occurred_at IS DISTINCT FROM NEW.occurred_at
    OR (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)
    OR OLD.author_department IS DISTINCT FROM NEW.author_department
    OR OLD.kind IS DISTINCT FROM NEW.kind OR OLD.source IS DISTINCT FROM NEW.source)
EXECUTE FUNCTION touchpoint_counted()""",
]


def upgrade() -> None:
    op.create_table(
        "touchpoint_day_counts",
        sa.Column("workspace_id", sa.Integer(), sa.ForeignKey("workspaces.id"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("department", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("touchpoints", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "day", "department", "kind", "source"),
    )
    op.create_table(
        "touchpoint_count_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), sa.ForeignKey("workspaces.id"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("department", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("change", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_touchpoint_count_changes_day", "touchpoint_count_changes", ["workspace_id", "day"])
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _SQLITE_TRIGGERS if sqlite else _POSTGRESQL_TRIGGERS:
        op.execute(statement)
    day = "date(occurred_at)" if sqlite else "occurred_at::date"
    op.execute(
        f"INSERT INTO touchpoint_day_counts ({_KEY}, touchpoints) "
        f"SELECT workspace_id, {day}, coalesce(author_department, ''), kind, source, count(*) FROM touchpoints "
        f"WHERE deleted_at IS NULL GROUP BY workspace_id, {day}, coalesce(author_department, ''), kind, source"
    )
    op.execute("ANALYZE touchpoint_day_counts")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("touchpoint_counted_insert", "touchpoint_counted_delete", "touchpoint_counted_update"):
            op.execute(f"DROP TRIGGER {name}")
    else:
        op.execute("DROP TRIGGER touchpoint_counted_update ON touchpoints")
        op.execute("DROP TRIGGER touchpoint_counted ON touchpoints")
        op.execute("DROP FUNCTION touchpoint_counted()")
    op.drop_index("ix_touchpoint_count_changes_day", table_name="touchpoint_count_changes")
    op.drop_table("touchpoint_count_changes")
    op.drop_table("touchpoint_day_counts")
