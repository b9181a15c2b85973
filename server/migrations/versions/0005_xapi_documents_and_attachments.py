"""xAPI documents (State, Activity Profile, Agent Profile) and attachment data; the
StatementRef index covers only statements that refer to another

Revision ID: 0005
Revises: 0004
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.db.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


_REFERS = sa.text("ref_target IS NOT NULL")


def upgrade() -> None:
    # Almost no statement refers to another: a full index on ref_target is one NULL key
    # for every row, and planners with statistics then scan the table instead of using it.
    op.drop_index("ix_statements_ref_target", "statements")
    op.create_index("ix_statements_ref_target", "statements", ["ref_target"],
                    sqlite_where=_REFERS, postgresql_where=_REFERS)
    op.create_table(
        "xapi_documents",
        sa.Column("number", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("registration", sa.String(36), nullable=False),
        sa.Column("document_id", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("etag", sa.String(64), nullable=False),
        sa.Column("updated", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_xapi_documents_scope", "xapi_documents", ["scope"])
    op.create_table(
        "xapi_attachments",
        sa.Column("sha2", sa.String(128), primary_key=True),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_index("ix_statements_ref_target", "statements")
    op.create_index("ix_statements_ref_target", "statements", ["ref_target"])
    op.drop_table("xapi_attachments")
    op.drop_index("ix_xapi_documents_scope", "xapi_documents")
    op.drop_table("xapi_documents")
