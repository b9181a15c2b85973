"""Participation facts indexed by time, and by member and time, for reports over a period

Revision ID: 0007
Revises: 0006
"""
from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_participation_at", "participation", ["at"])
    # serves lookups by member alone too, so the member-only index goes
    op.create_index("ix_participation_user_at", "participation", ["user_id", "at"])
    op.drop_index("ix_participation_user_id", "participation")


def downgrade() -> None:
    op.create_index("ix_participation_user_id", "participation", ["user_id"])
    op.drop_index("ix_participation_user_at", "participation")
    op.drop_index("ix_participation_at", "participation")
