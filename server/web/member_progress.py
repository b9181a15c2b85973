"""A member's 学时 this year against their yearly target, from the same ledger rows and
targets ``GET /api/credits`` answers with, and the progress ring drawn from it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.credits.ledger import as_fields
from server.credits.reports import Period
from server.db.models import LedgerEntry, User
from server.routes.credits import target_for, target_of
from server.web.member_words import hours_text

RING_RADIUS = 52.0  # the ring's circle in a 120×120 view box
RING_LENGTH = 2 * math.pi * RING_RADIUS


@dataclass(frozen=True)
class Progress:
    """Hours earned in ``year`` and what they are measured against."""

    year: int
    hours: float
    target: float
    due_by_now: float  # the share of the target the days gone by ask for
    awards: list[dict[str, Any]]

    @property
    def on_pace(self) -> bool:
        return self.hours + 1e-9 >= self.due_by_now

    @property
    def share(self) -> float:
        return min(self.hours / self.target, 1.0) if self.target > 0 else 1.0

    @property
    def percent(self) -> int:
        return math.floor(self.share * 100)

    @property
    def words(self) -> dict[str, str]:
        """The numbers as the page writes them (0.5, 2, 31.25)."""
        return {"hours": hours_text(self.hours), "target": hours_text(self.target),
                "remaining": hours_text(max(self.target - self.hours, 0.0)),
                "due": hours_text(self.due_by_now)}

    @property
    def dasharray(self) -> str:
        """The ring's ``stroke-dasharray``: the drawn arc, then the rest of the circle."""
        drawn = RING_LENGTH * self.share
        return f"{drawn:.2f} {RING_LENGTH - drawn:.2f}"


async def yearly_target(request: web.Request, db: AsyncSession, user_id: int) -> float:
    """The member's own target when one is set for them, else their role's."""
    user = await db.get(User, user_id)
    if user is None:
        return target_for(request, "member")
    return target_of(request, user)


async def awards_of(db: AsyncSession, user_id: int, year: int) -> list[dict[str, Any]]:
    """The member's awards in ``year`` as ``GET /api/credits`` reads them, in ledger order."""
    rows = (await db.scalars(select(LedgerEntry).where(
        LedgerEntry.user_id == user_id, LedgerEntry.year == year)
        .order_by(LedgerEntry.seq))).all()
    return [as_fields(row) for row in rows]


async def progress(request: web.Request, db: AsyncSession, user_id: int,
                   year: int | None = None) -> Progress:
    now = datetime.now(UTC)
    year = year or now.year
    awards = await awards_of(db, user_id, year)
    hours = round(sum(float(a["hours"]) for a in awards), 2)
    target = await yearly_target(request, db, user_id)
    due = target * Period.year(year).share_of_year_elapsed(now.date())
    return Progress(year, hours, target, round(due, 2), awards)
