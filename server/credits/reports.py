"""Credit reports: each member's progress to their yearly target, each branch's
participation and pace, each exhibit's reach; as rows ready for JSON, CSV or XLSX."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db.models import (
    ExhibitVersion,
    LedgerEntry,
    Organization,
    ParticipationRecord,
    Tour,
    User,
)

PACE_WARNING = 0.9  # a branch averaging under 90 % of the hours due by now is behind
RATE_WARNING = 0.5  # or one where fewer than half the members took part


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    @property
    def whole_year(self) -> int | None:
        return self.start.year if self == Period.year(self.start.year) else None

    def bounds(self) -> tuple[datetime, datetime]:
        start = datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC)
        end = datetime(self.end.year, self.end.month, self.end.day, tzinfo=UTC)
        return start, end + timedelta(days=1)

    def share_of_year_elapsed(self, today: date) -> float:
        """How much of the target should be done by the end of the period (or today)."""
        last = min(self.end, today)
        first = date(last.year, 1, 1)
        days = (date(last.year, 12, 31) - first).days + 1
        return max(0.0, min(1.0, ((last - first).days + 1) / days))


@dataclass(frozen=True)
class Scope:
    """Whose rows a caller may see: everyone (admins) or one branch (its guides)."""

    org_id: int | None = None


async def _people(db: AsyncSession, scope: Scope) -> list[tuple[User, str]]:
    query = (select(User, Organization.name).outerjoin(Organization, Organization.id == User.org_id)
             .where(User.deleted_at.is_(None), User.role.in_(("member", "guide")))
             .order_by(User.id))
    if scope.org_id is not None:
        query = query.where(User.org_id == scope.org_id)
    return [(user, name or "") for user, name in (await db.execute(query)).all()]


def _awarded_in(period: Period) -> Any:
    """A calendar year counts the awards for that year's visits (evaluated whenever); any
    other period counts awards made within it."""
    if period.whole_year is not None:
        return LedgerEntry.year == period.whole_year
    start, end = period.bounds()
    return (LedgerEntry.at >= start.isoformat().replace("+00:00", "Z")) & \
        (LedgerEntry.at < end.isoformat().replace("+00:00", "Z"))


async def _hours(db: AsyncSession, period: Period) -> dict[int, Decimal]:
    rows = await db.execute(select(LedgerEntry.user_id, LedgerEntry.hours)
                            .where(_awarded_in(period)))
    total: dict[int, Decimal] = defaultdict(Decimal)
    for user, hours in rows:
        total[user] += Decimal(hours)
    return total


async def _active(db: AsyncSession, period: Period) -> set[int]:
    start, end = period.bounds()
    return set((await db.scalars(select(ParticipationRecord.user_id).distinct().where(
        ParticipationRecord.at >= start, ParticipationRecord.at < end))).all())


async def members(sessions: async_sessionmaker[AsyncSession], period: Period, scope: Scope,
                  targets: dict[str, float], today: date) -> list[dict[str, Any]]:
    async with sessions() as db:
        people = await _people(db, scope)
        hours = await _hours(db, period)
        active = await _active(db, period)
    due = period.share_of_year_elapsed(today)
    rows = []
    for user, branch in people:
        target = targets.get(user.role, targets.get("member", 32.0))
        earned = float(hours.get(user.id, 0))
        rows.append({"user": user.id, "username": user.username, "name": user.display_name,
                     "role": user.role, "branch": branch, "hours": round(earned, 2),
                     "target": target, "progress": round(earned / target, 4) if target else 1.0,
                     "due_by_now": round(target * due, 2),
                     "on_pace": earned + 1e-9 >= target * due, "active": user.id in active})
    return rows


async def branches(sessions: async_sessionmaker[AsyncSession], period: Period, scope: Scope,
                   targets: dict[str, float], today: date) -> list[dict[str, Any]]:
    people = await members(sessions, period, scope, targets, today)
    by_branch: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for person in people:
        by_branch[person["branch"] or "(no branch)"].append(person)
    rows = []
    for branch, group in sorted(by_branch.items()):
        count = len(group)
        hours = sum(p["hours"] for p in group)
        due = sum(p["due_by_now"] for p in group) / count
        average = hours / count
        rate = sum(p["active"] for p in group) / count
        pace = average / due if due else 1.0
        warnings = []
        if pace < PACE_WARNING:
            warnings.append(f"behind pace: {average:.1f} 学时 a member against {due:.1f} due "
                            "by now")
        if rate < RATE_WARNING:
            warnings.append(f"only {rate:.0%} of members took part in this period")
        rows.append({"branch": branch, "members": count,
                     "active_members": sum(p["active"] for p in group),
                     "participation_rate": round(rate, 4), "hours": round(hours, 2),
                     "average_hours": round(average, 2), "due_by_now": round(due, 2),
                     "pace": round(pace, 4),
                     "behind": sum(not p["on_pace"] for p in group),
                     "warning": "; ".join(warnings)})
    return rows


async def exhibits(sessions: async_sessionmaker[AsyncSession], period: Period, scope: Scope
                   ) -> list[dict[str, Any]]:
    start, end = period.bounds()
    async with sessions() as db:
        allowed = {user.id for user, _ in await _people(db, scope)} \
            if scope.org_id is not None else None
        tour_exhibit = dict((await db.execute(
            select(Tour.id, ExhibitVersion.exhibit_id)
            .join(ExhibitVersion, ExhibitVersion.id == Tour.exhibit_version_id))).all())
        facts = (await db.execute(select(
            ParticipationRecord.user_id, ParticipationRecord.tour_id, ParticipationRecord.kind,
            ParticipationRecord.detail).where(ParticipationRecord.at >= start,
                                             ParticipationRecord.at < end))).all()
        awards = (await db.execute(select(LedgerEntry.user_id, LedgerEntry.exhibit_id,
                                          LedgerEntry.hours).where(_awarded_in(period)))).all()
    visitors: dict[str, set[int]] = defaultdict(set)
    tours: dict[str, set[int]] = defaultdict(set)
    for user, tour, kind, detail in facts:
        exhibit = tour_exhibit.get(tour) if tour is not None else detail.get("exhibit")
        if exhibit is None or (allowed is not None and user not in allowed):
            continue
        visitors[exhibit].add(user)
        if kind == "tour_ended":
            tours[exhibit].add(tour)
    hours: dict[str, Decimal] = defaultdict(Decimal)
    count: dict[str, int] = defaultdict(int)
    for user, exhibit, value in awards:
        if allowed is None or user in allowed:
            hours[exhibit] += Decimal(value)
            count[exhibit] += 1
    names = sorted(set(visitors) | set(hours))
    return [{"exhibit": name, "visitors": len(visitors[name]), "tours": len(tours[name]),
             "awards": count[name], "hours": float(hours[name])} for name in names]


def as_csv(rows: list[dict[str, Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs show Chinese names right."""
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_xlsx(rows: list[dict[str, Any]], title: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    if rows:
        sheet.append(list(rows[0]))
        for row in rows:
            sheet.append([value for value in row.values()])
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
