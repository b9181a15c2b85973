"""The web portal: log-in lock-out and deactivation on accounts, the portal's inbox of
notices, a delivery record per notification channel; for the dashboard, each member's
facts counted by month (activity_months, counted here from the facts already stored) and
a covering index of the ledger by year and member

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
    _activity_months()
    op.create_index("ix_credit_ledger_year_user", "credit_ledger",
                    ["year", "user_id", "at", "hours", "exhibit_id"])


# the calendar month (UTC) of a fact as year * 100 + month; SQLite keeps UTC text
_MONTH = {
    "postgresql": "CAST(EXTRACT(YEAR FROM timezone('UTC', at)) AS INTEGER) * 100"
                  " + CAST(EXTRACT(MONTH FROM timezone('UTC', at)) AS INTEGER)",
    "sqlite": "CAST(substr(at, 1, 4) AS INTEGER) * 100 + CAST(substr(at, 6, 2) AS INTEGER)",
}


def _activity_months() -> None:
    op.create_table(
        "activity_months",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("facts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "month"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_activity_months_month", "activity_months", ["month", "user_id"])
    month = _MONTH[op.get_bind().dialect.name]
    op.execute(f"INSERT INTO activity_months (user_id, month, facts) "
               f"SELECT user_id, {month}, count(*) FROM participation "
               f"GROUP BY user_id, {month}")


def downgrade() -> None:
    op.drop_index("ix_credit_ledger_year_user", "credit_ledger")
    op.drop_index("ix_activity_months_month", "activity_months")
    op.drop_table("activity_months")
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
