"""The daily digest is claimed with a lease, as a nudge is: `members.digest_claimed_by` and `digest_lease_until`

A digest was claimed by setting `digest_sent_on` to the day, and given back only when its send failed in a
process that lived to say so. A process that died between the claim and Slack's answer (killed, out of memory,
the machine gone) left the day marked sent: that person had no digest that day. Now the claim also holds a lease;
the digest counts as sent once Slack accepted it (the lease cleared), and a claim whose lease ran out is taken over.
Existing rows get no lease: every day already marked is one whose digest went (or had nothing to list).

Revision ID: 0016_digest_lease
Revises: 0015_installations
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_digest_lease"
down_revision = "0015_installations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD and DROP COLUMNs: SQLite (3.35 on) takes both in place, no batch rebuild of members needed.
    op.add_column("members", sa.Column("digest_claimed_by", sa.String(length=64), nullable=True))
    op.add_column("members", sa.Column("digest_lease_until", sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("members", "digest_lease_until")
    op.drop_column("members", "digest_claimed_by")
