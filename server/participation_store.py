"""Durable, append-only storage of participation facts: stored once by producer id, and
only acknowledged after the transaction commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db.models import ParticipationRecord


def row(id: str, user: int, kind: str, at: float, detail: dict[str, Any],
        tour: int | None = None) -> dict[str, Any]:
    return {"id": id, "user_id": user, "tour_id": tour, "kind": kind,
            "at": datetime.fromtimestamp(at, UTC), "stored_at": datetime.now(UTC),
            "detail": detail}


async def store(sessions: async_sessionmaker[AsyncSession],
                rows: Sequence[dict[str, Any]]) -> int:
    """Stores ``rows`` in one transaction, ignoring ids already stored; returns how many
    were new. Returns after the commit."""
    if not rows:
        return 0
    async with sessions.begin() as db:
        dialect = db.bind.dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(ParticipationRecord).on_conflict_do_nothing(index_elements=["id"])
        result = await db.execute(statement.returning(ParticipationRecord.id), list(rows))
        return len(result.all())


async def facts_of(sessions: async_sessionmaker[AsyncSession], *, user: int | None = None,
                   tour: int | None = None) -> list[ParticipationRecord]:
    """Stored facts in the order they arrived."""
    query = select(ParticipationRecord).order_by(ParticipationRecord.number)
    if user is not None:
        query = query.where(ParticipationRecord.user_id == user)
    if tour is not None:
        query = query.where(ParticipationRecord.tour_id == tour)
    async with sessions() as db:
        return list((await db.scalars(query)).all())
