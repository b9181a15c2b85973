"""The peer: the same three reports worked out in Python from every row of the period
(how RedHall computed them before its reports were aggregated by the database)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.credits.reports import Period, Scope, _awarded_in
from server.db.models import (
    ExhibitVersion,
    LedgerEntry,
    Organization,
    ParticipationRecord,
    Tour,
    User,
)


async def _people(db: AsyncSession, scope: Scope) -> list[tuple[User, str]]:
    query = (select(User, Organization.name).outerjoin(Organization, Organization.id == User.org_id)
             .where(User.deleted_at.is_(None), User.role.in_(("member", "guide"))))
    if scope.org_id is not None:
        query = query.where(User.org_id == scope.org_id)
    return [(user, name or "") for user, name in (await db.execute(query)).all()]


async def members(sessions: async_sessionmaker[AsyncSession], period: Period, scope: Scope,
                  targets: dict[str, float], today: date) -> list[dict[str, Any]]:
    start, end = period.bounds()
    async with sessions() as db:
        people = await _people(db, scope)
        hours: dict[int, Decimal] = defaultdict(Decimal)
        for user, value in await db.execute(select(LedgerEntry.user_id, LedgerEntry.hours)
                                            .where(_awarded_in(period))):
            hours[user] += Decimal(value)
        active = set((await db.scalars(select(ParticipationRecord.user_id).distinct().where(
            ParticipationRecord.at >= start, ParticipationRecord.at < end))).all())
    due = period.share_of_year_elapsed(today)
    rows = []
    for user, branch in people:
        target = targets.get(user.role, targets.get("member", 32.0))
        earned = float(hours.get(user.id, 0))
        rows.append({"user": user.id, "branch": branch, "hours": round(earned, 2),
                     "due_by_now": round(target * due, 2),
                     "on_pace": earned + 1e-9 >= target * due, "active": user.id in active})
    return rows


async def branches(sessions: async_sessionmaker[AsyncSession], period: Period, scope: Scope,
                   targets: dict[str, float], today: date) -> list[dict[str, Any]]:
    by_branch: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for person in await members(sessions, period, scope, targets, today):
        by_branch[person["branch"] or "(no branch)"].append(person)
    return [{"branch": branch, "members": len(group),
             "active_members": sum(p["active"] for p in group),
             "hours": round(sum(p["hours"] for p in group), 2)}
            for branch, group in sorted(by_branch.items())]


async def exhibits(sessions: async_sessionmaker[AsyncSession], period: Period, scope: Scope
                   ) -> list[dict[str, Any]]:
    start, end = period.bounds()
    async with sessions() as db:
        tour_exhibit = dict((await db.execute(
            select(Tour.id, ExhibitVersion.exhibit_id)
            .join(ExhibitVersion, ExhibitVersion.id == Tour.exhibit_version_id))).all())
        facts = (await db.execute(select(
            ParticipationRecord.user_id, ParticipationRecord.tour_id, ParticipationRecord.kind,
            ParticipationRecord.detail).where(ParticipationRecord.at >= start,
                                             ParticipationRecord.at < end))).all()
        awards = (await db.execute(select(LedgerEntry.exhibit_id, LedgerEntry.hours)
                                   .where(_awarded_in(period)))).all()
    visitors: dict[str, set[int]] = defaultdict(set)
    tours: dict[str, set[int]] = defaultdict(set)
    for user, tour, kind, detail in facts:
        exhibit = tour_exhibit.get(tour) if tour is not None else detail.get("exhibit")
        if exhibit is not None:
            visitors[exhibit].add(user)
            if kind == "tour_ended":
                tours[exhibit].add(tour)
    hours: dict[str, Decimal] = defaultdict(Decimal)
    for exhibit, value in awards:
        hours[exhibit] += Decimal(value)
    return [{"exhibit": name, "visitors": len(visitors[name]), "tours": len(tours[name]),
             "hours": float(hours[name])} for name in sorted(set(visitors) | set(hours))]
