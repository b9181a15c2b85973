"""Indexes the portal's pages ask for: a branch's invited tours, tours by start time, and
whether a member has a kind of fact for a tour (attendance, the member's record)

Revision ID: 0010
Revises: 0009
"""
from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tour_branches_org", "tour_branches", ["org_id", "tour_id"])
    op.create_index("ix_tours_starts_at", "tours", ["starts_at"])
    op.create_index("ix_participation_user_kind_tour", "participation",
                    ["user_id", "kind", "tour_id"])


def downgrade() -> None:
    op.drop_index("ix_participation_user_kind_tour", "participation")
    op.drop_index("ix_tours_starts_at", "tours")
    op.drop_index("ix_tour_branches_org", "tour_branches")
