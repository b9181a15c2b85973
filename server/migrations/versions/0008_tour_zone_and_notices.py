"""Tours keep the zone they were scheduled in and an iCalendar sequence; the reminder queue
also carries notices of moved and cancelled tours

Revision ID: 0008
Revises: 0007
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tours") as tours:
        tours.add_column(sa.Column("utc_offset_minutes", sa.Integer(), nullable=False,
                                   server_default="0"))
        tours.add_column(sa.Column("sequence", sa.Integer(), nullable=False,
                                   server_default="0"))
    with op.batch_alter_table("reminders") as reminders:
        reminders.add_column(sa.Column("kind", sa.String(20), nullable=False,
                                       server_default="reminder"))
        reminders.add_column(sa.Column("detail", sa.JSON(), nullable=True))


def downgrade() -> None:
    # notices of moves and cancellations are not reminders: they go with their column
    op.execute("DELETE FROM reminders WHERE kind <> 'reminder'")
    with op.batch_alter_table("reminders") as reminders:
        reminders.drop_column("detail")
        reminders.drop_column("kind")
    with op.batch_alter_table("tours") as tours:
        tours.drop_column("sequence")
        tours.drop_column("utc_offset_minutes")
