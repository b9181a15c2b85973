"""One member's year, for the dashboard's last drill-down: their target and pace, 学时
and facts month by month, and what they earned them from."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.dashboard import queries
from server.dashboard.flags import AT_RISK_MARGIN
from server.dashboard.period import Period
from server.dashboard.queries import Scope
from server.dashboard.tree import Subtree
from server.db.models import ActivityMonth, LedgerEntry, Organization, User
from server.failures import NotFound


async def _facts_by_month(db: AsyncSession, user_id: int, year: Period, last: int
                          ) -> dict[int, int]:
    if last < 1:
        return {}
    month = ActivityMonth.month - year.year * 100
    rows = await db.execute(select(month.label("month"), ActivityMonth.facts)
                            .where(ActivityMonth.user_id == user_id,
                                   ActivityMonth.month >= queries.month_key(year.year, 1),
                                   ActivityMonth.month <= queries.month_key(year.year, last)))
    return {row.month: row.facts for row in rows.all()}


async def member_year(sessions: async_sessionmaker[AsyncSession], user_id: int, year: int,
                      subtree: Subtree, targets: dict[str, float], today: date
                      ) -> dict[str, Any]:
    """NotFound unless ``user_id`` is a member or guide of an organization ``subtree``
    holds (whether the member exists elsewhere is not said)."""
    period = Period(year, 1, 12)
    share = period.share_due(today)
    scope = Scope(None if subtree.root is None else subtree.ids, targets, share)
    month = queries.award_month(year)
    last = period.last_month_shown(today)
    async with sessions() as db:
        person = (await db.execute(
            select(User.id, User.display_name, User.username, User.role, User.org_id,
                   Organization.name.label("org_name"), queries.target(scope).label("target"))
            .outerjoin(Organization, Organization.id == User.org_id)
            .where(User.id == user_id, queries.counted(scope)))).one_or_none()
        if person is None:
            raise NotFound("no such member in the organizations you oversee")
        hours = {row.month: float(row.hours) for row in (await db.execute(
            select(month.label("month"), queries.hours_sum().label("hours"))
            .where(LedgerEntry.user_id == user_id, LedgerEntry.year == year)
            .group_by(month))).all()}
        facts = await _facts_by_month(db, user_id, period, last)
        exhibits = (await db.execute(
            select(LedgerEntry.exhibit_id, func.count().label("awards"),
                   queries.hours_sum().label("hours"))
            .where(LedgerEntry.user_id == user_id, LedgerEntry.year == year)
            .group_by(LedgerEntry.exhibit_id)
            .order_by(queries.hours_sum().desc(), LedgerEntry.exhibit_id))).all()
    earned = sum(hours.values())
    due = person.target * share
    shortfall = max(0.0, due - earned)
    return {
        "member": {"id": person.id, "name": person.display_name, "username": person.username,
                   "role": person.role, "org_id": person.org_id, "org": person.org_name or ""},
        "year": year, "share_due": round(share, 4), "target": round(person.target, 2),
        "hours": round(earned, 2), "due": round(due, 2), "shortfall": round(shortfall, 2),
        "progress": round(earned / person.target, 4) if person.target else 1.0,
        "at_risk": shortfall > due * AT_RISK_MARGIN,
        "path": [{"id": o.id, "name": o.name} for o in subtree.path(person.org_id)]
        if person.org_id is not None else [],
        "months": [{"month": f"{year}-{m:02d}", "hours": round(hours.get(m, 0.0), 2),
                    "facts": facts.get(m, 0)} for m in range(1, max(last, max(hours, default=0))
                                                             + 1)],
        "exhibits": [{"exhibit": row.exhibit_id, "awards": row.awards,
                      "hours": round(float(row.hours), 2)} for row in exhibits],
    }
