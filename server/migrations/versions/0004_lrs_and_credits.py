"""xAPI statements with their agent and activity indexes, LRS clients, the credit ledger,
the forwarding outbox and cmi5 launches

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.db.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "statements",
        sa.Column("number", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(36), nullable=False, unique=True),
        sa.Column("stored", UTCDateTime(timezone=True), nullable=False),
        sa.Column("verb_id", sa.String(2048), nullable=False),
        sa.Column("registration", sa.String(36), nullable=True),
        sa.Column("ref_target", sa.String(36), nullable=True),
        sa.Column("voiding", sa.Boolean(), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
    )
    op.create_index("ix_statements_stored", "statements", ["stored"])
    op.create_index("ix_statements_verb_id", "statements", ["verb_id", "number"])
    op.create_index("ix_statements_registration", "statements", ["registration", "number"])
    op.create_index("ix_statements_ref_target", "statements", ["ref_target"])
    op.create_index("ix_statements_client_id", "statements", ["client_id", "number"])
    for table, column in (("statement_agents", "agent"), ("statement_activities", "activity")):
        op.create_table(
            table,
            sa.Column(column, sa.String(2048), primary_key=True),
            sa.Column("number", sa.Integer(), primary_key=True),
            sa.Column("direct", sa.Boolean(), primary_key=True),
        )
        op.create_index(f"ix_{table}_number", table, ["number"])
    op.create_table(
        "xapi_clients",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("scopes", sa.String(200), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", UTCDateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "credit_ledger",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("award_key", sa.String(200), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("hours", sa.String(16), nullable=False),
        sa.Column("exhibit_id", sa.String(64), nullable=False),
        sa.Column("subject", sa.JSON(), nullable=False),
        sa.Column("basis", sa.JSON(), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_credit_ledger_user_id", "credit_ledger", ["user_id"])
    op.create_index("ix_credit_ledger_year", "credit_ledger", ["year"])
    op.create_index("ix_credit_ledger_exhibit_id", "credit_ledger", ["exhibit_id"])
    op.create_table(
        "xapi_outbox",
        sa.Column("number", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
    )
    op.create_index("ix_xapi_outbox_next_at", "xapi_outbox", ["next_at"])
    op.create_table(
        "cmi5_launches",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fetch_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("registration", sa.String(36), nullable=False),
        sa.Column("activity_id", sa.String(2048), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("fetched_at", UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    for table in ("cmi5_launches", "xapi_outbox", "credit_ledger", "xapi_clients",
                  "statement_activities", "statement_agents", "statements"):
        op.drop_table(table)
