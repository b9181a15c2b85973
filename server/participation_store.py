"""Durable, append-only storage of participation facts: stored once by producer id, each
new fact also stored as its xAPI statement and counted in its member's month
(``activity_months``) in the same transaction, and only acknowledged after that
transaction commits."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, cast, delete, extract, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db.models import ActivityMonth, ExhibitVersion, ParticipationRecord, Tour
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
            insert = _insert(db)
            statement_ = insert(ParticipationRecord).on_conflict_do_nothing(
                index_elements=["id"])
            result = await db.execute(statement_.returning(ParticipationRecord.id), list(rows))
            new_ids = set(result.scalars().all())
            # an id twice in ``rows`` is stored once (its first row): kept once here too
            fresh = _first_of_each(rows, new_ids)
            if fresh:
                await _count_months(db, fresh, insert)
            if learning is not None and fresh:
                await _as_statements(db, fresh, learning, stored)
    return fresh


def _first_of_each(rows: Sequence[dict[str, Any]], ids: set[str]) -> list[dict[str, Any]]:
    """The rows with ``ids``, the first row of each id only, in order."""
    found: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r["id"] in ids:
            found.setdefault(r["id"], r)
    return list(found.values())


def _insert(db: AsyncSession) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT."""
    assert db.bind is not None  # the server's sessions are made bound to its engine
    return pg_insert if db.bind.dialect.name == "postgresql" else sqlite_insert


def month_key(at: datetime) -> int:
    """The calendar month (UTC) of ``at`` as ``activity_months`` keys it: 202609."""
    at = at.astimezone(UTC)
    return at.year * 100 + at.month


async def _count_months(db: AsyncSession, fresh: list[dict[str, Any]], insert: Any) -> None:
    """Adds the new facts to their members' months: one upsert a member and month (only
    facts new to the table are counted, so a fact delivered again counts once)."""
    counts = Counter((r["user_id"], month_key(r["at"])) for r in fresh)
    upsert = insert(ActivityMonth)
    upsert = upsert.on_conflict_do_update(
        index_elements=["user_id", "month"],
        set_={"facts": ActivityMonth.facts + upsert.excluded.facts})
    # sorted: concurrent transactions take the rows' locks in the same order (no deadlock)
    await db.execute(upsert, [{"user_id": user, "month": month, "facts": n}
                              for (user, month), n in sorted(counts.items())])


def months_from_facts(dialect: str) -> Any:
    """``(user_id, month, facts)`` counted from the facts themselves: what
    ``activity_months`` holds when it is right."""
    at = ParticipationRecord.at
    if dialect == "postgresql":
        utc = func.timezone("UTC", at)
        month: Any = (cast(extract("year", utc), Integer) * 100
                      + cast(extract("month", utc), Integer))
    else:  # SQLite keeps UTC text, "2026-09-15 10:00:00.000000"
        month = (cast(func.substr(at, 1, 4), Integer) * 100
                 + cast(func.substr(at, 6, 2), Integer))
    return (select(ParticipationRecord.user_id, month.label("month"),
                   func.count().label("facts"))
            .group_by(ParticipationRecord.user_id, month))


async def recount_months(db: AsyncSession) -> None:
    """Counts ``activity_months`` afresh from the facts (after facts were loaded in bulk,
    around :func:`store`)."""
    assert db.bind is not None
    await db.execute(delete(ActivityMonth))
    await db.execute(_insert(db)(ActivityMonth).from_select(
        ["user_id", "month", "facts"], months_from_facts(db.bind.dialect.name)))


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
