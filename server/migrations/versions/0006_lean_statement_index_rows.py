"""The agent and activity rows of statements: clustered on (key, direct, number), without
a second row marking a direct key as related too, and without the unused number index

Revision ID: 0006
Revises: 0005
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = (("statement_agents", "agent"), ("statement_activities", "activity"))


def _create(table: str, column: str, key: tuple[str, str], **options: bool) -> None:
    types: dict[str, sa.types.TypeEngine[Any]] = {"number": sa.Integer(), "direct": sa.Boolean()}
    op.create_table(table, sa.Column(column, sa.String(2048), primary_key=True),
                    *(sa.Column(name, types[name], primary_key=True) for name in key),
                    **options)


def upgrade() -> None:
    for table, column in TABLES:
        # Clustered on its key (no separate rowid tree on SQLite): each row is one insert
        # into one tree, where it was three (table, key, number index).
        _create(f"{table}_new", column, ("direct", "number"), sqlite_with_rowid=False)
        # a direct key was also stored as related; the related filters now match both
        op.execute(f"""
            INSERT INTO {table}_new ({column}, direct, number)
            SELECT {column}, direct, number FROM {table} AS old
            WHERE old.direct OR NOT EXISTS (
                SELECT 1 FROM {table} AS twin
                WHERE twin.{column} = old.{column} AND twin.number = old.number
                  AND twin.direct)""")
        op.drop_index(f"ix_{table}_number", table)
        op.drop_table(table)
        op.rename_table(f"{table}_new", table)


def downgrade() -> None:
    for table, column in TABLES:
        _create(f"{table}_old", column, ("number", "direct"))
        op.execute(f"""
            INSERT INTO {table}_old ({column}, number, direct)
            SELECT {column}, number, direct FROM {table}
            UNION SELECT {column}, number, false FROM {table} WHERE direct""")
        op.drop_table(table)
        op.rename_table(f"{table}_old", table)
        op.create_index(f"ix_{table}_number", table, ["number"])
