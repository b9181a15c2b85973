"""The web portal: log-in lock-out and deactivation on accounts, the portal's inbox of
notices, and a delivery record per notification channel

Revision ID: 0009
Revises: 0008
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as users:
        users.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False,
                                   server_default="0"))
        users.add_column(sa.Column("locked_until", server.db.types.UTCDateTime(timezone=True),
                                   nullable=True))
        users.add_column(sa.Column("deactivated_at",
                                   server.db.types.UTCDateTime(timezone=True), nullable=True))
        users.add_column(sa.Column("email", sa.String(200), nullable=True))
        users.add_column(sa.Column("yearly_target", sa.Float(), nullable=True))
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("tour_id", sa.Integer(), sa.ForeignKey("tours.id"), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index("notifications_by_user", "notifications", ["user_id", "created_at"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reminder_id", sa.Integer(), sa.ForeignKey("reminders.id"), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("sent_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("next_try_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("reminder_id", "channel", name="delivery_once"),
    )
    op.create_index("deliveries_due", "deliveries", ["sent_at", "next_try_at"])


def downgrade() -> None:
    op.drop_index("deliveries_due", "deliveries")
    op.drop_table("deliveries")
    op.drop_index("notifications_by_user", "notifications")
    op.drop_table("notifications")
    with op.batch_alter_table("users") as users:
        users.drop_column("yearly_target")
        users.drop_column("email")
        users.drop_column("deactivated_at")
        users.drop_column("locked_until")
        users.drop_column("failed_logins")
