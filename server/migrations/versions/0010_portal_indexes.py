"""Indexes the portal's pages ask for: a branch's invited tours, tours by start time, and
whether a member has a kind of fact for a tour (attendance, the member's record); and on
accounts, whether the password is a temporary one an administrator handed out

Revision ID: 0010
Revises: 0009
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as users:
        users.add_column(sa.Column("password_temporary", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.create_index("ix_tour_branches_org", "tour_branches", ["org_id", "tour_id"])
    op.create_index("ix_tours_starts_at", "tours", ["starts_at"])
    op.create_index("ix_participation_user_kind_tour", "participation",
                    ["user_id", "kind", "tour_id"])


def downgrade() -> None:
    op.drop_index("ix_participation_user_kind_tour", "participation")
    op.drop_index("ix_tours_starts_at", "tours")
    op.drop_index("ix_tour_branches_org", "tour_branches")
    with op.batch_alter_table("users") as users:
        users.drop_column("password_temporary")
