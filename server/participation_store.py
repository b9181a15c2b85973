"""Durable, append-only storage of participation facts: stored once by producer id, each
new fact also stored as its xAPI statement in the same transaction, and only acknowledged
after that transaction commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db.models import ExhibitVersion, ParticipationRecord, Tour
from server.lrs.facts import Site, statement
from server.lrs.in_flight import storing
from server.lrs.store import Writer, insert_statements


@dataclass(frozen=True)
class Learning:
    """How facts become statements: the site's identifiers, and whether statements are
    queued for forwarding to an external LRS."""

    site: Site
    forward: bool = False


def row(id: str, user: int, kind: str, at: float, detail: dict[str, Any],
        tour: int | None = None) -> dict[str, Any]:
    return {"id": id, "user_id": user, "tour_id": tour, "kind": kind,
            "at": datetime.fromtimestamp(at, UTC), "stored_at": datetime.now(UTC),
            "detail": detail}


async def store(sessions: async_sessionmaker[AsyncSession], rows: Sequence[dict[str, Any]],
                learning: Learning | None = None) -> list[dict[str, Any]]:
    """Stores ``rows`` in one transaction, ignoring ids already stored; returns the rows
    that were new. Returns after the commit."""
    if not rows:
        return []
    with storing() as stored:  # the statements' stored time, held until the commit
        async with sessions.begin() as db:
            assert db.bind is not None  # the server's sessions are made bound to its engine
            dialect = db.bind.dialect.name
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            statement_ = insert(ParticipationRecord).on_conflict_do_nothing(
                index_elements=["id"])
            result = await db.execute(statement_.returning(ParticipationRecord.id), list(rows))
            new_ids = set(result.scalars().all())
            fresh = [r for r in rows if r["id"] in new_ids]
            if learning is not None and fresh:
                await _as_statements(db, fresh, learning, stored)
    return fresh


async def _as_statements(db: AsyncSession, rows: list[dict[str, Any]], learning: Learning,
                         stored: tuple[datetime, str]) -> None:
    tours = {r["tour_id"] for r in rows if r["tour_id"] is not None}
    exhibits: dict[int, tuple[str, str]] = {}
    if tours:
        found = await db.execute(select(Tour.id, ExhibitVersion.exhibit_id, ExhibitVersion.version)
                                 .join(ExhibitVersion, ExhibitVersion.id == Tour.exhibit_version_id)
                                 .where(Tour.id.in_(tours)))
        exhibits = {tour: (exhibit, version) for tour, exhibit, version in found}
    made = []
    for r in rows:
        tour = r["tour_id"]
        one = statement(learning.site, r["id"], r["user_id"], r["kind"], r["at"].timestamp(),
                        r["detail"], tour=tour, exhibit=exhibits.get(tour) if tour else None)
        if one is not None:
            made.append(one)
    if made:
        await insert_statements(db, made, Writer(None, learning.site.authority), *stored,
                                learning.forward)


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
