"""Tour recordings: the sha256 of a live tour's stored recording (its index), and whether
the tour keeps members' voices in it (each member's consent is asked for as well)

Revision ID: 0011
Revises: 0010
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tours") as tours:
        tours.add_column(sa.Column("recording_sha256", sa.String(64), nullable=True))
        tours.add_column(sa.Column("keep_member_voices", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("tours") as tours:
        tours.drop_column("keep_member_voices")
        tours.drop_column("recording_sha256")
