"""calendar feed tokens; one registration row per member and tour

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("calendar_token", sa.String(length=64), nullable=True))
        batch.create_unique_constraint("user_calendar_token", ["calendar_token"])
    with op.batch_alter_table("registrations") as batch:
        batch.create_unique_constraint("registration_once", ["tour_id", "user_id"])


def downgrade() -> None:
    with op.batch_alter_table("registrations") as batch:
        batch.drop_constraint("registration_once", type_="unique")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("user_calendar_token", type_="unique")
        batch.drop_column("calendar_token")
